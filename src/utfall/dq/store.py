"""The gate's tables in the warehouse (schema dq): runs, results and waivers.

Engineers' tier: results name files, months and förbund, never a person. Written only
through `utfall.ingest.ledger.connect`, which waits for DuckDB's single writer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

import duckdb

from utfall.db import connection

RUNS_DDL = """
CREATE TABLE IF NOT EXISTS dq.runs (
    run_id VARCHAR PRIMARY KEY,
    year INTEGER NOT NULL,
    forbund_id VARCHAR,              -- null: every förbund
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    passed BOOLEAN NOT NULL,         -- no blocking check failed or errored without a waiver
    blocking_failures INTEGER NOT NULL,
    report_path VARCHAR,
    utfall_version VARCHAR,
    loads_max_id BIGINT,             -- the warehouse state the run judged (utfall.dq.state)
    loads_digest VARCHAR,
    build_id BIGINT,
    marts_fingerprint VARCHAR,
    results_digest VARCHAR           -- of the run's dq.results as stored (`results_digest`)
)"""
# Columns dq.runs gained after it was first created: added to an existing table.
RUNS_ADDED_COLUMNS = (("loads_max_id", "BIGINT"), ("loads_digest", "VARCHAR"), ("build_id", "BIGINT"),
                      ("marts_fingerprint", "VARCHAR"), ("results_digest", "VARCHAR"))

# One definition of dq.results: (column, type, why). The DDL and the gate's INSERT are made from
# it; every column but run_id and year is a field of utfall.dq.runner.Result (a test checks).
RESULT_COLUMNS = (
    ("run_id", "VARCHAR NOT NULL", ""),
    ("check_id", "VARCHAR NOT NULL", ""),
    ("level", "VARCHAR NOT NULL", ""),
    ("forbund_id", "VARCHAR", "null: a national check (e.g. a national monthly feed)"),
    ("year", "INTEGER NOT NULL", ""),
    ("kahn_category", "VARCHAR", "null only for a check missing from the catalogue"),
    ("kahn_subcategory", "VARCHAR", ""),
    ("severity", "VARCHAR NOT NULL", ""),
    ("violated_rows", "BIGINT", ""),
    ("denominator", "BIGINT", ""),
    ("percent", "DOUBLE PRECISION", ""),
    ("threshold_pct", "DOUBLE PRECISION", ""),
    ("status", "VARCHAR NOT NULL", "pass, fail, warn, not_applicable, error"),
    ("waiver_id", "BIGINT", "the waiver that lets this failure pass"),
    ("message", "VARCHAR", "why error / not applicable"),
    ("query", "VARCHAR", ""),
    ("examples", "VARCHAR[]", "offending keys (files, months, förbund); never a person_id"),
    ("started_at", "TIMESTAMP", ""),
    ("duration_s", "DOUBLE PRECISION", ""),
)
RESULTS_DDL = "CREATE TABLE IF NOT EXISTS dq.results (" + ", ".join(
    f"{name} {sql_type}" for name, sql_type, _ in RESULT_COLUMNS) + ")"


def insert_results(con, run_id: str, year: int, results) -> None:
    """The run's results (utfall.dq.runner.Result) into dq.results."""
    names = [name for name, _, _ in RESULT_COLUMNS]
    con.executemany(
        f"INSERT INTO dq.results ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        [[{"run_id": run_id, "year": year, **asdict(r)}[n] for n in names] for r in results])


WAIVERS_DDL = """
CREATE TABLE IF NOT EXISTS dq.waivers (
    waiver_id BIGINT PRIMARY KEY,
    check_id VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    forbund_id VARCHAR,              -- null: every förbund of the year
    reason VARCHAR NOT NULL,
    waived_by VARCHAR NOT NULL,
    waived_at TIMESTAMP NOT NULL
)"""


@dataclass(frozen=True)
class Waiver:
    waiver_id: int
    check_id: str
    year: int
    forbund_id: str | None
    reason: str
    waived_by: str
    waived_at: datetime


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    connection.create_schema_if_missing(con, "dq")
    for ddl in (RUNS_DDL, RESULTS_DDL, WAIVERS_DDL):
        con.execute(ddl)
    for name, type_ in RUNS_ADDED_COLUMNS:
        con.execute(f"ALTER TABLE dq.runs ADD COLUMN IF NOT EXISTS {name} {type_}")
    con.execute("CREATE SEQUENCE IF NOT EXISTS dq.waiver_id_seq START 1")


def results_digest(con, run_id: str) -> str:
    """md5 over what decides a run's verdict in its dq.results rows: a later edit changes it."""
    row = ("concat_ws('|', check_id, coalesce(forbund_id, '-'), severity, status, "
           "coalesce(CAST(waiver_id AS VARCHAR), '-'))")
    return con.execute(f"SELECT coalesce(md5(string_agg({row}, ',' ORDER BY {row})), '') FROM dq.results "
                       "WHERE run_id = ?", [run_id]).fetchone()[0]


def has_tables(con: duckdb.DuckDBPyConnection) -> bool:
    return connection.table_exists(con, "dq", "runs")


def add_waiver(con: duckdb.DuckDBPyConnection, check_id: str, year: int, forbund_id: str | None, reason: str,
               waived_by: str, waived_at: datetime) -> int:
    waiver_id = con.execute("SELECT nextval('dq.waiver_id_seq')").fetchone()[0]
    con.execute("INSERT INTO dq.waivers VALUES (?, ?, ?, ?, ?, ?, ?)",
                [waiver_id, check_id, year, forbund_id, reason, waived_by, waived_at])
    return waiver_id


def waivers_for_year(con: duckdb.DuckDBPyConnection, year: int) -> list[Waiver]:
    rows = con.execute(
        "SELECT waiver_id, check_id, year, forbund_id, reason, waived_by, waived_at FROM dq.waivers "
        "WHERE year = ? ORDER BY waiver_id", [year]
    ).fetchall()
    return [Waiver(*r) for r in rows]
