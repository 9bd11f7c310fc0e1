"""`make bench WAREHOUSE=postgres`: the same stages on a shared-PostgreSQL deployment.

The server is the tests' throwaway one (tests/support/postgres_server.py: initdb + pg_ctl on
a loopback port, fsync off), reused rather than copied. The warehouse database is set up as a
deployment sets it up: `utfall db init-roles` with a pipeline login, every stage running with
UTFALL_WAREHOUSE_URL as that login, analysts reading the marts as a login of utfall_analyst.

A copy to restart a stage from is a database made with `CREATE DATABASE … TEMPLATE …`, named
after the work folder it goes with (home, loaded, built, gated). The server's memory is the
peak sum of RSS over the postmaster and its children (backends, checkpointer, …); shared
buffers are counted in every process that touched them, so it is an upper bound.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import psutil
import psycopg

from tests.support.postgres_server import LocalPostgres, local_postgres
from utfall.db.sql import ident
from utfall.warehouse.roles import init_roles

PIPELINE_USER = "bench_pipeline"
ANALYST_USER = "bench_analyst"
DATABASE_PREFIX = "bench_"


class ServerMemory:
    """RSS of a PostgreSQL server's process tree: the postmaster and all its children."""

    def __init__(self, data: Path):
        # postmaster.pid's first line is the postmaster's pid while the server runs
        self.postmaster = psutil.Process(int((data / "postmaster.pid").read_text().splitlines()[0]))

    def processes(self) -> list[psutil.Process]:
        return [self.postmaster, *self.postmaster.children(recursive=True)]

    def rss_bytes(self) -> int:
        total = 0
        for process in self.processes():
            try:
                total += process.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):  # a backend that just ended
                pass
        return total


class BenchPostgres:
    """The benchmark's warehouse on a server of its own; one database per work folder."""

    def __init__(self, server: LocalPostgres):
        self.server = server
        self.memory = ServerMemory(server.data)

    def database(self, folder: str) -> str:
        return DATABASE_PREFIX + folder

    def pipeline_dsn(self, folder: str = "home") -> str:
        return self.server.dsn(self.database(folder), user=PIPELINE_USER)

    def analyst_dsn(self, folder: str = "home") -> str:
        return self.server.dsn(self.database(folder), user=ANALYST_USER)

    def admin_dsn(self, folder: str = "home") -> str:
        return self.server.dsn(self.database(folder))

    def _admin(self, *statements: str) -> None:
        with psycopg.connect(self.server.dsn(), autocommit=True) as con:
            for statement in statements:
                con.execute(statement)

    def fresh(self, folder: str = "home") -> None:
        """An empty warehouse database with the deployment's roles and schemas."""
        db = ident(self.database(folder))
        self._admin(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", f"CREATE DATABASE {db}")
        self._grant(folder)

    def copy(self, source: str, target: str) -> None:
        """The database of folder `target` becomes a copy of `source`'s (a file copy on the server)."""
        src, db = ident(self.database(source)), ident(self.database(target))
        self._admin(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", f"CREATE DATABASE {db} TEMPLATE {src}")
        # CONNECT on a database is the server's, not copied with it: init-roles grants it again
        self._grant(target)

    def _grant(self, folder: str) -> None:
        init_roles(self.admin_dsn(folder), pipeline_user=PIPELINE_USER)
        self._admin(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ANALYST_USER}') "
                    f"THEN CREATE ROLE {ident(ANALYST_USER)} LOGIN IN ROLE utfall_analyst; END IF; END $$")


@contextmanager
def bench_postgres() -> Iterator[BenchPostgres]:
    with local_postgres() as server:
        yield BenchPostgres(server)


def connect(dsn: str) -> psycopg.Connection:
    """A connection whose execute(sql).fetchall() reads as DuckDB's does (the bench's queries)."""
    return psycopg.connect(dsn, autocommit=True)
