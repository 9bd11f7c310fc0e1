"""Issue 15, item 4: a delivery's identity is its bytes and its place.

A file refused for its folder or its name may come again, byte-identical, from the right
place; one loaded, or refused for its content, stays a duplicate wherever it lies. A run
killed between commit and file move is finished by the next one, which says that it only
moved the file. Every test runs on DuckDB and PostgreSQL (`home_on_each_warehouse`, tests/conftest.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
from datetime import date

import pytest

from tests.conftest import VENV_BIN, cli_env, deliver, pid, query
from tests.support.samples import GOOD_FK, PERSONNUMMER_10, fk
from utfall.db.config import Paths
from utfall.ingest.loader import load


@pytest.fixture
def home(home_on_each_warehouse: Paths) -> Paths:
    """Every test here runs on both warehouses."""
    return home_on_each_warehouse


RIGHT = "fk_utbetalningar_202401.csv"


@pytest.mark.parametrize("folder,name,content,rule", [
    ("af_status", RIGHT, GOOD_FK, "file_name"),                          # another feed's folder
    ("fk_utbetalningar", "fk_utbetalningar_2024-01.csv", GOOD_FK, "file_name"),  # a name off the pattern
    ("fk_utbetalningar", "fk_utbetalningar_202402.csv", GOOD_FK, "period_mismatch"),  # the name's month
    (None, RIGHT, GOOD_FK, "unknown_feed"),                               # straight into the inbox
])
def test_a_file_refused_for_its_place_loads_once_moved_to_the_right_place(home, folder, name, content, rule):
    wrong = (home.inbox / folder / name) if folder else home.inbox / name
    wrong.parent.mkdir(parents=True, exist_ok=True)
    wrong.write_text(content, encoding="utf-8")
    [refused] = load(home).outcomes
    assert refused.status == "quarantined" and f"refused: {rule}" in refused.reason

    # The engineer moves the very file (same bytes) from quarantine to where it belongs.
    (home.inbox / "fk_utbetalningar").mkdir(exist_ok=True)
    refused.stored_path.replace(home.inbox / "fk_utbetalningar" / RIGHT)
    [again] = load(home).outcomes
    assert (again.status, again.rows_loaded, again.recovered) == ("loaded", 3, False)
    assert query(home, "SELECT count(*) FROM raw.fk_utbetalningar WHERE load_id = ?", [again.load_id]) == [(3,)]
    assert query(home, "SELECT status, refused_for_place FROM raw.loads ORDER BY load_id") == [
        ("quarantined", True), ("loaded", None)]
    assert again.stored_path.parent == home.archive / "fk_utbetalningar" and again.stored_path.exists()

    # Loaded now, the same bytes are a duplicate in any place, under any name.
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202312.csv", GOOD_FK)
    [dup] = load(home).outcomes
    assert dup.status == "duplicate" and f"same content as load {again.load_id} ({RIGHT}, loaded)" in dup.reason
    assert query(home, "SELECT count(*) FROM raw.fk_utbetalningar") == [(3,)]


def test_a_file_refused_for_its_content_stays_a_duplicate_in_any_place(home):
    with_pnr = fk(f"{pid(1)};2024-01;SJP;100;31;{PERSONNUMMER_10};6000")
    deliver(home, "fk_utbetalningar", RIGHT, with_pnr)
    [refused] = load(home).outcomes
    assert refused.status == "quarantined" and "personal_identity_number" in refused.reason
    assert query(home, "SELECT refused_for_place FROM raw.loads") == [(False,)]
    # Moved by hand to another name and folder: the bytes were the problem, not the place.
    (home.inbox / "af_status").mkdir()
    refused.stored_path.replace(home.inbox / "af_status" / "af_status_202401.csv")
    [dup] = load(home).outcomes
    assert dup.status == "duplicate" and dup.rows_loaded == 0
    assert f"same content as load {refused.load_id} ({RIGHT}, quarantined)" in dup.reason
    assert query(home, "SELECT status FROM raw.loads ORDER BY load_id") == [("quarantined",), ("duplicate",)]
    assert query(home, "SELECT count(*) FROM raw.fk_utbetalningar") == [(0,)]


def test_a_quarantined_file_put_back_in_the_same_wrong_place_is_not_taken_for_a_recovery(home):
    """Not a finished interrupted run: the place differs from the ledger row's, so the file is judged again."""
    deliver(home, "af_status", RIGHT, GOOD_FK)
    [refused] = load(home).outcomes
    (home.inbox / "kommun_bistand").mkdir()
    refused.stored_path.replace(home.inbox / "kommun_bistand" / RIGHT)
    [again] = load(home).outcomes
    assert (again.status, again.recovered) == ("quarantined", False)
    assert again.load_id != refused.load_id
    assert again.stored_path.parent == home.quarantine / "kommun_bistand"


KILL_BEFORE_MOVE = """
import os, signal, sys
from utfall.ingest import loader
from utfall.db.config import Paths
# A real SIGKILL at the one moment that matters: the ledger row is committed, the file not yet moved.
loader._move = lambda source, target: os.kill(os.getpid(), signal.SIGKILL)
loader.load(Paths.from_env())
"""


def test_a_run_killed_between_commit_and_move_is_finished_and_says_it_only_moved_the_file(home):
    deliver(home, "fk_utbetalningar", RIGHT, GOOD_FK)
    killed = subprocess.run([str(VENV_BIN / "python"), "-c", KILL_BEFORE_MOVE], env=cli_env(home),
                            capture_output=True, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    [(load_id, stored)] = query(home, "SELECT load_id, stored_path FROM raw.loads WHERE status = 'loaded'")
    assert (home.inbox / "fk_utbetalningar" / RIGHT).exists() and not os.path.exists(stored)

    finished = subprocess.run([str(VENV_BIN / "utfall"), "load"], env=cli_env(home), capture_output=True,
                              text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    out = " ".join(finished.stdout.split())
    assert f"finished interrupted load {load_id}: it was committed as loaded (3 rows)" in out
    assert "this run only moved the file" in out and "loaded nothing" in out
    # The summary's rows are this run's: none.
    summary_row = next(line for line in finished.stdout.splitlines() if line.lstrip("│┃ ").startswith("fk_utbet"))
    assert summary_row.split("│")[-2].strip() == "0"
    assert os.path.exists(stored) and not (home.inbox / "fk_utbetalningar" / RIGHT).exists()
    assert query(home, "SELECT count(*) FROM raw.loads") == [(1,)]
    assert query(home, "SELECT count(*) FROM raw.fk_utbetalningar") == [(3,)]


def test_a_file_refused_for_a_personnummer_in_its_name_loads_once_renamed(home):
    """The name is the place: a file refused only for a personnummer in its name is delivered
    again under a proper name and loads (its bytes are no duplicate of the refused file)."""
    text = ("person_id;manad;oppenvardsbesok;slutenvardsdagar\n" + f"{pid(1)};2024-03;2;0\n")
    deliver(home, "region_vard", "region_vard_202403_198503121231.csv", text)
    first = load(home, today=date(2025, 3, 1))
    assert [o.status for o in first.outcomes] == ["quarantined"]
    deliver(home, "region_vard", "region_vard_202403.csv", text)
    second = load(home, today=date(2025, 3, 1))
    assert [(o.file_name, o.status) for o in second.outcomes] == [("region_vard_202403.csv", "loaded")]
