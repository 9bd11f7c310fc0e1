"""The one way to open the warehouse: the DuckDB file under $UTFALL_HOME (DuckDB allows a
single writer process, so we wait, and say so in the log, while another process holds it), or
the PostgreSQL database of `paths.warehouse_dsn`, acting as the role of the job."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from pathlib import Path

import duckdb

from utfall.db.transactions import transaction

log = logging.getLogger("utfall.db.connection")

_LOCK_PID = re.compile(r"PID (\d+)")


class WarehouseLockTimeout(RuntimeError):
    pass


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                       [schema, table]).fetchone()[0] > 0


def connect_for_loading(paths):
    """The connection raw is written through: the DuckDB warehouse, or PostgreSQL (holding the
    loader lock) when `paths.warehouse_dsn` is set."""
    if paths.warehouse_dsn:
        from utfall.db.target import PostgresConnection

        con = PostgresConnection(paths.warehouse_dsn, role="utfall_loader")
        con.wait_for_other_loaders()
        return con
    return connect(paths.warehouse)


@contextlib.contextmanager
def holding_warehouse(paths):
    """The warehouse held for this process until the block ends (`connect_for_loading`'s
    connection): on DuckDB the open file is the single-writer lock, and connections this
    process opens meanwhile (dbt's) share it; on PostgreSQL the loader lock. Loads wait."""
    con = connect_for_loading(paths)
    try:
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def warehouse_transaction(paths):
    """`connect_warehouse` in one transaction: committed when the block ends, rolled back on error."""
    con = connect_warehouse(paths)
    try:
        with transaction(con):
            yield con
    finally:
        con.close()


def connect_warehouse(paths, read_only: bool = False):
    """The warehouse for the gate and the evaluation: the DuckDB file (see `connect`), or
    PostgreSQL acting as utfall_transform when `paths.warehouse_dsn` is set."""
    if paths.warehouse_dsn:
        from utfall.db.target import PostgresConnection

        return PostgresConnection(paths.warehouse_dsn, role="utfall_transform")
    return connect(paths.warehouse, read_only=read_only)


def warehouse_exists(paths) -> bool:
    """Whether there is a warehouse to read: the DuckDB file, or (PostgreSQL) always."""
    return bool(paths.warehouse_dsn) or paths.warehouse.exists()


def connect(path: Path, read_only: bool = False, timeout_s: float | None = None,
            poll_s: float = 2.0) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, waiting (and saying so in the log) while another process holds it.

    DuckDB allows one writing process, and no reader while it writes: writers wait for
    each other and for readers, readers (publishing) for writers.
    """
    timeout_s = float(os.environ.get("UTFALL_LOCK_TIMEOUT", "900")) if timeout_s is None else timeout_s
    if read_only and not path.exists():
        raise FileNotFoundError(f"no warehouse at {path}: run `utfall load` and `utfall build` first")
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            if not read_only:
                # Progress of long statements, for the load's progress bar (never printed by DuckDB).
                con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false; "
                            "SET progress_bar_time = 0")
            return con
        except duckdb.IOException as e:
            if "lock" not in str(e).lower():
                raise
            waited = time.monotonic() - started
            holder = _LOCK_PID.search(str(e))
            who = f"process {holder.group(1)}" if holder else "another process"
            if waited >= timeout_s:
                raise WarehouseLockTimeout(
                    f"warehouse {path} still locked by {who} after {waited:.0f} s; giving up"
                ) from e
            log.warning(
                "warehouse %s is locked by %s (only one writer at a time); waiting, attempt %d, %.0f s of %.0f s",
                path, who, attempt, waited, timeout_s,
            )
            time.sleep(poll_s)


def create_schema_if_missing(con, schema: str) -> None:
    """Only when missing: PostgreSQL checks the right to create schemas even for IF NOT EXISTS,
    and a deployment's pipeline has none (`utfall db init-roles` made the schemas for it)."""
    if not con.execute("SELECT count(*) FROM information_schema.schemata WHERE schema_name = ?", [schema]).fetchone()[0]:
        con.execute(f"CREATE SCHEMA {schema}")


