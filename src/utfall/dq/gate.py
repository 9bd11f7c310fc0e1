"""The quality gate: run every check for a scope, store the results, write the report.

`run_gate` is what `utfall gate` and the DAGs call; `require_passed` is the guard every
publication of an evaluation calls first: it raises unless the latest gate run covering the
scope passed, its stored results still say so, and the warehouse is as the run judged it
(no load, build or edit of the marts since: utfall.dq.state).
"""

from __future__ import annotations

import logging
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from utfall.db import connection
from utfall import __version__


from utfall.db import tiers
from utfall.db.config import Paths
from utfall.db.transactions import transaction
from utfall.dq import store
from utfall.dq.catalogue import load_catalogue
from utfall.dq.gate_model import Scope, plausible_year
from utfall.dq.runner import Result, judge, measure_all
from utfall.dq.scope import forbund_with_data, latest_complete_year
from utfall.dq.state import changes_since, loads_since_latest_build
from utfall.warehouse.build_state import WarehouseState, read_state
from utfall.dq.store import Waiver
from utfall.dq.timing import utc_now
from utfall.dq.waivers import apply_waivers

log = logging.getLogger("utfall.dq")

class GateUsageError(ValueError):
    """The gate cannot run for this scope (no warehouse, unknown förbund, impossible year)."""


class GateNotPassed(RuntimeError):
    """The scope's evaluation may not be published: its latest gate run did not pass (or is missing or stale)."""


@dataclass
class GateRun:
    run_id: str
    scope: Scope
    started_at: datetime
    finished_at: datetime
    results: list[Result]
    waivers: list[Waiver]  # the year's waivers that concern this scope (used or not)
    report_path: Path
    state: WarehouseState  # what the run judged: loads, build, marts
    data_docs: Path | None = None  # GX Data Docs of the evaluation suites (None when none were built)

    @property
    def blocking(self) -> list[Result]:
        return [r for r in self.results if r.blocks]

    @property
    def passed(self) -> bool:
        return not self.blocking

    @property
    def problems(self) -> list[Result]:
        """Failed, warned and erroring results: unwaived blocking ones first."""
        bad = [r for r in self.results if r.status in ("fail", "warn", "error")]
        return sorted(bad, key=lambda r: (not r.blocks, r.waiver_id is None, r.severity != "blocking", r.level,
                                          r.check_id, r.forbund_id or ""))


def reports_dir(paths: Paths) -> Path:
    return paths.home / "dq" / "reports"


def new_run_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def check_scope(paths: Paths, scope: Scope) -> None:
    if not connection.warehouse_exists(paths):
        raise GateUsageError(f"inget lager i {paths.warehouse}: kör `utfall load` och `utfall build` först")
    try:
        plausible_year(scope.year)  # the one range: the CLI and the DAG check the same
    except ValueError as e:
        raise GateUsageError(str(e)) from None
    con = connection.connect_warehouse(paths, read_only=True)
    try:
        unbuilt = loads_since_latest_build(con)
        known = forbund_with_data(con)
    finally:
        con.close()
    if scope.forbund_id and scope.forbund_id not in known:
        raise GateUsageError(f"okänt förbund {scope.forbund_id!r}; förbund med inlästa registerleveranser: "
                             f"{', '.join(known) or '(inga)'}")
    if unbuilt:
        raise GateUsageError(f"{unbuilt} filer har lästs in efter senaste bygget: kör `utfall build` "
                             "innan grinden, så att den bedömer det som ska publiceras")


