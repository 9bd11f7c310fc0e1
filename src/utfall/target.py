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


def postgres_dsn() -> str | None:
    """The PostgreSQL DSN when the warehouse is PostgreSQL, else None (DuckDB)."""
    value = os.environ.get(WAREHOUSE_ENV) or os.environ.get(AIRFLOW_CONNECTION_ENV, "")
    if value.startswith(("postgresql://", "postgres://")):
        return value
    if value:
        # the value is not repeated: it may hold a password
        scheme = value.split("://", 1)[0] if "://" in value else "no URL"
        raise ValueError(f"{WAREHOUSE_ENV} (or the Airflow connection utfall_warehouse) must be a postgresql:// "
                         f"URL, or unset for DuckDB; it is {scheme}")
    return None


def describe(dsn: str) -> str:
    """The warehouse for messages: server and database, never the password."""
    parts = conninfo_to_dict(dsn)
    return f"PostgreSQL {parts.get('host', 'localhost')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"


def dbt_profile_variables(dsn: str) -> dict[str, str]:
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
        "UTFALL_PG_SSLMODE": str(parts.get("sslmode", "prefer")),
    }


# PostgreSQL type OIDs whose values DuckDB's `.df()` gives as float64 and datetime64
_NUMERIC_OID, _DATE_OIDS = 1700, (1082, 1114)


class _Cursor(psycopg.Cursor):
    """A cursor that also gives its result as a pandas DataFrame with the dtypes DuckDB's
    `.df()` gives (decimals as floats, dates as datetime64), so report code reads both alike."""

    def df(self):
        import pandas as pd

        columns = self.description or []
        frame = pd.DataFrame(self.fetchall(), columns=[c.name for c in columns])
        for column in columns:
            if column.type_code == _NUMERIC_OID:
                frame[column.name] = frame[column.name].astype("float64")
            elif column.type_code in _DATE_OIDS:
                frame[column.name] = pd.to_datetime(frame[column.name])
        return frame


def _placeholders(sql: str) -> str:
    return _PLACEHOLDER.sub("%s", sql.replace("%", "%%"))


class PostgresConnection:
    """The few DuckDB connection methods the ledger, loader and gate use, on PostgreSQL.

    `?` placeholders become psycopg's `%s`; transactions are explicit (begin, commit,
    rollback), as on DuckDB. With `role`, it acts as that role where the login user is a
    member of it (a deployment made by `utfall db init-roles`).
    """

    def __init__(self, dsn: str, role: str | None = None):
        from utfall.roles import act_as

        self._con = psycopg.connect(dsn, autocommit=True, cursor_factory=_Cursor)
        if role:
            act_as(self._con, role)

    def execute(self, sql: str, params: list | tuple | None = None) -> _Cursor:
        cursor = self._con.cursor()
        if params is None:
            cursor.execute(sql)
        else:
            cursor.execute(_placeholders(sql), params)
        return cursor

    def executemany(self, sql: str, rows: list) -> None:
        self._con.cursor().executemany(_placeholders(sql), rows)

    def begin(self) -> None:
        self._con.execute("BEGIN")

    def commit(self) -> None:
        self._con.execute("COMMIT")

    def rollback(self) -> None:
        self._con.execute("ROLLBACK")

    def wait_for_other_loaders(self) -> None:
        """Until no other loader writes raw (the lock is released when this connection closes)."""
        self._con.execute("SELECT pg_advisory_lock(%s)", [LOADER_LOCK_KEY])

    def copy_rows(self, table: str, columns: list[str], batches) -> None:
        """Write rows (an iterable of row batches) into `table` with COPY, inside the open transaction."""
        with self._con.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for batch in batches:
                for row in batch:
                    copy.write_row(row)

    def close(self) -> None:
        self._con.close()
