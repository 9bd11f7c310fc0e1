"""Who may read and write what in a shared PostgreSQL warehouse: `utfall db init-roles`.

Four group roles (NOLOGIN); people and services log in as their own users, made members:

    CREATE ROLE anna LOGIN PASSWORD '…' IN ROLE utfall_analyst;

The pipeline's login (`--pipeline-user`) is a member of utfall_loader and utfall_transform,
and acts as one of them for each job (`utfall.db.target.act_as`: SET ROLE), so the default privileges below
apply to what it creates. Do not give it a default role (ALTER ROLE … SET role): it must be
able to switch.

Each schema has one role that creates its tables and the roles that may read them. Reading
is granted on the tables there now and, through default privileges, on every table the
creating role makes later. Nothing is granted to PUBLIC. Running it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from utfall.db.sql import ident

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
                   f"THEN CREATE ROLE {ident(role)} NOLOGIN; END IF; END $$")
        sql.append(f"COMMENT ON ROLE {ident(role)} IS '{ROLES[role]}'")
    db = ident(database)
    sql.append(f"REVOKE ALL ON DATABASE {db} FROM PUBLIC")
    sql.append(f"GRANT CONNECT ON DATABASE {db} TO {', '.join(ident(r) for r in ROLES)}")
    # dbt's incremental models on PostgreSQL stage the new rows in a temporary table; only dbt
    # needs one (the REVOKE above took TEMPORARY from PUBLIC)
    sql.append(f"GRANT TEMPORARY ON DATABASE {db} TO utfall_transform")
    sql.append("REVOKE ALL ON SCHEMA public FROM PUBLIC")
    for schema, access in SCHEMAS.items():
        s, creator = ident(schema), ident(access.creator)
        sql.append(f"CREATE SCHEMA IF NOT EXISTS {s} AUTHORIZATION {creator}")
        sql.append(f"ALTER SCHEMA {s} OWNER TO {creator}")
        sql.append(f"REVOKE ALL ON SCHEMA {s} FROM PUBLIC")
        for reader in access.readers:
            r = ident(reader)
            sql.append(f"GRANT USAGE ON SCHEMA {s} TO {r}")
            sql.append(f"GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {r}")
            sql.append(f"ALTER DEFAULT PRIVILEGES FOR ROLE {creator} IN SCHEMA {s} GRANT SELECT ON TABLES TO {r}")
    return sql


# The roles the pipeline acts as: the loader writes raw as one, dbt and the gate write the rest
# as the other, so that what each creates gets the readers of its schema (default privileges).
PIPELINE_ROLES = ("utfall_loader", "utfall_transform")


def pipeline_user_statements(user: str) -> list[str]:
    """A login user for the pipeline (Airflow's connection), member of both pipeline roles."""
    return [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{user}') "
        f"THEN CREATE ROLE {ident(user)} LOGIN; END IF; END $$",
        f"GRANT {', '.join(ident(r) for r in PIPELINE_ROLES)} TO {ident(user)}",
    ]


def init_roles(dsn: str, pipeline_user: str | None = None, pipeline_password: str | None = None) -> None:
    """Apply `statements` (and the pipeline user's) in one transaction, as a role that may
    create roles."""
    import psycopg
    from psycopg import sql as pgsql

    with psycopg.connect(dsn) as con:
        statements_to_run = statements(con.info.dbname)
        if pipeline_user:
            statements_to_run += pipeline_user_statements(pipeline_user)
        with con.transaction():
            for statement in statements_to_run:
                con.execute(statement)
            if pipeline_user and pipeline_password:
                # hashed here (SCRAM), so the plain password never reaches the server's logs
                hashed = con.pgconn.encrypt_password(pipeline_password.encode(), pipeline_user.encode(),
                                                     b"scram-sha-256").decode()
                con.execute(pgsql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    pgsql.Identifier(pipeline_user), pgsql.Literal(hashed)))
