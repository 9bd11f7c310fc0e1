"""Files derived from the feed contracts: GX suites and the dbt source definition.

`utfall contracts export` (or `make contracts`) writes them; tests/test_contracts.py
fails when a committed file differs from what the contracts give, so a column added
in contracts.py cannot be forgotten downstream.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from utfall.config import dbt_dir, expectations_dir
from utfall.contracts import AGENCY_NAMES, FEEDS, Feed
from utfall.ledger import LEDGER_COLUMNS, RAW_METADATA_COLUMNS

NUMERIC_TYPES = ("integer", "amount", "decimal")
SOURCES_FILE = Path("models") / "staging" / "_raw__sources.yml"


def suite_name(feed: Feed) -> str:
    return f"delivery__{feed.name}"


def _code_values(column) -> list:
    return [int(v) for v in column.codes] if column.type == "integer" else list(column.codes)


def delivery_suite(feed: Feed) -> dict:
    """The GX suite run on every file of the feed (typed rows, before loading)."""
    expectations = [
        {
            "type": "expect_table_columns_to_match_set",
            "kwargs": {"column_set": feed.column_names, "exact_match": True},
            "meta": {"rule": "header"},
        }
    ]
    for c in feed.columns:
        if c.required:
            expectations.append(
                {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": c.name}, "meta": {"rule": "required"}}
            )
        if c.codes:
            expectations.append(
                {
                    "type": "expect_column_values_to_be_in_set",
                    "kwargs": {"column": c.name, "value_set": _code_values(c)},
                    "meta": {"rule": "code_list"},
                }
            )
        if c.effective_pattern:
            expectations.append(
                {
                    "type": "expect_column_values_to_match_regex",
                    "kwargs": {"column": c.name, "regex": c.effective_pattern},
                    "meta": {"rule": "format"},
                }
            )
        if c.type in NUMERIC_TYPES and (c.minimum is not None or c.maximum is not None):
            kwargs = {"column": c.name}
            if c.minimum is not None:
                kwargs["min_value"] = c.minimum
            if c.maximum is not None:
                kwargs["max_value"] = c.maximum
            expectations.append(
                {"type": "expect_column_values_to_be_between", "kwargs": kwargs, "meta": {"rule": "range"}}
            )
    if len(feed.key) == 1:
        expectations.append(
            {"type": "expect_column_values_to_be_unique", "kwargs": {"column": feed.key[0]}, "meta": {"rule": "duplicate_key"}}
        )
    else:
        expectations.append(
            {
                "type": "expect_compound_columns_to_be_unique",
                "kwargs": {"column_list": list(feed.key)},
                "meta": {"rule": "duplicate_key"},
            }
        )
    return {
        "name": suite_name(feed),
        "expectations": expectations,
        "meta": {"generated_from": "utfall.contracts", "feed": feed.name, "notes": "Do not edit: run `make contracts`."},
    }


def suite_path(feed: Feed) -> Path:
    return expectations_dir() / "deliveries" / f"{feed.name}.json"


def dbt_sources() -> dict:
    ledger = {
        "name": "loads",
        "description": "Ledger of every delivered file seen: loaded, quarantined, duplicate or superseded. "
        "Staging keeps only rows whose load has status 'loaded' (the latest correction).",
        "columns": [{"name": n, "data_type": t.lower(), "description": d} for n, t, d in LEDGER_COLUMNS],
    }
    tables = [ledger]
    for feed in FEEDS.values():
        columns = [{"name": n, "data_type": t.lower(), "description": d} for n, t, d in RAW_METADATA_COLUMNS]
        for c in feed.columns:
            columns.append({"name": c.name, "data_type": c.storage_type.lower(), "description": c.description})
        tables.append(
            {
                "name": feed.name,
                "description": f"{feed.description}. From {AGENCY_NAMES[feed.agency]}; {feed.kind} delivery; "
                f"key {', '.join(feed.key)}.",
                "meta": {"agency": feed.agency, "kind": feed.kind, "key": list(feed.key)},
                "columns": columns,
            }
        )
    return {
        "version": 2,
        "sources": [
            {
                "name": "raw",
                "schema": "raw",
                "description": "Agency deliveries as loaded by `utfall load` (generated from utfall.contracts; "
                "do not edit, run `make contracts`).",
                "tables": tables,
            }
        ],
    }


def derived_files() -> dict[Path, str]:
    files = {
        suite_path(feed): json.dumps(delivery_suite(feed), indent=2, ensure_ascii=False) + "\n"
        for feed in FEEDS.values()
    }
    files[dbt_dir() / SOURCES_FILE] = (
        "# Generated from src/utfall/contracts.py by `utfall contracts export`; do not edit.\n"
        + yaml.safe_dump(dbt_sources(), sort_keys=False, allow_unicode=True, width=100)
    )
    return files


def write_derived_files() -> list[Path]:
    written = []
    for path, text in derived_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
