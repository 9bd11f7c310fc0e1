"""The pool every warehouse writer queues on, and the Assets that chain the DAGs (one definition each)."""

from __future__ import annotations

from airflow.sdk import Asset

from utfall.contracts import Feed

# One slot: DuckDB allows a single writer, so every task that writes the warehouse
# queues here instead of failing on the file lock.
WAREHOUSE_WRITER_POOL = "warehouse_writer"

MARTS_ASSET_NAME = "marts"
MARTS_ASSET_URI = "x-utfall://warehouse/marts"


def raw_asset(feed: Feed) -> Asset:
    """The Asset an ingest DAG updates and the warehouse build is scheduled on."""
    return Asset(name=f"raw.{feed.name}", uri=f"x-utfall://warehouse/raw/{feed.name}", group="utfall-raw")


def marts_asset() -> Asset:
    """The Asset the warehouse build updates once the analysts' copy is published."""
    return Asset(name=MARTS_ASSET_NAME, uri=MARTS_ASSET_URI)
