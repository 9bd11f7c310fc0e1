"""Build the warehouse, then publish the analysts' copy: `utfall build` and the `build_warehouse` DAG.

Publishing happens only after a fully successful build, so analysts keep the last good
published file while a build with failing tests waits for a fix.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from utfall import ledger
from utfall.build import BuildResult, build
from utfall import tiers
from utfall.config import Paths
from utfall.publish import PublishRefused, PublishResult, publish

log = logging.getLogger("utfall.warehouse")

MARTS_ASSET_NAME = "marts"
MARTS_ASSET_URI = "x-utfall://warehouse/marts"


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
    with ledger.holding_warehouse(paths) as held:
        result = build(paths, select, full_refresh, held)
        if not result.success or paths.warehouse_dsn:
            return WarehouseResult(result, None)
        return WarehouseResult(result, publish(paths, run_id, held))


def run_build_task(run_id: str | None) -> dict[str, int]:
    """What the `build_warehouse` DAG's task does; fails without retry when a retry cannot help."""
    from airflow.sdk.exceptions import AirflowFailException

    try:
        result = build_and_publish(Paths.for_airflow_task(), run_id=run_id)
    except PublishRefused as e:
        raise AirflowFailException(str(e)) from e
    if not result.build.success:
        # A failing dbt test or a broken model will not fix itself by running again.
        raise AirflowFailException(
            "dbt build failed; nothing published (analysts keep the previous file):\n"
            + "\n".join(result.build.failures)
        )
    if result.published is None:
        log.info("built the PostgreSQL warehouse: analysts read its schema marts")
        return {"tables": 0, "rows": 0}
    summary = {"tables": len(result.published.tables), "rows": sum(n for _, n in result.published.tables)}
    log.info("published %s: %d tables, %d rows", result.published.path, summary["tables"], summary["rows"])
    return summary
