"""The analysts' file: person-free, swapped in atomically, readable while loads and builds run."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO, VENV_BIN, cli_env, query
from utfall.db.config import Paths
from utfall.warehouse.analyst_copy import MANIFEST_COMMENTS, PublishRefused, analyst_db_path, publish
from utfall.warehouse.build_and_publish import build_and_publish

# codes keep their leading zeros, as the dbt seed does
KOMMUNER = f"read_csv('{REPO / 'seeds' / 'kommuner.csv'}', all_varchar = true)"


@pytest.fixture
def warehouse(home: Paths) -> Paths:
    """A small warehouse as dbt leaves it: person-level data outside marts/reference, aggregates in marts."""
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute(f"""
            CREATE SCHEMA reference; CREATE SCHEMA marts; CREATE SCHEMA core;
            CREATE TABLE reference.kommuner AS SELECT * FROM {KOMMUNER};
            CREATE TABLE core.fct_person_months AS
                SELECT 'p' || (i % 7) AS person_id, '0180' AS kommun_kod, i AS gross_sek FROM range(100) t(i);
            CREATE TABLE marts.mart_kommun AS
                SELECT kommun_kod, count(DISTINCT person_id) AS persons, sum(gross_sek) AS gross_sek
                FROM core.fct_person_months GROUP BY ALL;
            CREATE VIEW marts.mart_kommun_named AS
                SELECT k.kommun_namn, m.persons FROM marts.mart_kommun m JOIN reference.kommuner k USING (kommun_kod);
        """)
    return home


def published(paths: Paths, sql: str) -> list[tuple]:
    with duckdb.connect(str(analyst_db_path(paths)), read_only=True) as con:
        return con.execute(sql).fetchall()


def sql_cli(paths: Paths, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "utfall"), "sql", *args], env=cli_env(paths), capture_output=True,
                          text=True, timeout=120)


def test_publish_copies_the_person_free_schemas_as_tables_with_a_manifest(warehouse):
    result = publish(warehouse, run_id="manual__1")
    assert result.path == warehouse.home / "published" / "analyst.duckdb"
    assert result.tables == [("marts.mart_kommun", 1), ("marts.mart_kommun_named", 1), ("reference.kommuner", 290)]
    assert published(warehouse, "SELECT table_schema, table_name, table_type FROM information_schema.tables "
                                "ORDER BY ALL") == [
        ("main", "manifest", "BASE TABLE"),
        ("marts", "mart_kommun", "BASE TABLE"),
        ("marts", "mart_kommun_named", "BASE TABLE"),  # the view, materialised: core is not there to read
        ("reference", "kommuner", "BASE TABLE"),
    ]
    assert published(warehouse, "SELECT * FROM marts.mart_kommun_named") == [("Stockholm", 7)]
    assert published(warehouse, "SELECT table_name, row_count, run_id, published_at FROM manifest ORDER BY 1") == [
        (name, rows, "manual__1", result.published_at) for name, rows in result.tables
    ]
    # Nothing half-written left beside it (no temporary file, no WAL).
    assert [p.name for p in analyst_db_path(warehouse).parent.iterdir()] == ["analyst.duckdb"]


def test_publish_carries_the_descriptions_over_as_comments(warehouse):
    """dbt stores each description as a comment in the warehouse (persist_docs); a CTAS copy would
    drop them, so publish copies them onto the analysts' tables, views' included. Quotes survive."""
    with duckdb.connect(str(warehouse.warehouse)) as con:
        con.execute("""
            COMMENT ON TABLE marts.mart_kommun IS 'Persons per kommun (the table''s own text)';
            COMMENT ON COLUMN marts.mart_kommun.persons IS 'Distinct persons';
            COMMENT ON VIEW marts.mart_kommun_named IS 'Persons per kommun, named';
            COMMENT ON COLUMN marts.mart_kommun_named.kommun_namn IS 'Kommun name (SCB)';
        """)
    publish(warehouse)
    assert published(warehouse, "SELECT schema_name, table_name, comment FROM duckdb_tables() ORDER BY ALL") == [
        ("main", "manifest", MANIFEST_COMMENTS[None]),
        ("marts", "mart_kommun", "Persons per kommun (the table's own text)"),
        ("marts", "mart_kommun_named", "Persons per kommun, named"),
        ("reference", "kommuner", None),  # nothing to copy: this warehouse was not built by dbt
    ]
    assert published(warehouse, "SELECT table_name, column_name, comment FROM duckdb_columns() "
                                "WHERE database_name = current_database() AND schema_name <> 'reference' "
                                "ORDER BY table_name, column_index") == [
        ("manifest", "table_name", MANIFEST_COMMENTS["table_name"]),
        ("manifest", "row_count", MANIFEST_COMMENTS["row_count"]),
        ("manifest", "published_at", MANIFEST_COMMENTS["published_at"]),
        ("manifest", "run_id", MANIFEST_COMMENTS["run_id"]),
        ("mart_kommun", "kommun_kod", None),
        ("mart_kommun", "persons", "Distinct persons"),
        ("mart_kommun", "gross_sek", None),
        ("mart_kommun_named", "kommun_namn", "Kommun name (SCB)"),
        ("mart_kommun_named", "persons", None),
    ]


def test_publish_works_while_marts_are_missing_or_empty(home):
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute(f"CREATE SCHEMA reference; CREATE TABLE reference.kommuner AS SELECT * FROM {KOMMUNER}")
    assert publish(home).tables == [("reference.kommuner", 290)]
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("CREATE SCHEMA marts")
    assert publish(home).tables == [("reference.kommuner", 290)]
    assert published(home, "SELECT table_name, row_count FROM manifest") == [("reference.kommuner", 290)]


@pytest.mark.parametrize("ddl", [
    "CREATE TABLE marts.mart_person_months AS SELECT * FROM core.fct_person_months",
    # any spelling of the column, and views as well as tables
    'CREATE VIEW reference.people AS SELECT person_id AS "Person_ID" FROM core.fct_person_months',
])
def test_publish_refuses_person_level_data_and_keeps_the_published_file(warehouse, ddl):
    publish(warehouse)
    target = analyst_db_path(warehouse)
    before = target.read_bytes(), target.stat().st_ino
    with duckdb.connect(str(warehouse.warehouse)) as con:
        con.execute(ddl)
    with pytest.raises(PublishRefused, match=r"(marts\.mart_person_months|reference\.people) has a column person_id"):
        publish(warehouse)
    assert (target.read_bytes(), target.stat().st_ino) == before
    assert [p.name for p in target.parent.iterdir()] == ["analyst.duckdb"]


def test_a_reader_of_the_old_file_keeps_reading_it_while_a_new_one_is_swapped_in(warehouse):
    publish(warehouse)
    old_reader = duckdb.connect(str(analyst_db_path(warehouse)), read_only=True)
    try:
        assert old_reader.execute("SELECT persons FROM marts.mart_kommun").fetchall() == [(7,)]
        with duckdb.connect(str(warehouse.warehouse)) as con:
            con.execute("INSERT INTO core.fct_person_months VALUES ('p99', '0180', 1); "
                        "CREATE OR REPLACE TABLE marts.mart_kommun AS SELECT kommun_kod, count(DISTINCT person_id) "
                        "AS persons, sum(gross_sek) AS gross_sek FROM core.fct_person_months GROUP BY ALL")
        publish(warehouse)
        # The open connection still reads the old file, whole and consistent.
        assert old_reader.execute("SELECT persons FROM marts.mart_kommun").fetchall() == [(7,)]
        assert old_reader.execute("SELECT count(*) FROM reference.kommuner").fetchall() == [(290,)]
        # A new reader (another process: this one would be handed its open database) gets the new file.
        result = sql_cli(warehouse, "SELECT persons FROM marts.mart_kommun", "--csv")
        assert (result.returncode, result.stdout) == (0, "persons\n8\n"), result.stderr
    finally:
        old_reader.close()
    assert published(warehouse, "SELECT persons FROM marts.mart_kommun") == [(8,)]


def test_utfall_sql_prints_a_table_or_csv(warehouse):
    publish(warehouse)
    query = "SELECT kommun_kod, kommun_namn, lan_namn FROM reference.kommuner WHERE kommun_kod IN ('0180', '2584') ORDER BY 1"
    table = sql_cli(warehouse, query)
    assert table.returncode == 0, table.stderr
    assert re.search(r"kommun_kod\s*┃\s*kommun_namn\s*┃\s*lan_namn", table.stdout)
    assert re.search(r"0180\s*│\s*Stockholm\s*│\s*Stockholms län", table.stdout)
    assert re.search(r"2584\s*│\s*Kiruna\s*│\s*Norrbottens län", table.stdout)
    as_csv = sql_cli(warehouse, query, "--csv")
    assert as_csv.returncode == 0, as_csv.stderr
    assert as_csv.stdout == ("kommun_kod,kommun_namn,lan_namn\n"
                             "0180,Stockholm,Stockholms län\n2584,Kiruna,Norrbottens län\n")


def test_utfall_sql_without_a_published_file_says_to_build(home):
    result = sql_cli(home, "SELECT 1")
    assert result.returncode == 1
    assert "run `utfall build`" in " ".join(result.stderr.split())


@pytest.mark.parametrize("statement", [
    "CREATE TABLE marts.mine (x INT)",
    "INSERT INTO reference.kommuner (kommun_kod) VALUES ('9999')",
    "DROP TABLE marts.mart_kommun",
])
def test_utfall_sql_is_read_only(warehouse, statement):
    publish(warehouse)
    before = analyst_db_path(warehouse).read_bytes()
    result = sql_cli(warehouse, statement)
    assert result.returncode == 1
    assert "read-only" in " ".join(result.stderr.split())
    assert analyst_db_path(warehouse).read_bytes() == before


def test_utfall_sql_reports_a_bad_query(warehouse):
    publish(warehouse)
    result = sql_cli(warehouse, "SELECT nosuchcolumn FROM reference.kommuner")
    assert result.returncode == 1
    assert "nosuchcolumn" in result.stderr and "Traceback" not in result.stderr


# --- analysts read while `utfall load` and `utfall build` hold the warehouse -----------------------------

BIG_ROWS = 600_000


def write_lock_holder(path: Path) -> set[int]:
    """PIDs holding a write lock on the file, from the kernel's lock table (reading it takes no lock)."""
    st = path.stat()
    key = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    return {int(pid) for pid, file_id in re.findall(r"\bWRITE\s+(\d+)\s+(\S+)", Path("/proc/locks").read_text())
            if file_id == key}


