"""What the `annual_evaluation` DAG's tasks do (the DAG file is wiring only)."""

from __future__ import annotations

import logging

from utfall.config import Paths
from utfall.dq.model import Scope

log = logging.getLogger("utfall.evaluation")


def evaluation_year(param_year: int | str | None, logical_year: int) -> int:
    """The year a run evaluates: the `year` param, else the year before the run's logical date."""
    return int(param_year) if param_year not in (None, "") else logical_year - 1


def run_gate_task(year: int, forbund_id: str | None) -> dict:
    """Run every check for the scope and store the results; the verdict is the next task's."""
    from utfall.dq.gate import describe, run_gate

    run = run_gate(Paths.from_env(), Scope(year, forbund_id or None))
    return {"run_id": run.run_id, "passed": run.passed, "report": str(run.report_path),
            "blocking": [f"{r.check_id} {r.forbund_id or ''}: {describe(r)}" for r in run.blocking]}


def gate_verdict_task(run: dict, year: int, forbund_id: str | None) -> str:
    """Fail (without retry) when the gate did not pass, naming the blocking checks."""
    from airflow.sdk.exceptions import AirflowFailException

    if not run["passed"]:
        raise AirflowFailException(
            f"kvalitetsgrinden är inte godkänd för {year} ({forbund_id or 'alla förbund'}), körning "
            f"{run['run_id']}; rapport: {run['report']}\n" + "\n".join(run["blocking"]))
    return run["run_id"]


def run_evaluate_task(year: int, forbund_id: str | None) -> dict[str, str]:
    """The evaluation for the scope; the library's guard refuses when the gate has not passed."""
    from airflow.sdk.exceptions import AirflowFailException

    from utfall.dq.gate import GateNotPassed
    from utfall.evaluation.evaluate import EvaluationUsageError, RenderFailed, evaluate

    try:
        result = evaluate(Paths.from_env(), year, forbund_id or None)
    except (GateNotPassed, EvaluationUsageError, RenderFailed) as e:  # a retry would fail the same way
        raise AirflowFailException(str(e)) from e
    return {d.forbund_id: str(d.folder) for d in result.delivered}
