"""Ingest DAGs: one per agency feed, generated from the feed contracts.

Each DAG `ingest_<feed>` loads new files from `$UTFALL_HOME/inbox/<feed>/` into the
warehouse's raw schema (`utfall load --feed <feed>`) and updates the Asset
`raw.<feed>` so that later DAGs can be scheduled on data. Wiring only: the work is
`utfall.orchestration.tasks.run_feed_load`.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from utfall.orchestration.assets import WAREHOUSE_WRITER_POOL, raw_asset
from utfall.orchestration.defaults import DAG_ARGS, TASK_TIMEOUT, default_args
from utfall.orchestration.feeds import AGENCY_NAMES, FEEDS, Feed


def _doc(feed: Feed) -> str:
    columns = "\n".join(f"| `{c.name}` | {c.type} | {'ja' if c.required else ''} | {c.description} |" for c in feed.columns)
    when = "monthly, by the 15th" if feed.kind == "monthly" else "daily check for new register snapshots"
    name = f"{feed.name}_YYYYMM.csv" if feed.kind == "monthly" else f"{feed.name}_<forbund_id>_YYYYMMDD.csv"
    return f"""### Ingest `{feed.name}` — {AGENCY_NAMES[feed.agency]}

{feed.description}.

* Files: `$UTFALL_HOME/inbox/{feed.name}/{name}` (or `.parquet`), `;`-separated UTF-8.
* Schedule: {when} (`{feed.schedule}`, UTC); trigger by hand after a late or corrected delivery.
* A refused file goes to `$UTFALL_HOME/quarantine/{feed.name}/` beside `<file>.reason.txt`;
  the task then fails (no retry) after the good files are committed. Fix and re-deliver.
* Writes queue on the pool `{WAREHOUSE_WRITER_POOL}` (one slot: DuckDB has one writer).
* A failure e-mails the Airflow Variables `utfall_alert_to` and `utfall_alert_to_{feed.name}`
  (a quarantine: file, rules, first offending lines; never a value). Timeout {TASK_TIMEOUT}.

| column | type | required | description |
|---|---|---|---|
{columns}
"""


def ingest_dag(feed: Feed):
    @dag(
        dag_id=f"ingest_{feed.name}",
        schedule=feed.schedule,
        **DAG_ARGS,
        tags=["ingest", f"agency:{feed.agency}", feed.kind],
        default_args=default_args(retries=2, topic=feed.name),
        doc_md=_doc(feed),
    )
    def ingest():
        @task(
            task_id="load",
            pool=WAREHOUSE_WRITER_POOL,
            outlets=[raw_asset(feed)],
        )
        def load_feed() -> dict[str, int]:
            from utfall.orchestration.tasks import run_feed_load

            return run_feed_load(feed.name)

        load_feed()

    return ingest()


for _feed in FEEDS.values():
    globals()[f"ingest_{_feed.name}"] = ingest_dag(_feed)
