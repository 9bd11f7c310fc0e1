"""What a gate scope covers: which förbund, and which months of the monthly feeds.

One definition for every level:
* förbund: the one asked for, or every förbund with data (`forbund_with_data`: a loaded
  snapshot of any of the four register feeds, so that a förbund missing its deltagare snapshot
  is still seen; the gate, waivers and the evaluation share this definition);
* months: every month the year's exit cohorts read (utfall/dq/cohorts.py: the exits of the year
  and of the two years before), from 12 months before the earliest inskrivning among them to
  the cut-off, December of the year. No month after the cut-off is needed: the evaluation
  of a year holds what was known at its end. Months before every monthly feed had begun
  are not expected (an episode that began before the data has no complete before window,
  which is no gap); a missing month after that is a gap, and named.
"""

from __future__ import annotations

from datetime import date

import duckdb

from utfall.db import connection
from utfall.dq.cohorts import OLDEST_COHORT_YEARS_BACK
from utfall.ingest.contracts import FEEDS
from utfall.dq.gate_model import Scope

MONTHLY_FEEDS = tuple(name for name, feed in FEEDS.items() if feed.kind == "monthly")
SNAPSHOT_FEEDS = tuple(name for name, feed in FEEDS.items() if feed.kind == "snapshot")
FOLLOW_UP_YEARS = 2
BEFORE_WINDOW_YEARS = 1


def period_month_sql(column: str = "period") -> str:
    """A ledger period YYYYMM(DD) as the date of its first day, in SQL both DuckDB and
    PostgreSQL read the same way (as stg_ledger__loads does)."""
    return f"CAST(substr({column}, 1, 4) || '-' || substr({column}, 5, 2) || '-01' AS DATE)"


def period_day_sql(column: str = "period") -> str:
    """A register extract date YYYYMMDD as a date (DuckDB and PostgreSQL alike)."""
    return f"CAST(substr({column}, 1, 4) || '-' || substr({column}, 5, 2) || '-' || substr({column}, 7, 2) AS DATE)"


def months_between(first: date, last: date) -> list[date]:
    """Every month from first to last (first days), both included."""
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def sql_list(names: tuple[str, ...]) -> str:
    """Feed names as a SQL list literal (they come from the contracts, never from users)."""
    return "(" + ", ".join(f"'{n}'" for n in names) + ")"


def forbund_with_data(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The one definition of "a förbund with data", for the gate, waivers and the evaluation:
    every förbund with a current (loaded) snapshot of any register feed. A register refused into
    quarantine is no data: a förbund known only from refused files can be neither gated nor
    evaluated. [] before any load."""
    if not connection.table_exists(con, "raw", "loads"):
        return []
    return [r[0] for r in con.execute(
        f"SELECT DISTINCT forbund_id FROM raw.loads WHERE status = 'loaded' AND forbund_id IS NOT NULL "
        f"AND feed IN {sql_list(SNAPSHOT_FEEDS)} ORDER BY 1"
    ).fetchall()]


def forbund_in_scope(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[str]:
    return [scope.forbund_id] if scope.forbund_id else forbund_with_data(con)


def window_start(scope: Scope) -> date:
    return date(scope.year - BEFORE_WINDOW_YEARS, 1, 1)


def window_end(scope: Scope) -> date:
    """The last month the scope could ever need (first day of that month)."""
    return date(scope.year + FOLLOW_UP_YEARS, 12, 1)


def latest_delivered_month(con: duckdb.DuckDBPyConnection) -> date | None:
    """The latest month any monthly feed has loaded (first day of the month)."""
    return con.execute(
        f"SELECT max({period_month_sql()}) FROM raw.loads "
        f"WHERE status = 'loaded' AND feed IN {sql_list(MONTHLY_FEEDS)}"
    ).fetchone()[0]


def expected_months(con: duckdb.DuckDBPyConnection, scope: Scope) -> tuple[date, date]:
    """(first, last) month every monthly feed must have loaded for the scope: from 12 months
    before the earliest inskrivning of the year's exit cohorts (not before every monthly feed
    had begun) to the cut-off."""
    cutoff = date(scope.year, 12, 1)
    earliest = _earliest_cohort_entry(con, scope)
    first = window_start(scope) if earliest is None else _months_before(earliest, 12)
    all_begun = _all_feeds_begun(con)
    if all_begun is not None:
        first = max(first, all_begun)
    return min(first, cutoff), cutoff


def _months_before(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


def _earliest_cohort_entry(con: duckdb.DuckDBPyConnection, scope: Scope) -> date | None:
    """The first inskrivning month among the episodes ending in the year or the cohort years
    before it (an aggregate of the built core table; None before a build)."""
    if not connection.table_exists(con, "core", "fct_episodes"):
        return None
    where, params = "exit_year BETWEEN ? AND ?", [scope.year - OLDEST_COHORT_YEARS_BACK, scope.year]
    if scope.forbund_id:
        where, params = where + " AND forbund_id = ?", [*params, scope.forbund_id]
    entered = con.execute(f"SELECT min(entered_on) FROM core.fct_episodes WHERE {where}", params).fetchone()[0]
    return None if entered is None else date(entered.year, entered.month, 1)


def _all_feeds_begun(con: duckdb.DuckDBPyConnection) -> date | None:
    """The month by which every monthly feed that has delivered at all had its first month."""
    return con.execute(
        f"SELECT max(first_month) FROM (SELECT min({period_month_sql()}) AS first_month FROM raw.loads "
        f"WHERE status = 'loaded' AND feed IN {sql_list(MONTHLY_FEEDS)} GROUP BY feed) AS feeds"
    ).fetchone()[0]


def month_label(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def month_ranges(months: list[date]) -> list[str]:
    """Sorted months as compact labels: ['2023-06', '2024-01–2024-03']."""
    labels: list[str] = []
    run: list[date] = []
    for m in sorted(months):
        if run and (m.year * 12 + m.month) - (run[-1].year * 12 + run[-1].month) == 1:
            run.append(m)
            continue
        if run:
            labels.append(_run_label(run))
        run = [m]
    if run:
        labels.append(_run_label(run))
    return labels


def _run_label(run: list[date]) -> str:
    return month_label(run[0]) if len(run) == 1 else f"{month_label(run[0])}–{month_label(run[-1])}"


def latest_complete_year(con: duckdb.DuckDBPyConnection) -> int | None:
    """The latest year whose December some monthly feed has loaded (the next year to evaluate)."""
    latest = latest_delivered_month(con)
    if latest is None:
        return None
    return latest.year if latest.month == 12 else latest.year - 1
