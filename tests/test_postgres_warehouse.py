"""The warehouse on PostgreSQL (UTFALL_WAREHOUSE=postgresql://…): the same loader and the same
dbt project as on DuckDB, on a server the tests start themselves, give the same marts."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg
import pytest

from tests.conftest import deliver, pid
from tests.test_loader import FK_HEADER, FK_ROWS, GOOD_FK, fk
from tests.test_scenario_outcomes import deliver_scenario
from utfall import ledger
from utfall.build import build
from utfall.config import Paths
from utfall.loader import load
from utfall.roles import init_roles
from utfall.target import PostgresConnection


@pytest.fixture
def pg_home(postgres, tmp_path: Path, request) -> Paths:
    """An empty $UTFALL_HOME whose warehouse is a new database on the test server."""
    database = "wh_" + re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:50]
    paths = Paths(tmp_path / "home", postgres.create_database(database))
    paths.inbox.mkdir(parents=True)
    return paths


def pg_query(paths: Paths, sql: str, params: list | None = None) -> list[tuple]:
    with psycopg.connect(paths.warehouse_dsn) as con:
        return con.execute(sql, params).fetchall()


def test_loader_writes_raw_and_the_ledger_on_postgresql(pg_home):
    deliver(pg_home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", GOOD_FK)
    deliver(pg_home, "fk_utbetalningar", "fk_utbetalningar_202402.csv",
            fk(FK_ROWS[0].replace("2024-01", "2024-02"), f"{pid(2)};2024-02;SJP;100;31;abc;0"))
    report = load(pg_home)
    assert [(o.file_name, o.status, o.rows_loaded) for o in report.outcomes] == [
        ("fk_utbetalningar_202401.csv", "loaded", 3),
        ("fk_utbetalningar_202402.csv", "quarantined", 0),
    ]
    good, bad = report.outcomes
    # typed, with load id and line; a decimal comma and an empty value as on DuckDB
    assert pg_query(pg_home, "SELECT source_line, person_id, manad::text, omfattning, dagar, belopp_sek, skatt_sek "
                             "FROM raw.fk_utbetalningar ORDER BY source_line") == [
        (2, pid(1), "2024-01-01", 100, 31, Decimal("20000.00"), Decimal("6000.00")),
        (3, pid(2), "2024-01-01", 50, 20, Decimal("5000.50"), None),
        (4, pid(3), "2024-01-01", 100, 31, Decimal("12000.00"), Decimal("3000.00")),
    ]
    assert pg_query(pg_home, "SELECT load_id, status, rows_in_file, rows_loaded FROM raw.loads ORDER BY load_id") == [
        (good.load_id, "loaded", 3, 3), (bad.load_id, "quarantined", 2, 0)]
    assert "line 3" in (pg_home.quarantine / "fk_utbetalningar" / "fk_utbetalningar_202402.csv.reason.txt").read_text()

    # a correction supersedes the earlier load in the same transaction; both loads' rows stay
    deliver(pg_home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", fk(FK_ROWS[0].replace(";20000;", ";21000;")))
    [correction] = load(pg_home).outcomes
    assert pg_query(pg_home, "SELECT load_id, status, superseded_by FROM raw.loads WHERE feed = 'fk_utbetalningar' "
                             "AND period = '202401' ORDER BY load_id") == [
        (good.load_id, "superseded", correction.load_id), (correction.load_id, "loaded", None)]
    assert pg_query(pg_home, "SELECT count(*) FROM raw.fk_utbetalningar") == [(4,)]


def test_a_load_that_fails_while_writing_leaves_nothing_on_postgresql(pg_home):
    """Whole file or nothing: the server refuses the third row (a constraint added for the
    test), so neither the rows before it nor a ledger row remain, and the file waits in the inbox."""
    con = PostgresConnection(pg_home.warehouse_dsn)
    ledger.ensure_schema(con)
    con.execute("ALTER TABLE raw.fk_utbetalningar ADD CONSTRAINT refuse_line_4 CHECK (source_line <> 4)")
    con.close()
    path = deliver(pg_home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", GOOD_FK)
    with pytest.raises(psycopg.errors.CheckViolation):
        load(pg_home)
    assert pg_query(pg_home, "SELECT count(*) FROM raw.fk_utbetalningar") == [(0,)]
    assert pg_query(pg_home, "SELECT count(*) FROM raw.loads") == [(0,)]
    assert path.exists()


def comparable(value):
    """One value as both databases' drivers return it: numbers as exact decimals (doubles to
    twelve significant digits, where the two engines may differ in the last bits), dates as text."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        return Decimal(f"{value:.12g}")
    if isinstance(value, (int, Decimal)):
        return Decimal(value).normalize()
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def built_on_both(postgres, tmp_path_factory) -> tuple[Paths, Paths]:
    """The hand-computed outcome scenario (tests/test_scenario_outcomes.py) loaded and built on
    DuckDB and on PostgreSQL. The PostgreSQL warehouse is set up as a deployment: roles from
    `utfall db init-roles`, the pipeline logged in as its own user `etl`, an analyst `anna`."""
    admin_dsn = postgres.create_database("wh_compare")
    init_roles(admin_dsn, pipeline_user="etl")
    with psycopg.connect(admin_dsn, autocommit=True) as con:
        con.execute("CREATE ROLE anna LOGIN IN ROLE utfall_analyst")
    folder = tmp_path_factory.mktemp("compare")
    on_duckdb = Paths(folder / "duckdb")
    on_postgres = Paths(folder / "postgres", postgres.dsn("wh_compare", user="etl"))
    for paths in (on_duckdb, on_postgres):
        deliver_scenario(paths)
        report = load(paths)
        assert report.exit_code == 0, [(o.file_name, o.status, o.reason) for o in report.outcomes]
        result = build(paths)
        assert result.success, result.failures
    return on_duckdb, on_postgres


