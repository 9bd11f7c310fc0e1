"""`utfall db init-roles` on a real PostgreSQL server: each role connects and reads only what it may."""

from __future__ import annotations

import subprocess

import psycopg
import pytest

from tests.conftest import VENV_BIN, pid
from utfall.warehouse.roles import ROLES

# login user → the group role it is a member of (and acts as, for writers)
USERS = {"etl": "utfall_loader", "dbt": "utfall_transform", "anna": "utfall_analyst", "rapport": "utfall_reporter"}


@pytest.fixture(scope="module")
def warehouse(postgres) -> str:
    dsn = postgres.create_database("warehouse_roles")
    result = subprocess.run([str(VENV_BIN / "utfall"), "db", "init-roles", "--dsn", dsn],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    with psycopg.connect(dsn, autocommit=True) as con:
        for user, role in USERS.items():
            con.execute(f"CREATE ROLE {user} LOGIN IN ROLE {role}")
            if role in ("utfall_loader", "utfall_transform"):
                con.execute(f"ALTER ROLE {user} SET role = '{role}'")
    # What a load, a build and an evaluation leave behind, each written by its own role
    with connect(dsn, "etl") as con:
        con.execute("CREATE TABLE raw.fk_utbetalningar (person_id text, belopp_sek numeric)")
        con.execute("INSERT INTO raw.fk_utbetalningar VALUES (%s, 20000)", [pid(1)])
    with connect(dsn, "dbt") as con:
        con.execute("CREATE VIEW staging.stg_fk__utbetalningar AS SELECT * FROM raw.fk_utbetalningar")
        con.execute("CREATE TABLE core.fct_person_months AS SELECT person_id, belopp_sek FROM raw.fk_utbetalningar")
        con.execute("CREATE TABLE marts.mart_outcomes_year AS SELECT 2024 AS year, count(*) AS participants "
                    "FROM core.fct_person_months")
        con.execute("CREATE TABLE published.evaluation_outcomes AS SELECT * FROM marts.mart_outcomes_year")
    return dsn


def connect(dsn: str, user: str) -> psycopg.Connection:
    return psycopg.connect(dsn.replace("//postgres@", f"//{user}@"), autocommit=True)


def can_read(dsn: str, user: str, table: str) -> bool:
    with connect(dsn, user) as con:
        try:
            con.execute(f"SELECT * FROM {table}").fetchall()
            return True
        except psycopg.errors.InsufficientPrivilege:
            return False


TABLES = ["raw.fk_utbetalningar", "staging.stg_fk__utbetalningar", "core.fct_person_months",
          "marts.mart_outcomes_year", "published.evaluation_outcomes"]


@pytest.mark.parametrize("user, readable", [
    ("etl", {"raw.fk_utbetalningar"}),
    ("dbt", set(TABLES)),
    ("anna", {"marts.mart_outcomes_year"}),
    ("rapport", {"published.evaluation_outcomes"}),
])
def test_each_role_reads_only_its_layers(warehouse, user, readable):
    assert {t for t in TABLES if can_read(warehouse, user, t)} == readable


def test_the_analyst_gets_the_mart_figures_but_no_person_level_row(warehouse):
    with connect(warehouse, "anna") as con:
        assert con.execute("SELECT year, participants FROM marts.mart_outcomes_year").fetchall() == [(2024, 1)]
        for table in ("raw.fk_utbetalningar", "staging.stg_fk__utbetalningar", "core.fct_person_months"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute(f"SELECT person_id FROM {table}")


@pytest.mark.parametrize("user, schema", [("anna", "marts"), ("rapport", "published"), ("etl", "marts"),
                                          ("anna", "public")])
def test_readers_and_the_loader_cannot_create_outside_their_schema(warehouse, user, schema):
    with connect(warehouse, user) as con:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            con.execute(f"CREATE TABLE {schema}.sneaky (x int)")


@pytest.mark.parametrize("user, may", [("dbt", True), ("etl", False), ("anna", False), ("rapport", False)])
def test_only_dbt_may_create_a_temporary_table(warehouse, user, may):
    """dbt's incremental models (int_person_months) stage the new month in a temporary table:
    without TEMPORARY an incremental build failed on a deployment made by init-roles."""
    with connect(warehouse, user) as con:
        if may:
            con.execute("CREATE TEMPORARY TABLE new_rows AS SELECT 1 AS x")
            assert con.execute("SELECT x FROM new_rows").fetchall() == [(1,)]
        else:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute("CREATE TEMPORARY TABLE new_rows (x int)")


def test_init_roles_again_changes_nothing_and_keeps_grants(warehouse):
    result = subprocess.run([str(VENV_BIN / "utfall"), "db", "init-roles", "--dsn", warehouse],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    with psycopg.connect(warehouse) as con:
        roles = {r for (r,) in con.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE 'utfall\\_%'")}
    assert roles == set(ROLES)
    assert can_read(warehouse, "anna", "marts.mart_outcomes_year")
    assert not can_read(warehouse, "anna", "core.fct_person_months")


def test_the_pipeline_user_is_a_member_of_both_writer_roles_with_a_hashed_password(warehouse):
    from utfall.warehouse.roles import init_roles

    init_roles(warehouse, pipeline_user="pipeline_pw", pipeline_password="s3cret-pipeline")
    with psycopg.connect(warehouse, autocommit=True) as con:
        [(stored,)] = con.execute("SELECT rolpassword FROM pg_authid WHERE rolname = 'pipeline_pw'").fetchall()
        member_of = {r for (r,) in con.execute(
            "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
            "WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = 'pipeline_pw')")}
    # hashed before it was sent: the server (and its logs) never saw the plain password
    assert stored.startswith("SCRAM-SHA-256$") and "s3cret" not in stored
    assert member_of == {"utfall_loader", "utfall_transform"}
