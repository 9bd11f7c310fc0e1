"""No crash blocks the inbox (issue 15, item 5): a file that cannot be handled is quarantined
as `unreadable` (or left, named, when it cannot even be moved) and the run goes on; loads at
once wait for each other; a build holds the warehouse until it has published."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import VENV_BIN, cli_env, deliver, query
from tests.support.samples import FK_HEADER, GOOD_FK, GOOD_REGION
from utfall.db.config import Paths
from utfall.ingest.loader import load
from utfall.warehouse.analyst_copy import analyst_db_path

PERSONNUMMER = "8503121231"


def run_cli(home: Paths, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "utfall"), *args], env=cli_env(home), capture_output=True, text=True,
                          timeout=timeout)


def start_cli(home: Paths, *args: str) -> subprocess.Popen:
    return subprocess.Popen([str(VENV_BIN / "utfall"), *args], env=cli_env(home), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def reason_of(home: Paths, folder: str, name: str) -> str:
    return (home.quarantine / folder / f"{name}.reason.txt").read_text(encoding="utf-8")


def test_ten_megabyte_line_is_quarantined_unreadable_and_the_next_load_runs_clean(home):
    line = f"{PERSONNUMMER};" + "x" * (10 * 1024 * 1024) + "\n"
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", FK_HEADER + "\n" + line)
    deliver(home, "region_vard", "region_vard_202401.csv", GOOD_REGION)
    first = run_cli(home, "load")
    assert first.returncode == 1, first.stderr
    assert "Traceback" not in first.stderr and PERSONNUMMER not in first.stderr + first.stdout
    reason = reason_of(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv")
    assert "[unreadable] the file could not be read or checked (" in reason
    assert PERSONNUMMER not in reason and "xxxx" not in reason
    assert query(home, "SELECT file_name, status FROM raw.loads ORDER BY file_name") == [
        ("fk_utbetalningar_202401.csv", "quarantined"), ("region_vard_202401.csv", "loaded")]
    again = run_cli(home, "load")
    assert (again.returncode, "Nothing new in the inbox." in again.stdout) == (0, True), again.stderr


def test_file_name_of_250_bytes_is_quarantined_under_a_name_that_fits(home):
    name = "fk_utbetalningar_202401_" + "å" * 111 + ".csv"  # 24 + 222 + 4 = 250 bytes
    assert len(name.encode()) == 250
    deliver(home, "fk_utbetalningar", name, GOOD_FK)
    result = run_cli(home, "load")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    [(file_name, status, stored)] = query(home, "SELECT file_name, status, stored_path FROM raw.loads")
    assert (file_name, status) == (name, "quarantined")
    stored = Path(stored)
    assert stored.read_text() == GOOD_FK and len(stored.name.encode()) <= 200
    assert stored.name.startswith("fk_utbetalningar_202401_ååå") and stored.name.endswith("….csv")
    assert "[file_name]" in stored.with_name(stored.name + ".reason.txt").read_text(encoding="utf-8")
    assert not any((home.inbox / "fk_utbetalningar").iterdir())


def test_non_utf8_byte_in_a_file_or_folder_name_is_quarantined_with_a_readable_name(home):
    folder = home.inbox / "fk_utbetalningar"
    folder.mkdir()
    with open(os.path.join(os.fsencode(folder), b"fk_utbetalningar_2024\xff1.csv"), "wb") as fh:
        fh.write(GOOD_FK.encode())
    odd_folder = os.path.join(os.fsencode(home.inbox), b"flode\xff")
    os.mkdir(odd_folder)
    with open(os.path.join(odd_folder, b"x.csv"), "wb") as fh:
        fh.write(b"a;b\n1;2\n")
    deliver(home, "region_vard", "region_vard_202401.csv", GOOD_REGION)
    result = run_cli(home, "load")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert query(home, "SELECT feed, file_name, status FROM raw.loads ORDER BY load_id") == [
        ("fk_utbetalningar", "fk_utbetalningar_2024\ufffd1.csv", "quarantined"),
        (None, "x.csv", "quarantined"), ("region_vard", "region_vard_202401.csv", "loaded")]
    assert "[file_name]" in reason_of(home, "fk_utbetalningar", "fk_utbetalningar_2024\ufffd1.csv")
    assert "[unknown_feed]" in reason_of(home, "flode\ufffd", "x.csv")
    assert os.listdir(folder) == [] and os.listdir(odd_folder) == []
    assert run_cli(home, "load").returncode == 0


@pytest.fixture
def immutable(home):
    """chattr +i on paths (root ignores mode bits, not this); undone after the test."""
    made: list[Path] = []

    def make(path: Path) -> None:
        subprocess.run(["chattr", "+i", str(path)], check=True)
        made.append(path)

    yield make
    for path in made:
        subprocess.run(["chattr", "-i", str(path)], check=False)


def test_immutable_feed_folder_loads_once_reports_the_stuck_file_and_never_crashes(home, immutable):
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", GOOD_FK)
    deliver(home, "region_vard", "region_vard_202401.csv", GOOD_REGION)
    immutable(home.inbox / "fk_utbetalningar")  # nothing can be moved out of it
    for _ in range(2):
        result = run_cli(home, "load")
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert "not handled fk_utbetalningar_202401.csv: recorded in the ledger but could not be moved" in (
            " ".join(result.stdout.split()))
        # Loaded once; the second run only tried the move again.
        assert query(home, "SELECT file_name, status FROM raw.loads ORDER BY load_id") == [
            ("fk_utbetalningar_202401.csv", "loaded"), ("region_vard_202401.csv", "loaded")]
        assert query(home, "SELECT count(*) FROM raw.fk_utbetalningar") == [(3,)]
    subprocess.run(["chattr", "-i", str(home.inbox / "fk_utbetalningar")], check=True)
    [outcome] = load(home).outcomes
    assert (outcome.status, outcome.recovered) == ("loaded", True)
    assert outcome.stored_path.read_text() == GOOD_FK


def test_immutable_bad_file_is_recorded_once_and_named_until_it_can_move(home, immutable):
    bad = deliver(home, "fk_utbetalningar", "fk_utbetalningar_202402.csv", GOOD_FK)  # period mismatch
    immutable(bad)
    for _ in range(2):
        report = load(home)
        assert report.outcomes == [] and report.exit_code == 1
        assert [u.split(":")[0] for u in report.unhandled] == ["fk_utbetalningar_202402.csv"]
    assert query(home, "SELECT status FROM raw.loads") == [("quarantined",)]
    assert "[period_mismatch]" in reason_of(home, "fk_utbetalningar", "fk_utbetalningar_202402.csv")


def test_unreadable_file_and_folder_without_root_privileges_never_crash_a_load(home):
    """Root reads anything; without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH (dropped from the
    bounding set) it obeys mode bits like any other user."""
    deliver(home, "region_vard", "region_vard_202401.csv", GOOD_REGION)
    unreadable = deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", GOOD_FK)
    unreadable.chmod(0)
    closed = home.inbox / "af_status"
    closed.mkdir()
    closed.chmod(0)
    try:
        for run in range(2):
            result = subprocess.run(["setpriv", "--bounding-set=-dac_override,-dac_read_search",
                                     str(VENV_BIN / "utfall"), "load"], env=cli_env(home), capture_output=True,
                                    text=True, timeout=300)
            assert result.returncode == 1, result.stderr
            assert "Traceback" not in result.stderr
            assert "folder " + str(closed) + " could not be listed (PermissionError)" in " ".join(result.stdout.split())
            assert query(home, "SELECT file_name, status, sha256 IS NULL FROM raw.loads ORDER BY file_name") == [
                ("fk_utbetalningar_202401.csv", "quarantined", True), ("region_vard_202401.csv", "loaded", False)]
        assert ("[unreadable] the file could not be read or checked (PermissionError)"
                in reason_of(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv"))
    finally:
        closed.chmod(0o755)


# Holds the warehouse as a load would, so that both loads list the inbox before either can start.
HOLDERS = {
    "duckdb": "import duckdb; c = duckdb.connect({target!r})",
    "postgresql": "from utfall.db.target import PostgresConnection; c = PostgresConnection({target!r}, "
                  "role='utfall_loader'); c.wait_for_other_loaders()",
}


@pytest.mark.parametrize("backend", ["duckdb", "postgresql"])
def test_two_loads_at_once_wait_for_each_other_and_load_every_file_once(home, backend, request):
    if backend == "postgresql":
        home = Paths(home.home, request.getfixturevalue("postgres").create_database(
            f"hostile_{request.node.name[-20:].lower().strip('[]')}_{os.getpid()}"))
    for month in range(1, 7):
        deliver(home, "region_vard", f"region_vard_2024{month:02d}.csv",
                GOOD_REGION.replace("2024-01", f"2024-{month:02d}"))
    home.warehouse.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [str(VENV_BIN / "python"), "-c",
         HOLDERS[backend].format(target=home.warehouse_dsn or str(home.warehouse))
         + "; import time; print('held', flush=True); time.sleep(8); c.close()"],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    loads = [start_cli(home, "load") for _ in range(2)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in loads]
    holder.wait()
    for code, out, err in results:
        assert code == 0, err
        assert "Traceback" not in err
    assert sorted(r[1].count("Load summary") for r in results) == [0, 1]  # one loaded, one found nothing
    assert query(home, "SELECT count(*), count(DISTINCT file_name) FROM raw.loads WHERE status = 'loaded'") == [
        (6, 6)]
    assert query(home, "SELECT count(*) FROM raw.region_vard") == [(12,)]


def test_load_started_during_a_build_waits_until_the_build_has_published(home):
    deliver(home, "region_vard", "region_vard_202401.csv", GOOD_REGION)
    assert run_cli(home, "load").returncode == 0
    deliver(home, "region_vard", "region_vard_202402.csv", GOOD_REGION.replace("2024-01", "2024-02"))
    build = start_cli(home, "build")
    time.sleep(4)
    loading = start_cli(home, "load")
    build_out, build_err = build.communicate(timeout=900)
    load_out, load_err = loading.communicate(timeout=900)
    assert build.returncode == 0, build_out + build_err
    assert loading.returncode == 0, load_err
    assert "Could not set lock" not in build_out + build_err
    assert "locked by process" in load_err and "waiting" in load_err
    with duckdb.connect(str(analyst_db_path(home)), read_only=True) as con:
        published_at = con.execute("SELECT max(published_at) FROM manifest").fetchone()[0]
    [(loaded_at,)] = query(home, "SELECT loaded_at FROM raw.loads WHERE file_name = 'region_vard_202402.csv'")
    assert loaded_at > published_at
