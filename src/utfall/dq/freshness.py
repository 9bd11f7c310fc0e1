"""Feed freshness: is each feed's latest delivery on time against its delivery agreement?

The one definition of freshness (dbt's source freshness is not configured), read from the
ledger raw.loads as of a given day:
* monthly feeds: month M is due by the DUE_DAY (20th) of month M + 1. With M the latest
  loaded month, M + 1 is next, due by the 20th of M + 2; overdue from the day after.
* register snapshots: each förbund renews its snapshot of the register within
  `register_max_age_days` (seeds/parameters.csv, the same age the gate's completeness level
  allows) of the newest loaded extract date; overdue from the day after.
* a feed never loaded has no agreed first month to measure from: shown as never delivered,
  not as overdue.
An empty month (a header-only file, loaded with 0 rows) is a delivery like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from utfall.ingest.contracts import DUE_DAY, FEEDS
from utfall.dq.scope import month_label, period_day_sql, period_month_sql
from utfall.ingest.reference import parameter


ON_TIME, OVERDUE, NEVER = "on time", "overdue", "never delivered"


@dataclass(frozen=True)
class Freshness:
    feed: str
    latest: str | None  # the latest loaded month (YYYY-MM) or extract date (YYYY-MM-DD)
    next_due: date | None  # when the next delivery is due (the earliest förbund's, for registers)
    status: str  # ON_TIME, OVERDUE or NEVER
    days_overdue: int
    detail: str  # what is expected by when; registers: which förbund are late

    @property
    def overdue(self) -> bool:
        return self.status == OVERDUE


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def monthly_due(month: date) -> date:
    """When the delivery of `month` is due: the DUE_DAY of the month after."""
    return add_months(month, 1).replace(day=DUE_DAY)


def feed_freshness(con, today: date) -> list[Freshness]:
    """Every feed's freshness on `today`, in contract order; `con` is a warehouse connection."""
    max_age = int(parameter("register_max_age_days"))
    return [_monthly(con, name, today) if feed.kind == "monthly" else _register(con, name, today, max_age)
            for name, feed in FEEDS.items()]


def _monthly(con, feed: str, today: date) -> Freshness:
    # Feed names come from the contracts, never from users.
    latest = con.execute(
        f"SELECT max({period_month_sql()}) FROM raw.loads WHERE feed = '{feed}' AND status = 'loaded'"
    ).fetchone()[0]
    if latest is None:
        return Freshness(feed, None, None, NEVER, 0, "no month loaded yet")
    expected = add_months(latest, 1)
    due = monthly_due(expected)
    late = (today - due).days
    return Freshness(feed, month_label(latest), due, OVERDUE if late > 0 else ON_TIME, max(late, 0),
                     f"{month_label(expected)} due by {due}")


def _register(con, feed: str, today: date, max_age: int) -> Freshness:
    rows = con.execute(
        f"SELECT forbund_id, max({period_day_sql()}) FROM raw.loads "
        f"WHERE feed = '{feed}' AND status = 'loaded' AND forbund_id IS NOT NULL GROUP BY forbund_id ORDER BY 1"
    ).fetchall()
    if not rows:
        return Freshness(feed, None, None, NEVER, 0, "no snapshot loaded yet")
    due = {forbund: newest + timedelta(days=max_age) for forbund, newest in rows}
    late = {forbund: (today - d).days for forbund, d in due.items() if (today - d).days > 0}
    oldest = min(newest for _, newest in rows)
    if late:
        detail = "late: " + ", ".join(f"{f} (due {due[f]})" for f in sorted(late))
    else:
        detail = f"each förbund within {max_age} days of its newest extract"
    return Freshness(feed, str(oldest), min(due.values()), OVERDUE if late else ON_TIME,
                     max(late.values(), default=0), detail)
