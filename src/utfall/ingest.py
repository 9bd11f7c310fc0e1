"""What an ingest DAG's task does: load one feed's inbox, and fail visibly on quarantine.

Kept out of dags/ so that the DAG files stay wiring only and the logic is testable
without a scheduler.
"""

from __future__ import annotations

import logging

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
    paths = Paths.from_env()
    report = load(paths, feed_name)
    summary = {"files": len(report.outcomes), "rows_loaded": sum(o.rows_loaded for o in report.outcomes)}
    for status in ("loaded", "superseded", "duplicate", "quarantined"):
        summary[status] = sum(1 for o in report.outcomes if o.status == status)
    log.info("%s: %s", feed_name, ", ".join(f"{k} {v}" for k, v in summary.items()))
    if report.quarantined or report.unhandled:
        from airflow.sdk.exceptions import AirflowFailException  # no retry: the same file would fail again

        reasons = "\n".join(
            (o.stored_path.parent / f"{o.stored_path.name}.reason.txt").read_text(encoding="utf-8")
            for o in report.quarantined
        )
        stuck = "".join(f"\nleft in the inbox: {u}" for u in report.unhandled)
        raise AirflowFailException(
            f"{len(report.quarantined)} file(s) of {feed_name} quarantined, {len(report.unhandled)} left in the "
            f"inbox (the other {summary['files'] - len(report.quarantined)} were handled and committed).{stuck}\n"
            f"{reasons}"
        )
    return summary
