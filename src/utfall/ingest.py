"""What the ingest DAGs' tasks do: load one feed's inbox and fail visibly (with an alert) on
quarantine; check that a feed's next delivery is not overdue (the feed_freshness DAG).

Kept out of dags/ so that the DAG files stay wiring only and the logic is testable
without a scheduler.
"""

from __future__ import annotations

import logging
from datetime import date

from utfall.config import Paths
from utfall.contracts import Feed
from utfall.loader import load

log = logging.getLogger("utfall.ingest")

# One slot: DuckDB allows a single writer, so every task that writes the warehouse
# queues here instead of failing on the file lock.
WAREHOUSE_WRITER_POOL = "warehouse_writer"


def raw_asset_name(feed: Feed) -> str:
    return f"raw.{feed.name}"


def raw_asset_uri(feed: Feed) -> str:
    return f"x-utfall://warehouse/raw/{feed.name}"


def raw_asset(feed: Feed):
    """The Asset an ingest DAG updates and the warehouse build is scheduled on (one definition)."""
    from airflow.sdk import Asset

    return Asset(name=raw_asset_name(feed), uri=raw_asset_uri(feed), group="utfall-raw")


def run_feed_load(feed_name: str) -> dict[str, int]:
    """Load the feed's new files. Good files are committed before a quarantine fails the task."""
    paths = Paths.for_airflow_task()
    report = load(paths, feed_name)
    summary = {"files": len(report.outcomes), "rows_loaded": sum(o.rows_loaded for o in report.outcomes)}
    for status in ("loaded", "superseded", "duplicate", "quarantined"):
        summary[status] = sum(1 for o in report.outcomes if o.status == status)
    log.info("%s: %s", feed_name, ", ".join(f"{k} {v}" for k, v in summary.items()))
    if report.quarantined or report.unhandled:
        from utfall.alerts import quarantine_alert
        from utfall.notify import AlertedFailure  # no retry: the same file would fail again

        reasons = "\n".join(
            (o.stored_path.parent / f"{o.stored_path.name}.reason.txt").read_text(encoding="utf-8")
            for o in report.quarantined
        )
        stuck = "".join(f"\nleft in the inbox: {u}" for u in report.unhandled)
        raise AlertedFailure(
            f"{len(report.quarantined)} file(s) of {feed_name} quarantined, {len(report.unhandled)} left in the "
            f"inbox (the other {summary['files'] - len(report.quarantined)} were handled and committed).{stuck}\n"
            f"{reasons}",
            quarantine_alert(feed_name, report.quarantined, summary["files"], report.unhandled),
        )
    return summary


def check_feed_freshness(feed_name: str, today: date) -> dict:
    """Fail, alerting the feed's recipients, when the feed's next delivery is overdue on `today`."""
    from utfall import ledger
    from utfall.alerts import freshness_alert
    from utfall.dq.freshness import feed_freshness

    paths = Paths.for_airflow_task()
    if not ledger.warehouse_exists(paths):
        log.info("no warehouse yet: nothing delivered, nothing overdue")
        return {"feed": feed_name, "status": "never delivered"}
    con = ledger.connect_warehouse(paths, read_only=True)
    try:
        [freshness] = [f for f in feed_freshness(con, today) if f.feed == feed_name]
    finally:
        con.close()
    log.info("%s on %s: %s (%s)", feed_name, today, freshness.status, freshness.detail)
    if freshness.overdue:
        from utfall.notify import AlertedFailure

        alert = freshness_alert(freshness)
        raise AlertedFailure(alert.text, alert)
    return {"feed": feed_name, "status": freshness.status, "next_due": str(freshness.next_due or "")}
