"""Build the warehouse, then publish the analysts' copy: `utfall build` and the `build_warehouse` DAG.

Publishing happens only after a fully successful build, so analysts keep the last good
published file while a build with failing tests waits for a fix.
"""

from __future__ import annotations

from dataclasses import dataclass

from utfall.db import connection
from utfall.warehouse.dbt_build import BuildResult, build
from utfall.db import tiers
from utfall.db.config import Paths
from utfall.warehouse.analyst_copy import PublishResult, publish


@dataclass(frozen=True)
class WarehouseResult:
    build: BuildResult
    # None when the build failed (nothing was published), and on PostgreSQL, where analysts
    # read the schema marts under their own role instead of a published copy
    published: PublishResult | None


@tiers.secured
def build_and_publish(paths: Paths, select: str | None = None, run_id: str | None = None,
                      full_refresh: bool = False) -> WarehouseResult:
    # Held from the first statement to the published copy: a load waits instead of landing between.
    with connection.holding_warehouse(paths) as held:
        result = build(paths, select, full_refresh, held)
        if not result.success or paths.warehouse_dsn:
            return WarehouseResult(result, None)
        return WarehouseResult(result, publish(paths, run_id, held))
