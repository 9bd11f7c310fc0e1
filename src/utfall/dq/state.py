"""The warehouse state a gate run judged, so that nothing else can be published on its verdict.

A gate run records, before it measures anything:
* the loads: the latest load_id and a digest of (load_id, status) of every load up to it;
* the build: the latest `utfall build` started (raw.builds);
* the marts: a fingerprint of every row of every table in schema marts (what evaluation
  publishes from), which also catches a build outside `utfall build` and a hand edit.

`changes_since` compares a recorded state with the warehouse now and says, in Swedish like
the rest of the guard, what changed. Runs on DuckDB and PostgreSQL alike.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from utfall.db import connection
from utfall.ingest import ledger
from utfall.db.sql import ident

MARTS_SCHEMA = "marts"


@dataclass(frozen=True)
class WarehouseState:
    loads_max_id: int | None  # the latest load (any status) the gate saw; None: none yet
    loads_digest: str  # md5 over load_id:status of every load up to loads_max_id
    build_id: int | None  # the latest build started before the gate; None: never built by `utfall build`
    marts_fingerprint: str  # sha256 over each mart's name, row count and an md5 of its rows


def read_state(con) -> WarehouseState:
    has_loads = connection.table_exists(con, "raw", "loads")
    max_id = con.execute("SELECT max(load_id) FROM raw.loads").fetchone()[0] if has_loads else None
    return WarehouseState(max_id, _loads_digest(con, max_id), ledger.latest_build_id(con), marts_fingerprint(con))


def _loads_digest(con, up_to: int | None) -> str:
    if up_to is None:
        return ""
    return con.execute(
        "SELECT coalesce(md5(string_agg(CAST(load_id AS VARCHAR) || ':' || status, ',' ORDER BY load_id)), '') "
        "FROM raw.loads WHERE load_id <= ?", [up_to]
    ).fetchone()[0]


def marts_fingerprint(con) -> str:
    """One digest of every row of every table in schema marts (row order does not matter)."""
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name",
        [MARTS_SCHEMA]).fetchall()]
    digest = hashlib.sha256()
    for table in tables:
        columns = [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position", [MARTS_SCHEMA, table]).fetchall()]
        # a row as text, NULL kept apart from '' ('\\N' as COPY writes it)
        row = "concat_ws('|', " + ", ".join(f"coalesce(CAST({ident(c)} AS VARCHAR), '\\N')" for c in columns) + ")"
        rows, md5 = con.execute(
            f"SELECT count(*), coalesce(md5(string_agg({row}, chr(10) ORDER BY {row})), '') "
            f"FROM {MARTS_SCHEMA}.{ident(table)}").fetchone()
        digest.update(f"{table}|{','.join(columns)}|{rows}|{md5}\n".encode())
    return digest.hexdigest()


def loads_since_latest_build(con) -> int:
    """Files loaded (or superseded) after the latest `utfall build` began: the marts do not hold them
    yet, so a gate now would judge, and let evaluation publish, marts older than the ledger it names.
    A build holds the warehouse until it has published, so no load falls inside one. 0 when the
    warehouse was never built by `utfall build` (the marts fingerprint guards that case)."""
    if not connection.table_exists(con, "raw", "builds") or not connection.table_exists(con, "raw", "loads"):
        return 0
    return con.execute(
        "SELECT count(*) FROM raw.loads WHERE status IN ('loaded', 'superseded') "
        "AND loaded_at > (SELECT max(started_at) FROM raw.builds)").fetchone()[0] or 0


def changes_since(con, judged: WarehouseState) -> list[str]:
    """What happened to the warehouse since the gate judged it (empty: nothing)."""
    changes = []
    new_loads = con.execute(
        "SELECT count(*) FROM raw.loads WHERE load_id > ? AND status IN ('loaded', 'superseded')",
        [judged.loads_max_id if judged.loads_max_id is not None else -1]).fetchone()[0]
    if new_loads:
        changes.append(f"{new_loads} filer har lästs in sedan dess (kör `utfall build`)")
    elif _loads_digest(con, judged.loads_max_id) != judged.loads_digest:
        changes.append("inläsningsloggen raw.loads har ändrats sedan dess")
    build_id = ledger.latest_build_id(con)
    if build_id != judged.build_id:
        changes.append(f"lagret har byggts om sedan dess (bygge {build_id}, grinden bedömde bygge {judged.build_id})")
    elif marts_fingerprint(con) != judged.marts_fingerprint:
        changes.append("tabellerna i marts har ändrats sedan dess, utan `utfall build`")
    return changes
