"""The warehouse an Airflow task uses: the DuckDB file under $UTFALL_HOME, or PostgreSQL through
the Airflow connection `utfall_warehouse` (UI, metadata DB, environment or a secrets backend
alike, resolved by Airflow's connection API). The CLI's side of the same choice is utfall.db.target."""

from __future__ import annotations

import logging
import os

from airflow.sdk import Connection, Variable
from airflow.sdk.exceptions import AirflowFailException, AirflowNotFoundException

from utfall.db.config import Paths, home_from_env
from utfall.db.target import (
    AIRFLOW_CONNECTION_ENV, CONNECTION_ID, WAREHOUSE_TYPE_ENV, WAREHOUSE_TYPE_VARIABLE, WAREHOUSE_URL_ENV,
    WarehouseSettingError, chosen_type, describe, url_from_fields,
)

log = logging.getLogger("utfall")


def task_paths() -> Paths:
    """Paths for code an Airflow task runs; a wrong warehouse setting fails the task without retry
    (a setting does not fix itself)."""
    try:
        paths = Paths(home_from_env(), airflow_postgres_dsn())
    except WarehouseSettingError as e:
        raise AirflowFailException(str(e)) from None
    log.info("Warehouse: %s", describe(paths.warehouse_dsn) if paths.warehouse_dsn else f"DuckDB {paths.warehouse}")
    return paths


def airflow_postgres_dsn() -> str | None:
    """The connection `utfall_warehouse` as a PostgreSQL URL when the warehouse is PostgreSQL,
    else None (DuckDB)."""
    setting, source = os.environ.get(WAREHOUSE_TYPE_ENV), WAREHOUSE_TYPE_ENV
    if not setting:
        setting = Variable.get(WAREHOUSE_TYPE_VARIABLE, default=None)
        source = f"the Airflow Variable {WAREHOUSE_TYPE_VARIABLE}"
    chosen = chosen_type(setting, source)
    if chosen == "duckdb":
        return None
    try:
        connection = Connection.get(CONNECTION_ID)
    except AirflowNotFoundException:
        where = (f"define the Airflow connection {CONNECTION_ID} (UI, `airflow connections add`, "
                 f"{AIRFLOW_CONNECTION_ENV} or a secrets backend)")
        if chosen == "postgresql":
            raise WarehouseSettingError(f"{source} is postgresql, but Airflow has no connection "
                                        f"{CONNECTION_ID}: {where}") from None
        if os.environ.get(WAREHOUSE_URL_ENV):
            raise WarehouseSettingError(f"{WAREHOUSE_URL_ENV} is set, but tasks under Airflow use the "
                                        f"connection {CONNECTION_ID}, which is not defined: {where}") from None
        return None
    return url_from_fields(connection.conn_type, connection.host, connection.port, connection.login,
                           connection.password, connection.schema, connection.extra_dejson,
                           f"the Airflow connection {CONNECTION_ID}")
