"""The state of the warehouse a build left, and the dbt artefacts of that build.

The same `WarehouseState` serves two readers: the gate records what it judged (utfall.dq.state),
and each `utfall build` records what it left, beside a copy of its manifest.json and
run_results.json in $UTFALL_HOME/dbt/builds/<build_id>/. The gate takes the build's test results
instead of running every dbt test again only while the warehouse is still in that state (same
latest build, same ledger, same marts). Runs on DuckDB and PostgreSQL alike.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from utfall.db import connection
from utfall.db.config import Paths
from utfall.db.sql import ident
from utfall.ingest import ledger

log = logging.getLogger("utfall.warehouse.build_state")

MARTS_SCHEMA = "marts"
ARTIFACTS = ("manifest.json", "run_results.json")
STATE_FILE = "state.json"
# The gate judges the latest build only; a few earlier ones are kept to look back at a failure.
KEEP_BUILDS = 3


@dataclass(frozen=True)
class WarehouseState:
    loads_max_id: int | None  # the latest load (any status); None: none yet
    loads_digest: str  # md5 over load_id:status of every load up to loads_max_id
    build_id: int | None  # the latest build started; None: never built by `utfall build`
    marts_fingerprint: str  # sha256 over each mart's name, row count and an md5 of its rows


def read_state(con) -> WarehouseState:
    has_loads = connection.table_exists(con, "raw", "loads")
    max_id = con.execute("SELECT max(load_id) FROM raw.loads").fetchone()[0] if has_loads else None
    return WarehouseState(max_id, loads_digest(con, max_id), ledger.latest_build_id(con), marts_fingerprint(con))


def loads_digest(con, up_to: int | None) -> str:
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


# --- the artefacts of each build ----------------------------------------------------------

def builds_path(paths: Paths) -> Path:
    return paths.home / "dbt" / "builds"


@dataclass(frozen=True)
class BuildArtifacts:
    """What one build ran (manifest, run_results) and the warehouse it left."""

    build_id: int
    state: WarehouseState
    manifest: dict
    run_results: dict


def keep_artifacts(paths: Paths, con, build_id: int, target: Path) -> None:
    """After the build's dbt run: copy its artefacts from `target` and record the warehouse state
    it left, under builds/<build_id>/. A build whose dbt run wrote no run_results keeps nothing
    (the gate then runs every test itself)."""
    folder = builds_path(paths) / str(build_id)
    if not (target / "run_results.json").exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    for name in ARTIFACTS:
        shutil.copyfile(target / name, folder / name)
    state = read_state(con)
    if state.build_id != build_id:  # cannot happen while the build holds the warehouse; never trust it if so
        log.warning("build %s: the warehouse's latest build is %s; its test results are not kept",
                    build_id, state.build_id)
        shutil.rmtree(folder, ignore_errors=True)
        return
    # written last: a folder without it (a build killed while copying) is never read
    (folder / STATE_FILE).write_text(json.dumps(asdict(state)), encoding="utf-8")
    for old in sorted((p for p in builds_path(paths).iterdir() if p.name.isdigit()), key=lambda p: int(p.name)):
        if int(old.name) <= build_id - KEEP_BUILDS:
            shutil.rmtree(old, ignore_errors=True)


def read_artifacts(paths: Paths, build_id: int | None) -> BuildArtifacts | None:
    """The kept artefacts of a build; None when there are none (or they are incomplete)."""
    if build_id is None:
        return None
    folder = builds_path(paths) / str(build_id)
    try:
        state = WarehouseState(**json.loads((folder / STATE_FILE).read_text(encoding="utf-8")))
        manifest, run_results = (json.loads((folder / name).read_text(encoding="utf-8")) for name in ARTIFACTS)
    except (OSError, ValueError, TypeError) as e:
        log.info("no usable test results of build %s: %s", build_id, e)
        return None
    return BuildArtifacts(build_id, state, manifest, run_results)