def test_duckdb_and_postgresql_build_identical_marts_from_the_same_deliveries(built_on_both):
    """Every table of the marts and core schemas holds the same rows on both warehouses."""
    on_duckdb, on_postgres = built_on_both
    with duckdb.connect(str(on_duckdb.warehouse), read_only=True) as con:
        tables = con.execute("SELECT table_schema, table_name FROM information_schema.tables "
                             "WHERE table_schema IN ('core', 'marts') ORDER BY 1, 2").fetchall()
        duck = {t: con.execute(f"SELECT * FROM {t[0]}.{t[1]}").fetchall() for t in tables}
        duck_columns = {t: [d[0] for d in con.execute(f"SELECT * FROM {t[0]}.{t[1]} LIMIT 0").description]
                        for t in tables}
    assert len(tables) == 9, tables
    with psycopg.connect(on_postgres.warehouse_dsn) as con:
        pg_tables = con.execute("SELECT table_schema, table_name FROM information_schema.tables "
                                "WHERE table_schema IN ('core', 'marts') ORDER BY 1, 2").fetchall()
        assert pg_tables == tables
        for table in tables:
            cursor = con.execute(f"SELECT * FROM {table[0]}.{table[1]}")
            assert [d.name for d in cursor.description] == duck_columns[table], table
            on_pg = sorted((tuple(comparable(v) for v in row) for row in cursor.fetchall()), key=repr)
            on_duck = sorted((tuple(comparable(v) for v in row) for row in duck[table]), key=repr)
            assert on_duck, f"{table} is empty: the comparison would prove nothing"
            assert on_pg == on_duck, table


def test_the_pipeline_writes_as_its_roles_and_the_analyst_reads_only_the_marts(postgres, built_on_both):
    _, on_postgres = built_on_both
    owners = dict(pg_query(on_postgres, "SELECT schemaname || '.' || tablename, tableowner FROM pg_tables "
                                        "WHERE tablename IN ('loads', 'fk_utbetalningar', 'fct_episodes', "
                                        "'mart_outcomes_year')"))
    assert owners == {"raw.loads": "utfall_loader", "raw.fk_utbetalningar": "utfall_loader",
                      "core.fct_episodes": "utfall_transform", "marts.mart_outcomes_year": "utfall_transform"}
    with psycopg.connect(postgres.dsn("wh_compare", user="anna"), autocommit=True) as con:
        assert con.execute("SELECT count(*) FROM marts.mart_outcomes_year").fetchone()[0] > 0
        for person_level in ("raw.fk_utbetalningar", "staging.stg_fk__utbetalningar", "core.fct_episodes",
                             "core.fct_person_months"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute(f"SELECT person_id FROM {person_level} LIMIT 1")


def test_the_warehouse_is_chosen_by_utfall_warehouse_or_the_airflow_connection(monkeypatch, tmp_path):
    monkeypatch.setenv("UTFALL_HOME", str(tmp_path))
    monkeypatch.delenv("UTFALL_WAREHOUSE", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_UTFALL_WAREHOUSE", raising=False)
    assert Paths.from_env().warehouse_dsn is None  # DuckDB under $UTFALL_HOME
    monkeypatch.setenv("AIRFLOW_CONN_UTFALL_WAREHOUSE", "postgresql://etl:pw@warehouse-db:5432/utfall")
    assert Paths.from_env().warehouse_dsn == "postgresql://etl:pw@warehouse-db:5432/utfall"
    monkeypatch.setenv("UTFALL_WAREHOUSE", "postgresql://me@localhost/mine")  # the explicit setting wins
    assert Paths.from_env().warehouse_dsn == "postgresql://me@localhost/mine"
    monkeypatch.setenv("UTFALL_WAREHOUSE", "mysql://me@localhost/mine")
    with pytest.raises(ValueError, match="postgresql://"):
        Paths.from_env()
