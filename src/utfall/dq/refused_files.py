"""Delivery level: files the loader refused (quarantined) that still matter for the scope.

The loader runs every rule of a feed's contract and its Great Expectations suite
(expectations/deliveries/<feed>.json) on each file before it loads; a file that breaks one
is quarantined and its ledger row says why. Here those refusals become results: per feed,
a refused file counts as long as no later file for the same month (monthly feeds) or a
same-or-newer snapshot of the same förbund (registers) has loaded since. Read from the
ledger only: nothing person-level is read.

Files that could not be identified at all (no feed folder, a name without a period) belong
to no scope; the months or snapshots they should have brought are missed by the
completeness level instead.
"""

from __future__ import annotations

from utfall.db import connection
from utfall.db.config import Paths
from utfall.ingest.contracts import FEEDS
from utfall.dq.gate_model import Measurement, Scope
from utfall.dq.scope import forbund_in_scope, month_label, window_end, window_start
from utfall.dq.timing import timed
from utfall.db.sql import literal

# The catalogue level these checks belong to (seeds/dq_checks.csv `level`)
LEVEL = "delivery"

MAX_EXAMPLES = 10

# A refused file is replaced by a later load of the same feed and period (a correction),
# or, for a register, by a loaded snapshot of the förbund with a newer extract date.
REFUSED_SQL = """
WITH seen AS (
    SELECT load_id, file_name, period, forbund_id, status, reason
    FROM raw.loads
    WHERE feed = {feed} AND {where}
)
SELECT
    (SELECT count(*) FROM seen) AS files_seen,
    count(*) AS refused_files,
    array_agg(q.file_name || ': ' || coalesce(q.reason, '') ORDER BY q.load_id) AS examples
FROM seen q
WHERE q.status = 'quarantined'
  AND NOT EXISTS (
      SELECT 1 FROM raw.loads r
      WHERE r.feed = {feed} AND r.status IN ('loaded', 'superseded') AND {replaced}
  )
"""




def monthly_query(feed: str, first: str, last: str) -> str:
    return REFUSED_SQL.format(
        feed=literal(feed),
        where=f"length(period) = 6 AND period BETWEEN {literal(first)} AND {literal(last)}",
        replaced="r.period = q.period AND r.load_id > q.load_id",
    ).strip()


def snapshot_query(feed: str, forbund_id: str) -> str:
    return REFUSED_SQL.format(
        feed=literal(feed),
        where=f"forbund_id = {literal(forbund_id)}",
        replaced="r.forbund_id = q.forbund_id AND (r.period > q.period OR (r.period = q.period AND r.load_id > q.load_id))",
    ).strip()


def measure(paths: Paths, scope: Scope) -> list[Measurement]:
    first = month_label(window_start(scope)).replace("-", "")
    last = month_label(window_end(scope)).replace("-", "")
    con = connection.connect_warehouse(paths, read_only=True)
    try:
        if not connection.table_exists(con, "raw", "loads"):
            raise RuntimeError("the warehouse has no ledger raw.loads: nothing has been loaded")
        forbund = forbund_in_scope(con, scope)
        work = [(f"delivery_refused_{name}", None, monthly_query(name, first, last))
                for name, feed in FEEDS.items() if feed.kind == "monthly"]
        work += [(f"delivery_refused_{name}", fid, snapshot_query(name, fid))
                 for name, feed in FEEDS.items() if feed.kind == "snapshot" for fid in forbund]
        results = []
        for check_id, forbund_id, sql in work:
            with timed() as t:
                seen, refused, examples = con.execute(sql).fetchone()
            results.append(Measurement(
                check_id=check_id, forbund_id=forbund_id, violated_rows=refused, denominator=seen, query=sql,
                examples=[e.splitlines()[0] for e in (examples or [])[:MAX_EXAMPLES]],
                not_applicable=seen == 0, started_at=t.started_at, duration_s=t.duration_s,
            ))
        return results
    finally:
        con.close()
