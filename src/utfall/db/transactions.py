"""One transaction helper for DuckDB and PostgreSQL connections (ours expose begin/commit/rollback)."""

from __future__ import annotations

import contextlib


@contextlib.contextmanager
def transaction(con):
    """The block in one transaction on `con`: committed when it ends, rolled back on any error
    (KeyboardInterrupt too: a killed load leaves nothing half-written)."""
    con.begin()
    try:
        yield con
        con.commit()
    except BaseException:
        con.rollback()
        raise
