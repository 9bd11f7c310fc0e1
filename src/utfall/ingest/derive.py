"""Files derived from the feed contracts: GX suites and the dbt source definition.

`utfall contracts export` (or `make contracts`) writes them; tests/ingest/test_contracts.py
fails when a committed file differs from what the contracts give, so a column added
in contracts.py cannot be forgotten downstream.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from utfall.db.config import dbt_dir, expectations_dir
from utfall.ingest.contracts import AGENCY_NAMES, FEEDS, Feed
from utfall.ingest.ledger import LEDGER_COLUMNS, RAW_METADATA_COLUMNS

NUMERIC_TYPES = ("integer", "amount", "decimal")
# dbt's layout: staging/<source>/ holds the source's YAML and its staging models
STAGING_DIR = Path("models") / "staging" / "raw"
SOURCES_FILE = STAGING_DIR / "_raw__sources.yml"
STAGING_YAML = STAGING_DIR / "_raw__models.yml"
GENERATED = "Generated from src/utfall/ingest/contracts.py by `utfall contracts export`; do not edit."


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
        "meta": {"generated_from": "utfall.ingest.contracts", "feed": feed.name, "notes": "Do not edit: run `make contracts`."},
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
                "description": "Agency deliveries as loaded by `utfall load` (generated from utfall.ingest.contracts; "
                "do not edit, run `make contracts`).",
                "tables": tables,
            }
        ],
    }


def _staging_select(feed: Feed, loads: str = "current_loads", extra: tuple[str, ...] = ()) -> list[str]:
    """The feed's columns renamed to English, then what the ledger adds (from `loads`)."""
    columns = []
    for c in feed.columns:
        value = f"source.{c.name} = 'J'" if c.is_flag else f"source.{c.name}"
        columns.append(value if c.staging_name == c.name and not c.is_flag else f"{value} as {c.staging_name}")
    if feed.kind == "snapshot":
        if not feed.forbund_column:
            columns.append(f"{loads}.forbund_id")  # from the file name, via the ledger
        columns += [f"{loads}.extracted_on", *(f"{loads}.{e}" for e in extra)]
    columns += ["source.load_id", "source.source_line"]
    return columns


def versions_sql(feed: Feed) -> str:
    """Every snapshot version's rows of a register that keeps its versions (Feed.keeps_versions)."""
    select = ",\n        ".join(_staging_select(feed, "versions", ("next_extracted_on",)))
    return f"""-- {GENERATED}
-- {feed.description}: the rows of every version (extract date) of each förbund's register, not
-- only the newest that {feed.staging_model} keeps; columns renamed to English as there.

with

source as (

    select * from {{{{ source('raw', '{feed.name}') }}}}

),

versions as (

    select load_id, forbund_id, extracted_on, next_extracted_on
    from {{{{ ref('base_ledger__snapshot_versions') }}}}
    where feed = '{feed.name}'

),

renamed as (

    select
        {select}

    from source
    inner join versions on source.load_id = versions.load_id

)

select * from renamed
"""


def staging_sql(feed: Feed) -> str:
    select = ",\n        ".join(_staging_select(feed))
    return f"""-- {GENERATED}
-- {feed.description}: the rows of current loads only (the latest correction of each
-- period, or each förbund's newest snapshot), columns renamed to English.

with

source as (

    select * from {{{{ source('raw', '{feed.name}') }}}}

),

current_loads as (

    select load_id, forbund_id, extracted_on
    from {{{{ ref('base_ledger__loads') }}}}

),

renamed as (

    select
        {select}

    from source
    inner join current_loads on source.load_id = current_loads.load_id

)

select * from renamed
"""


def _staging_column(c) -> dict:
    column: dict = {"name": c.staging_name, "description": c.description + (f" (delivered as `{c.name}`)" if c.staging_name != c.name else "")}
    tests: list = []
    if c.required:
        tests.append("not_null")
    if c.codes and not c.is_flag:
        tests.append({"accepted_values": {"arguments": {"values": _code_values(c), "quote": c.type != "integer"}}})
    if tests:
        column["data_tests"] = tests
    return column


def _staging_columns(feed: Feed, versions: bool = False) -> list[dict]:
    columns = [_staging_column(c) for c in feed.columns]
    if feed.kind == "snapshot":
        if not feed.forbund_column:
            columns.append({"name": "forbund_id", "description": "Förbund, from the snapshot's file name",
                            "data_tests": ["not_null"]})
        columns.append({"name": "extracted_on", "description": "Extract date of the register snapshot"})
        if versions:
            columns.append({"name": "next_extracted_on",
                            "description": "Extract date of the förbund's next version (null: the newest)"})
    return columns + [
        {"name": "load_id", "description": "The load (raw.loads) that brought the row", "data_tests": ["not_null"]},
        {"name": "source_line", "description": "Line in the delivered file"},
    ]


def staging_models() -> dict:
    models = []
    for feed in FEEDS.values():
        key = [feed.column(k).staging_name for k in feed.key]
        models.append({
            "name": feed.staging_model,
            "description": f"{feed.description} ({AGENCY_NAMES[feed.agency]}). Current loads only: the latest "
            f"correction of each {'period' if feed.kind == 'monthly' else 'förbund snapshot'}. "
            f"One row per {', '.join(key)}.",
            "data_tests": [{"unique_combination": {"arguments": {"columns": key}}}],
            "columns": _staging_columns(feed),
        })
        if feed.versions_model:
            models.append({
                "name": feed.versions_model,
                "description": f"{feed.description} ({AGENCY_NAMES[feed.agency]}). Every version (extract "
                f"date) of each förbund's register (base_ledger__snapshot_versions), not only the newest. "
                f"One row per load_id, source_line.",
                "data_tests": [{"unique_combination": {"arguments": {"columns": ["load_id", "source_line"]}}}],
                "columns": _staging_columns(feed, versions=True),
            })
    return {"version": 2, "models": models}


def derived_files() -> dict[Path, str]:
    files = {
        suite_path(feed): json.dumps(delivery_suite(feed), indent=2, ensure_ascii=False) + "\n"
        for feed in FEEDS.values()
    }
    files[dbt_dir() / SOURCES_FILE] = f"# {GENERATED}\n" + _yaml(dbt_sources())
    files[dbt_dir() / STAGING_YAML] = f"# {GENERATED}\n" + _yaml(staging_models())
    for feed in FEEDS.values():
        files[dbt_dir() / STAGING_DIR / f"{feed.staging_model}.sql"] = staging_sql(feed)
        if feed.versions_model:
            files[dbt_dir() / STAGING_DIR / f"{feed.versions_model}.sql"] = versions_sql(feed)
    return files


def _yaml(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def write_derived_files() -> list[Path]:
    written = []
    for path, text in derived_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
