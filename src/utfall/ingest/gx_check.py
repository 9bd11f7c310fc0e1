"""Run a feed's Great Expectations suite (expectations/deliveries/<feed>.json) on a staged file.

Each rule is checked once: the loader runs in GX only the expectations that no SQL rule of
the contract already checks (`uncovered_expectations`; the map is
validation.SUITE_RULES_CHECKED_IN_SQL). Every expectation the contracts derive today is
covered, so the loader imports no GX and makes no pandas copy; an expectation added to a
suite under a rule of its own is run by GX on the next load. `validate_staged` runs a whole
suite (the second line of defence, on its own).

GX 1.24's SQL datasource does not work on DuckDB, so the typed rows are handed to GX
as a pandas batch: only the columns the expectations run read. One ephemeral context per
process: creating it costs seconds, validating a file a fraction of one. Each suite is run
through a saved ValidationDefinition, which fetches (and hashes) the batch once, and first
asks only pass or fail: the row-by-row listing costs a fifth more and is needed only for a
file that fails (0.63 s → 0.41 s for a national FK month of 237,000 rows).
"""

from __future__ import annotations

import json
import logging
import os
from functools import lru_cache

import duckdb

from utfall.ingest.contracts import Feed
from utfall.ingest import derive
from utfall.db.sql import ident
from utfall.ingest.validation import STAGED, SUITE_RULES_CHECKED_IN_SQL, Violation

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # no telemetry: this machine has no network
logging.getLogger("great_expectations").setLevel(logging.WARNING)  # it logs its internals at INFO


@lru_cache(maxsize=1)
def _batch_definition():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("deliveries")
    return source.add_dataframe_asset("staged_delivery").add_batch_definition_whole_dataframe("whole_file")


@lru_cache(maxsize=None)
def _suite(suite_path: str) -> dict:
    with open(suite_path, encoding="utf-8") as fh:
        return json.load(fh)


def _uncovered(suite_path: str) -> list[dict]:
    return [e for e in _suite(suite_path)["expectations"]
            if (e.get("meta") or {}).get("rule") not in SUITE_RULES_CHECKED_IN_SQL]


def uncovered_expectations(feed: Feed) -> list[dict]:
    """The feed's expectations that no SQL rule checks: what GX alone adds at load."""
    return _uncovered(str(derive.suite_path(feed)))


@lru_cache(maxsize=None)
def _validation_definition(suite_path: str, uncovered_only: bool):
    """The suite in this file (or its uncovered part), saved in the context under its path
    (unique, unlike its name)."""
    import great_expectations as gx

    name = suite_path + ("#uncovered" if uncovered_only else "")
    expectations = _uncovered(suite_path) if uncovered_only else _suite(suite_path)["expectations"]
    suite = gx.ExpectationSuite(**{**_suite(suite_path), "expectations": expectations, "name": name})
    batch_definition = _batch_definition()
    context = batch_definition.data_asset.datasource.data_context
    return context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=batch_definition, suite=context.suites.add(suite)))


def _columns_read(feed: Feed, expectations: list[dict]) -> list[str]:
    """The columns these expectations read; all of them when one judges the table."""
    read: set[str] = set()
    for e in expectations:
        kwargs = e.get("kwargs") or {}
        named = [kwargs["column"]] if kwargs.get("column") else list(kwargs.get("column_list") or [])
        if not named:
            return feed.column_names
        read.update(named)
    return [c for c in feed.column_names if c in read]


def validate_uncovered(con: duckdb.DuckDBPyConnection, feed: Feed, limit: int = 100) -> tuple[list[Violation], int]:
    """What the loader runs: the expectations no SQL rule checks; nothing (no GX) when none."""
    if not uncovered_expectations(feed):
        return [], 0
    return validate_staged(con, feed, limit, uncovered_only=True)


def validate_staged(con: duckdb.DuckDBPyConnection, feed: Feed, limit: int = 100,
                    uncovered_only: bool = False) -> tuple[list[Violation], int]:
    suite_path = str(derive.suite_path(feed))
    expectations = _uncovered(suite_path) if uncovered_only else _suite(suite_path)["expectations"]
    columns = ", ".join(ident(c) for c in _columns_read(feed, expectations))
    frame = con.execute(f"SELECT __line, {columns} FROM {STAGED} ORDER BY __line").df()
    lines = frame.pop("__line").to_numpy()
    definition = _validation_definition(suite_path, uncovered_only)
    batch = {"dataframe": frame}
    if definition.run(batch_parameters=batch, result_format={"result_format": "BOOLEAN_ONLY"}).success:
        return [], 0
    result = definition.run(batch_parameters=batch,
                            result_format={"result_format": "COMPLETE", "partial_unexpected_count": limit})
    violations: list[Violation] = []
    total = 0
    for r in result.results:
        if r.success:
            continue
        cfg = r.expectation_config
        column = cfg.kwargs.get("column") or ", ".join(cfg.kwargs.get("column_list") or []) or None
        rule = f"gx:{cfg.type}"
        indexes = (r.result or {}).get("unexpected_index_list") or []
        total += max(len(indexes), 1)
        if not indexes:
            violations.append(Violation(rule, f"expectation failed: {cfg.kwargs}", None, column))
        for i in indexes[:limit]:
            violations.append(Violation(rule, "row fails the feed's GX expectation", int(lines[i]), column))
    violations.sort(key=lambda v: (v.line or 0, v.rule))
    return violations[:limit], total
