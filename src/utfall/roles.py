"""Who may read and write what in a shared PostgreSQL warehouse: `utfall db init-roles`.

Four group roles (NOLOGIN); people and services log in as their own users, made members:

    CREATE ROLE anna LOGIN PASSWORD '…' IN ROLE utfall_analyst;
    ALTER ROLE etl SET role = 'utfall_loader';   -- writers act as the group role, so the
                                                 -- default privileges below apply to what they create

Each schema has one role that creates its tables and the roles that may read them. Reading
is granted on the tables there now and, through default privileges, on every table the
creating role makes later. Nothing is granted to PUBLIC. Running it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from utfall.validation import q as _ident  # SQL identifier quoting, one definition

ROLES = {
    "utfall_loader": "loads deliveries: writes raw",
    "utfall_transform": "dbt, the gate and the evaluation: reads raw, writes every later layer",
    "utfall_analyst": "analysts: read the person-free marts, nothing else",
    "utfall_reporter": "reports: read the published evaluation tables, nothing else",
}


@dataclass(frozen=True)
class SchemaAccess:
    creator: str
    readers: tuple[str, ...] = ()


SCHEMAS = {
    "raw": SchemaAccess("utfall_loader", ("utfall_transform",)),
    "reference": SchemaAccess("utfall_transform"),
    "staging": SchemaAccess("utfall_transform"),
    "intermediate": SchemaAccess("utfall_transform"),
    "core": SchemaAccess("utfall_transform"),  # person-level: the engineers' tier
    "dq": SchemaAccess("utfall_transform"),
    "marts": SchemaAccess("utfall_transform", ("utfall_analyst",)),
    "published": SchemaAccess("utfall_transform", ("utfall_reporter",)),
}


def statements(database: str) -> list[str]:
    """The SQL, in order; every statement can run again."""
    sql: list[str] = []
    for role in ROLES:
        sql.append(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
                   f"THEN CREATE ROLE {_ident(role)} NOLOGIN; END IF; END $$")
        sql.append(f"COMMENT ON ROLE {_ident(role)} IS '{ROLES[role]}'")
    db = _ident(database)
    sql.append(f"REVOKE ALL ON DATABASE {db} FROM PUBLIC")
    sql.append(f"GRANT CONNECT ON DATABASE {db} TO {', '.join(_ident(r) for r in ROLES)}")
    sql.append("REVOKE ALL ON SCHEMA public FROM PUBLIC")
    for schema, access in SCHEMAS.items():
        s, creator = _ident(schema), _ident(access.creator)
        sql.append(f"CREATE SCHEMA IF NOT EXISTS {s} AUTHORIZATION {creator}")
        sql.append(f"ALTER SCHEMA {s} OWNER TO {creator}")
        sql.append(f"REVOKE ALL ON SCHEMA {s} FROM PUBLIC")
        for reader in access.readers:
            r = _ident(reader)
            sql.append(f"GRANT USAGE ON SCHEMA {s} TO {r}")
            sql.append(f"GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {r}")
            sql.append(f"ALTER DEFAULT PRIVILEGES FOR ROLE {creator} IN SCHEMA {s} GRANT SELECT ON TABLES TO {r}")
    return sql


def init_roles(dsn: str) -> list[str]:
    """Apply `statements` in one transaction as a role that may create roles; return them."""
    import psycopg

    with psycopg.connect(dsn) as con:
        database = con.info.dbname
        sql = statements(database)
        with con.transaction():
            for statement in sql:
                con.execute(statement)
    return sql
