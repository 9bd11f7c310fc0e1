"""`utfall evaluate` and the `annual_evaluation` DAG: the year's evaluation for each förbund.

Order, and why (all or nothing: either every förbund's evaluation is published, or nothing is):
1. The scope is validated: a förbund without loaded register data is a usage error.
2. The gate must have passed for the scope (`dq.gate.require_passed`): the guard lives here,
   in the library, so no caller can publish around it. Refused → nothing is written.
   Each förbund's own comments (`$UTFALL_HOME/comments/<forbund_id>/<year>.md`) are scanned
   too: one that staff may not see (a personnummer) stops everything (`CommentRefused`).
3. Every förbund's files (utvardering.html, utvardering.pdf, tabeller.xlsx, manifest.json)
   are rendered into one temporary folder beside the outbox, several förbund at once, one
   process per core. A förbund that fails to render stops everything here: nothing published.
4. The evaluation tables (the marts' rows for the year and förbund) are published to the
   warehouse schema `published` with the gate run id, replacing an earlier run's rows.
5. Each förbund's folder is renamed into `$UTFALL_HOME/outbox/<forbund_id>/<year>/` (the old
   one renamed away first), so staff never see half a delivery.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import secrets
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from utfall.db import connection
from utfall import __version__

from utfall.ingest import ledger

from utfall.db import stage_timings, tiers
from utfall.db.config import Paths
from utfall.dq.mart_suites import evaluation_tables, scope_years
from utfall.dq.gate import GateNotPassed, passed_run, require_passed
from utfall.dq.scope import forbund_with_data
from utfall.evaluation import provenance
from utfall.evaluation.comments import CommentRefused, forbund_with_comments, read_comments
from utfall.ingest.places import checked_forbund_id, inside
from utfall.ingest.reference import load_parameters

log = logging.getLogger("utfall.evaluation")

# The evaluation tables: each mart with a quality-gate suite (expectations/evaluation/), whose
# meta says which rows the evaluation of a year reads (its year column and exit cohorts).
EVALUATION_TABLES: dict[str, dict] = evaluation_tables()

REPORT_FILES = ("utvardering.html", "utvardering.pdf", "tabeller.xlsx")


@dataclass(frozen=True)
class Delivered:
    forbund_id: str
    folder: Path
    files: list[Path]  # the report files and manifest.json


@dataclass(frozen=True)
class EvaluationResult:
    year: int
    gate_run_id: str
    delivered: list[Delivered]
    comments: dict[str, Path | None] = field(default_factory=dict)  # förbund -> its comment file, or None


class EvaluationUsageError(ValueError):
    """The evaluation cannot run for this scope: a förbund without data, or none at all."""


class RenderFailed(RuntimeError):
    """A förbund's report could not be rendered; nothing of the evaluation was published."""


def outbox(paths: Paths) -> Path:
    return paths.home / "outbox"


def outbox_folder(paths: Paths, forbund_id: str, year: int) -> Path:
    """outbox/<forbund_id>/<year>; PlaceError unless that is a well-formed id's folder inside the outbox."""
    return inside(outbox(paths), checked_forbund_id(forbund_id), str(int(year)))


