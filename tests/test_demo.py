"""`make demo` end to end: synthetic deliveries through the ingest DAGs into the warehouse, built and published."""

from __future__ import annotations

import os
import subprocess
from datetime import date

import duckdb

from tests.conftest import REPO, VENV_BIN, query
from utfall.config import Paths
from utfall.publish import analyst_db_path


def run_demo(home) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["UTFALL_HOME"] = str(home)
    return subprocess.run([str(VENV_BIN / "python"), "-m", "utfall.demo"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=900)


def test_demo_runs_every_dag_and_prints_the_load_summary_and_what_was_published(tmp_path):
    home = tmp_path / "demo"
    result = run_demo(home)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
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
    # 7 monthly feeds × 48 months + 4 register feeds × 2 förbund, and one correction on top.
    assert query(paths, "SELECT status, count(*) FROM raw.loads GROUP BY ALL ORDER BY 1") == [
        ("loaded", 344), ("superseded", 1)
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


def test_demo_refuses_a_folder_with_real_data(tmp_path):
    home = tmp_path / "real"
    (home / "inbox" / "fk_utbetalningar").mkdir(parents=True)
    (home / "inbox" / "fk_utbetalningar" / "fk_utbetalningar_202401.csv").write_text("x")
    result = run_demo(home)
    assert result.returncode == 2
    assert (home / "inbox" / "fk_utbetalningar" / "fk_utbetalningar_202401.csv").read_text() == "x"
