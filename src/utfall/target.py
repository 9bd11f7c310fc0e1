"""Which warehouse a run uses: the embedded DuckDB file under $UTFALL_HOME (the default) or a
shared PostgreSQL database, named by `UTFALL_WAREHOUSE=postgresql://user:password@host:port/db`.

On PostgreSQL the loader still reads and checks each file with DuckDB (in memory), then writes
the rows to raw with COPY in the transaction that records the load; dbt runs the same project
with its `postgres` target.
"""

from __future__ import annotations

import os
import re

import psycopg
from psycopg.conninfo import conninfo_to_dict

WAREHOUSE_ENV = "UTFALL_WAREHOUSE"
_PLACEHOLDER = re.compile(r"\?")
# One loader at a time, as DuckDB's single writer gives it: a session lock every loader takes.
LOADER_LOCK_KEY = 7_302_001


# Under Airflow the warehouse is the connection `utfall_warehouse` (docker-compose.yml sets
# it through Airflow's environment-variable convention, a URI).
AIRFLOW_CONNECTION_ENV = "AIRFLOW_CONN_UTFALL_WAREHOUSE"


def postgres_dsn(value: str | None = None) -> str | None:
    """The PostgreSQL DSN when the warehouse is PostgreSQL, else None (DuckDB)."""
    if value is None:
        value = os.environ.get(WAREHOUSE_ENV) or os.environ.get(AIRFLOW_CONNECTION_ENV, "")
    if value.startswith(("postgresql://", "postgres://")):
        return value
    if value:
        raise ValueError(f"{WAREHOUSE_ENV} must be a postgresql:// URL (or unset for DuckDB), not {value!r}")
    return None


def dbt_environment(dsn: str) -> dict[str, str]:
    """The variables dbt's `postgres` output reads (dbt/profiles.yml), from a DSN; dbt acts as
    utfall_transform when the login user is a member of it."""
    from utfall.roles import act_as

    parts = conninfo_to_dict(dsn)
    with psycopg.connect(dsn) as con:
        role = act_as(con, "utfall_transform")
    return {
        "UTFALL_PG_ROLE": role,
        "UTFALL_PG_HOST": str(parts.get("host", "localhost")),
        "UTFALL_PG_PORT": str(parts.get("port", "5432")),
        "UTFALL_PG_USER": str(parts.get("user", os.environ.get("USER", "postgres"))),
        "UTFALL_PG_PASSWORD": str(parts.get("password", "")),
        "UTFALL_PG_DATABASE": str(parts.get("dbname", "postgres")),
    }


class PostgresConnection:
    """The few DuckDB connection methods the ledger and loader use, on PostgreSQL.

    `?` placeholders become psycopg's `%s`; transactions are explicit (begin, commit,
    rollback), as on DuckDB.
    """

    def __init__(self, dsn: str):
        self._con = psycopg.connect(dsn, autocommit=True)

    def execute(self, sql: str, params: list | tuple | None = None) -> psycopg.Cursor:
        cursor = self._con.cursor()
        if params is None:
            cursor.execute(sql)
        else:
            cursor.execute(_PLACEHOLDER.sub("%s", sql.replace("%", "%%")), params)
        return cursor

    def begin(self) -> None:
        self._con.execute("BEGIN")

    def commit(self) -> None:
        self._con.execute("COMMIT")

    def rollback(self) -> None:
        self._con.execute("ROLLBACK")

    def start_loading(self) -> None:
        """Act as utfall_loader where the roles exist, and wait until no other loader writes
        raw (the lock is released when this connection closes)."""
        from utfall.roles import act_as

        act_as(self._con, "utfall_loader")
        self._con.execute("SELECT pg_advisory_lock(%s)", [LOADER_LOCK_KEY])

    def copy_rows(self, table: str, columns: list[str], batches) -> None:
        """Write rows (an iterable of row batches) into `table` with COPY, inside the open transaction."""
        with self._con.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for batch in batches:
                for row in batch:
                    copy.write_row(row)

    def close(self) -> None:
        self._con.close()
