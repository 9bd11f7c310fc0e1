"""The warehouse state a gate run judged, so that nothing else can be published on its verdict.

A gate run records, before it measures anything:
* the loads: the latest load_id and a digest of (load_id, status) of every load up to it;
* the build: the latest `utfall build` started (raw.builds);
* the marts: a fingerprint of every row of every table in schema marts (what evaluation
  publishes from), which also catches a build outside `utfall build` and a hand edit.

`changes_since` compares a recorded state with the warehouse now and says, in Swedish like
the rest of the guard, what changed. Runs on DuckDB and PostgreSQL alike. The state itself
is defined in utfall.warehouse.build_state, since each build records it too.
"""

from __future__ import annotations

from utfall.db import connection
from utfall.ingest import ledger
# One definition of the state, shared with the build, which records the state it left.
from utfall.warehouse.build_state import WarehouseState, loads_digest, marts_fingerprint


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
    elif loads_digest(con, judged.loads_max_id) != judged.loads_digest:
        changes.append("inläsningsloggen raw.loads har ändrats sedan dess")
    build_id = ledger.latest_build_id(con)
    if build_id != judged.build_id:
        changes.append(f"lagret har byggts om sedan dess (bygge {build_id}, grinden bedömde bygge {judged.build_id})")
    elif marts_fingerprint(con) != judged.marts_fingerprint:
        changes.append("tabellerna i marts har ändrats sedan dess, utan `utfall build`")
    return changes
