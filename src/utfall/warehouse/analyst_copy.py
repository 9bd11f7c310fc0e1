"""The analysts' copy of the warehouse: `$UTFALL_HOME/published/analyst.duckdb`.

DuckDB allows one writing process per file, and while it writes nobody else can open
the file, not even read-only. So analysts never query the warehouse itself: after each
successful build the person-free schemas are copied into a new file, which is then
renamed onto `analyst.duckdb`. A rename is atomic: a reader sees the old file or the new
one, never a half-written one, and a reader that has the old file open keeps reading it
(the old inode lives on until it is closed). Nobody ever writes `analyst.duckdb` in
place, so a load or a build never locks analysts out.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from utfall.db import connection
from utfall.ingest import ledger

from utfall.db import tiers
from utfall.db.config import Paths
from utfall.db.sql import ident, literal

log = logging.getLogger("utfall.warehouse.analyst_copy")

# Only these schemas are person-free by design: marts aggregate, reference holds code lists.
PUBLISHED_SCHEMAS = ("marts", "reference")
# A column of this name means row-level person data, which analysts never get.
PERSON_COLUMN = "person_id"


# What analysts see on the manifest in their tools, beside the descriptions dbt gives the rest.
MANIFEST_COMMENTS = {
    None: "What this file holds: every published table, its rows, and when and by which run it was published.",
    "table_name": "Published table, <schema>.<table>",
    "row_count": "Rows in the table when it was published",
    "published_at": "When this file was published (UTC)",
    "run_id": "The Airflow run that built and published it (empty when run by hand)",
}


class PublishRefused(RuntimeError):
    """A table meant for analysts holds person-level data; nothing was published."""


@dataclass(frozen=True)
class PublishResult:
    path: Path
    published_at: datetime
    tables: list[tuple[str, int]]  # ("<schema>.<table>", rows), in publishing order


def analyst_db_path(paths: Paths) -> Path:
    return paths.home / "published" / "analyst.duckdb"


def publish(paths: Paths, run_id: str | None = None, held: duckdb.DuckDBPyConnection | None = None) -> PublishResult:
    """Copy every table and view of PUBLISHED_SCHEMAS into a new analyst file, then swap it in.

    `held`: the warehouse connection a build still holds (`connection.holding_warehouse`), read
    through instead of opening the file again."""
    target = analyst_db_path(paths)
    target.parent.mkdir(parents=True, exist_ok=True)
    published_at = ledger.utc_now()
    tmp = target.parent / f".{target.name}.{secrets.token_hex(8)}.tmp"
    con = held or connection.connect(paths.warehouse, read_only=True)
    try:
        try:
            tables = _copy_into(con, tmp, published_at, run_id)
        finally:
            if held is None:
                con.close()  # the warehouse is free for the next writer as soon as possible
        _fsync(tmp)
        os.chmod(tmp, tiers.ANALYSTS.file_mode)  # analysts can open it the moment it is in place
        os.replace(tmp, target)
    except BaseException:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
        raise
    _fsync(target.parent)  # the rename itself survives a crash
    log.info("published %d tables to %s", len(tables), target)
    return PublishResult(target, published_at, tables)


def _copy_into(con: duckdb.DuckDBPyConnection, tmp: Path, published_at: datetime,
               run_id: str | None) -> list[tuple[str, int]]:
    tables = _tables_to_publish(con)  # refuses before anything is written
    con.execute(f"ATTACH {literal(str(tmp))} AS published (READ_WRITE)")
    for schema in sorted({s for s, _ in tables}):
        con.execute(f"CREATE SCHEMA published.{ident(schema)}")
    counts = []
    for schema, name in tables:
        source, copy = f"{ident(schema)}.{ident(name)}", f"published.{ident(schema)}.{ident(name)}"
        # Views become tables: the published file stands alone, without raw or staging.
        con.execute(f"CREATE TABLE {copy} AS SELECT * FROM {source}")
        _copy_comments(con, schema, name, copy)
        counts.append((f"{schema}.{name}", con.execute(f"SELECT count(*) FROM {copy}").fetchone()[0]))
    con.execute("CREATE TABLE published.main.manifest (table_name VARCHAR, row_count BIGINT, "
                "published_at TIMESTAMP, run_id VARCHAR)")
    _comment(con, "TABLE published.main.manifest", MANIFEST_COMMENTS[None])
    for column, text in MANIFEST_COMMENTS.items():
        if column:
            _comment(con, f"COLUMN published.main.manifest.{ident(column)}", text)
    con.executemany("INSERT INTO published.main.manifest VALUES (?, ?, ?, ?)",
                    [[name, rows, published_at, run_id] for name, rows in counts])
    # Everything into the file itself, no WAL beside it: only the file is renamed.
    con.execute("CHECKPOINT published")
    con.execute("DETACH published")
    return counts


def _copy_comments(con: duckdb.DuckDBPyConnection, schema: str, name: str, copy: str) -> None:
    """The descriptions dbt stored in the warehouse (persist_docs), onto the copy: a CTAS drops them."""
    [(table_comment,)] = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ? "
        "UNION ALL SELECT comment FROM duckdb_views() WHERE database_name = current_database() "
        "AND schema_name = ? AND view_name = ?", [schema, name, schema, name]).fetchall()
    _comment(con, f"TABLE {copy}", table_comment)
    for column, text in con.execute(
        "SELECT column_name, comment FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ? ORDER BY column_index", [schema, name]).fetchall():
        _comment(con, f"COLUMN {copy}.{ident(column)}", text)


def _comment(con: duckdb.DuckDBPyConnection, target: str, text: str | None) -> None:
    if text:
        con.execute(f"COMMENT ON {target} IS {literal(text)}")


# The analysts' sandbox: no file but the one opened (no ATTACH of the warehouse, no COPY TO,
# no read_csv, no extensions), and no SET or RESET to undo that.
ANALYST_CONFIG = {"enable_external_access": False, "lock_configuration": True}


class NotPublished(PublishRefused):
    """The file given to `utfall sql` is not a published analyst copy."""


def query_published(path: Path, sql: str) -> tuple[list[str], list[tuple]]:
    """Run one query on a published file, read-only and sandboxed (ANALYST_CONFIG): it cannot
    change the file, lock it, or reach any other file."""
    if not path.exists():
        raise FileNotFoundError(f"no published database at {path} yet: run `utfall build`")
    with duckdb.connect(str(path), read_only=True, config=ANALYST_CONFIG) as con:
        _require_published(con, path)
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        return columns, cursor.fetchall() if columns else []


def _require_published(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Refuse any file but a published copy (e.g. the warehouse given as --db): only the
    published schemas, a manifest, and no person column."""
    placeholders = ", ".join("?" for _ in PUBLISHED_SCHEMAS)
    foreign = con.execute(
        f"SELECT count(*) FROM information_schema.columns WHERE table_catalog = current_database() "
        f"AND (lower(column_name) = ? OR table_schema NOT IN ('main', {placeholders}))",
        [PERSON_COLUMN, *PUBLISHED_SCHEMAS]).fetchone()[0]
    manifest = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database() "
                           "AND table_schema = 'main' AND table_name = 'manifest'").fetchone()[0]
    if foreign or not manifest:
        raise NotPublished(f"{path} is not a published analyst copy (only {', '.join(PUBLISHED_SCHEMAS)} and a "
                           "manifest, person-free): `utfall sql` reads nothing else")


def _tables_to_publish(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Tables and views of the published schemas; refuses all of them if any holds person data."""
    schemas = list(PUBLISHED_SCHEMAS)
    placeholders = ", ".join("?" for _ in schemas)
    personal = con.execute(
        f"SELECT DISTINCT table_schema || '.' || table_name FROM information_schema.columns "
        f"WHERE table_catalog = current_database() AND table_schema IN ({placeholders}) "
        f"AND lower(column_name) = ? ORDER BY 1",
        [*schemas, PERSON_COLUMN],
    ).fetchall()
    if personal:
        raise PublishRefused(
            f"not published: {', '.join(r[0] for r in personal)} has a column {PERSON_COLUMN}; "
            f"the schemas {', '.join(PUBLISHED_SCHEMAS)} must be person-free (analysts get aggregates only)"
        )
    return con.execute(
        f"SELECT table_schema, table_name FROM information_schema.tables "
        f"WHERE table_catalog = current_database() AND table_schema IN ({placeholders}) ORDER BY 1, 2",
        schemas,
    ).fetchall()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