@tiers.secured
def evaluate(paths: Paths, year: int, forbund_id: str | None = None, workers: int | None = None) -> EvaluationResult:
    """Scope → gate guard → every report rendered → published tables → folders swapped in.

    PlaceError (a malformed förbund id, refused before anything is read), EvaluationUsageError,
    GateNotPassed, RenderFailed (or any other error): nothing is written.
    `workers`: processes rendering reports at once (default: one per core)."""
    if forbund_id is not None:
        checked_forbund_id(forbund_id)
    forbund = _forbund(paths, year, forbund_id) if connection.warehouse_exists(paths) else []
    gate_run_id = require_passed(paths, year, forbund_id)  # also says when there is no warehouse
    comments = checked_comments(paths, forbund, year)
    # Beside the outbox, on the same file system: the folders are renamed into place.
    work = outbox(paths).parent / f".evaluation-{year}-{secrets.token_hex(4)}.tmp"
    try:
        render_report_folders(paths, forbund, year, gate_run_id, work / "new", workers)
        publish_evaluation_tables(paths, year, forbund, gate_run_id, forbund_id)
        delivered = swap_into_outbox(paths, forbund, year, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return EvaluationResult(year, gate_run_id, delivered, comments)


def checked_comments(paths: Paths, forbund: list[str], year: int) -> dict[str, Path | None]:
    """Each förbund's comment file for the year (None: it wrote none), every one scanned before
    any report is rendered: CommentRefused names the file and line of what staff may not see."""
    found = forbund_with_comments(paths, forbund, year)
    for f, path in found.items():
        if path is not None:
            read_comments(paths, f, year)
    with_comments = [f for f, path in found.items() if path]
    log.info("comments from the förbund for %d: %s; none from: %s", year, ", ".join(with_comments) or "none",
             ", ".join(f for f in found if f not in with_comments) or "none")
    return found


def render_report_folders(paths: Paths, forbund: list[str], year: int, gate_run_id: str, into: Path,
                          workers: int | None = None) -> None:
    """Every förbund's files into `into/<forbund_id>/`, several at once: a report is CPU-bound
    Python (matplotlib, WeasyPrint, openpyxl), so processes, not threads. Each reads the
    warehouse read-only, which DuckDB lets many processes do. The first failure is raised."""
    workers = min(len(forbund), workers or os.cpu_count() or 1)
    if workers <= 1:
        for f in forbund:
            _rendered(f, lambda f=f: render_report_folder(paths, f, year, gate_run_id, into / f))
        return
    # spawn, not fork: the caller may be an Airflow task holding threads and open connections
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {f: pool.submit(render_report_folder, paths, f, year, gate_run_id, into / f) for f in forbund}
        for f, future in futures.items():
            _rendered(f, future.result)


def _rendered(forbund_id: str, render) -> None:
    try:
        render()
    except Exception as e:
        log.exception("the evaluation of %s could not be rendered", forbund_id)
        raise RenderFailed(f"the evaluation of {forbund_id} could not be rendered ({type(e).__name__}: {e}); "
                           "nothing was published and the outbox is unchanged") from e


def swap_into_outbox(paths: Paths, forbund: list[str], year: int, work: Path) -> list[Delivered]:
    """Rename each rendered folder (work/new/<f>) into the outbox, the earlier delivery of the
    year first renamed away (to work/previous/<f>); undone if a rename fails."""
    (work / "previous").mkdir()
    done: list[tuple[Path, Path | None]] = []  # (target, where its earlier delivery went)
    try:
        for f in forbund:
            target = outbox_folder(paths, f, year)
            target.parent.mkdir(parents=True, exist_ok=True)
            previous = work / "previous" / f if target.exists() else None
            if previous:
                target.rename(previous)
            done.append((target, previous))
            (work / "new" / f).rename(target)
    except BaseException:
        for target, previous in reversed(done):
            shutil.rmtree(target, ignore_errors=True)
            if previous:
                previous.rename(target)
        raise
    for f in forbund:
        log.info("evaluation %s %d: %s", f, year, outbox_folder(paths, f, year))
    return [Delivered(f, outbox_folder(paths, f, year),
                      sorted(outbox_folder(paths, f, year).iterdir())) for f in forbund]


def _forbund(paths: Paths, year: int, forbund_id: str | None) -> list[str]:
    """The förbund to evaluate: the one asked for, or every förbund with data (the gate's definition)."""
    con = connection.connect_warehouse(paths, read_only=True)
    try:
        with_data = forbund_with_data(con)
    finally:
        con.close()
    if forbund_id is not None and forbund_id not in with_data:
        raise EvaluationUsageError(f"unknown förbund {forbund_id!r}: no register delivery of it is loaded; "
                                   f"förbund with data: {', '.join(with_data) or '(none)'}")
    if not with_data:
        raise EvaluationUsageError(f"no förbund to evaluate for {year}: no register delivery is loaded")
    return [forbund_id] if forbund_id else with_data


def publish_evaluation_tables(paths: Paths, year: int, forbund: list[str], gate_run_id: str,
                              scope_forbund: str | None = None) -> None:
    """published.<mart>: the evaluation tables' rows (the marts the quality gate checks, for the
    year's cohorts and the förbund), with the gate run that let them through.

    A re-run for the same year and förbund replaces their rows (one transaction). The gate is
    asked again inside it: a load, build or gate run while the reports rendered refuses.
    """
    published_at = ledger.utc_now()
    with connection.warehouse_transaction(paths) as con:
        if passed_run(con, year, scope_forbund) != gate_run_id:
            raise GateNotPassed(f"kvalitetsgrinden för {year} kördes igen medan rapporterna skapades; "
                                "kör `utfall evaluate` igen")
        connection.create_schema_if_missing(con, "published")
        for mart, meta in EVALUATION_TABLES.items():
            # riket's row of the national table goes with every förbund's evaluation
            scope = forbund + (["riket"] if mart == "mart_national_year" else [])
            if not scope:
                continue
            in_scope = f"forbund_id IN ({', '.join('?' for _ in scope)})"
            con.execute(f"CREATE TABLE IF NOT EXISTS published.{mart} AS "
                        f"SELECT *, CAST(NULL AS INTEGER) AS evaluation_year, CAST(NULL AS VARCHAR) AS gate_run_id, "
                        f"CAST(NULL AS TIMESTAMP) AS published_at FROM marts.{mart} WHERE false")
            con.execute(f"DELETE FROM published.{mart} WHERE evaluation_year = ? AND {in_scope}", [year, *scope])
            # by name: the mart's columns as they are now; a column the mart gained since the
            # published table was made is added to it (earlier evaluations' rows hold null there)
            _add_new_columns(con, mart)
            columns = ", ".join(c[0] for c in con.execute(f"SELECT * FROM marts.{mart} LIMIT 0").description)
            con.execute(f"INSERT INTO published.{mart} ({columns}, evaluation_year, gate_run_id, published_at) "
                        f"SELECT {columns}, CAST(? AS INTEGER), ?, ? FROM marts.{mart} WHERE {in_scope}"
                        + (f" AND {meta['year_column']} IN ({', '.join(str(int(y)) for y in scope_years(meta, year))})"
                           if meta["year_column"] else ""),
                        [year, gate_run_id, published_at, *scope])


def _add_new_columns(con, mart: str) -> None:
    def typed_columns(schema: str) -> dict[str, str]:
        return dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                                [schema, mart]).fetchall())

    published = typed_columns("published")
    for column, data_type in typed_columns("marts").items():
        if column not in published:
            con.execute(f"ALTER TABLE published.{mart} ADD COLUMN {column} {data_type}")


