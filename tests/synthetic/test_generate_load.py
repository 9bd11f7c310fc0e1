"""Generate → load → ledger: every synthetic delivery loads, and the counts reconcile."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import VENV_BIN, cli_env, query
from utfall.ingest.contracts import FEEDS
from utfall.synthetic.generator import generate
from utfall.ingest.loader import load

FORBUND, FROM_YEAR, TO_YEAR = 2, 2023, 2024


@pytest.fixture(scope="module")
def deliveries(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("deliveries")
    generate(out, forbund=FORBUND, participants=400, from_year=FROM_YEAR, to_year=TO_YEAR, seed=7)
    return out


def data_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip()) - 1  # minus the header


def test_every_generated_delivery_loads_and_reconciles(home, deliveries):
    shutil.copytree(deliveries, home.inbox, dirs_exist_ok=True)
    files = sorted(p for p in home.inbox.rglob("*.csv"))
    expected_rows = {p.name: data_lines(p) for p in files}
    months = 12 * (TO_YEAR - FROM_YEAR + 1)
    monthly = sum(1 for f in FEEDS.values() if f.kind == "monthly")
    assert len(files) == monthly * months + (len(FEEDS) - monthly) * FORBUND  # 7 × 24 + 4 × 2 = 176

    report = load(home)

    assert report.exit_code == 0, [o.reason for o in report.quarantined]
    assert len(report.outcomes) == 176
    ledger = query(home, "SELECT load_id, feed, file_name, status, rows_in_file, rows_loaded FROM raw.loads")
    assert {status for *_, status, _, _ in ledger} == {"loaded"}
    for load_id, feed, file_name, _, rows_in_file, rows_loaded in ledger:
        in_raw = query(home, f"SELECT count(*) FROM raw.{feed} WHERE load_id = ?", [load_id])[0][0]
        assert rows_in_file == rows_loaded == in_raw == expected_rows[file_name], file_name
    # Every delivered file is now in the archive, the inbox is empty.
    assert len([p for p in home.archive.rglob("*") if p.is_file()]) == 176
    assert not [p for p in home.inbox.rglob("*") if p.is_file()]
    # The same pseudonym links a participant to the agencies' registers.
    linked = query(home, """
        SELECT count(DISTINCT d.person_id) FILTER (WHERE f.person_id IS NOT NULL) * 1.0 / count(DISTINCT d.person_id)
        FROM raw.deltagare d LEFT JOIN (SELECT DISTINCT person_id FROM raw.fk_utbetalningar) f USING (person_id)""")
    assert linked[0][0] > 0.5

    # A second run finds nothing new; the same files again are duplicates.
    assert load(home).outcomes == []
    shutil.copytree(deliveries, home.inbox, dirs_exist_ok=True)
    again = load(home)
    assert {o.status for o in again.outcomes} == {"duplicate"} and len(again.outcomes) == 176
    assert query(home, "SELECT sum(rows_loaded) FROM raw.loads WHERE status = 'duplicate'") == [(0,)]


@pytest.mark.parametrize("forbund,participants,seed", [(1, 10, 2)])  # 33 empty months in 3 feeds
def test_small_population_output_loads_with_exit_code_0(home, forbund, participants, seed):
    """A small population has months in which nobody got a benefit: the generator writes them
    header-only, and `utfall load` loads them as empty months (issue 19; 3 förbund × 900
    participants, seed 9, once gave such a csn_studiestod month and exit code 1)."""
    def utfall(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(VENV_BIN / "utfall"), *args], env=cli_env(home), capture_output=True, text=True,
                              timeout=600)

    made = utfall("generate", "--out", str(home.inbox), "--forbund", str(forbund), "--participants",
                  str(participants), "--from-year", "2023", "--to-year", "2024", "--seed", str(seed))
    assert made.returncode == 0, made.stderr
    header_only = sorted(p.name for p in home.inbox.rglob("*.csv") if data_lines(p) == 0)
    assert header_only, "this population no longer makes an empty month: pick a smaller one"

    loaded = utfall("load")

    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    ledger = query(home, "SELECT file_name, status, rows_loaded FROM raw.loads WHERE rows_loaded = 0 ORDER BY 1")
    assert ledger == [(name, "loaded", 0) for name in header_only]
    assert query(home, "SELECT DISTINCT status FROM raw.loads") == [("loaded",)]
