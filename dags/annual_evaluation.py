"""The `annual_evaluation` DAG: the quality gate, then each förbund's evaluation into the outbox.

Wiring only: the work is `utfall.orchestration.tasks` (the same as `utfall gate` and
`utfall evaluate` from the shell).
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task, task_group

from utfall.orchestration.assets import WAREHOUSE_WRITER_POOL
from utfall.orchestration.defaults import DAG_ARGS, GATE_TOPIC, LONG_TASK_TIMEOUT, TASK_TIMEOUT, default_args

DOC = f"""### The annual evaluation of every förbund

* Runs every year on 15 March (when the previous year's deliveries and the follow-up months
  are in) for the **previous year**; trigger by hand with the params `year` (e.g. to re-run
  a past year) and `forbund` (one förbund; empty = all).
* **Task group `quality_gate`** — `run_checks`: every data-quality check for the year (and
  förbund), stored in `dq.results` with a report under `$UTFALL_HOME/dq/reports/`; `verdict`:
  **a blocking failure fails the run here, without retry, naming the checks**: fix the data or record a waiver
  (`utfall waive`), then clear the task.
* **`evaluate`** — the evaluation tables are published to schema `published` with the gate
  run id, and each förbund gets `$UTFALL_HOME/outbox/<forbund_id>/<year>/` with
  `utvardering.html`, `utvardering.pdf`, `tabeller.xlsx` and `manifest.json`. The library
  refuses on its own when the gate has not passed for the scope.
* Both queue on the pool `{WAREHOUSE_WRITER_POOL}` (they write to the warehouse).
* A failure e-mails the Airflow Variables `utfall_alert_to` and `utfall_alert_to_{GATE_TOPIC}`; a failed
  gate's message names the blocking checks and the report. Timeouts: `evaluate` {LONG_TASK_TIMEOUT},
  the others {TASK_TIMEOUT}.
"""


@dag(
    dag_id="annual_evaluation",
    schedule="0 6 15 3 *",
    **DAG_ARGS,
    # Unpaused, a new DAG runs its latest past schedule at once: last March's evaluation on a
    # warehouse with no data yet, a certain red run. Unpause it once the year's data is in.
    is_paused_upon_creation=True,
    tags=["evaluation"],
    params={
        "year": Param(None, type=["null", "integer"], description="Year to evaluate (default: the previous year)"),
        "forbund": Param(None, type=["null", "string"], description="One förbund id (default: every förbund)"),
    },
    default_args=default_args(retries=1, topic=GATE_TOPIC),
    doc_md=DOC,
)
def annual_evaluation():
    @task(task_id="scope")
    def scope(params=None, logical_date=None) -> dict:
        from utfall.orchestration.tasks import evaluation_scope

        return evaluation_scope(params, logical_date)

    @task_group(group_id="quality_gate")
    def quality_gate(chosen: dict):
        @task(task_id="run_checks", pool=WAREHOUSE_WRITER_POOL)
        def run_checks(chosen: dict) -> dict:
            from utfall.orchestration.tasks import run_gate_task

            return run_gate_task(chosen["year"], chosen["forbund"])

        @task(task_id="verdict", retries=0)
        def verdict(run: dict, chosen: dict) -> str:
            from utfall.orchestration.tasks import gate_verdict_task

            return gate_verdict_task(run, chosen["year"], chosen["forbund"])

        return verdict(run_checks(chosen), chosen)

    @task(task_id="evaluate", pool=WAREHOUSE_WRITER_POOL, execution_timeout=LONG_TASK_TIMEOUT)
    def evaluate(chosen: dict, gate_run_id: str) -> dict:
        from utfall.orchestration.tasks import run_evaluate_task

        return run_evaluate_task(chosen["year"], chosen["forbund"])

    chosen = scope()
    evaluate(chosen, quality_gate(chosen))


annual_evaluation()
