"""`utfall evaluate` and the `annual_evaluation` DAG: the year's evaluation for each förbund.

Order, and why:
1. The gate must have passed for the scope (`dq.gate.require_passed`): the guard lives here,
   in the library, so no caller can publish around it. Refused → nothing is written.
2. The evaluation tables (the marts' rows for the year and förbund) are published to the
   warehouse schema `published` with the gate run id, replacing an earlier run's rows.
3. For each förbund, into `$UTFALL_HOME/outbox/<forbund_id>/<year>/`: utvardering.html,
   utvardering.pdf, tabeller.xlsx and manifest.json. The files are written into a fresh
   folder beside it and renamed into place, so staff never see half a delivery. Several
   förbund are rendered at once, one process per core.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from utfall import __version__, ledger, tiers
from utfall.config import Paths
from utfall.dq.evaluation import evaluation_tables, scope_years
from utfall.dq.gate import GateNotPassed, require_passed
from utfall.dq.model import Scope
from utfall.dq.scope import forbund_in_scope
from utfall.places import checked_forbund_id, inside
from utfall.reference import load_parameters

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


def outbox_folder(paths: Paths, forbund_id: str, year: int) -> Path:
    """outbox/<forbund_id>/<year>; PlaceError unless that is a well-formed id's folder inside the outbox."""
    return inside(paths.home / "outbox", checked_forbund_id(forbund_id), str(int(year)))


@tiers.secured
def evaluate(paths: Paths, year: int, forbund_id: str | None = None, workers: int | None = None) -> EvaluationResult:
    """Gate guard → published tables → one report folder per förbund. GateNotPassed: nothing written.

    `workers`: processes rendering reports at once (default: one per core).
    PlaceError: a malformed förbund id, refused before anything is read or written."""
    if forbund_id is not None:
        checked_forbund_id(forbund_id)
    gate_run_id = require_passed(paths, year, forbund_id)
    forbund = _forbund(paths, year, forbund_id)
    publish_evaluation_tables(paths, year, forbund, gate_run_id)
    return EvaluationResult(year, gate_run_id, write_report_folders(paths, forbund, year, gate_run_id, workers))


def write_report_folders(paths: Paths, forbund: list[str], year: int, gate_run_id: str,
                         workers: int | None = None) -> list[Delivered]:
    """Every förbund's folder, several at once: a report is CPU-bound Python (matplotlib,
    WeasyPrint, openpyxl), so processes, not threads. Each reads the warehouse read-only,
    which DuckDB lets many processes do; each folder is still renamed into place whole."""
    workers = min(len(forbund), workers or os.cpu_count() or 1)
    if workers <= 1:
        return [write_report_folder(paths, f, year, gate_run_id) for f in forbund]
    # spawn, not fork: the caller may be an Airflow task holding threads and open connections
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(write_report_folder, paths, f, year, gate_run_id) for f in forbund]
        return [future.result() for future in futures]


def _forbund(paths: Paths, year: int, forbund_id: str | None) -> list[str]:
    con = ledger.connect_warehouse(paths, read_only=True)
    try:
        return forbund_in_scope(con, Scope(year, forbund_id))
    finally:
        con.close()


def publish_evaluation_tables(paths: Paths, year: int, forbund: list[str], gate_run_id: str) -> None:
    """published.<mart>: the rows the evaluation rests on, with the gate run that let them through.

    A re-run for the same year and förbund replaces their rows (one transaction).
    """
    published_at = ledger.utc_now()
    with ledger.warehouse_transaction(paths) as con:
        ledger.create_schema_if_missing(con, "published")
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
            # by name: the mart's columns as they are now
            columns = ", ".join(c[0] for c in con.execute(f"SELECT * FROM marts.{mart} LIMIT 0").description)
            con.execute(f"INSERT INTO published.{mart} ({columns}, evaluation_year, gate_run_id, published_at) "
                        f"SELECT {columns}, CAST(? AS INTEGER), ?, ? FROM marts.{mart} WHERE {in_scope}"
                        + (f" AND {meta['year_column']} IN ({', '.join(str(int(y)) for y in scope_years(meta, year))})"
                           if meta["year_column"] else ""),
                        [year, gate_run_id, published_at, *scope])


def write_report_folder(paths: Paths, forbund_id: str, year: int, gate_run_id: str) -> Delivered:
    from utfall.evaluation.render_excel import render_excel
    from utfall.evaluation.render_html import render_html
    from utfall.evaluation.render_pdf import render_pdf
    from utfall.evaluation.tables import build_report

    report = build_report(paths, forbund_id, year, gate_run_id)
    html = render_html(report)
    contents = {
        "utvardering.html": html.encode("utf-8"),
        "utvardering.pdf": render_pdf(html),
        "tabeller.xlsx": render_excel(report),
    }
    manifest = {
        "forbund_id": forbund_id,
        "year": year,
        "gate_run_id": gate_run_id,
        "generated_at": report.generated_at,
        "software_version": __version__,
        "files": {name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                  for name, data in contents.items()},
        "data_months": data_months(paths, forbund_id, year),
        "parameters": parameters_used(paths, year),
    }
    contents["manifest.json"] = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")

    target = outbox_folder(paths, forbund_id, year)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for name, data in contents.items():
        (staging / name).write_bytes(data)
    tiers.secure_tree(staging, tiers.REPORTERS)  # readable by staff from the moment it is in place
    # An earlier delivery of the same year is kept beside it until the new one is in place.
    previous = target.with_name(f".{target.name}.previous-{os.getpid()}")
    if target.exists():
        target.rename(previous)
    staging.rename(target)
    shutil.rmtree(previous, ignore_errors=True)
    log.info("evaluation %s %d: %s", forbund_id, year, target)
    return Delivered(forbund_id, target, [target / name for name in contents])


def data_months(paths: Paths, forbund_id: str, year: int) -> dict[str, dict]:
    """Per monthly feed: first and last delivered month up to the year's cut-off and how many
    months, as the report's method section lists them (current loads)."""
    from utfall.evaluation.tables_data import sources

    con = ledger.connect_warehouse(paths, read_only=True)
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
    con = ledger.connect_warehouse(paths, read_only=True)
    try:
        if ledger.table_exists(con, "reference", "yearly_parameters"):
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


__all__ = ["EvaluationResult", "GateNotPassed", "evaluate", "outbox_folder"]
