"""The pool every warehouse writer queues on, and the Assets that chain the DAGs (one definition each)."""

from __future__ import annotations

from airflow.sdk import Asset

from utfall.ingest.contracts import Feed
from utfall.orchestration.pools import WAREHOUSE_WRITER_POOL

__all__ = ["MARTS_ASSET_NAME", "MARTS_ASSET_URI", "WAREHOUSE_WRITER_POOL", "marts_asset", "raw_asset"]

MARTS_ASSET_NAME = "marts"
MARTS_ASSET_URI = "x-utfall://warehouse/marts"


def raw_asset(feed: Feed) -> Asset:
    """The Asset an ingest DAG updates and the warehouse build is scheduled on."""
    return Asset(name=f"raw.{feed.name}", uri=f"x-utfall://warehouse/raw/{feed.name}", group="utfall-raw")


def marts_asset() -> Asset:
    """The Asset the warehouse build updates once the analysts' copy is published."""
    return Asset(name=MARTS_ASSET_NAME, uri=MARTS_ASSET_URI)
