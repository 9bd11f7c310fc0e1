"""Airflow stays at the edge: only utfall.orchestration imports it, and a DAG file imports
only airflow.sdk and utfall.orchestration at top level, so parsing it loads no database
driver, dbt, GX or pandas (the scheduler parses every DAG file every few minutes)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

SRC = REPO / "src" / "utfall"
DAG_FILES = sorted((REPO / "dags").glob("*.py"))
# Heavy or storage modules a DAG file's parse must not load.
NOT_AT_PARSE_TIME = ("duckdb", "dbt", "psycopg", "great_expectations", "pandas", "matplotlib", "weasyprint",
                     "openpyxl")


def imported_modules(tree: ast.AST, top_level_only: bool) -> set[str]:
    """The modules a source file imports (all of them, or only those at module level)."""
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_only_the_orchestration_package_imports_airflow():
    offenders = {}
    for path in SRC.rglob("*.py"):
        if (SRC / "orchestration") in path.parents:
            continue
        airflow = {m for m in imported_modules(ast.parse(path.read_text(encoding="utf-8")), top_level_only=False)
                   if m == "airflow" or m.startswith("airflow.")}
        if airflow:
            offenders[str(path.relative_to(REPO))] = sorted(airflow)
    assert offenders == {}


def test_the_boundary_check_finds_an_airflow_import_in_a_function():
    tree = ast.parse("def f():\n    from airflow.sdk.exceptions import AirflowFailException\n")
    assert imported_modules(tree, top_level_only=False) == {"airflow.sdk.exceptions"}
    assert imported_modules(tree, top_level_only=True) == set()


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_a_dag_file_imports_only_the_sdk_and_orchestration_at_top_level(dag_file: Path):
    modules = imported_modules(ast.parse(dag_file.read_text(encoding="utf-8")), top_level_only=True)
    allowed = {"__future__", "airflow.sdk", "utfall.orchestration"}
    assert {m for m in modules if not any(m == a or m.startswith(a + ".") for a in allowed)} == set()


PARSE = """
import importlib.util, json, sys, time
path = sys.argv[1]
before = time.perf_counter()
spec = importlib.util.spec_from_file_location("dag_under_test", path)
spec.loader.exec_module(importlib.util.module_from_spec(spec))
seconds = time.perf_counter() - before
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(sys.argv[2])))
print(json.dumps({"seconds": seconds, "heavy": heavy}))
"""


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_parsing_a_dag_file_loads_no_storage_or_analysis_library(dag_file: Path, tmp_path):
    """Each DAG file parsed in a fresh interpreter, timed (the time is printed with -s)."""
    done = subprocess.run([sys.executable, "-c", PARSE, str(dag_file), json.dumps(NOT_AT_PARSE_TIME)],
                          capture_output=True, text=True, cwd=REPO, env={"AIRFLOW_HOME": str(tmp_path),
                          "PATH": "/usr/bin:/bin", "PYTHONPATH": str(SRC.parent)})
    assert done.returncode == 0, done.stderr[-3000:]
    parsed = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{dag_file.name}: parsed in {parsed['seconds']:.2f} s")
    assert parsed["heavy"] == []


def test_the_local_environment_is_set_before_airflow_is_imported():
    """Airflow reads AIRFLOW_HOME when first imported: the module that sets it up imports none of it."""
    done = subprocess.run([sys.executable, "-c", "import sys, utfall.orchestration.environment; "
                           "print(sorted(m for m in sys.modules if m == 'airflow' or m.startswith('airflow.')))"],
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(SRC.parent)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
