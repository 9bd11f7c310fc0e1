"""The `build_warehouse` DAG: dbt over the warehouse after any feed changed, publish, then the quality gate.

Scheduled on the raw-feed Assets that the ingest DAGs update, it runs one `dbt build`
(seeds, models, tests) and publishes the analysts' copy, like `utfall build`, then runs
the quality gate in warnings-only mode. Wiring only: the work is
`utfall.orchestration.tasks` (`run_build_task`, `run_gate_after_build_task`). Not named
`dbt_*.py`: dbt's plugin loader would import such a file again.
"""

from __future__ import annotations

from airflow.sdk import AssetAny, dag, task

from utfall.orchestration.assets import MARTS_ASSET_NAME, MARTS_ASSET_URI, WAREHOUSE_WRITER_POOL, marts_asset, raw_asset
from utfall.orchestration.defaults import DAG_ARGS, LONG_TASK_TIMEOUT, TASK_TIMEOUT, default_args
from utfall.orchestration.feeds import FEEDS

RAW_ASSETS = [raw_asset(f) for f in FEEDS.values()]

DOC = f"""### Build the warehouse and publish the analysts' copy

* Runs after any of the {len(RAW_ASSETS)} raw feeds changed (Assets `raw.<feed>`, updated by
  the `ingest_<feed>` DAGs). Feeds loaded while a build runs are collected into the next
  single build (one active run at a time), not one build each. Trigger by hand to rebuild
  after a change to the dbt project.
* One `dbt build`: seeds, staging, intermediate and mart models with their tests, in
  dependency order, in one process.
* Then `$UTFALL_HOME/published/analyst.duckdb` is replaced (new file, renamed into place)
  with the person-free schemas `marts` and `reference`; analysts query it, never the
  warehouse. Updates the Asset `{MARTS_ASSET_NAME}` (`{MARTS_ASSET_URI}`).
* **A failing model or dbt test fails the task at once, without retry** (running again
  will not fix it), with the failures in the log; nothing is published, analysts keep the
  last good file. Fix the data or the model, then clear the task. Other errors (e.g. the
  warehouse held too long by another writer) are retried once.
* Then the **quality gate, warnings only**: every data-quality check for the latest year
  whose December is delivered, stored in `dq.results` with a report under
  `$UTFALL_HOME/dq/reports/`; failing checks are logged as warnings and never fail this
  DAG (the annual evaluation is where the gate blocks). `utfall gate --year YYYY` runs it by hand.
* Both tasks queue on the pool `{WAREHOUSE_WRITER_POOL}` (one slot: DuckDB has one writer).
* A failure e-mails the Airflow Variable `utfall_alert_to`. Timeouts: the build {LONG_TASK_TIMEOUT},
  the gate {TASK_TIMEOUT}.
"""


@dag(
    dag_id="build_warehouse",
    schedule=AssetAny(*RAW_ASSETS),
    **DAG_ARGS,
    tags=["warehouse"],
    default_args=default_args(retries=1),
    doc_md=DOC,
)
def build_warehouse():
    @task(
        task_id="build_and_publish",
        pool=WAREHOUSE_WRITER_POOL,
        outlets=[marts_asset()],
        execution_timeout=LONG_TASK_TIMEOUT,
    )
    def build_and_publish(run_id: str | None = None) -> dict[str, int]:
        from utfall.orchestration.tasks import run_build_task

        return run_build_task(run_id)

    @task(task_id="quality_gate", pool=WAREHOUSE_WRITER_POOL)
    def quality_gate() -> dict:
        from utfall.orchestration.tasks import run_gate_after_build_task

        return run_gate_after_build_task()

    build_and_publish() >> quality_gate()


build_warehouse()
