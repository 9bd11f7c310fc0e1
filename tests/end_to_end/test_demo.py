"""`make demo` end to end: synthetic deliveries through the ingest DAGs into the warehouse, built and published."""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO, VENV_BIN, query
from tests.support.report_checks import (
    all_sections, assert_staff_outputs_disclose_nothing, browser_check, ink_share, pdf_page_images, pdf_text)
from tests.support.report_language import language_problems
from utfall.db.config import Paths
from utfall.evaluation.tables import build_report
from utfall.warehouse.analyst_copy import analyst_db_path


def run_demo(home) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["UTFALL_HOME"] = str(home)
    return subprocess.run([str(VENV_BIN / "python"), "-m", "utfall.synthetic.demo"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """One demo run (about two minutes) for the tests of this module: (its home, its output)."""
    home = tmp_path_factory.mktemp("demo") / "home"
    result = run_demo(home)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return home, result


def test_demo_runs_every_dag_and_prints_the_load_summary_and_what_was_published(demo):
    home, result = demo
    assert "Demo complete" in result.stdout and "Warehouse ledger" in result.stdout
    # 11 ingest DAGs + the correction run + build_warehouse + annual_evaluation
    assert result.stdout.count(" success ") == 14
    assert "Published for analysts" in result.stdout
    # the quality gate for the demo year: clean synthetic data pass
    assert "Quality gate" in result.stdout and "PASSED (godkänd)" in result.stdout
    assert "/dq/reports/" in result.stdout
    # every synthetic förbund's evaluation of the demo year is in the outbox
    year = date.today().year - 1
    for forbund in ("sf01", "sf02"):
        folder = home / "outbox" / forbund / str(year)
        assert f"{forbund}: {folder}/ utvardering.html, utvardering.pdf, tabeller.xlsx, manifest.json" in result.stdout
        assert sorted(p.name for p in folder.iterdir()) == [
            "manifest.json", "tabeller.xlsx", "utvardering.html", "utvardering.pdf"]
    paths = Paths(home)
    # 7 monthly feeds × 48 months + 4 register feeds × 2 förbund loaded; superseded: the deltagare
    # registers of the 3 earlier year-ends × 2 förbund (the queue's history) and one correction.
    assert query(paths, "SELECT status, count(*) FROM raw.loads GROUP BY ALL ORDER BY 1") == [
        ("loaded", 344), ("superseded", 7)
    ]
    [(reason,)] = query(paths, "SELECT reason FROM raw.loads WHERE load_id = (SELECT max(load_id) FROM raw.loads)")
    assert reason.startswith("correction: supersedes load")
    # Airflow ran with its home inside the data folder and the DAG logs kept there.
    assert (home / "airflow" / "demo-logs" / "ingest_fk_utbetalningar.log").stat().st_size > 0
    with duckdb.connect(str(analyst_db_path(paths)), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM reference.kommuner").fetchall() == [(290,)]
        assert con.execute("SELECT row_count FROM manifest WHERE table_name = 'reference.kommuner'").fetchall() == [
            (290,)
        ]


def test_every_demo_evaluation_discloses_nothing_and_renders(demo, tmp_path):
    """The privacy scans, Chromium and pdftoppm on the real demo outputs of every förbund."""
    home, _ = demo
    year = date.today().year - 1
    insatser_per_forbund = {}
    for forbund in ("sf01", "sf02"):
        folder = home / "outbox" / forbund / str(year)
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        report = build_report(Paths(home), forbund, year, manifest["gate_run_id"])
        assert_staff_outputs_disclose_nothing(folder, report)
        # the first förbund wrote comments (demo.write_demo_comments): scanned and shown with the rest
        assert ("Förbundets kommentarer" in [s.title for s in report.sections]) == (forbund == "sf01")

        charts = sum(len(s.charts) for s in all_sections(report.sections))
        seen = browser_check((folder / "utvardering.html").read_text(encoding="utf-8"), tmp_path / forbund)
        assert seen["errors"] == [] and seen["broken"] == [], seen
        # charts only where they add to their tables (issue 16): still some in every report, each one loaded
        assert seen["images"] == charts >= 2
        assert not seen["pageWiderThanScreen"]
        assert language_problems((folder / "utvardering.html").read_text(encoding="utf-8")) == []

        text = pdf_text(folder / "utvardering.pdf", layout=False)
        (pages,) = set(re.findall(r"Sida \d+ av (\d+)", text))
        images = pdf_page_images(folder / "utvardering.pdf", tmp_path / forbund / "sidor")
        assert len(images) == int(pages) > 3 and all(ink_share(image) > 0.005 for image in images)
        # the domain brief's length: 12–16 pages for a förbund with two insatser (sf02 has two)
        insatser = sum(1 for s in report.sections if s.key.startswith("insats_"))
        insatser_per_forbund[forbund] = insatser
        if insatser == 2:
            assert 12 <= int(pages) <= 16, pages
    assert insatser_per_forbund["sf02"] == 2  # the page check above did run


def test_demo_refuses_a_folder_with_real_data(tmp_path):
    home = tmp_path / "real"
    (home / "inbox" / "fk_utbetalningar").mkdir(parents=True)
    (home / "inbox" / "fk_utbetalningar" / "fk_utbetalningar_202401.csv").write_text("x")
    result = run_demo(home)
    assert result.returncode == 2
    assert (home / "inbox" / "fk_utbetalningar" / "fk_utbetalningar_202401.csv").read_text() == "x"