def render_report_folder(paths: Paths, forbund_id: str, year: int, gate_run_id: str, folder: Path) -> None:
    """One förbund's report files and manifest into `folder` (new)."""
    from utfall.evaluation.render_excel import render_excel
    from utfall.evaluation.render_html import render_html
    from utfall.evaluation.render_pdf import render_pdf
    from utfall.evaluation.tables import build_report

    laps = stage_timings.Laps()
    loads, since = read_provenance(paths, forbund_id, year)
    report = build_report(paths, forbund_id, year, gate_run_id, since_previous=since)
    laps.lap("tables")
    html = render_html(report)
    laps.lap("html")
    pdf = render_pdf(html)
    laps.lap("pdf")
    contents = {"utvardering.html": html.encode("utf-8"), "utvardering.pdf": pdf, "tabeller.xlsx": render_excel(report)}
    laps.lap("excel")
    manifest = {
        "forbund_id": forbund_id,
        "year": year,
        "gate_run_id": gate_run_id,
        "generated_at": report.generated_at,
        "software_version": __version__,
        "files": {name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                  for name, data in contents.items()},
        "data_months": data_months(paths, forbund_id, year),
        # which load provided each month read, and what changed since the year's previous evaluation
        "loads": provenance.manifest_loads(loads),
        "since_previous_evaluation": since.as_manifest() if since else None,
        "parameters": parameters_used(paths, year),
    }
    contents["manifest.json"] = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")

    laps.lap("manifest")
    folder.mkdir(parents=True)
    for name, data in contents.items():
        (folder / name).write_bytes(data)
    tiers.secure_tree(folder, tiers.REPORTERS)  # readable by staff from the moment it is in place
    laps.lap("write")
    stage_timings.append(timings_path(paths), [{"forbund_id": forbund_id, "year": year, "seconds": laps.rounded()}])


# Where one förbund's report time goes (`make bench` sums them): the marts read and the tables
# built and suppressed; the HTML with its charts; the PDF; the Excel; the manifest (its queries
# of the load history); writing the files.
RENDER_STAGES = ("tables", "html", "pdf", "excel", "manifest", "write")


def timings_path(paths: Paths) -> Path:
    """$UTFALL_HOME/logs/evaluate_timings.jsonl: one line per rendered report, names and seconds only."""
    return paths.home / "logs" / "evaluate_timings.jsonl"


def read_provenance(paths: Paths, forbund_id: str, year: int
                    ) -> tuple[list[provenance.MonthLoad], provenance.SincePrevious | None]:
    """The loads of the months up to the cut-off, and what changed since the evaluation of the
    year now in the outbox (read before the new one replaces it)."""
    con = connection.connect_warehouse(paths, read_only=True)
    try:
        loads = provenance.month_loads(con, year)
    finally:
        con.close()
    previous = outbox_folder(paths, forbund_id, year) / "manifest.json"
    manifest = json.loads(previous.read_text(encoding="utf-8")) if previous.is_file() else None
    return loads, provenance.since_previous(manifest, loads)


def data_months(paths: Paths, forbund_id: str, year: int) -> dict[str, dict]:
    """Per monthly feed: first and last delivered month up to the year's cut-off and how many
    months, as the report's method section lists them (current loads)."""
    from utfall.evaluation.tables_data import sources

    con = connection.connect_warehouse(paths, read_only=True)
    try:
        rows = sources(con, forbund_id, year)
    finally:
        con.close()
    return {r.feed: {"first_month": r.first_month.strftime("%Y-%m"), "last_month": r.last_month.strftime("%Y-%m"),
                     "months": int(r.months)}
            for r in rows.itertuples() if r.months > 0}


def parameters_used(paths: Paths, year: int) -> dict[str, str]:
    """seeds/parameters.csv, and the year's row of yearly_parameters as loaded in the warehouse."""
    used = dict(load_parameters())
    con = connection.connect_warehouse(paths, read_only=True)
    try:
        if connection.table_exists(con, "reference", "yearly_parameters"):
            cursor = con.execute("SELECT * FROM reference.yearly_parameters WHERE year = ?", [year])
            names = [d[0] for d in cursor.description]
            row = cursor.fetchone()
        else:
            row = None
    finally:
        con.close()
    if row:
        used.update({f"{name}_{year}": str(value) for name, value in zip(names, row) if name != "year"})
    return used


__all__ = ["CommentRefused", "EvaluationResult", "EvaluationUsageError", "RenderFailed", "GateNotPassed", "evaluate",
           "outbox_folder"]
