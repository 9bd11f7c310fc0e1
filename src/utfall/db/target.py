"""Which warehouse a run uses: the embedded DuckDB file under $UTFALL_HOME (the default) or a
shared PostgreSQL database.

PostgreSQL is selected by its connection being there, or demanded by
`UTFALL_WAREHOUSE_TYPE=postgresql` (under Airflow also the Variable `utfall_warehouse_type`);
demanded but not resolvable is an error naming what is missing, never a silent DuckDB.
- The CLI (`postgres_dsn`): `UTFALL_WAREHOUSE_URL=postgresql://user:password@host:port/db`, else
  `AIRFLOW_CONN_UTFALL_WAREHOUSE` in Airflow's URI or JSON form.
- Airflow tasks (`utfall.orchestration.warehouse_connection`): the Airflow connection `utfall_warehouse`, resolved by
  Airflow's connection API, so the UI, the metadata DB, the environment and a secrets backend
  all work alike. Airflow is imported there only: the library itself never needs it.

On PostgreSQL the loader still reads and checks each file with DuckDB (in memory), then writes
the rows to raw with COPY in the transaction that records the load; dbt runs the same project
with its `postgres` target.
"""

from __future__ import annotations

import json
import os
import re
from urllib.parse import quote, urlencode

import psycopg
from psycopg.conninfo import conninfo_to_dict

from utfall.db.sql import ident

WAREHOUSE_TYPE_ENV = "UTFALL_WAREHOUSE_TYPE"
WAREHOUSE_TYPE_VARIABLE = "utfall_warehouse_type"
WAREHOUSE_TYPES = ("duckdb", "postgresql")
WAREHOUSE_URL_ENV = "UTFALL_WAREHOUSE_URL"
CONNECTION_ID = "utfall_warehouse"
# Airflow's environment form of that connection (docker-compose.yml sets it, a URI)
AIRFLOW_CONNECTION_ENV = "AIRFLOW_CONN_UTFALL_WAREHOUSE"
# The setting's name before UTFALL_WAREHOUSE_URL: refused, so an old setting never means DuckDB
RENAMED_URL_ENV = "UTFALL_WAREHOUSE"
_URL_SCHEMES = ("postgresql://", "postgres://")
_PLACEHOLDER = re.compile(r"\?")
# One loader at a time, as DuckDB's single writer gives it: a session lock every loader takes.
LOADER_LOCK_KEY = 7_302_001


class WarehouseSettingError(ValueError):
    """The warehouse settings name no usable warehouse. The message names the setting, never
    its value: a DSN may hold a password."""


def postgres_dsn() -> str | None:
    """Outside Airflow (the CLI): the PostgreSQL URL when the warehouse is PostgreSQL, else None (DuckDB)."""
    chosen = chosen_type(os.environ.get(WAREHOUSE_TYPE_ENV), WAREHOUSE_TYPE_ENV)
    if chosen == "duckdb":
        return None
    if os.environ.get(WAREHOUSE_URL_ENV):
        return _checked_url(os.environ[WAREHOUSE_URL_ENV], WAREHOUSE_URL_ENV)
    if os.environ.get(AIRFLOW_CONNECTION_ENV):
        return _url_from_airflow_form(os.environ[AIRFLOW_CONNECTION_ENV])
    if chosen == "postgresql":
        raise WarehouseSettingError(
            f"{WAREHOUSE_TYPE_ENV}=postgresql, but no connection to it: set {WAREHOUSE_URL_ENV}="
            f"postgresql://user:password@host:port/database (or {AIRFLOW_CONNECTION_ENV}, URI or JSON)")
    return None


def chosen_type(value: str | None, source: str) -> str | None:
    """duckdb, postgresql, or None when nothing demands either; a renamed setting is refused."""
    if os.environ.get(RENAMED_URL_ENV):
        raise WarehouseSettingError(f"{RENAMED_URL_ENV} was renamed: set {WAREHOUSE_URL_ENV} instead")
    if not value:
        return None
    if value.strip().lower() not in WAREHOUSE_TYPES:
        raise WarehouseSettingError(f"{source} must be one of {', '.join(WAREHOUSE_TYPES)}; it is {value!r}")
    return value.strip().lower()