def read_analyst_file(path: Path) -> tuple:
    """What an analyst's query sees, and whether every table holds what the manifest says."""
    with duckdb.connect(str(path), read_only=True) as con:
        kommuner = con.execute("SELECT count(*) FROM reference.kommuner").fetchone()[0]
        manifest = con.execute("SELECT table_name, row_count, published_at FROM manifest").fetchall()
        consistent = all(con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] == rows
                         for name, rows, _ in manifest)
    return kommuner, consistent, {at for _, _, at in manifest}


def read_while_running(command: list[str], paths: Paths) -> tuple[list[tuple], list[str]]:
    """Start the writer; query the analyst file again and again until it ends."""
    writer = subprocess.Popen(command, env=cli_env(paths), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
    reads, errors = [], []
    while writer.poll() is None:
        locked_before = writer.pid in write_lock_holder(paths.warehouse)
        try:
            seen = read_analyst_file(analyst_db_path(paths))
        except duckdb.Error as e:
            errors.append(str(e))
            continue
        # Counted as concurrent only when the writer held the warehouse for the whole read.
        reads.append((*seen, locked_before and writer.pid in write_lock_holder(paths.warehouse)))
    stderr = writer.communicate()[1]
    assert writer.returncode == 0, stderr[-3000:]
    return reads, errors


@pytest.mark.slow
def test_analysts_query_without_lock_errors_while_load_and_build_run(home):
    first = build_and_publish(home)
    assert first.published is not None, first.build.failures
    inbox = home.inbox / "fk_utbetalningar"
    inbox.mkdir(parents=True)
    duckdb.sql(f"""COPY (
        SELECT sha256('person-' || i::VARCHAR) AS person_id, '2024-01' AS manad,
               ['SJP', 'RHP', 'AKE', 'SJE', 'AKS'][1 + i % 5] AS formankod, [25, 50, 75, 100][1 + i % 4] AS omfattning,
               1 + i % 31 AS dagar, 1000 + i % 20000 AS belopp_sek, 300 + i % 6000 AS skatt_sek
        FROM range({BIG_ROWS}) t(i)
    ) TO '{inbox / "fk_utbetalningar_202401.csv"}' (HEADER, DELIMITER ';')""")

    started = time.monotonic()
    load_reads, load_errors = read_while_running([str(VENV_BIN / "utfall"), "load"], home)
    load_seconds = time.monotonic() - started
    started = time.monotonic()
    build_reads, build_errors = read_while_running([str(VENV_BIN / "utfall"), "build"], home)
    build_seconds = time.monotonic() - started

    assert (load_errors, build_errors) == ([], [])
    # Every read saw a whole published file: all 290 kommuner, every table as the manifest says.
    assert {(kommuner, consistent) for kommuner, consistent, _, _ in load_reads + build_reads} == {(290, True)}
    # The writers really held the warehouse while we read.
    during_load = sum(locked for *_, locked in load_reads)
    during_build = sum(locked for *_, locked in build_reads)
    print(f"\nload {load_seconds:.1f} s: {len(load_reads)} reads, {during_load} while it held the write lock; "
          f"build {build_seconds:.1f} s: {len(build_reads)} reads, {during_build} while it held the write lock")
    assert during_load >= 20 and during_build >= 20
    # The load publishes nothing; the build swapped in a new file, which readers saw (or the old one, whole).
    assert {at for *_, ats, _ in load_reads for at in ats} == {first.published.published_at}
    _, _, latest = read_analyst_file(analyst_db_path(home))
    assert latest != {first.published.published_at}
    assert {at for *_, ats, _ in build_reads for at in ats} <= {first.published.published_at, *latest}
    assert query(home, "SELECT count(*) FROM raw.fk_utbetalningar") == [(BIG_ROWS,)]
