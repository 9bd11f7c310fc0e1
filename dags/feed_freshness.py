"""The `feed_freshness` DAG: every morning, one task per feed fails (and alerts) when its next
delivery is overdue against the delivery agreement.

Wiring only: the work is `utfall.orchestration.tasks.check_feed_freshness`, the rule `utfall.dq.freshness`
(the same table `utfall ledger` prints).
"""

from __future__ import annotations

from airflow.sdk import dag, task

from utfall.orchestration.assets import WAREHOUSE_WRITER_POOL
from utfall.orchestration.defaults import DAG_ARGS, TASK_TIMEOUT, default_args, failure_alert
from utfall.orchestration.feeds import DUE_DAY, FEEDS

DOC = f"""### Is any feed's delivery overdue?

* Runs daily at 07:00 UTC; the run's logical date is the day judged (trigger with a past
  logical date to see how things stood then).
* One task per feed, named after it. **Monthly feeds**: month M is due by the {DUE_DAY}th of
  month M+1; the task fails from the day after the next month's due date. **Register
  snapshots**: each förbund renews its snapshot within `register_max_age_days`
  (seeds/parameters.csv) of its newest extract. A feed never delivered is reported, not failed.
* A failing task e-mails the Airflow Variables `utfall_alert_to` and `utfall_alert_to_<feed>`;
  no retry (the delivery will not arrive by retrying). `utfall ledger` shows the same table.
* The tasks read the warehouse, so they queue on the pool `{WAREHOUSE_WRITER_POOL}` (a DuckDB reader
  and a writer exclude each other). Timeout {TASK_TIMEOUT}.
"""


@dag(
    dag_id="feed_freshness",
    schedule="0 7 * * *",
    **DAG_ARGS,
    tags=["ingest", "freshness"],
    default_args=default_args(retries=0),
    doc_md=DOC,
)
def feed_freshness():
    for name in FEEDS:
        @task(task_id=name, pool=WAREHOUSE_WRITER_POOL, on_failure_callback=failure_alert(name))
        def check(feed: str, logical_date=None) -> dict:
            from utfall.orchestration.tasks import check_feed_freshness

            return check_feed_freshness(feed, logical_date)

        check(name)


feed_freshness()
