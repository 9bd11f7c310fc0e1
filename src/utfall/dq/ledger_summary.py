"""What the ledger says, per feed: for `utfall ledger`, the demo and the DAG logs."""

from __future__ import annotations

from datetime import date

from rich.table import Table

from utfall.db import connection
from utfall.db.config import Paths
from utfall.dq.freshness import OVERDUE, feed_freshness
from utfall.db.target import describe

SUMMARY_SQL = """
SELECT feed,
       count(*) FILTER (WHERE status = 'loaded')      AS loaded,
       count(*) FILTER (WHERE status = 'superseded')  AS superseded,
       count(*) FILTER (WHERE status = 'duplicate')   AS duplicate,
       count(*) FILTER (WHERE status = 'quarantined') AS quarantined,
       coalesce(sum(rows_loaded) FILTER (WHERE status = 'loaded'), 0) AS current_rows,
       min(period) FILTER (WHERE status = 'loaded')   AS first_period,
       max(period) FILTER (WHERE status = 'loaded')   AS last_period
FROM raw.loads
GROUP BY feed
ORDER BY feed NULLS LAST
"""


def _period(period: str) -> str:
    return f"{period[:4]}-{period[4:6]}" + (f"-{period[6:]}" if len(period) == 8 else "")


def ledger_table(paths: Paths) -> Table:
    con = connection.connect_warehouse(paths, read_only=True)
    try:
        rows = con.execute(SUMMARY_SQL).fetchall()
    finally:
        con.close()
    where = describe(paths.warehouse_dsn) if paths.warehouse_dsn else paths.warehouse
    table = Table(title=f"Warehouse ledger ({where})")
    for name, justify in (("feed", "left"), ("loaded", "right"), ("superseded", "right"), ("duplicate", "right"),
                          ("quarantined", "right"), ("current rows", "right"), ("periods", "left")):
        table.add_column(name, justify=justify, no_wrap=name in ("feed", "periods"))
    for feed, loaded, superseded, duplicate, quarantined, current_rows, first, last in rows:
        periods = f"{_period(first)} – {_period(last)}" if first else ""
        table.add_row(feed or "(okänt flöde)", str(loaded), str(superseded), str(duplicate),
                      f"[red]{quarantined}[/red]" if quarantined else "0", f"{current_rows:,}", periods)
    return table


def freshness_table(paths: Paths, today: date) -> Table:
    """Per feed: the latest delivery and whether the next one is overdue (utfall.dq.freshness)."""
    con = connection.connect_warehouse(paths, read_only=True)
    try:
        rows = feed_freshness(con, today)
    finally:
        con.close()
    table = Table(title=f"Feed freshness on {today} (monthly: month M due by the 20th of M+1)")
    for name in ("feed", "latest delivery", "next due", "status", "what is expected"):
        table.add_column(name, no_wrap=name != "what is expected")
    for f in rows:
        status = f"[red]{f.status} {f.days_overdue} d[/red]" if f.status == OVERDUE else f.status
        table.add_row(f.feed, f.latest or "", str(f.next_due or ""), status, f.detail)
    return table
