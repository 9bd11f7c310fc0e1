"""One contract per feed: the loader, the GX suites and the dbt sources all follow it."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess

import pytest

from tests.conftest import REPO, VENV_BIN, deliver, pid, query
from utfall.ingest import contracts, derive
from utfall.ingest.contracts import FEEDS, STORAGE_TYPES, Column
from utfall.ingest.loader import load

DOMAIN_FEEDS = {
    "deltagare", "insatser", "insats_ar", "programtrohet", "fk_utbetalningar", "af_status", "kommun_bistand",
    "kommun_boendestod", "skv_lon", "csn_studiestod", "region_vard",
}


def test_all_eleven_feeds_of_the_domain_brief_have_a_contract():
    assert set(FEEDS) == DOMAIN_FEEDS


@pytest.mark.parametrize("feed", FEEDS.values(), ids=FEEDS.keys())
def test_contract_is_internally_consistent(feed):
    names = feed.column_names
    assert len(names) == len(set(names))
    assert set(feed.key) <= set(names)
    for c in feed.columns:
        assert c.type in STORAGE_TYPES
        assert not c.codes or c.type in ("code", "integer"), c.name
        if c.type == "integer" and c.codes:
            assert all(v.isdigit() for v in c.codes)
    for rule in feed.row_rules:
        assert set(rule.columns) <= set(names)
    if feed.kind == "monthly":
        assert "person_id" in names and "manad" in names


def test_committed_derived_files_match_the_contracts():
    """`make contracts` was run after the last contract change."""
    stale = [str(p.relative_to(REPO)) for p, text in derive.derived_files().items()
             if not p.exists() or p.read_text(encoding="utf-8") != text]
    assert stale == [], f"run `make contracts`: {stale}"


def test_gx_suite_follows_the_contract():
    suite = json.loads((REPO / "expectations" / "deliveries" / "fk_utbetalningar.json").read_text())
    by_type = {}
    for e in suite["expectations"]:
        by_type.setdefault(e["type"], []).append(e["kwargs"])
    assert by_type["expect_table_columns_to_match_set"][0]["column_set"] == FEEDS["fk_utbetalningar"].column_names
    assert {"column": "omfattning", "value_set": [25, 50, 75, 100]} in by_type["expect_column_values_to_be_in_set"]
    assert {"column": "belopp_sek", "min_value": 0} in by_type["expect_column_values_to_be_between"]
    assert by_type["expect_compound_columns_to_be_unique"] == [{"column_list": ["person_id", "manad", "formankod"]}]


def test_dbt_parses_the_derived_sources(tmp_path):
    env = dict(os.environ, UTFALL_HOME=str(tmp_path), DBT_TARGET_PATH=str(tmp_path / "target"),
               DBT_LOG_PATH=str(tmp_path / "logs"))
    result = subprocess.run([str(VENV_BIN / "dbt"), "parse", "--profiles-dir", "."], cwd=REPO / "dbt", env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    sources = {s["name"]: s for s in manifest["sources"].values() if s["source_name"] == "raw"}
    assert set(sources) == DOMAIN_FEEDS | {"loads"}
    skv = sources["skv_lon"]["columns"]
    assert list(skv) == ["load_id", "source_line", *FEEDS["skv_lon"].column_names]
    assert skv["bruttolon_sek"]["data_type"] == "decimal(18,2)"


def test_adding_a_column_is_one_edit_in_the_contract(home, monkeypatch):
    """A new column in contracts.py reaches the loader, the GX suite and the dbt source."""
    feed = FEEDS["region_vard"]
    extended = dataclasses.replace(
        feed, columns=(*feed.columns, Column("akutbesok", "integer", "Emergency visits", minimum=0, maximum=50))
    )
    monkeypatch.setitem(contracts.FEEDS, "region_vard", extended)
    monkeypatch.setattr(derive, "suite_path", lambda f: home.home / "suites" / f"{f.name}.json")
    files = derive.derived_files()
    suite = json.loads(files[home.home / "suites" / "region_vard.json"])
    assert {"column": "akutbesok", "min_value": 0, "max_value": 50} in [
        e["kwargs"] for e in suite["expectations"] if e["type"] == "expect_column_values_to_be_between"
    ]
    assert "name: akutbesok" in next(t for p, t in files.items() if p.suffix == ".yml")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".json":
            path.write_text(text)
    # The old header is now missing a column; the new one loads into a raw table that grew it.
    deliver(home, "region_vard", "region_vard_202401.csv",
            f"person_id;manad;oppenvardsbesok;slutenvardsdagar\n{pid(1)};2024-01;2;0\n")
    deliver(home, "region_vard", "region_vard_202402.csv",
            f"person_id;manad;oppenvardsbesok;slutenvardsdagar;akutbesok\n{pid(1)};2024-02;2;0;1\n")
    report = load(home)
    assert [(o.file_name, o.status) for o in report.outcomes] == [
        ("region_vard_202401.csv", "quarantined"), ("region_vard_202402.csv", "loaded")
    ]
    assert query(home, "SELECT akutbesok FROM raw.region_vard") == [(1,)]
