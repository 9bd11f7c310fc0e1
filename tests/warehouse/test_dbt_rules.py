"""dbt laid out as the dbt community lays it out (issue 17 item 4): the rules of tests/support/dbt_rules.py
hold on the real project but for the exceptions in dbt/layout_exceptions.yml. `make dbt-rules`."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase

import yaml

from tests.support import dbt_rules
from tests.conftest import REPO
from utfall.warehouse.dbt_build import dbt_target_path, run_dbt

EXCEPTIONS = REPO / "dbt" / "layout_exceptions.yml"


def _excepted(finding, exceptions) -> bool:
    rule, resource = finding
    return any(e["rule"] == rule and any(fnmatchcase(resource, r) for r in e["resources"]) for e in exceptions)


def test_the_project_follows_the_layout_rules_but_for_the_documented_exceptions(home):
    assert run_dbt(home, "parse").success
    manifest = json.loads((dbt_target_path(home) / "manifest.json").read_text(encoding="utf-8"))
    found = dbt_rules.findings(manifest)
    exceptions = yaml.safe_load(EXCEPTIONS.read_text(encoding="utf-8"))["exceptions"]
    assert all(e["why"].strip() for e in exceptions)
    assert [f for f in found if not _excepted(f, exceptions)] == []
    # an exception nothing needs any more is stale: removed, not kept
    stale = [(e["rule"], r) for e in exceptions for r in e["resources"]
             if not any(rule == e["rule"] and fnmatchcase(res, r) for rule, res in found)]
    assert stale == []
    # the rules saw the whole project: the feeds' staging models, the base model, the marts
    assert ("direct_join_to_source", "stg_skv__lon") in found
    assert len(dbt_rules.Project(manifest).models) >= 50


def _model(name, path, parents, patch=None):
    return {"resource_type": "model", "package_name": "utfall", "name": name, "original_file_path": path,
            "depends_on": {"nodes": parents}, "patch_path": f"utfall://{patch}" if patch else None}


def _test(kind, model, column=None):
    return {"resource_type": "test", "package_name": "utfall", "test_metadata": {"name": kind},
            "attached_node": f"model.utfall.{model}", "column_name": column}


def _source(name, path, freshness=None):
    return {"package_name": "utfall", "source_name": "raw", "name": name, "original_file_path": path,
            "freshness": freshness}


def test_each_rule_finds_what_it_forbids():
    """A small project breaking every rule once; the findings worked out by hand."""
    src_a, src_b = "source.utfall.raw.a", "source.utfall.raw.b"
    manifest = {
        "nodes": {
            # staging on staging, and a source joined to a model
            "model.utfall.stg_a": _model("stg_a", "models/staging/raw/stg_a.sql", [src_a, "model.utfall.stg_b"],
                                         "models/staging/raw/_raw__models.yml"),
            # outside staging/raw/, and its YAML not named after its folder
            "model.utfall.stg_b": _model("stg_b", "models/staging/other/stg_b.sql", [src_b],
                                         "models/staging/_stg__models.yml"),
            # a mart on staging
            "model.utfall.fct_x": _model("fct_x", "models/marts/fct_x.sql", ["model.utfall.stg_a"],
                                         "models/marts/_marts__models.yml"),
            # an intermediate on a source
            "model.utfall.int_y": _model("int_y", "models/intermediate/int_y.sql", [src_a],
                                         "models/intermediate/_intermediate__models.yml"),
            # a mart without a prefix
            "model.utfall.orders": _model("orders", "models/marts/orders.sql", ["model.utfall.fct_x"],
                                          "models/marts/_marts__models.yml"),
            "test.1": _test("unique", "stg_a", "id"),
            "test.2": _test("not_null", "stg_a", "id"),
            "test.3": _test("unique_combination", "fct_x"),
            # unique without not_null is no primary-key test
            "test.4": _test("unique", "orders", "id"),
        },
        "sources": {
            src_a: _source("a", "models/staging/raw/_raw__sources.yml", {"warn_after": {"count": 1, "period": "day"}}),
            src_b: _source("b", "models/staging/_sources.yml"),
        },
        "unit_tests": {
            "unit_test.1": {"name": "fct_x_test", "model": "fct_x",
                            "original_file_path": "models/marts/_marts__unit_tests.yml"},
            "unit_test.2": {"name": "int_y_test", "model": "int_y", "original_file_path": "tests/unit/x.yml"},
        },
    }
    assert dbt_rules.findings(manifest) == sorted([
        ("staging_reads_only_sources_and_base", "stg_a <- stg_b"),
        ("source_read_only_in_staging", "int_y <- source:raw.a"),
        ("direct_join_to_source", "stg_a"),
        ("marts_read_no_staging", "fct_x <- stg_a"),
        ("model_naming", "orders (models/marts/orders.sql)"),
        ("model_directories", "stg_b (models/staging/other/stg_b.sql)"),
        ("source_directories", "source:raw.b (models/staging/_sources.yml)"),
        ("yaml_per_folder", "stg_b: models/staging/_stg__models.yml (expected models/staging/other/_other__models.yml)"),
        ("yaml_per_folder", "unit test int_y_test: tests/unit/x.yml (expected models/intermediate/_intermediate__unit_tests.yml)"),
        ("primary_key_tests", "stg_b"),
        ("primary_key_tests", "int_y"),
        ("primary_key_tests", "orders"),
        ("tested_models", "stg_b"),
        ("source_freshness", "source:raw"),
    ])
