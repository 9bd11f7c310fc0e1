"""A load killed with SIGKILL leaves nothing half-written; a re-run equals one clean run."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import VENV_BIN, query
from utfall.db.config import Paths

ROWS = 600_000
FILE_NAME = "fk_utbetalningar_202401.csv"


@pytest.fixture(scope="module")
def big_delivery(tmp_path_factory) -> Path:
    """A 600,000-row FK delivery, valid against the contract."""
    path = tmp_path_factory.mktemp("big") / FILE_NAME
    duckdb.sql(
        f"""COPY (
            SELECT sha256('person-' || i::VARCHAR) AS person_id, '2024-01' AS manad,
                   ['SJP', 'RHP', 'AKE', 'SJE', 'AKS'][1 + i % 5] AS formankod,
                   [25, 50, 75, 100][1 + i % 4] AS omfattning, 1 + i % 31 AS dagar,
                   1000 + i % 20000 AS belopp_sek, 300 + i % 6000 AS skatt_sek
            FROM range({ROWS}) t(i)
        ) TO '{path}' (HEADER, DELIMITER ';')"""
    )
    return path


def start_load(home: Path) -> subprocess.Popen:
    env = dict(os.environ, UTFALL_HOME=str(home))
    return subprocess.Popen([str(VENV_BIN / "utfall"), "load"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def deliver_big(home: Path, source: Path) -> None:
    inbox = home / "inbox" / "fk_utbetalningar"
    inbox.mkdir(parents=True)
    (inbox / FILE_NAME).write_bytes(source.read_bytes())


def state(home: Path) -> tuple:
    """What a run leaves, without ids and clocks that legitimately differ between runs."""
    paths = Paths(home)
    ledger = query(paths, "SELECT feed, file_name, sha256, period, status, rows_in_file, rows_loaded FROM raw.loads")
    content = query(paths, "SELECT count(*), sum(hash(person_id, manad, formankod, omfattning, dagar, belopp_sek, "
                           "skatt_sek, source_line)) FROM raw.fk_utbetalningar")
    files = sorted(str(p.relative_to(home)).split("__")[-1] for p in (home / "archive").rglob("*") if p.is_file())
    inbox = [p.name for p in (home / "inbox").rglob("*") if p.is_file()]
    return ledger, content, files, inbox


def test_sigkill_during_load_then_rerun_equals_one_clean_run(tmp_path, big_delivery):
    clean = tmp_path / "clean"
    deliver_big(clean, big_delivery)
    started = time.monotonic()
    assert start_load(clean).wait(timeout=600) == 0
    clean_seconds = time.monotonic() - started
    expected = state(clean)
    assert expected[0][0][4:] == ("loaded", ROWS, ROWS)
    assert expected[1][0][0] == ROWS

    killed_mid_load = 0
    for fraction in (0.35, 0.6, 0.85):
        home = tmp_path / f"killed-{fraction}"
        deliver_big(home, big_delivery)
        process = start_load(home)
        time.sleep(clean_seconds * fraction)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            killed_mid_load += 1
            # Nothing half-written: either no trace of the file in raw, or the whole of it.
            if (home / "warehouse.duckdb").exists():
                rows = query(Paths(home), "SELECT count(*) FROM information_schema.tables WHERE table_name = 'loads'")
                if rows[0][0]:
                    n = query(Paths(home), "SELECT count(*) FROM raw.fk_utbetalningar")[0][0]
                    assert n in (0, ROWS)
        assert start_load(home).wait(timeout=600) == 0
        assert state(home) == expected, f"killed at {fraction:.0%} of a clean run"
    assert killed_mid_load >= 2, "the loads finished before they could be killed: make the file bigger"
