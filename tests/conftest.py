"""Shared fixtures: a fresh $UTFALL_HOME per test and helpers to deliver files into it."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path

import duckdb
import pytest
from _pytest.nodeid import NodeId

from utfall.db.config import Paths

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


# Slowest first (measured on 2 cores, December 2026), so that no long test starts last while the
# other worker idles: `make test` passes --no-loadscope-reorder, and the scheduler then hands out
# work in this order. Modules not named here follow in collection order.
SLOWEST_FIRST = (
    "test_scenario_cutoff.py", "test_demo.py", "test_incremental_panel.py", "test_airflow_standalone.py",
    "test_postgres_warehouse.py", "test_hostile_gate.py", "test_hostile_tiers.py", "test_gate.py",
    "test_publish.py", "test_analyst_docs.py", "test_evaluate.py", "test_kill_mid_load.py", "test_alerts.py",
    "test_dq_warehouse.py", "test_build_dag.py", "test_hostile_load.py", "test_scenario_outcomes.py",
)


def xdist_group(item: pytest.Item) -> str | None:
    """The worker group of a test: its module's, when the test uses a fixture built once per module
    (or a session fixture of the module's own), so that fixture is built on one worker only.

    The conftest's session fixtures need no group: the gate warehouse is built once for all workers
    (`built_once`), and a PostgreSQL server of its own per worker costs seconds.
    """
    marked = item.get_closest_marker("xdist_group")
    if marked:
        return str(marked.args[0] if marked.args else marked.kwargs.get("name", "default"))
    module = item.getparent(pytest.Module)
    for name in item.fixturenames:
        for fixturedef in item._fixtureinfo.name2fixturedefs.get(name, ()):
            if fixturedef.scope in ("class", "module") or (
                    fixturedef.scope == "session" and getattr(fixturedef, "node", None) is module):
                return module.path.stem
    return None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items) -> None:
    """Under pytest-xdist (`make test` runs `-n auto --dist loadgroup`), each test's group
    (`xdist_group`) goes to one worker, and the slowest modules are handed out first."""
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: collection order within
    if not getattr(config.option, "loadgroup", False):  # set on xdist's workers under --dist loadgroup
        return
    for item in items:
        group = xdist_group(item)
        # xdist 3.8 tells the scheduler the group by appending "@group" to the node id, through an
        # attribute pytest 9.2 no longer reads (pytest-xdist issue 1386): every group was silently
        # spread over the workers. Setting the id pytest reads restores it.
        if group and not item.nodeid.endswith(f"@{group}"):
            item.add_marker(pytest.mark.xdist_group(group))
            item._id = NodeId.parse(f"{item.nodeid}@{group}")


@pytest.fixture(scope="session")
def postgres(request):
    """A PostgreSQL server of our own for this test session (tests/support/postgres_server.py)."""
    if request.config.getoption("--without-postgresql"):
        pytest.skip("--without-postgresql was given")
    from tests.support.postgres_server import local_postgres

    with local_postgres() as server:
        yield server


@pytest.fixture
def with_dbt_unit_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    """This test's builds run the dbt unit tests too: `utfall build` leaves them out unless asked
    (utfall.warehouse.dbt_build.UNIT_TESTS_ENV), and they need to run once per suite, not in each
    of its many builds."""
    monkeypatch.setenv("UTFALL_DBT_UNIT_TESTS", "1")


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
        from utfall.db.target import PostgresConnection

        con = PostgresConnection(paths.warehouse_dsn)
        try:
            return con.execute(sql, params or None).fetchall()
        finally:
            con.close()
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


# Every environment variable that selects the warehouse (utfall.db.target); a test's own choice only
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
# Generating and loading ~300 files takes about a minute, so it happens once per run (by one
# worker: `built_once`); each test gets its own copy. The base lacks one Försäkringskassan month
# (GATE_HELD_BACK): tests deliver it whole, halved or not at all, or deliver other faults, then
# build and gate.

GATE_YEAR = 2023
GATE_HELD_BACK = "fk_utbetalningar_202306.csv"


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, make) -> Path:
    """A folder that `make(folder)` fills once for the whole run, whichever xdist worker asks first;
    the others wait for it (pytest-xdist's recipe for session fixtures that must run once)."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        folder = tmp_path_factory.mktemp(name)
        make(folder)
        return folder
    root = tmp_path_factory.getbasetemp().parent  # this run's, shared by its workers
    folder, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # left half-made by a worker whose make failed
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def gate_base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Paths, Path]:
    """(home loaded with everything but GATE_HELD_BACK, folder holding that file). Read only."""
    from utfall.synthetic.generator import generate
    from utfall.ingest.loader import load

    def make(root: Path) -> None:
        paths = Paths(root / "home")
        generate(paths.inbox, forbund=2, participants=300, from_year=2022, to_year=2024, seed=7, progress=False)
        (root / "held").mkdir()
        (paths.inbox / "fk_utbetalningar" / GATE_HELD_BACK).rename(root / "held" / GATE_HELD_BACK)
        report = load(paths, today=date(2025, 3, 1))
        assert not report.quarantined, "generated data must load cleanly"

    root = built_once(tmp_path_factory, "gate-base", make)
    return Paths(root / "home"), root / "held"


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
    """The gate base with GATE_HELD_BACK delivered, loaded and built once: clean data. Read only.

    Tests copy it (`clean_home`) rather than build their own: a build is ~25 s.
    """
    from utfall.warehouse.dbt_build import build
    from utfall.ingest.loader import load

    base, held = gate_base

    def make(root: Path) -> None:
        paths = Paths(root / "home")
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

    return Paths(built_once(tmp_path_factory, "gate-clean", make) / "home")


@pytest.fixture
def clean_home(gate_clean_built: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    """A private copy of the clean, built gate data, UTFALL_HOME set."""
    paths = Paths(tmp_path / "home")
    shutil.copytree(gate_clean_built.home, paths.home)
    monkeypatch.setenv("UTFALL_HOME", str(paths.home))
    return paths


@pytest.fixture(params=["duckdb", "postgresql"])
def home_on_each_warehouse(request, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    """An empty $UTFALL_HOME whose warehouse is DuckDB or a new PostgreSQL database."""
    monkeypatch.setenv("UTFALL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("UTFALL_WAREHOUSE_URL", raising=False)
    dsn = None
    if request.param == "postgresql":
        dsn = request.getfixturevalue("postgres").create_database(f"loader_{tmp_path.name.lower()}"[:60])
    paths = Paths(tmp_path / "home", dsn)
    paths.inbox.mkdir(parents=True)
    return paths


@pytest.fixture(scope="module")
def airflow_db():
    """Migrate the test session's SQLite metadata DB and create the writer pool (as the demo does)."""
    from utfall.orchestration.assets import WAREHOUSE_WRITER_POOL

    env = dict(os.environ)
    for args in (["db", "migrate"], ["pools", "set", WAREHOUSE_WRITER_POOL, "1", "test"]):
        result = subprocess.run([str(VENV_BIN / "airflow"), *args], env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    yield


@pytest.fixture(scope="module")
def dagbag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))
