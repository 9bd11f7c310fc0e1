"""Quoting for SQL text built in Python (one definition): DuckDB and PostgreSQL quote alike.

Values a query can take as parameters are passed as parameters; these are for the places that
cannot (identifiers, DDL, COMMENT ON, ATTACH, a path in read_csv)."""

from __future__ import annotations


def ident(name: str) -> str:
    """A quoted identifier: "name", with any " doubled."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A quoted string literal: 'text', with any ' doubled."""
    return "'" + text.replace("'", "''") + "'"