def _checked_url(value: str, source: str) -> str:
    if value.startswith(_URL_SCHEMES):
        return value
    # the value is not repeated: it may hold a password
    scheme = value.split("://", 1)[0] if "://" in value else "no URL"
    raise WarehouseSettingError(f"{source} must be a postgresql:// URL, or unset for DuckDB; it is {scheme}")


def _url_from_airflow_form(value: str) -> str:
    """AIRFLOW_CONN_UTFALL_WAREHOUSE read without Airflow: a URI, or Airflow's JSON form."""
    if not value.lstrip().startswith("{"):
        return _checked_url(value, AIRFLOW_CONNECTION_ENV)
    try:
        fields = json.loads(value)
        extra = fields.get("extra") or {} if isinstance(fields, dict) else None
        extra = json.loads(extra) if isinstance(extra, str) else extra  # Airflow accepts both
    except json.JSONDecodeError as e:
        raise WarehouseSettingError(f"{AIRFLOW_CONNECTION_ENV} is not valid JSON (column {e.colno}: {e.msg})") from None
    if not isinstance(fields, dict) or not isinstance(extra, dict):
        raise WarehouseSettingError(f"{AIRFLOW_CONNECTION_ENV} must be a JSON object with an object as its extra")
    return url_from_fields(fields.get("conn_type"), fields.get("host"), fields.get("port"), fields.get("login"),
                            fields.get("password"), fields.get("schema"), extra, AIRFLOW_CONNECTION_ENV)


def _libpq_keywords() -> set[str]:
    return {option.keyword.decode() for option in psycopg.pq.Conninfo.get_defaults()}


def url_from_fields(conn_type, host, port, login, password, schema, extra: dict, source: str) -> str:
    """A postgresql:// URL (libpq, dbt and SQLAlchemy all read it) from a connection's fields.
    Extras libpq knows (sslmode, sslrootcert, connect_timeout, …) go along; Airflow-only ones
    (cursor, iam, …) do not."""
    if conn_type not in ("postgres", "postgresql"):
        raise WarehouseSettingError(f"{source} must be of type postgres; it is {conn_type or 'untyped'}")
    if not host:
        raise WarehouseSettingError(f"{source} has no host")
    credentials = quote(login or "", safe="") + (":" + quote(password, safe="") if password else "")
    server = f"[{host}]" if ":" in host else host
    options = {k: v for k, v in (extra or {}).items()
               if k in _libpq_keywords() - {"host", "port", "user", "password", "dbname"}}
    return (f"postgresql://{credentials + '@' if credentials else ''}{server}{f':{port}' if port else ''}"
            f"/{quote(schema or '', safe='')}{'?' + urlencode(options) if options else ''}")


def describe(dsn: str) -> str:
    """The warehouse for messages: server and database, never the password."""
    parts = conninfo_to_dict(dsn)
    return f"PostgreSQL {parts.get('host', 'localhost')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"


def dbt_profile_variables(dsn: str) -> dict[str, str]:
    """The variables dbt's `postgres` output reads (dbt/profiles.yml), from a DSN; dbt acts as
    utfall_transform when the login user is a member of it."""
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


def act_as(con, role: str) -> str:
    """SET ROLE `role` when the login user was made a member of it (a deployment with roles),
    else stay the login user (a warehouse without them); return the role acted as. Roles are
    shared by every database of a server, and a superuser counts as a member of all of them,
    so only a granted membership counts."""
    member = con.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
        "WHERE r.rolname = %s AND m.member = (SELECT oid FROM pg_roles WHERE rolname = current_user))",
        [role]).fetchone()[0]
    if member:
        con.execute(f"SET ROLE {ident(role)}")
        return role
    return con.execute("SELECT current_user").fetchone()[0]