@tiers.secured
def run_gate(paths: Paths, scope: Scope) -> GateRun:
    """Measure, judge, apply waivers; store run and results in one transaction with the report."""
    from utfall.dq.mart_suites import data_docs_index
    from utfall.dq.report import write_report

    check_scope(paths, scope)
    catalogue = load_catalogue()
    started_at = utc_now()
    run_id = new_run_id(started_at)
    # Read before measuring: whatever changes while the levels run makes this verdict stale.
    con = connection.connect_warehouse(paths, read_only=True)
    try:
        state = read_state(con)
    finally:
        con.close()
    # Levels open (and close) their own connections: none is held here while they run.
    measured, failed_levels = measure_all(paths, scope)
    results = judge(catalogue, measured, failed_levels)
    report_path = reports_dir(paths) / run_id / "index.html"
    con = connection.connect_warehouse(paths)
    try:
        try:
            with transaction(con):
                store.ensure_tables(con)
                waivers = [w for w in store.waivers_for_year(con, scope.year) if _concerns(w, scope)]
                results = apply_waivers(results, waivers, scope)
                run = GateRun(run_id, scope, started_at, utc_now(), results, waivers, report_path, state,
                              data_docs_index(paths))
                write_report(run, catalogue)
                _insert(con, run)
        except BaseException:
            shutil.rmtree(report_path.parent, ignore_errors=True)  # no report of a run that was not stored
            raise
    finally:
        con.close()
    log.info("gate %s for %d/%s: %s (%d blocking), report %s", run_id, scope.year, scope.forbund_id or "alla",
             "passed" if run.passed else "NOT passed", len(run.blocking), report_path)
    return run


def _concerns(waiver: Waiver, scope: Scope) -> bool:
    return scope.forbund_id is None or waiver.forbund_id in (None, scope.forbund_id)


def _insert(con, run: GateRun) -> None:
    con.execute(
        "INSERT INTO dq.runs (run_id, year, forbund_id, started_at, finished_at, passed, blocking_failures, "
        "report_path, utfall_version, loads_max_id, loads_digest, build_id, marts_fingerprint) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            run.run_id, run.scope.year, run.scope.forbund_id, run.started_at, run.finished_at, run.passed,
            len(run.blocking), str(run.report_path), __version__, run.state.loads_max_id, run.state.loads_digest,
            run.state.build_id, run.state.marts_fingerprint,
        ])
    store.insert_results(con, run.run_id, run.scope.year, run.results)
    con.execute("UPDATE dq.runs SET results_digest = ? WHERE run_id = ?", [store.results_digest(con, run.run_id),
                                                                             run.run_id])


def require_passed(paths: Paths, year: int, forbund_id: str | None = None) -> str:
    """The run_id of the passed gate run the scope's evaluation rests on; GateNotPassed otherwise.

    The latest run covering the scope counts (a run for every förbund covers each förbund),
    and only when its stored results agree with its verdict and the warehouse is still the
    one it judged: no file loaded, no build, no change to the marts since.
    """
    if not connection.warehouse_exists(paths):
        raise GateNotPassed(f"kvalitetsgrinden har inte körts för {_scope_text(year, forbund_id)}: "
                            f"inget lager i {paths.warehouse}")
    con = connection.connect_warehouse(paths, read_only=True)
    try:
        return passed_run(con, year, forbund_id)
    finally:
        con.close()


def passed_run(con, year: int, forbund_id: str | None = None) -> str:
    """`require_passed` on an open warehouse connection (a publisher checks again inside the
    transaction that publishes, so nothing can change between the check and the write)."""
    what = _scope_text(year, forbund_id)
    if not store.has_tables(con):
        raise GateNotPassed(f"kvalitetsgrinden har inte körts för {what}: kör `utfall gate --year {year}`")
    latest = con.execute(
        "SELECT run_id, passed, blocking_failures, report_path, results_digest, loads_max_id, loads_digest, "
        "build_id, marts_fingerprint FROM dq.runs "
        "WHERE year = ? AND (forbund_id IS NULL OR forbund_id = ?) ORDER BY started_at DESC, run_id DESC LIMIT 1",
        [year, forbund_id],
    ).fetchone()
    if latest is None:
        raise GateNotPassed(f"kvalitetsgrinden har inte körts för {what}: kör `utfall gate --year {year}`")
    run_id, passed, blocking, report, digest, *judged = latest
    if not passed:
        raise GateNotPassed(f"kvalitetsgrinden är inte godkänd för {what}: senaste körningen {run_id} har "
                            f"{blocking} blockerande fel (rapport: {report}); rätta data eller besluta undantag "
                            "med `utfall waive`, och kör `utfall gate` igen")
    rerun = f"kör `utfall gate --year {year}{' --forbund ' + forbund_id if forbund_id else ''}` igen"
    disagreement = _results_disagree(con, run_id, blocking, digest)
    if disagreement:
        raise GateNotPassed(f"kvalitetsgrinden för {what} (körning {run_id}) kan inte användas: dq.runs säger "
                            f"godkänd men dq.results {disagreement}; {rerun}")
    if judged[1] is None:
        raise GateNotPassed(f"kvalitetsgrinden för {what} (körning {run_id}) är inaktuell: körningen sparade "
                            f"inte vilket lager den bedömde (äldre version); {rerun}")
    changes = changes_since(con, WarehouseState(*judged))
    if changes:
        raise GateNotPassed(f"kvalitetsgrinden för {what} (körning {run_id}) är inaktuell: "
                            f"{'; '.join(changes)}; {rerun}")
    return run_id


