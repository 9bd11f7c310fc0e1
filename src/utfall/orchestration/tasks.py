"""What each DAG task does: calls the library (the same code `utfall load`, `build`, `gate` and
`evaluate` run from the shell) and translates its errors into Airflow's. A failure a retry
cannot fix (a quarantined file, a failing dbt test, a gate that did not pass, a bad setting)
fails the task without retry; the ones Utfall composed an alert for carry it (AlertedFailure).

A DAG file imports this module inside its task bodies, so parsing a DAG stays light.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

import pendulum
from airflow.sdk.exceptions import AirflowFailException

from utfall.db import connection
from utfall.orchestration.alert_text import freshness_alert, gate_alert, quarantine_alert
from utfall.dq.freshness import feed_freshness
from utfall.dq.gate import GateNotPassed, describe, run_gate, run_warnings_only
from utfall.dq.gate_model import Scope, plausible_year
from utfall.evaluation.evaluate import CommentRefused, EvaluationUsageError, RenderFailed, evaluate
from utfall.ingest.loader import load
from utfall.orchestration.alerting import AlertedFailure
from utfall.orchestration.warehouse_connection import task_paths
from utfall.ingest.places import PlaceError
from utfall.warehouse.analyst_copy import PublishRefused
from utfall.warehouse.build_and_publish import build_and_publish

log = logging.getLogger("utfall.orchestration")


# --- ingest_<feed> and feed_freshness ------------------------------------------------------

def run_feed_load(feed_name: str) -> dict[str, int]:
    """Load the feed's new files. Good files are committed before a quarantine fails the task."""
    report = load(task_paths(), feed_name)
    summary = {"files": len(report.outcomes), "rows_loaded": sum(o.rows_loaded for o in report.outcomes)}
    for status in ("loaded", "superseded", "duplicate", "quarantined"):
        summary[status] = sum(1 for o in report.outcomes if o.status == status)
    log.info("%s: %s", feed_name, ", ".join(f"{k} {v}" for k, v in summary.items()))
    if report.quarantined or report.unhandled:
        reasons = "\n".join(
            (o.stored_path.parent / f"{o.stored_path.name}.reason.txt").read_text(encoding="utf-8")
            for o in report.quarantined
        )
        stuck = "".join(f"\nleft in the inbox: {u}" for u in report.unhandled)
        # no retry: the same file would fail again
        raise AlertedFailure(
            f"{len(report.quarantined)} file(s) of {feed_name} quarantined, {len(report.unhandled)} left in the "
            f"inbox (the other {summary['files'] - len(report.quarantined)} were handled and committed).{stuck}\n"
            f"{reasons}",
            quarantine_alert(feed_name, report.quarantined, summary["files"], report.unhandled),
        )
    return summary


def check_feed_freshness(feed_name: str, logical_date: datetime | date | None) -> dict:
    """Fail, alerting the feed's recipients, when the feed's next delivery is overdue on the run's
    logical date (today when none)."""
    today = logical_date.date() if isinstance(logical_date, datetime) else logical_date or pendulum.today("UTC").date()
    paths = task_paths()
    if not connection.warehouse_exists(paths):
        log.info("no warehouse yet: nothing delivered, nothing overdue")
        return {"feed": feed_name, "status": "never delivered"}
    con = connection.connect_warehouse(paths, read_only=True)
    try:
        [freshness] = [f for f in feed_freshness(con, today) if f.feed == feed_name]
    finally:
        con.close()
    log.info("%s on %s: %s (%s)", feed_name, today, freshness.status, freshness.detail)
    if freshness.overdue:
        alert = freshness_alert(freshness)
        raise AlertedFailure(alert.text, alert)
    return {"feed": feed_name, "status": freshness.status, "next_due": str(freshness.next_due or "")}


# --- build_warehouse -----------------------------------------------------------------------

def run_build_task(run_id: str | None) -> dict[str, int]:
    """Build and publish; a failing model or test, or a refused publish, fails without retry."""
    try:
        result = build_and_publish(task_paths(), run_id=run_id)
    except PublishRefused as e:
        raise AirflowFailException(str(e)) from e
    if not result.build.success:
        # A failing dbt test or a broken model will not fix itself by running again.
        raise AirflowFailException(
            "dbt build failed; nothing published (analysts keep the previous file):\n"
            + "\n".join(result.build.failures)
        )
    if result.published is None:
        log.info("built the PostgreSQL warehouse: analysts read its schema marts")
        return {"tables": 0, "rows": 0}
    summary = {"tables": len(result.published.tables), "rows": sum(n for _, n in result.published.tables)}
    log.info("published %s: %d tables, %d rows", result.published.path, summary["tables"], summary["rows"])
    return summary


def run_gate_after_build_task() -> dict:
    """The gate for the latest complete year, warnings only: a failing check never fails this task."""
    return run_warnings_only(task_paths())


# --- annual_evaluation ---------------------------------------------------------------------

def evaluation_scope(params: dict, logical_date: datetime | None) -> dict:
    """The run's year (evaluation_year) and förbund (None: every förbund), from its params."""
    year = evaluation_year(params.get("year"), (logical_date or pendulum.now("UTC")).year)
    return {"year": year, "forbund": params.get("forbund") or None}


def evaluation_year(param_year: int | str | None, logical_year: int) -> int:
    """The year a run evaluates: the `year` param, else the year before the run's logical date.
    ValueError for a year no evaluation can be of (the run fails before the gate)."""
    return plausible_year(int(param_year) if param_year not in (None, "") else logical_year - 1)


def run_gate_task(year: int, forbund_id: str | None) -> dict:
    """Run every check for the scope and store the results; the verdict is the next task's."""
    run = run_gate(task_paths(), Scope(year, forbund_id or None))
    return {"run_id": run.run_id, "passed": run.passed, "report": str(run.report_path),
            "blocking": [f"{r.check_id} {r.forbund_id or ''}: {describe(r)}" for r in run.blocking]}


def gate_verdict_task(run: dict, year: int, forbund_id: str | None) -> str:
    """Fail (without retry) when the gate did not pass, naming the blocking checks; the alert
    names them and the report."""
    if not run["passed"]:
        raise AlertedFailure(
            f"kvalitetsgrinden är inte godkänd för {year} ({forbund_id or 'alla förbund'}), körning "
            f"{run['run_id']}; rapport: {run['report']}\n" + "\n".join(run["blocking"]),
            gate_alert(year, forbund_id, run["run_id"], run["report"], run["blocking"]))
    return run["run_id"]


def run_evaluate_task(year: int, forbund_id: str | None) -> dict[str, str]:
    """The evaluation for the scope; the library's guard refuses when the gate has not passed."""
    try:
        result = evaluate(task_paths(), year, forbund_id or None)
    except (GateNotPassed, PlaceError, EvaluationUsageError, RenderFailed, CommentRefused) as e:  # a retry fails the same way
        raise AirflowFailException(str(e)) from e
    return {d.forbund_id: str(d.folder) for d in result.delivered}
