"""What the `annual_evaluation` DAG's tasks do (the DAG file is wiring only)."""

from __future__ import annotations

import logging

from utfall.config import Paths
from utfall.dq.model import Scope, plausible_year

log = logging.getLogger("utfall.evaluation")


def evaluation_year(param_year: int | str | None, logical_year: int) -> int:
    """The year a run evaluates: the `year` param, else the year before the run's logical date.
    ValueError for a year no evaluation can be of (the run fails before the gate)."""
    return plausible_year(int(param_year) if param_year not in (None, "") else logical_year - 1)


def run_gate_task(year: int, forbund_id: str | None) -> dict:
    """Run every check for the scope and store the results; the verdict is the next task's."""
    from utfall.dq.gate import describe, run_gate

    run = run_gate(Paths.for_airflow_task(), Scope(year, forbund_id or None))
    return {"run_id": run.run_id, "passed": run.passed, "report": str(run.report_path),
            "blocking": [f"{r.check_id} {r.forbund_id or ''}: {describe(r)}" for r in run.blocking]}


def gate_verdict_task(run: dict, year: int, forbund_id: str | None) -> str:
    """Fail (without retry) when the gate did not pass, naming the blocking checks; the alert
    names them and the report."""
    if not run["passed"]:
        from utfall.alerts import gate_alert
        from utfall.notify import AlertedFailure

        raise AlertedFailure(
            f"kvalitetsgrinden är inte godkänd för {year} ({forbund_id or 'alla förbund'}), körning "
            f"{run['run_id']}; rapport: {run['report']}\n" + "\n".join(run["blocking"]),
            gate_alert(year, forbund_id, run["run_id"], run["report"], run["blocking"]))
    return run["run_id"]


def run_evaluate_task(year: int, forbund_id: str | None) -> dict[str, str]:
    """The evaluation for the scope; the library's guard refuses when the gate has not passed."""
    from airflow.sdk.exceptions import AirflowFailException

    from utfall.dq.gate import GateNotPassed
    from utfall.evaluation.evaluate import CommentRefused, EvaluationUsageError, RenderFailed, evaluate
    from utfall.places import PlaceError

    try:
        result = evaluate(Paths.for_airflow_task(), year, forbund_id or None)
    except (GateNotPassed, PlaceError, EvaluationUsageError, RenderFailed, CommentRefused) as e:  # a retry would fail the same way
        raise AirflowFailException(str(e)) from e
    return {d.forbund_id: str(d.folder) for d in result.delivered}