def _scope_text(year: int, forbund_id: str | None) -> str:
    return f"{year}, {'förbund ' + forbund_id if forbund_id else 'alla förbund'}"


def _results_disagree(con, run_id: str, blocking_failures: int, digest: str | None) -> str | None:
    """Why a run stored as passed is not one by its own results (None: they agree).

    The verdict is recomputed from dq.results and dq.waivers: no blocking failure or error is
    left without a waiver of that check and year, the results are those the run stored, and
    every catalogue check has one."""
    unwaived, bad_waivers = con.execute(
        "SELECT count(*) FILTER (WHERE severity = 'blocking' AND status IN ('fail', 'error') AND waiver_id IS NULL), "
        "count(*) FILTER (WHERE waiver_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM dq.waivers w "
        "WHERE w.waiver_id = r.waiver_id AND w.check_id = r.check_id AND w.year = r.year)) "
        "FROM dq.results r WHERE run_id = ?", [run_id]).fetchone()
    ran = {r[0] for r in con.execute("SELECT DISTINCT check_id FROM dq.results WHERE run_id = ?", [run_id]).fetchall()}
    missing = sorted(set(load_catalogue()) - ran)
    if unwaived or blocking_failures:
        return f"har {unwaived} blockerande fel utan undantag (dq.runs: {blocking_failures})"
    if bad_waivers:
        return f"har {bad_waivers} resultat med ett undantag som inte finns för den kontrollen och det året"
    if digest is not None and store.results_digest(con, run_id) != digest:
        return "har ändrats efter körningen (rader ändrade eller borttagna)"
    if missing:
        more = ", …" if len(missing) > 3 else ""
        return f"saknar resultat för {len(missing)} kontroller i katalogen ({', '.join(missing[:3])}{more})"
    return None


def run_warnings_only(paths: Paths) -> dict:
    """The gate for the latest complete year, warnings only (what `build_warehouse` runs after each build).

    Stores results and the report and logs what failed; a failing check is no error here
    (the annual evaluation is where the gate blocks).
    """
    con = connection.connect_warehouse(paths, read_only=True)
    try:
        year = latest_complete_year(con)
    finally:
        con.close()
    if year is None:
        log.warning("no monthly feed has been loaded: no year to check")
        return {}
    run = run_gate(paths, Scope(year))
    for r in run.problems:
        log.warning("%s %s%s: %s", r.status.upper(), r.check_id, f" ({r.forbund_id})" if r.forbund_id else "",
                    describe(r))
    summary = {"year": year, "run_id": run.run_id, "passed": run.passed, "blocking_failures": len(run.blocking),
               "report": str(run.report_path)}
    log.info("quality gate (warnings only) %s", summary)
    return summary


def describe(r: Result, examples: int = 3) -> str:
    """One line on why a result is not a pass, for terminals and logs."""
    parts = []
    if r.violated_rows is not None and r.denominator:
        parts.append(f"{r.violated_rows} av {r.denominator} ({r.percent:g} %, tillåtet {r.threshold_pct:g} %)")
    if r.message:
        parts.append(r.message)
    if r.examples:
        more = len(r.examples) - examples
        parts.append("; ".join(r.examples[:examples]) + (f"; … {more} till" if more > 0 else ""))
    if r.waiver_id is not None:
        parts.append(f"undantag {r.waiver_id}")
    return " — ".join(parts)


__all__ = ["GateNotPassed", "GateRun", "GateUsageError", "passed_run", "require_passed", "run_gate"]
