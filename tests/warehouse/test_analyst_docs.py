"""Descriptions where analysts look (issue 19): every published table and column carries its dbt
description as a database comment, in the published DuckDB file and in PostgreSQL; `utfall docs`
serves the dbt docs site."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import duckdb
import psycopg
import pytest

from tests.conftest import VENV_BIN, cli_env
from utfall.warehouse.analyst_copy import analyst_db_path
from utfall.warehouse.build_and_publish import build_and_publish

# From dbt/models/marts/analyst/_analyst__models.yml, word for word.
FLOWS_TABLE = "Flows, queue, waiting time and caseload per insats and month (domain brief §4"
FLOWS_YEAR = "Calendar year of the month"
# From dbt/models/docs/measures.md (the doc block month_start), rendered into the column.
MONTH_START = re.compile(r"^First day of the month")
URL = re.compile(r"Serving the dbt docs at (http://127\.0\.0\.1:\d+/)")


def test_the_published_duckdb_file_describes_every_table_and_column(home):
    result = build_and_publish(home)
    assert result.build.success, result.build.failures
    with duckdb.connect(str(analyst_db_path(home)), read_only=True) as con:
        [(table,)] = con.execute("SELECT comment FROM duckdb_tables() WHERE schema_name = 'marts' "
                                 "AND table_name = 'mart_flows_month'").fetchall()
        columns = dict(con.execute("SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = 'marts' "
                                   "AND table_name = 'mart_flows_month'").fetchall())
        uncommented = con.execute(
            "SELECT schema_name || '.' || table_name || '.' || column_name FROM duckdb_columns() "
            "WHERE database_name = current_database() AND coalesce(trim(comment), '') = '' ORDER BY 1").fetchall()
        tables = con.execute("SELECT schema_name || '.' || table_name, comment FROM duckdb_tables() "
                             "WHERE database_name = current_database() ORDER BY 1").fetchall()
    assert table.startswith(FLOWS_TABLE)
    assert columns["year"] == FLOWS_YEAR
    assert MONTH_START.match(columns["month_start"]) and "{{" not in columns["month_start"]
    assert uncommented == []
    assert len(tables) == 33  # 21 marts, 11 reference tables, the manifest
    assert [name for name, comment in tables if not (comment or "").strip()] == []
    assert dict(tables)["main.manifest"].startswith("What this file holds")


def test_postgresql_marts_and_reference_describe_every_table_and_column(postgres, tmp_path):
    from utfall.db.config import Paths

    paths = Paths(tmp_path / "home", postgres.create_database("wh_analyst_docs"))
    paths.inbox.mkdir(parents=True)
    result = build_and_publish(paths)
    assert result.build.success, result.build.failures
    with psycopg.connect(paths.warehouse_dsn) as con:
        table, year, month_start = con.execute(
            "SELECT obj_description('marts.mart_flows_month'::regclass, 'pg_class'), "
            "col_description('marts.mart_flows_month'::regclass, "
            "  (SELECT attnum FROM pg_attribute WHERE attrelid = 'marts.mart_flows_month'::regclass "
            "   AND attname = 'year')), "
            "col_description('marts.mart_flows_month'::regclass, "
            "  (SELECT attnum FROM pg_attribute WHERE attrelid = 'marts.mart_flows_month'::regclass "
            "   AND attname = 'month_start'))").fetchone()
        uncommented = con.execute(
            "SELECT c.table_schema || '.' || c.table_name || '.' || c.column_name FROM information_schema.columns c "
            "WHERE c.table_schema IN ('marts', 'reference') AND coalesce(trim(col_description("
            "  format('%I.%I', c.table_schema, c.table_name)::regclass, c.ordinal_position)), '') = '' "
            "ORDER BY 1").fetchall()
        tables = con.execute(
            "SELECT table_schema || '.' || table_name, obj_description(format('%I.%I', table_schema, table_name)"
            "::regclass, 'pg_class') FROM information_schema.tables WHERE table_schema IN ('marts', 'reference') "
            "ORDER BY 1").fetchall()
    assert table.startswith(FLOWS_TABLE)
    assert year == FLOWS_YEAR
    assert MONTH_START.match(month_start)
    assert uncommented == []
    assert len(tables) == 32  # 21 marts, 11 reference tables
    assert [name for name, comment in tables if not (comment or "").strip()] == []


def test_utfall_docs_generates_and_serves_the_site_until_stopped(home, tmp_path):
    env = cli_env(home)
    stderr = (tmp_path / "stderr").open("w")  # a file: a full pipe nobody reads would stall the server
    server = subprocess.Popen([str(VENV_BIN / "utfall"), "docs", "--no-browser", "--port", "0"], env=env,
                              stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        printed = []
        # dbt's log first; the address once the port is bound (EOF: it ended without serving)
        while (line := server.stdout.readline()) and not (match := URL.search(line)):
            printed.append(line)
        assert line, "".join(printed) + (tmp_path / "stderr").read_text()
        with urllib.request.urlopen(match.group(1), timeout=30) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "text/html; charset=utf-8"
            page = response.read().decode("utf-8")
        # the static page holds the manifest: the models and their descriptions are in it
        assert "mart_flows_month" in page and FLOWS_TABLE.split(" (")[0] in page
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(match.group(1) + "manifest.json", timeout=30)
        assert missing.value.code == 404  # only the page: the target folder is not browsable
    finally:
        server.send_signal(signal.SIGINT)
        code = server.wait(timeout=60)
        stderr.close()
    assert code == 0
    assert (home.home / "dbt" / "target" / "static_index.html").exists()

    # --no-serve says where the page is; a port already taken is a usage error
    written = subprocess.run([str(VENV_BIN / "utfall"), "docs", "--no-serve", "--no-generate"], env=env,
                             capture_output=True, text=True, timeout=120)
    assert written.returncode == 0 and "static_index.html" in written.stdout
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = subprocess.run([str(VENV_BIN / "utfall"), "docs", "--no-generate", "--no-browser", "--port",
                               str(taken.getsockname()[1])], env=env, capture_output=True, text=True, timeout=120)
    assert busy.returncode == 2 and "choose another --port" in busy.stderr


def test_utfall_docs_without_a_generated_site_and_no_generate_says_so(home):
    missing = subprocess.run([str(VENV_BIN / "utfall"), "docs", "--no-generate"], env=cli_env(home),
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 1 and "no documentation site" in missing.stderr


def test_utfall_docs_waits_while_a_writer_holds_the_duckdb_file(home, tmp_path):
    writer = duckdb.connect(str(home.warehouse))  # as a load or build would
    log = tmp_path / "stderr"
    with log.open("w") as stderr:
        docs = subprocess.Popen([str(VENV_BIN / "utfall"), "docs", "--no-serve"], env=cli_env(home),
                                stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            deadline = time.monotonic() + 120
            while "is locked by" not in log.read_text() and time.monotonic() < deadline and docs.poll() is None:
                time.sleep(0.5)
            assert "is locked by" in log.read_text() and docs.poll() is None
        finally:
            writer.close()
        assert docs.wait(timeout=600) == 0, log.read_text()
    assert (home.home / "dbt" / "target" / "static_index.html").exists()
