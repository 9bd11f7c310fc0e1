"""The floor: SQL quoting and the one transaction helper, on a real DuckDB."""

from __future__ import annotations

import duckdb
import pytest

from utfall.db.sql import ident, literal
from utfall.db.transactions import transaction


def test_quoting_keeps_quotes_inside_names_and_text():
    con = duckdb.connect()
    name, text = 'odd "name', "Göteborg's 'bästa'"
    con.execute(f"CREATE TABLE t ({ident(name)} VARCHAR)")
    con.execute(f"INSERT INTO t VALUES ({literal(text)})")
    assert con.execute(f"SELECT {ident(name)} FROM t").fetchall() == [(text,)]
    assert [r[0] for r in con.execute("DESCRIBE t").fetchall()] == [name]


def test_a_transaction_commits_its_block_and_rolls_back_on_any_error():
    con = duckdb.connect()
    con.execute("CREATE TABLE t (x INTEGER)")
    with transaction(con):
        con.execute("INSERT INTO t VALUES (1)")
    for error in (ValueError, KeyboardInterrupt):
        with pytest.raises(error):
            with transaction(con):
                con.execute("INSERT INTO t VALUES (2)")
                raise error()
    assert con.execute("SELECT x FROM t").fetchall() == [(1,)]
