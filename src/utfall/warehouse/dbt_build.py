"""`utfall build`: the dbt project, run as one dbt process over the warehouse.

One in-process `dbt build` (seeds, models, tests in dependency order) — not one process
per model, which is several times slower. dbt's artefacts go under $UTFALL_HOME, since
the project folder is read-only where Airflow runs.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from utfall.db import connection
from utfall.ingest import ledger

from utfall.db import target
from utfall.db.config import Paths, dbt_dir
from utfall.warehouse.build_state import keep_artifacts

log = logging.getLogger("utfall.warehouse.dbt_build")


@dataclass(frozen=True)
class BuildResult:
    success: bool
    failures: list[str]  # "<node>: <message>" for every failed model or test


def dbt_target_path(paths: Paths) -> Path:
    """Where dbt writes its artefacts (manifest, run results): under $UTFALL_HOME."""
    return paths.home / "dbt" / "target"


def dbt_environment(paths: Paths) -> dict[str, str]:
    env = {
        "UTFALL_HOME": str(paths.home),
        "DBT_TARGET_PATH": str(dbt_target_path(paths)),
        "DBT_LOG_PATH": str(paths.home / "dbt" / "logs"),
    }
    if paths.warehouse_dsn:
        env.update(target.dbt_profile_variables(paths.warehouse_dsn))
    return env


# Set to 1 to run the dbt unit tests in `utfall build` too (the tests of the SQL do, and CI).
UNIT_TESTS_ENV = "UTFALL_DBT_UNIT_TESTS"


def dbt_target_args(paths: Paths, command: str) -> list[str]:
    """The target, and the dbt unit tests left out where they do not belong.

    They test the models' SQL on fixed rows, not the data: `build` runs them only when asked
    (`UTFALL_DBT_UNIT_TESTS=1`: `make test`, CI), not in every production build, where they
    took a third of a small build's node time (as dbt recommends for production). A `test`
    command names what it runs itself (the gate excludes them). On PostgreSQL (dbt's
    `postgres` output, dbt/profiles.yml) never: their fixtures are DuckDB SQL, the DuckDB run
    proves the logic, and every data test runs on both."""
    if paths.warehouse_dsn:
        return ["--target", "postgres"] + (["--exclude-resource-type", "unit_test"] if command in ("build", "test") else [])
    wanted = os.environ.get(UNIT_TESTS_ENV) == "1"
    return ["--exclude-resource-type", "unit_test"] if command == "build" and not wanted else []


def run_dbt(paths: Paths, *args: str) -> BuildResult:
    from dbt.cli.main import dbtRunner

    os.environ.update(dbt_environment(paths))
    try:
        result = dbtRunner().invoke([*args, *dbt_target_args(paths, args[0]),
                                     "--project-dir", str(dbt_dir()), "--profiles-dir", str(dbt_dir())])
    finally:
        os.environ.pop("UTFALL_PG_PASSWORD", None)  # not left behind for whatever this process runs next
    failures = []
    for r in getattr(result.result, "results", None) or []:
        if str(r.status) in ("error", "fail"):
            failures.append(f"{r.node.unique_id}: {r.message}")
    if result.exception is not None:
        failures.append(f"dbt: {result.exception}")
    return BuildResult(bool(result.success), failures)


def build(paths: Paths, select: str | None = None, full_refresh: bool = False, held=None) -> BuildResult:
    """Build and test every model; feeds never delivered act as empty tables.

    The person-month panel is incremental; `full_refresh` rebuilds it from scratch.
    `held`: the warehouse as `connection.holding_warehouse` holds it, when the caller keeps it
    beyond the build (to publish); else the build holds it itself from start to end, so no
    load lands half-way through (the panel would record a month it never built).
    Its manifest, run results and the warehouse state it left are kept under
    $UTFALL_HOME/dbt/builds/<build_id>/ (utfall.warehouse.build_state), for the gate.
    """
    if held is None:
        with connection.holding_warehouse(paths) as con:
            return build(paths, select, full_refresh, con)
    args = ["build"] + (["--select", select] if select else []) + (["--full-refresh"] if full_refresh else [])
    ledger.ensure_schema(held)
    build_id = ledger.record_build_start(held, select, full_refresh)
    log.info("build %s started", build_id)
    # a run_results.json of an earlier dbt command must never be kept as this build's
    (dbt_target_path(paths) / "run_results.json").unlink(missing_ok=True)
    result = run_dbt(paths, *args)  # DuckDB: dbt's connections share this process's open file
    for failure in result.failures:
        log.error("%s", failure)
    # the gate judges this build by its own test results (utfall.dq.dbt_tests)
    if paths.warehouse_dsn:  # the loader role holding the lock does not read the marts
        con = connection.connect_warehouse(paths)
        try:
            keep_artifacts(paths, con, build_id, dbt_target_path(paths))
        finally:
            con.close()
    else:
        keep_artifacts(paths, held, build_id, dbt_target_path(paths))
    return result
