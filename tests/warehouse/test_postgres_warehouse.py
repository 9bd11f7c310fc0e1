"""The warehouse on PostgreSQL (UTFALL_WAREHOUSE_URL=postgresql://…): the same loader and the same
dbt project as on DuckDB, on a server the tests start themselves, give the same marts."""

from __future__ import annotations

import re
import subprocess
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import psycopg
import pytest

from tests.conftest import VENV_BIN, WAREHOUSE_SETTINGS, cli_env, deliver, pid
from tests.support.samples import DELTAGARE_HEADER, DELTAGARE_ROWS, FK_ROWS, GOOD_FK, fk
from tests.scenario.test_scenario_outcomes import deliver_scenario
from utfall.ingest import ledger
from utfall.warehouse.dbt_build import build
from utfall.db.config import Paths
from utfall.dq.gate import GateNotPassed, require_passed, run_gate
from utfall.dq.gate_model import Scope
from utfall.dq.waivers import record_waiver
from utfall.evaluation.evaluate import evaluate
from utfall.ingest.loader import load
from utfall.warehouse.roles import init_roles
from utfall.db.target import PostgresConnection


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



def test_the_cli_loads_and_builds_on_postgresql_when_utfall_warehouse_url_says_so(pg_home):
    deliver(pg_home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", GOOD_FK)
    deliver(pg_home, "deltagare", "deltagare_sf01_20250101.csv",
            "\n".join([DELTAGARE_HEADER, *DELTAGARE_ROWS]) + "\n")
    env = {**cli_env(pg_home), "UTFALL_WAREHOUSE_TYPE": "postgresql"}
    assert env["UTFALL_WAREHOUSE_URL"] == pg_home.warehouse_dsn
    outputs = {}
    for command in ("load", "ledger", "build"):
        result = subprocess.run([str(VENV_BIN / "utfall"), command], env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        outputs[command] = result.stdout
    assert "analysts read its schema marts" in outputs["build"]
    assert "PostgreSQL 127.0.0.1" in outputs["ledger"] and "fk_utbetalningar" in outputs["ledger"]
    assert pg_query(pg_home, "SELECT count(*) FROM raw.fk_utbetalningar") == [(3,)]
    # pid(2)'s episode (2024-02-10 → 2024-11-30) ended in 2024: one row of sf01-ips in the mart
    assert pg_query(pg_home, "SELECT forbund_id, insats_id, ended FROM marts.mart_outcomes_year "
                             "WHERE exit_year = 2024") == [("sf01", "sf01-ips", 1)]
    assert not pg_home.warehouse.exists(), "nothing may fall back to a DuckDB file"

def test_a_load_that_fails_while_writing_leaves_nothing_on_postgresql(pg_home):
    """Whole file or nothing: the server refuses the third row (a constraint added for the
    test), so none of the rows before it remain; the failure does not stop the run (issue 15):
    the file is quarantined as unreadable, naming the exception's class, and recorded so."""
    con = PostgresConnection(pg_home.warehouse_dsn)
    ledger.ensure_schema(con)
    con.execute("ALTER TABLE raw.fk_utbetalningar ADD CONSTRAINT refuse_line_4 CHECK (source_line <> 4)")
    con.close()
    path = deliver(pg_home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", GOOD_FK)
    report = load(pg_home)
    assert [(o.file_name, o.status) for o in report.outcomes] == [("fk_utbetalningar_202401.csv", "quarantined")]
    assert pg_query(pg_home, "SELECT count(*) FROM raw.fk_utbetalningar") == [(0,)]
    [(status, rows_loaded, reason)] = pg_query(pg_home, "SELECT status, rows_loaded, reason FROM raw.loads")
    assert (status, rows_loaded) == ("quarantined", 0) and "unreadable" in reason
    assert "CheckViolation" in (pg_home.quarantine / "fk_utbetalningar" / (path.name + ".reason.txt")).read_text()
    assert not path.exists()


# sf01's plans for 2024 (budget, cost, coach FTE, goals).
INSATS_AR = ("insats_id;ar;budget_sek;kostnad_sek;arsarbetare_coach;mal_andel_arbete;mal_andel_studier;"
             "mal_andel_sysselsattning;mal_deltagare_per_coach\n"
             "sf01-ips;2024;1200000;1150000;1,5;0,25;0,1;0,1;20\n"
             "sf01-sed;2024;400000;380000;0,5;0,1;0,3;;15\n")
# One IPS-25 review of the scenario's IPS insats: 25 items at 4 = 100 points.
PROGRAMTROHET = "insats_id;datum;total_poang;i01;i02;i03;i04;i05;i06;i07;i08;i09;i10;i11;i12;i13;i14;i15;i16;i17;i18;i19;i20;i21;i22;i23;i24;i25\nsf01-ips;2024-05-15;100;4;4;4;4;4;4;4;4;4;4;4;4;4;4;4;4;4;4;4;4;4;4;4;4;4\n"

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


# Session scope: under xdist's loadgroup the loader tests on PostgreSQL share this worker, and a
# module-scoped fixture would be built again each time the order came back to this module.
@pytest.fixture(scope="session")
def built_on_both(postgres, tmp_path_factory) -> tuple[Paths, Paths]:
    """The hand-computed outcome scenario (tests/scenario/test_scenario_outcomes.py) loaded and built on
    DuckDB and on PostgreSQL. The PostgreSQL warehouse is set up as a deployment: roles from
    `utfall db init-roles`, the pipeline logged in as its own user, an analyst (roles are the
    server's, shared with tests/warehouse/test_postgres_roles.py: these have names of their own)."""
    admin_dsn = postgres.create_database("wh_compare")
    init_roles(admin_dsn, pipeline_user="compare_etl")
    with psycopg.connect(admin_dsn, autocommit=True) as con:
        con.execute("CREATE ROLE compare_analyst LOGIN IN ROLE utfall_analyst")
    folder = tmp_path_factory.mktemp("compare")
    on_duckdb = Paths(folder / "duckdb")
    on_postgres = Paths(folder / "postgres", postgres.dsn("wh_compare", user="compare_etl"))
    for paths in (on_duckdb, on_postgres):
        deliver_scenario(paths)
        # the scenario has no fidelity review and no insats plan; one each here, so those marts
        # are compared too
        deliver(paths, "programtrohet", "programtrohet_sf01_20250710.csv", PROGRAMTROHET)
        deliver(paths, "insats_ar", "insats_ar_sf01_20250710.csv", INSATS_AR)
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
    assert len(tables) == 23, tables  # core's 2 and the 21 marts
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
    with psycopg.connect(postgres.dsn("wh_compare", user="compare_analyst"), autocommit=True) as con:
        assert con.execute("SELECT count(*) FROM marts.mart_outcomes_year").fetchone()[0] > 0
        for person_level in ("raw.fk_utbetalningar", "staging.stg_fk__utbetalningar", "core.fct_episodes",
                             "core.fct_person_months"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute(f"SELECT person_id FROM {person_level} LIMIT 1")



def test_the_gate_judges_both_warehouses_alike(built_on_both):
    """Every level of the gate (deliveries, completeness, dbt tests, GX suites on the evaluation
    tables) runs on PostgreSQL and gives each check the result it gives on DuckDB."""
    on_duckdb, on_postgres = built_on_both
    runs = [run_gate(paths, Scope(2024)) for paths in (on_duckdb, on_postgres)]

    def judged(run):
        return sorted((r.check_id, r.forbund_id or "", r.status, r.violated_rows, r.denominator) for r in run.results)

    on_duck, on_pg = map(judged, runs)
    assert not [r for r in runs[1].results if r.status == "error"], [r.message for r in runs[1].results if r.message]
    assert {level for level in (r.level for r in runs[1].results)} == {"delivery", "completeness", "warehouse",
                                                                        "evaluation"}
    assert on_pg == on_duck
    # the scenario leaves out two monthly feeds and a register: blocking failures, on both
    assert [run.passed for run in runs] == [False, False]
    # the run is stored in the warehouse, and no evaluation may rest on it
    assert pg_query(on_postgres, "SELECT passed, blocking_failures FROM dq.runs WHERE run_id = %s",
                    [runs[1].run_id]) == [(False, len(runs[1].blocking))]
    with pytest.raises(GateNotPassed, match="inte godkänd"):
        require_passed(on_postgres, 2024)



def test_a_failing_evaluation_check_names_the_same_rows_on_both(postgres, built_on_both):
    """On PostgreSQL the GX suites run in the database and report failing rows by key; they
    must land on the same förbund with the same examples as DuckDB's pandas validation."""
    on_duckdb, on_postgres = built_on_both
    tamper = ("UPDATE marts.mart_outcomes_year SET share_self_supporting_12m = {} "
              "WHERE forbund_id = 'sf02' AND exit_year = 2024")
    with duckdb.connect(str(on_duckdb.warehouse)) as con:
        [(original,)] = con.execute("SELECT share_self_supporting_12m FROM marts.mart_outcomes_year "
                                    "WHERE forbund_id = 'sf02' AND exit_year = 2024").fetchall()
        con.execute(tamper.format(1.5))
    with psycopg.connect(postgres.dsn("wh_compare"), autocommit=True) as con:
        con.execute(tamper.format(1.5))
    try:
        judged = []
        for paths in (on_duckdb, on_postgres):
            run = run_gate(paths, Scope(2024))
            judged.append(sorted((r.forbund_id, r.status, r.violated_rows, r.denominator, tuple(r.examples))
                                 for r in run.results if r.check_id == "evaluation_outcomes_shares_0_1"))
        assert judged[1] == judged[0]
        assert [(fid, status, violated) for fid, status, violated, *_ in judged[1]] == [
            ("sf01", "pass", 0), ("sf02", "fail", 1)]
        assert "insats_id=sf02-ips" in judged[1][1][4][0] and "share_self_supporting_12m=1.5" in judged[1][1][4][0]
    finally:
        restore = "NULL" if original is None else repr(original)
        with duckdb.connect(str(on_duckdb.warehouse)) as con:
            con.execute(tamper.format(restore))
        with psycopg.connect(postgres.dsn("wh_compare"), autocommit=True) as con:
            con.execute(tamper.format(restore))

RUN_OR_TIME = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{6}|\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")


def same_run(value):
    """The gate run's id and the times of generation differ between any two runs: masked."""
    return RUN_OR_TIME.sub("<run or time>", value) if isinstance(value, str) else value


def test_an_evaluation_on_postgresql_has_the_tables_it_has_on_duckdb(built_on_both):
    """sf01's 2024 evaluation, generated from each warehouse, holds the same Excel tables; the
    published evaluation tables hold the same rows. The scenario leaves out two monthly feeds
    and two registers, so their checks are waived first (recorded, audited), as staff would."""
    on_duckdb, on_postgres = built_on_both
    workbooks = []
    for paths in (on_duckdb, on_postgres):
        blocking = {r.check_id for r in run_gate(paths, Scope(2024)).blocking}
        assert blocking == {"completeness_months_kommun_boendestod", "completeness_months_region_vard",
                            "completeness_register_insats_ar"}
        for check_id in sorted(blocking):
            record_waiver(paths, check_id, 2024, None, "ingår inte i testscenariot", "test")
        assert run_gate(paths, Scope(2024)).passed
        [delivered] = evaluate(paths, 2024, "sf01", workers=1).delivered
        assert sorted(p.name for p in delivered.files) == ["manifest.json", "tabeller.xlsx", "utvardering.html",
                                                           "utvardering.pdf"]
        book = openpyxl.load_workbook(delivered.folder / "tabeller.xlsx", read_only=True)
        workbooks.append({sheet.title: [tuple(same_run(comparable(v)) for v in row)
                                        for row in sheet.iter_rows(values_only=True)]
                          for sheet in book.worksheets})
    on_duck, on_pg = workbooks
    assert len(on_duck) > 5 and sum(len(rows) for rows in on_duck.values()) > 100
    assert on_pg == on_duck
    published = pg_query(on_postgres, "SELECT forbund_id, exit_year, insats_id, evaluation_year "
                                      "FROM published.mart_outcomes_year ORDER BY 1, 2, 3")
    with duckdb.connect(str(on_duckdb.warehouse), read_only=True) as con:
        assert published == con.execute("SELECT forbund_id, exit_year, insats_id, evaluation_year "
                                         "FROM published.mart_outcomes_year ORDER BY 1, 2, 3").fetchall()
    assert published and {row[0] for row in published} == {"sf01"}

def test_the_cli_takes_the_warehouse_from_utfall_warehouse_url_or_the_airflow_connection_form(monkeypatch, tmp_path):
    monkeypatch.setenv("UTFALL_HOME", str(tmp_path))
    for name in WAREHOUSE_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    assert Paths.from_env().warehouse_dsn is None  # nothing selects PostgreSQL: DuckDB under $UTFALL_HOME
    monkeypatch.setenv("AIRFLOW_CONN_UTFALL_WAREHOUSE", "postgresql://etl:pw@warehouse-db:5432/utfall")
    assert Paths.from_env().warehouse_dsn == "postgresql://etl:pw@warehouse-db:5432/utfall"
    # Airflow's JSON form: the password percent-encoded, Airflow-only extras (cursor) left out
    monkeypatch.setenv("AIRFLOW_CONN_UTFALL_WAREHOUSE", '{"conn_type": "postgres", "login": "etl", "password": '
                       '"p@ss/w:rd", "host": "db.example", "port": 5433, "schema": "utfall", '
                       '"extra": {"sslmode": "require", "cursor": "dictcursor"}}')
    assert Paths.from_env().warehouse_dsn == "postgresql://etl:p%40ss%2Fw%3Ard@db.example:5433/utfall?sslmode=require"
    monkeypatch.setenv("UTFALL_WAREHOUSE_URL", "postgresql://me@localhost/mine")  # the CLI's own setting wins
    assert Paths.from_env().warehouse_dsn == "postgresql://me@localhost/mine"
    monkeypatch.setenv("UTFALL_WAREHOUSE_TYPE", "duckdb")  # an explicit choice wins over both
    assert Paths.from_env().warehouse_dsn is None


@pytest.mark.parametrize("settings, message", [
    ({"UTFALL_WAREHOUSE_TYPE": "postgresql"},
     "UTFALL_WAREHOUSE_TYPE=postgresql, but no connection to it: set UTFALL_WAREHOUSE_URL=postgresql://user:password"
     "@host:port/database (or AIRFLOW_CONN_UTFALL_WAREHOUSE, URI or JSON)"),
    ({"UTFALL_WAREHOUSE_TYPE": "postgres"}, "UTFALL_WAREHOUSE_TYPE must be one of duckdb, postgresql; it is 'postgres'"),
    ({"UTFALL_WAREHOUSE_URL": "mysql://me:secret@localhost/mine"},
     "UTFALL_WAREHOUSE_URL must be a postgresql:// URL, or unset for DuckDB; it is mysql"),
    ({"AIRFLOW_CONN_UTFALL_WAREHOUSE": '{"conn_type": "mysql", "host": "h", "password": "secret"}'},
     "AIRFLOW_CONN_UTFALL_WAREHOUSE must be of type postgres; it is mysql"),
    ({"AIRFLOW_CONN_UTFALL_WAREHOUSE": '{"conn_type": "postgres", "password": "secret"'},
     "AIRFLOW_CONN_UTFALL_WAREHOUSE is not valid JSON (column 47: Expecting ',' delimiter)"),
    ({"AIRFLOW_CONN_UTFALL_WAREHOUSE": '{"conn_type": "postgres", "host": "h", "extra": "{sslmode"}'},
     "AIRFLOW_CONN_UTFALL_WAREHOUSE is not valid JSON (column 2: Expecting property name enclosed in double quotes)"),
    # the old name is refused rather than ignored: ignoring it would silently mean DuckDB
    ({"UTFALL_WAREHOUSE": "postgresql://me:secret@localhost/mine"},
     "UTFALL_WAREHOUSE was renamed: set UTFALL_WAREHOUSE_URL instead"),
])
def test_a_setting_that_names_no_usable_warehouse_is_an_error_naming_it(home, settings, message):
    env = {**cli_env(home), **settings}
    result = subprocess.run([str(VENV_BIN / "utfall"), "ledger"], env=env, capture_output=True, text=True)
    assert result.returncode == 2, result.stdout + result.stderr
    assert " ".join(result.stderr.split()) == f"error: {message}"  # rich wraps long lines
    assert "Traceback" not in result.stderr and "secret" not in result.stdout + result.stderr
    assert not home.warehouse.exists(), "never a silent DuckDB"


def test_the_password_stays_out_of_paths_repr(tmp_path):
    assert "secret" not in repr(Paths(tmp_path, "postgresql://me:secret@localhost/mine"))
