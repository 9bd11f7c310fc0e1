"""The dbt project's layout rules, checked on dbt's manifest.json (tests/warehouse/test_dbt_rules.py).

The rules of dbt-project-evaluator that matter here, encoded as plain functions over the parsed
manifest instead of installing the package: it builds some 60 models of its own into the warehouse
on every run and needs dbt_utils beside it, for rules that read only the manifest. Each rule
returns its findings as (rule, resource) pairs; dbt/layout_exceptions.yml lists the deliberate
exceptions, each with its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import PurePosixPath

# model type → allowed name prefixes (dbt-project-evaluator's defaults, plus mart_ for the
# analysts' published tables)
PREFIXES = {"base": ("base_",), "staging": ("stg_",), "intermediate": ("int_",), "marts": ("fct_", "dim_", "mart_")}
PK_TESTS = {"unique", "unique_combination"}

Finding = tuple[str, str]


def model_type(path: str) -> str:
    """The model type by its folder: the folder nearest the file that names a type (as the evaluator)."""
    for part in reversed(PurePosixPath(path).parent.parts):
        if part in PREFIXES:
            return part
    return "other"


class Project:
    def __init__(self, manifest: dict, package: str = "utfall"):
        self.models = {uid: n for uid, n in manifest["nodes"].items()
                       if n["resource_type"] == "model" and n["package_name"] == package}
        self.sources = {uid: s for uid, s in manifest["sources"].items() if s["package_name"] == package}
        self.tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
        self.unit_tests = list(manifest.get("unit_tests", {}).values())

    def type_of(self, uid: str) -> str:
        if uid in self.sources:
            return "source"
        if uid in self.models:
            return model_type(self.models[uid]["original_file_path"])
        return "other"

    def parents(self, uid: str) -> list[str]:
        return [p for p in self.models[uid]["depends_on"]["nodes"] if p in self.models or p in self.sources]

    def name(self, uid: str) -> str:
        if uid in self.sources:
            s = self.sources[uid]
            return f"source:{s['source_name']}.{s['name']}"
        return self.models[uid]["name"]


def staging_reads_only_sources_and_base(p: Project) -> Iterator[Finding]:
    """staging_dependent_on_staging (and on anything downstream): staging reads sources and base models."""
    for uid in p.models:
        if p.type_of(uid) == "staging":
            for parent in p.parents(uid):
                if p.type_of(parent) not in ("source", "base"):
                    yield "staging_reads_only_sources_and_base", f"{p.name(uid)} <- {p.name(parent)}"


def source_read_only_in_staging(p: Project) -> Iterator[Finding]:
    """marts_or_intermediate_dependent_on_source, direct_join_to_source outside staging."""
    for uid in p.models:
        if p.type_of(uid) not in ("base", "staging"):
            for parent in p.parents(uid):
                if parent in p.sources:
                    yield "source_read_only_in_staging", f"{p.name(uid)} <- {p.name(parent)}"


def direct_join_to_source(p: Project) -> Iterator[Finding]:
    """A model reading a source and a model at once (the evaluator's direct_join_to_source)."""
    for uid in p.models:
        kinds = {"source" if parent in p.sources else "model" for parent in p.parents(uid)}
        if kinds == {"source", "model"}:
            yield "direct_join_to_source", p.name(uid)


def marts_read_no_staging(p: Project) -> Iterator[Finding]:
    for uid in p.models:
        if p.type_of(uid) == "marts":
            for parent in p.parents(uid):
                if p.type_of(parent) in ("source", "base", "staging"):
                    yield "marts_read_no_staging", f"{p.name(uid)} <- {p.name(parent)}"


def model_naming(p: Project) -> Iterator[Finding]:
    for uid, node in p.models.items():
        kind = p.type_of(uid)
        if not node["name"].startswith(PREFIXES.get(kind, ("",))) or kind == "other":
            yield "model_naming", f"{node['name']} ({node['original_file_path']})"


def model_directories(p: Project) -> Iterator[Finding]:
    """A staging (or base) model sits in staging/<source>/ of the source it reads."""
    for uid, node in p.models.items():
        if p.type_of(uid) not in ("base", "staging"):
            continue
        folders = PurePosixPath(node["original_file_path"]).parent.parts
        for parent in p.parents(uid):
            if parent in p.sources and p.sources[parent]["source_name"] not in folders:
                yield "model_directories", f"{node['name']} ({node['original_file_path']})"


def source_directories(p: Project) -> Iterator[Finding]:
    for s in p.sources.values():
        path = PurePosixPath(s["original_file_path"])
        if path.parent.parts[-2:] != ("staging", s["source_name"]) or path.name != f"_{s['source_name']}__sources.yml":
            yield "source_directories", f"source:{s['source_name']}.{s['name']} ({path})"


def yaml_per_folder(p: Project) -> Iterator[Finding]:
    """Every model is described in `_<folder>__models.yml` beside it, and its unit tests in
    `_<folder>__unit_tests.yml` beside it."""
    for node in p.models.values():
        folder = PurePosixPath(node["original_file_path"]).parent
        expected = str(folder / f"_{folder.name}__models.yml")
        patch = (node.get("patch_path") or "").split("://", 1)[-1]
        if patch != expected:
            yield "yaml_per_folder", f"{node['name']}: {patch or 'no YAML'} (expected {expected})"
    by_name = {n["name"]: n for n in p.models.values()}
    for unit in p.unit_tests:
        folder = PurePosixPath(by_name[unit["model"]]["original_file_path"]).parent
        expected = str(folder / f"_{folder.name}__unit_tests.yml")
        if unit["original_file_path"] != expected:
            yield "yaml_per_folder", f"unit test {unit['name']}: {unit['original_file_path']} (expected {expected})"


def primary_key_tests(p: Project) -> Iterator[Finding]:
    """Every model has a primary-key test: unique + not_null on a column, or unique_combination."""
    keyed = set()
    for uid in p.models:
        unique_cols, not_null_cols = set(), set()
        for t in p.tests:
            if t.get("attached_node") != uid:
                continue
            name = (t.get("test_metadata") or {}).get("name")
            if name == "unique_combination":
                keyed.add(uid)
            elif name == "unique":
                unique_cols.add(t.get("column_name"))
            elif name == "not_null":
                not_null_cols.add(t.get("column_name"))
        if unique_cols & not_null_cols:
            keyed.add(uid)
    for uid in p.models:
        if uid not in keyed:
            yield "primary_key_tests", p.name(uid)


def tested_models(p: Project) -> Iterator[Finding]:
    """Every model has at least one data test or unit test."""
    tested = {t.get("attached_node") for t in p.tests} | {f"model.utfall.{u['model']}" for u in p.unit_tests}
    for uid in p.models:
        if uid not in tested:
            yield "tested_models", p.name(uid)


def source_freshness(p: Project) -> Iterator[Finding]:
    """One finding per source (as the evaluator) with a table that has no freshness."""
    for s in p.sources.values():
        freshness = s.get("freshness") or {}
        if not any((freshness.get(k) or {}).get("count") for k in ("warn_after", "error_after")):
            yield "source_freshness", f"source:{s['source_name']}"


RULES: list[Callable[[Project], Iterator[Finding]]] = [
    staging_reads_only_sources_and_base, source_read_only_in_staging, direct_join_to_source,
    marts_read_no_staging, model_naming, model_directories, source_directories, yaml_per_folder,
    primary_key_tests, tested_models, source_freshness,
]


def findings(manifest: dict) -> list[Finding]:
    project = Project(manifest)
    return sorted({f for rule in RULES for f in rule(project)})
