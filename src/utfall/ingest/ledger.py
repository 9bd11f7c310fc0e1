"""The raw schema: one table per feed and the ledger `raw.loads` of every file seen.

The SQL here runs on DuckDB and PostgreSQL alike (connections: `utfall.db.connection`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import duckdb

from utfall.db.connection import create_schema_if_missing, table_exists
from utfall.ingest import pii
from utfall.ingest.contracts import FEEDS, Feed

log = logging.getLogger("utfall.ingest.ledger")

LEDGER_COLUMNS: list[tuple[str, str, str]] = [
    ("load_id", "BIGINT", "Id of this file's load attempt; raw rows carry it"),
    ("feed", "VARCHAR", "Feed (inbox folder); null when the folder is no known feed"),
    ("file_name", "VARCHAR", "Name of the delivered file"),
    ("sha256", "VARCHAR", "SHA-256 of the file's bytes"),
    ("file_size", "BIGINT", "Size in bytes"),
    ("period", "VARCHAR", "YYYYMM for monthly feeds, YYYYMMDD extract date for register snapshots"),
    ("forbund_id", "VARCHAR", "Förbund of a register snapshot (from the file name)"),
    ("status", "VARCHAR", "loaded, quarantined, duplicate or superseded"),
    ("rows_in_file", "BIGINT", "Data rows in the file (null when it could not be read)"),
    ("rows_loaded", "BIGINT", "Rows written to raw"),
    ("reason", "VARCHAR", "Why quarantined / duplicate / superseded"),
    ("refused_for_place", "BOOLEAN",
     "Quarantined for its folder or name (may be delivered again, same bytes, in the right place); "
     "false: for its content, wherever it lies"),
    ("superseded_by", "BIGINT", "load_id of the correction that replaced this load"),
    ("stored_path", "VARCHAR", "Where the file now lies (archive or quarantine)"),
    ("loaded_at", "TIMESTAMP", "When the file was handled (UTC)"),
]

RAW_METADATA_COLUMNS: list[tuple[str, str, str]] = [
    ("load_id", "BIGINT", "The load (raw.loads) that brought this row"),
    ("source_line", "BIGINT", "Line in the delivered file (row number for Parquet)"),
]

STATUSES = ("loaded", "quarantined", "duplicate", "superseded")

# Every `utfall build`, recorded as it starts: the gate notes the latest one it judged, and a
# later one makes its verdict stale (utfall.dq.state).
BUILDS_COLUMNS = "build_id BIGINT, started_at TIMESTAMP, selection VARCHAR, full_refresh BOOLEAN"

def utc_now() -> datetime:
    """Naive UTC, as the ledger (and every table of the warehouse) stores times."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema, ledger and feed tables; add columns a contract gained since."""
    create_schema_if_missing(con, "raw")
    con.execute("CREATE SEQUENCE IF NOT EXISTS raw.load_id_seq START 1")
    cols = ", ".join(f"{n} {t}" for n, t, _ in LEDGER_COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS raw.loads ({cols}, PRIMARY KEY (load_id))")
    _add_missing_columns(con, "loads", [(n, t) for n, t, _ in LEDGER_COLUMNS])
    con.execute("CREATE SEQUENCE IF NOT EXISTS raw.build_id_seq START 1")
    con.execute(f"CREATE TABLE IF NOT EXISTS raw.builds ({BUILDS_COLUMNS}, PRIMARY KEY (build_id))")
    for feed in FEEDS.values():
        ensure_feed_table(con, feed)


def ensure_feed_table(con: duckdb.DuckDBPyConnection, feed: Feed) -> None:
    wanted = [(n, t) for n, t, _ in RAW_METADATA_COLUMNS] + [(c.name, c.storage_type) for c in feed.columns]
    if not _add_missing_columns(con, feed.name, wanted):
        con.execute(f"CREATE TABLE raw.{feed.name} ({', '.join(f'{n} {t}' for n, t in wanted)})")


def _add_missing_columns(con, table: str, wanted: list[tuple[str, str]]) -> bool:
    """Add the columns raw.<table> lacks (a ledger or contract that gained columns since);
    False when the table does not exist."""
    existing = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = ?",
            [table],
        ).fetchall()
    }
    if not existing:
        return False
    for name, type_ in wanted:
        if name not in existing:
            con.execute(f"ALTER TABLE raw.{table} ADD COLUMN {name} {type_}")
    return True


def record_build_start(con, selection: str | None, full_refresh: bool) -> int:
    """A build begins: its row in raw.builds (committed at once, before dbt changes anything)."""
    build_id = con.execute("SELECT nextval('raw.build_id_seq')").fetchone()[0]
    con.execute("INSERT INTO raw.builds VALUES (?, ?, ?, ?)", [build_id, utc_now(), selection, full_refresh])
    return build_id


def latest_build_id(con) -> int | None:
    if not table_exists(con, "raw", "builds"):
        return None
    return con.execute("SELECT max(build_id) FROM raw.builds").fetchone()[0]


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT nextval('raw.load_id_seq')").fetchone()[0]


def record(con: duckdb.DuckDBPyConnection, **values) -> None:
    names = [n for n, _, _ in LEDGER_COLUMNS]
    unknown = set(values) - set(names)
    if unknown:
        raise ValueError(f"not ledger columns: {sorted(unknown)}")
    for name in ("file_name", "forbund_id", "reason"):  # these may quote a file's name or content
        values[name] = pii.redact(values.get(name))
    con.execute(
        f"INSERT INTO raw.loads ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
        [values.get(n) for n in names],
    )


def current_month_loads(con, last_month) -> list[tuple[str, str, int, str, datetime]]:
    """(feed, period YYYYMM, load_id, file_name, loaded_at) of the current load (status 'loaded',
    as stg_ledger__loads) of every monthly file up to `last_month` (a date), by feed and month:
    which load provided each month an evaluation reads. Names and times only, no content."""
    monthly = [name for name, feed in FEEDS.items() if feed.kind == "monthly"]
    return [tuple(r) for r in con.execute(
        f"SELECT feed, period, load_id, file_name, loaded_at FROM raw.loads "
        f"WHERE status = 'loaded' AND feed IN ({', '.join('?' for _ in monthly)}) AND period <= ? "
        f"ORDER BY feed, period",
        [*monthly, f"{last_month.year:04d}{last_month.month:02d}"],
    ).fetchall()]
