"""The tree shows the pipeline: packages by stage whose imports point down only (import-linter,
contracts in pyproject.toml), Airflow only in utfall.orchestration, and no module name used twice."""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, VENV_BIN

SRC = REPO / "src" / "utfall"
STAGES = ["cli", "synthetic", "orchestration", "evaluation", "dq", "warehouse", "ingest", "db"]


def lint_imports(src_root: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    """import-linter over the package found under `src_root`, with the project's contracts."""
    return subprocess.run(
        [str(VENV_BIN / "lint-imports"), "--config", str(REPO / "pyproject.toml"), "--no-cache"],
        cwd=tmp_path, env={"PYTHONPATH": str(src_root), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=300)


def test_the_package_keeps_its_layer_contracts(tmp_path):
    result = lint_imports(REPO / "src", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(("module", "planted", "broken"), [
    # the floor reaching up into the evaluation
    ("db/sql.py", "from utfall.evaluation import evaluate", "Pipeline stages import only the stages below them"),
    # loading reaching up into the quality gate
    ("ingest/loader.py", "import utfall.dq.gate", "Pipeline stages import only the stages below them"),
    # a library module importing Airflow, even inside a function
    ("dq/gate.py", "def _planted():\n    from airflow.sdk import task", "Only utfall.orchestration imports Airflow"),
])
def test_a_wrong_import_breaks_a_contract(tmp_path, module, planted, broken):
    """The check bites: the same package with one planted import fails, naming the contract."""
    copy = tmp_path / "src"
    shutil.copytree(SRC, copy / "utfall", ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / "utfall" / module
    target.write_text(target.read_text(encoding="utf-8") + "\n\n" + planted + "\n", encoding="utf-8")
    result = lint_imports(copy, tmp_path)
    assert result.returncode != 0
    assert f"{broken} BROKEN" in result.stdout, result.stdout


def test_every_module_of_the_package_lies_in_a_stage():
    top_level = {p.name for p in SRC.iterdir() if not p.name.startswith(("__", "."))}
    assert top_level == set(STAGES), "a module outside the stage packages, or a stage missing"


def test_no_two_modules_share_a_name_across_stages():
    names: dict[str, list[str]] = {}
    for path in SRC.rglob("*.py"):
        if path.name != "__init__.py":
            names.setdefault(path.stem, []).append(str(path.relative_to(SRC)))
    assert {n: paths for n, paths in names.items() if len(paths) > 1} == {}


@pytest.mark.parametrize("package", STAGES)
def test_each_stage_says_what_it_does(package):
    docstring = ast.get_docstring(ast.parse((SRC / package / "__init__.py").read_text(encoding="utf-8")))
    assert docstring and len(docstring) > 80, f"utfall.{package} has no docstring saying what it does"


TESTS = REPO / "tests"


def test_the_tests_mirror_the_stages_with_a_conftest_per_folder():
    folders = {p.name for p in TESTS.iterdir() if p.is_dir() and not p.name.startswith(("__", "."))}
    assert set(STAGES) <= folders, f"no tests/ folder for {sorted(set(STAGES) - folders)}"
    assert folders - set(STAGES) == {"scenario", "end_to_end", "support"}
    for folder in folders - {"support"}:
        assert (TESTS / folder / "conftest.py").is_file(), f"tests/{folder} has no conftest.py"
        assert not list((TESTS / folder).glob("*/test_*.py")), f"tests/{folder} nests deeper than one level"


def _fixtures_defined(tree: ast.Module) -> set[str]:
    def is_fixture(decorator: ast.expr) -> bool:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        return ast.unparse(target) in ("pytest.fixture", "fixture")
    return {node.name for node in tree.body
            if isinstance(node, ast.FunctionDef) and any(is_fixture(d) for d in node.decorator_list)}


def test_no_test_module_imports_another_modules_fixtures():
    """Shared fixtures live in a conftest.py, where pytest finds them; an imported fixture hides
    where it comes from and runs once per importing module."""
    modules = {".".join(p.relative_to(REPO).with_suffix("").parts): p for p in TESTS.rglob("test_*.py")}
    fixtures = {name: _fixtures_defined(ast.parse(path.read_text(encoding="utf-8"))) for name, path in modules.items()}
    imported = {}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module in fixtures:
                shared = {a.name for a in node.names} & fixtures[node.module]
                if shared:
                    imported[name] = (node.module, sorted(shared))
    assert imported == {}
