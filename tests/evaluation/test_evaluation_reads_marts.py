"""Issue 14: the report reads marts only. Every table the evaluation's code queries is a mart
(or reference data, or the gate's own records), and the dbt exposure utfall_evaluation lists
exactly those marts, so `dbt ls --select +exposure:utfall_evaluation` shows what the report rests on."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
EVALUATION_CODE = sorted((REPO / "src" / "utfall" / "evaluation").glob("*.py"))
TABLE = re.compile(r"\b(?:FROM|JOIN)\s+([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)", re.IGNORECASE)


IMPORT = re.compile(r"^\s*(?:from|import)\s.*$", re.MULTILINE)


def read_tables() -> set[tuple[str, str]]:
    """(schema, table) of every FROM/JOIN in the evaluation's code, Python imports aside."""
    return {(m.group(1).lower(), m.group(2).lower()) for path in EVALUATION_CODE
            for m in TABLE.finditer(IMPORT.sub("", path.read_text(encoding="utf-8")))}


def exposure(name: str) -> set[str]:
    spec = yaml.safe_load((REPO / "dbt" / "models" / "marts" / "_exposures.yml").read_text(encoding="utf-8"))
    [found] = [e for e in spec["exposures"] if e["name"] == name]
    return {re.fullmatch(r"ref\('(\w+)'\)", d).group(1) for d in found["depends_on"]}


def test_the_evaluation_reads_no_staging_intermediate_or_core_table():
    tables = read_tables()
    assert tables, "the pattern finds the queries"
    # information_schema is the catalogue: publishing asks it which columns a published table has.
    assert {schema for schema, _ in tables} <= {"marts", "reference", "dq", "information_schema"}, sorted(tables)
    assert not {table for schema, table in tables if schema == "information_schema"} - {"columns"}


def test_the_exposure_lists_exactly_what_the_evaluation_reads():
    read = {table for schema, table in read_tables() if schema in ("marts", "reference")}
    assert exposure("utfall_evaluation") == read


def test_every_mart_is_in_the_analysts_exposure():
    marts = {p.stem for p in (REPO / "dbt" / "models" / "marts" / "analyst").glob("*.sql")}
    assert exposure("analysts_published_copy") == marts
