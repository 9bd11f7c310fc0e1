"""Completeness level: are the deliveries the scope needs all there, current and whole?

Three kinds of check, all SQL over the ledger raw.loads (row counts per file are in it, so
nothing person-level is read, at any scale):
* months: every monthly feed has every month the year needs (see `dq.scope`);
* register: each förbund has a loaded snapshot of each register feed, and the newest is no
  older than `register_max_age_days` before the end of the latest delivered month;
* volume: no month of a monthly feed has `volume_drop_max_share` fewer rows than the median
  of the loaded months around it (`volume_neighbour_months` each side) and than the median
  of the same calendar month in the other delivered years — a silently truncated delivery.
  The second comparison keeps seasons from counting as truncation (few get studiemedel in
  July; the benchmark found it). Feeds or seasons so small that chance moves them that much
  (a median below `volume_min_median_rows`) are not judged.
Parameters come from seeds/parameters.csv.
"""

from __future__ import annotations

from datetime import date, timedelta

from utfall.db import connection
from utfall.db.config import Paths
from utfall.dq.gate_model import Measurement, Scope
from utfall.dq.scope import (MONTHLY_FEEDS, SNAPSHOT_FEEDS, expected_months, forbund_in_scope,
                             latest_delivered_month, month_label, month_ranges, months_between, period_day_sql,
                             period_month_sql)
from utfall.dq.timing import timed
from utfall.ingest.reference import parameter
from utfall.db.sql import literal

# The catalogue level these checks belong to (seeds/dq_checks.csv `level`)
LEVEL = "completeness"

MAX_EXAMPLES = 12

# SQL that DuckDB and PostgreSQL both run: the expected months are listed, not generated.
MISSING_MONTHS_SQL = """
SELECT CAST(expected.month AS DATE) AS missing_month
FROM (VALUES {months}) AS expected(month, period)
WHERE NOT EXISTS (
    SELECT 1 FROM raw.loads l
    WHERE l.feed = '{feed}' AND l.status = 'loaded' AND l.period = expected.period
)
ORDER BY 1
""".strip()

NEWEST_SNAPSHOT_SQL = f"""
SELECT max({period_day_sql()}) AS newest_extract
FROM raw.loads
WHERE feed = '{{feed}}' AND forbund_id = {{forbund}} AND status = 'loaded'
""".strip()

VOLUME_SQL = f"""
WITH months AS (
    SELECT {period_month_sql()} AS month, rows_loaded AS n
    FROM raw.loads
    WHERE feed = '{{feed}}' AND status = 'loaded' AND length(period) = 6
),
judged AS (
    SELECT m.month, m.n,
           (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY o.n) FROM months o
            WHERE o.month <> m.month
              AND o.month BETWEEN m.month - INTERVAL '{{k}} month' AND m.month + INTERVAL '{{k}} month')
               AS median_around,
           (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY o.n) FROM months o
            WHERE extract(month FROM o.month) = extract(month FROM m.month)
              AND extract(year FROM o.month) <> extract(year FROM m.month)) AS median_same_month
    FROM months m
    WHERE m.month BETWEEN DATE '{{first}}' AND DATE '{{last}}'
)
SELECT month, n, median_around, median_same_month,
       n < (1 - {{share}}) * median_around
       -- a season too small to judge (below min_rows in the other years) is not truncation
       AND (median_same_month IS NULL
            OR (median_same_month >= {{min_rows}} AND n < (1 - {{share}}) * median_same_month)) AS truncated
FROM judged
WHERE median_around >= {{min_rows}}
ORDER BY month
""".strip()


def measure(paths: Paths, scope: Scope) -> list[Measurement]:
    con = connection.connect_warehouse(paths, read_only=True)
    try:
        first, last = expected_months(con, scope)
        results = [_months(con, feed, first, last) for feed in MONTHLY_FEEDS]
        results += [_volume(con, feed, first, last) for feed in MONTHLY_FEEDS]
        latest = latest_delivered_month(con)
        reference_day = _month_end(latest) if latest else None
        max_age = int(parameter("register_max_age_days"))
        results += [_register(con, feed, fid, reference_day, max_age)
                    for feed in SNAPSHOT_FEEDS for fid in forbund_in_scope(con, scope)]
        return results
    finally:
        con.close()


def _months(con, feed: str, first: date, last: date) -> Measurement:
    expected = months_between(first, last)
    sql = MISSING_MONTHS_SQL.format(feed=feed, months=", ".join(f"('{m}', '{m:%Y%m}')" for m in expected))
    with timed() as t:
        rows = con.execute(sql).fetchall()
    missing = [r[0] for r in rows]
    return Measurement(
        check_id=f"completeness_months_{feed}", forbund_id=None, violated_rows=len(missing),
        denominator=len(expected),
        query=sql, examples=[f"saknas: {label}" for label in month_ranges(missing)][:MAX_EXAMPLES],
        started_at=t.started_at, duration_s=t.duration_s,
    )


def _volume(con, feed: str, first: date, last: date) -> Measurement:
    sql = VOLUME_SQL.format(
        feed=feed, first=first, last=last, k=int(parameter("volume_neighbour_months")),
        share=parameter("volume_drop_max_share"), min_rows=parameter("volume_min_median_rows"),
    )
    with timed() as t:
        rows = con.execute(sql).fetchall()
    truncated = [(month, n, around, same) for month, n, around, same, bad in rows if bad]
    return Measurement(
        check_id=f"completeness_volume_{feed}", forbund_id=None, violated_rows=len(truncated), denominator=len(rows),
        query=sql,
        examples=[f"{month_label(m)}: {n} rader, median för månaderna runt omkring {around:g}"
                  + ("" if same is None else f" och för samma månad andra år {same:g}")
                  for m, n, around, same in truncated][:MAX_EXAMPLES],
        not_applicable=not rows, started_at=t.started_at, duration_s=t.duration_s,
    )


def _register(con, feed: str, forbund_id: str, reference_day: date | None,
              max_age: int) -> Measurement:
    sql = NEWEST_SNAPSHOT_SQL.format(feed=feed, forbund=literal(forbund_id))
    with timed() as t:
        newest = con.execute(sql).fetchone()[0]
    examples = []
    if newest is None:
        examples.append(f"{forbund_id}: inget inläst registerutdrag för {feed}")
    elif reference_day is not None and (reference_day - newest).days > max_age:
        examples.append(f"{forbund_id}: nyaste utdraget {newest} är {(reference_day - newest).days} dagar äldre än "
                        f"{reference_day} (slutet av senast levererade månad; högst {max_age} dagar)")
    return Measurement(
        check_id=f"completeness_register_{feed}", forbund_id=forbund_id, violated_rows=len(examples), denominator=1,
        query=sql, examples=examples, started_at=t.started_at, duration_s=t.duration_s,
    )


def _month_end(month: date) -> date:
    following = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return following - timedelta(days=1)
