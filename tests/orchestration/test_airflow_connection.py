"""The warehouse under Airflow is the connection `utfall_warehouse`, found through Airflow's
connection API: here it exists only in Airflow's metadata DB (made through the ORM, as the UI
and `airflow connections add` store it), and a real task run (dag.test) loads into it."""

from __future__ import annotations

import re

import psycopg
import pytest

from tests.conftest import WAREHOUSE_SETTINGS, deliver, pid, query
from tests.support.airflow_runs import task_states
from utfall.db.target import CONNECTION_ID, WAREHOUSE_TYPE_VARIABLE

PASSWORD = "Hemligt-9x!"  # trust authentication on the test server: checked for never being shown
REGION_FILE = ("region_vard", "region_vard_202401.csv",
               f"person_id;manad;oppenvardsbesok;slutenvardsdagar\n{pid(1)};2024-01;2;0\n{pid(2)};2024-01;0;3\n")


@pytest.fixture
def no_environment_settings(monkeypatch):
    """Nothing in the environment may name the warehouse: only Airflow's metadata DB does."""
    for name in WAREHOUSE_SETTINGS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def metadata_connection(airflow_db, postgres, request):  # noqa: F811
    """A warehouse database and the connection utfall_warehouse to it, stored in Airflow's
    metadata DB (password encrypted there) and removed afterwards, so the other DAG tests
    keep their DuckDB warehouse."""
    from airflow.models import Connection
    from airflow.utils.session import create_session

    database = "wh_" + re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:50]
    postgres.create_database(database)
    with create_session() as session:
        session.add(Connection(conn_id=CONNECTION_ID, conn_type="postgres", host="127.0.0.1", port=postgres.port,
                               login="postgres", password=PASSWORD, schema=database,
                               extra='{"sslmode": "disable", "cursor": "dictcursor"}'))
    yield database
    with create_session() as session:
        session.query(Connection).filter(Connection.conn_id == CONNECTION_ID).delete()


@pytest.fixture
def metadata_variable(airflow_db):  # noqa: F811
    """Sets the Airflow Variable utfall_warehouse_type in the metadata DB; removed afterwards."""
    from airflow.models import Variable

    yield lambda value: Variable.set(WAREHOUSE_TYPE_VARIABLE, value)
    Variable.delete(WAREHOUSE_TYPE_VARIABLE)


def task_output(capfd, caplog) -> str:
    """What a dag.test() run logged: Airflow's task logger writes to the output, our code's
    logging reaches pytest's log capture."""
    output = capfd.readouterr()
    return output.out + output.err + caplog.text


def test_a_task_loads_into_the_connection_defined_only_in_airflows_metadata_db(
        no_environment_settings, metadata_connection, postgres, dagbag, home, capfd, caplog):  # noqa: F811
    deliver(home, *REGION_FILE)
    run = dagbag.dags["ingest_region_vard"].test()
    assert str(run.state) == "success"
    with psycopg.connect(postgres.dsn(metadata_connection)) as con:
        assert con.execute("SELECT person_id, oppenvardsbesok, slutenvardsdagar FROM raw.region_vard "
                           "ORDER BY source_line").fetchall() == [(pid(1), 2, 0), (pid(2), 0, 3)]
        assert con.execute("SELECT file_name, status, rows_loaded FROM raw.loads").fetchall() == [
            ("region_vard_202401.csv", "loaded", 2)]
    assert not home.warehouse.exists(), "nothing may fall back to a DuckDB file"
    logged = task_output(capfd, caplog)
    assert f"Warehouse: PostgreSQL 127.0.0.1:{postgres.port}/{metadata_connection}" in logged
    assert PASSWORD not in logged


def test_a_variable_demanding_postgresql_without_the_connection_fails_the_task_naming_what_is_missing(
        no_environment_settings, metadata_variable, dagbag, home, capfd, caplog):  # noqa: F811
    metadata_variable("postgresql")
    deliver(home, *REGION_FILE)
    run = dagbag.dags["ingest_region_vard"].test()
    assert str(run.state) == "failed"
    # at once, not retried: a setting does not fix itself
    assert task_states(run) == {"load": ("failed", 1)}
    assert ("AirflowFailException: the Airflow Variable utfall_warehouse_type is postgresql, but Airflow has no "
            "connection utfall_warehouse: define the Airflow connection utfall_warehouse (UI, `airflow connections "
            "add`, AIRFLOW_CONN_UTFALL_WAREHOUSE or a secrets backend)") in task_output(capfd, caplog)
    assert not home.warehouse.exists(), "a missing connection must never mean DuckDB"
    assert (home.inbox / "region_vard" / "region_vard_202401.csv").exists()


def test_the_environment_demands_postgresql_over_a_variable_choosing_duckdb(
        no_environment_settings, metadata_variable, dagbag, home, monkeypatch, capfd, caplog):  # noqa: F811
    monkeypatch.setenv("UTFALL_WAREHOUSE_TYPE", "postgresql")
    metadata_variable("duckdb")
    deliver(home, *REGION_FILE)
    assert str(dagbag.dags["ingest_region_vard"].test().state) == "failed"
    assert ("AirflowFailException: UTFALL_WAREHOUSE_TYPE is postgresql, but Airflow has no connection "
            "utfall_warehouse") in task_output(capfd, caplog)
    assert not home.warehouse.exists()


def test_a_task_does_not_take_the_clis_url_for_the_connection(
        no_environment_settings, airflow_db, dagbag, home, monkeypatch, capfd, caplog):  # noqa: F811
    """UTFALL_WAREHOUSE_URL on a worker means PostgreSQL was meant: without the connection, an error, not DuckDB."""
    monkeypatch.setenv("UTFALL_WAREHOUSE_URL", f"postgresql://etl:{PASSWORD}@127.0.0.1:1/nowhere")
    deliver(home, *REGION_FILE)
    assert str(dagbag.dags["ingest_region_vard"].test().state) == "failed"
    logged = task_output(capfd, caplog)
    assert ("AirflowFailException: UTFALL_WAREHOUSE_URL is set, but tasks under Airflow use the connection "
            "utfall_warehouse, which is not defined: define the Airflow connection utfall_warehouse") in logged
    assert PASSWORD not in logged
    assert not home.warehouse.exists()


def test_the_variable_may_choose_duckdb_though_the_connection_exists(
        no_environment_settings, metadata_connection, metadata_variable, postgres, dagbag, home):  # noqa: F811
    metadata_variable("duckdb")
    deliver(home, *REGION_FILE)
    assert str(dagbag.dags["ingest_region_vard"].test().state) == "success"
    assert query(home, "SELECT count(*) FROM raw.region_vard") == [(2,)]  # the DuckDB file
    with psycopg.connect(postgres.dsn(metadata_connection)) as con:
        assert con.execute("SELECT to_regclass('raw.region_vard')").fetchone() == (None,)
