"""Shared fixtures: a fresh $UTFALL_HOME per test and helpers to deliver files into it."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from datetime import date
from pathlib import Path

import duckdb
import pytest

from utfall.config import Paths

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = REPO / ".venv" / "bin"


def pytest_addoption(parser) -> None:
    parser.addoption("--without-postgresql", action="store_true",
                     help="skip the tests that need a PostgreSQL server (they are reported as skipped)")


def pytest_configure(config) -> None:
    """Airflow reads its configuration on first import: point it at a throw-away home first."""
    airflow_home = Path(tempfile.mkdtemp(prefix="utfall-test-airflow-"))
    os.environ["AIRFLOW_HOME"] = str(airflow_home)
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["GX_ANALYTICS_ENABLED"] = "False"


def pytest_collection_modifyitems(config, items) -> None:
    """Under pytest-xdist (`make test` runs `-n auto --dist loadgroup`), the tests that use the
    session-built gate warehouse run on one worker, so it is generated, loaded and built once."""
    for item in items:
        on_postgresql = "postgresql" in getattr(getattr(item, "callspec", None), "params", {}).values()
        if "gate_base" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("gate_warehouse"))
        elif "postgres" in getattr(item, "fixturenames", ()) or on_postgresql:
            item.add_marker(pytest.mark.xdist_group("postgresql"))  # one server for all of them


@pytest.fixture(scope="session")
def postgres(request):
    """A PostgreSQL server of our own for this test session (tests/postgres_server.py)."""
    if request.config.getoption("--without-postgresql"):
        pytest.skip("--without-postgresql was given")
    from tests.postgres_server import local_postgres

    with local_postgres() as server:
        yield server


def pid(n: int) -> str:
    """A pseudonymised person_id (64 lowercase hex), as agencies deliver them."""
    return hashlib.sha256(f"test-person-{n}".encode()).hexdigest()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    monkeypatch.setenv("UTFALL_HOME", str(tmp_path / "home"))
    paths = Paths(tmp_path / "home")
    paths.inbox.mkdir(parents=True)
    return paths


def deliver(paths: Paths, feed: str, name: str, text: str | bytes) -> Path:
    """Put a file into inbox/<feed>/ as an agency would."""
    folder = paths.inbox / feed
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def query(paths: Paths, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of a query on the home's warehouse: its DuckDB file, or its PostgreSQL database."""
    if paths.warehouse_dsn:
        from utfall.target import PostgresConnection

        con = PostgresConnection(paths.warehouse_dsn)
        try:
            return con.execute(sql, params or None).fetchall()
        finally:
            con.close()
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


# Every environment variable that selects the warehouse (utfall.target); a test's own choice only
WAREHOUSE_SETTINGS = ("UTFALL_WAREHOUSE_TYPE", "UTFALL_WAREHOUSE_URL", "AIRFLOW_CONN_UTFALL_WAREHOUSE",
                      "AIRFLOW_VAR_UTFALL_WAREHOUSE_TYPE", "UTFALL_WAREHOUSE")


def cli_env(paths: Paths) -> dict[str, str]:
    env = dict(os.environ)
    env["UTFALL_HOME"] = str(paths.home)
    env["COLUMNS"] = "200"
    for name in WAREHOUSE_SETTINGS:
        env.pop(name, None)
    if paths.warehouse_dsn:
        env["UTFALL_WAREHOUSE_URL"] = paths.warehouse_dsn
    return env


# --- A generated, loaded warehouse for the quality-gate tests -----------------------------
# Generating and loading ~300 files takes about a minute, so it happens once per session;
# each test gets its own copy. The base lacks one Försäkringskassan month (GATE_HELD_BACK):
# tests deliver it whole, halved or not at all, or deliver other faults, then build and gate.

GATE_YEAR = 2023
GATE_HELD_BACK = "fk_utbetalningar_202306.csv"


@pytest.fixture(scope="session")
def gate_base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Paths, Path]:
    """(home loaded with everything but GATE_HELD_BACK, folder holding that file)."""
    from utfall.generate import generate
    from utfall.loader import load

    root = tmp_path_factory.mktemp("gate-base")
    paths = Paths(root / "home")
    generate(paths.inbox, forbund=2, participants=300, from_year=2022, to_year=2024, seed=7, progress=False)
    held = root / "held"
    held.mkdir()
    (paths.inbox / "fk_utbetalningar" / GATE_HELD_BACK).rename(held / GATE_HELD_BACK)
    report = load(paths, today=date(2025, 3, 1))
    assert not report.quarantined, "generated data must load cleanly"
    return paths, held


@pytest.fixture
def gate_home(gate_base, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Paths, Path]:
    """A private copy of the gate base (home, held-back file folder), not yet built."""
    base, held = gate_base
    paths = Paths(tmp_path / "home")
    shutil.copytree(base.home, paths.home)
    monkeypatch.setenv("UTFALL_HOME", str(paths.home))
    return paths, held


@pytest.fixture(scope="session")
def gate_clean_built(gate_base, tmp_path_factory: pytest.TempPathFactory) -> Paths:
    """The gate base with GATE_HELD_BACK delivered, loaded and built once: clean data.

    Tests copy it (`clean_home`) rather than build their own: a build is ~25 s.
    """
    from utfall.build import build
    from utfall.loader import load

    base, held = gate_base
    paths = Paths(tmp_path_factory.mktemp("gate-clean") / "home")
    shutil.copytree(base.home, paths.home)
    mp = pytest.MonkeyPatch()
    mp.setenv("UTFALL_HOME", str(paths.home))
    try:
        shutil.copy(held / GATE_HELD_BACK, paths.inbox / "fk_utbetalningar" / GATE_HELD_BACK)
        assert not load(paths, today=date(2025, 3, 1)).quarantined
        result = build(paths)
        assert result.success, result.failures
    finally:
        mp.undo()
    return paths


@pytest.fixture
def clean_home(gate_clean_built: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    """A private copy of the clean, built gate data, UTFALL_HOME set."""
    paths = Paths(tmp_path / "home")
    shutil.copytree(gate_clean_built.home, paths.home)
    monkeypatch.setenv("UTFALL_HOME", str(paths.home))
    return paths
