"""Scenario (issue 14): the evaluation of a year holds what was known at its cut-off.

Four generated years, 2021–2024. The newest register snapshots already know all four years (as a
register extracted in 2025 does), and the registers of every earlier year-end are there too (the
queue's history); the agencies' months arrive in two steps. The evaluation of
2023 is made when the months up to December 2023 are in, and again after every month of 2024
has been delivered, loaded and built: every table in tabeller.xlsx is the same cell for cell.
Then the evaluation of 2024 follows the exits of 2023 a year and counts people in its
socioeconomic analysis.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from tests.support.scenarios import load_build_gate, tables
from utfall.db.config import Paths
from utfall.dq.gate import run_gate
from utfall.dq.gate_model import Scope
from utfall.evaluation.evaluate import evaluate
from utfall.ingest.contracts import FEEDS
from utfall.synthetic.generator import generate

YEAR, LATER = 2023, 2024


def hold_back(paths: Paths, year: int, folder: Path) -> int:
    """Move every monthly file of `year` out of the inbox; how many."""
    moved = 0
    for feed in (name for name, f in FEEDS.items() if f.kind == "monthly"):
        for path in sorted((paths.inbox / feed).glob(f"{feed}_{year}??.*")):
            (folder / feed).mkdir(parents=True, exist_ok=True)
            path.rename(folder / feed / path.name)
            moved += 1
    return moved


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    root = tmp_path_factory.mktemp("cutoff")
    paths = Paths(root / "home")
    # with every year-end's register, so the queue's history is in the tables compared
    generate(paths.inbox, forbund=2, participants=300, from_year=2021, to_year=LATER, seed=7, progress=False,
             register_history=True)
    return paths


def test_a_years_evaluation_is_the_same_after_later_months_are_delivered(home: Paths, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("UTFALL_HOME", str(home.home))
    later = tmp_path / "later"
    assert hold_back(home, LATER, later) > 12 * 5

    load_build_gate(home, YEAR)
    first = evaluate(home, YEAR, workers=1)
    before = {d.forbund_id: tables(home, d.forbund_id, YEAR) for d in first.delivered}
    assert set(before) == {"sf01", "sf02"}

    # every month of 2024 arrives; the 2023 evaluation is made again
    for folder in later.iterdir():
        for path in folder.iterdir():
            shutil.move(path, home.inbox / folder.name / path.name)
    load_build_gate(home, YEAR)
    second = evaluate(home, YEAR, workers=1)
    assert second.gate_run_id != first.gate_run_id
    for forbund_id, sheets in before.items():
        after = tables(home, forbund_id, YEAR)
        assert after.keys() == sheets.keys()
        for name, rows in sheets.items():
            assert after[name] == rows, f"{forbund_id}: sheet {name} changed after 2024 was delivered"

    # the 2024 evaluation follows the exits of 2023 a year: its socioeconomic analysis counts people
    run = run_gate(home, Scope(LATER))
    assert run.passed
    evaluate(home, LATER, workers=1)
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        [(persons, cohorts)] = con.execute(
            "SELECT sum(persons), string_agg(DISTINCT CAST(exit_year AS VARCHAR), ',') "
            "FROM published.mart_socioeconomic_year WHERE evaluation_year = ?", [LATER]).fetchall()
    assert cohorts == str(YEAR) and persons > 0
