"""Nothing outside its place (issue 15, item 1): paths built from input stay inside their root,
and inbox entries that are not regular files are quarantined unopened, never followed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import VENV_BIN, cli_env, deliver, query
from tests.support.samples import GOOD_FK, GOOD_REGION
from utfall.db.config import Paths
from utfall.evaluation.evaluate import outbox_folder
from utfall.ingest.loader import load

SECRET = "root:x:0:0:8503121231 hemlig första rad\n"


def run_cli(home: Paths, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "utfall"), *args], env=cli_env(home), capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("forbund", ["../../x", "..", "sf01/../../x", "/tmp/x", "sf_01", "", "a" * 21])
def test_malformed_forbund_id_builds_no_outbox_path(home, forbund):
    with pytest.raises(ValueError, match="malformed förbund id"):  # utfall.ingest.places.PlaceError
        outbox_folder(home, forbund, 2024)


def test_wellformed_forbund_id_gets_its_outbox_folder(home):
    assert outbox_folder(home, "sf-01", 2024) == home.home / "outbox" / "sf-01" / "2024"


def test_evaluate_with_a_path_for_forbund_is_a_usage_error_and_touches_nothing(home, tmp_path):
    # What `--forbund ../../x` pointed at: a folder beside $UTFALL_HOME, with a file in it.
    victim = tmp_path / "x" / "2024"
    victim.mkdir(parents=True)
    (victim / "keep.txt").write_text("keep me")
    result = run_cli(home, "evaluate", "--year", "2024", "--forbund", "../../x")
    assert result.returncode == 2, result.stderr
    assert "malformed förbund id" in result.stderr
    assert (victim / "keep.txt").read_text() == "keep me"
    assert sorted(p.name for p in victim.parent.parent.iterdir()) == ["home", "x"]
    assert not (home.home / "outbox").exists()


def test_inside_refuses_every_way_out_of_the_root(tmp_path):
    from utfall.ingest.places import PlaceError, inside  # here: the rest of the module also runs on a main without it

    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "outside").mkdir()
    (root / "link").symlink_to(tmp_path / "outside")
    assert inside(root, "fk_utbetalningar", "1__a.csv") == root / "fk_utbetalningar" / "1__a.csv"
    for parts in [("..",), ("a", ".."), ("a/b",), ("/etc",), ("",), (".",), ("a\0b",), ("link", "f.csv")]:
        with pytest.raises(PlaceError):
            inside(root, *parts)


def quarantined_unopened(home: Paths, folder: str, name: str) -> str:
    """The entry's ledger row and reason file; returns the reason text."""
    [(status, sha, size, rows)] = query(home, "SELECT status, sha256, file_size, rows_loaded FROM raw.loads "
                                              "WHERE file_name = ?", [name])
    assert (status, sha, size, rows) == ("quarantined", None, None, 0)
    reason = (home.quarantine / folder / f"{name}.reason.txt").read_text(encoding="utf-8")
    assert "[not_regular_file]" in reason
    return reason


def link_delivery(home: Paths, target: Path, text: str) -> None:
    """inbox/region_vard/region_vard_202401.csv as a symlink to `target`, which holds `text`."""
    target.write_text(text)
    (home.inbox / "region_vard").mkdir()
    (home.inbox / "region_vard" / "region_vard_202401.csv").symlink_to(target)


def test_symlink_to_a_secret_is_quarantined_without_reading_it(home, tmp_path):
    secret = tmp_path / "passwd"
    link_delivery(home, secret, SECRET)
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", GOOD_FK)
    report = load(home)
    assert [(o.file_name, o.status) for o in report.outcomes] == [
        ("fk_utbetalningar_202401.csv", "loaded"), ("region_vard_202401.csv", "quarantined")]
    reason = quarantined_unopened(home, "region_vard", "region_vard_202401.csv")
    assert "a symbolic link, not a regular file" in reason
    assert "hemlig" not in reason and "8503121231" not in reason and "root:x" not in reason
    # The link itself was moved; its target is untouched, and nothing of it is in raw.
    moved = home.quarantine / "region_vard" / "region_vard_202401.csv"
    assert moved.is_symlink() and secret.read_text() == SECRET
    assert query(home, "SELECT count(*) FROM raw.region_vard") == [(0,)]
    assert report.exit_code == 1


def test_symlink_to_a_valid_delivery_is_not_loaded_and_the_archive_keeps_only_real_bytes(home, tmp_path):
    real = tmp_path / "elsewhere.csv"
    link_delivery(home, real, GOOD_REGION)
    [outcome] = load(home).outcomes
    assert outcome.status == "quarantined"
    quarantined_unopened(home, "region_vard", "region_vard_202401.csv")
    assert query(home, "SELECT count(*) FROM raw.region_vard") == [(0,)]
    assert not home.archive.exists() or not any(home.archive.rglob("*"))
    assert real.read_text() == GOOD_REGION


def test_feed_folder_that_is_a_symlink_is_quarantined_and_its_target_left_alone(home, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "region_vard_202401.csv").write_text(GOOD_REGION)
    (home.inbox / "region_vard").symlink_to(outside)
    [outcome] = load(home).outcomes
    assert (outcome.feed, outcome.status) == (None, "quarantined")
    quarantined_unopened(home, "_okand_flode", "region_vard")
    assert (outside / "region_vard_202401.csv").read_text() == GOOD_REGION
    assert (home.quarantine / "_okand_flode" / "region_vard").is_symlink()
    assert query(home, "SELECT count(*) FROM raw.region_vard") == [(0,)]


def test_folder_fifo_and_dangling_link_in_a_feed_folder_are_quarantined_and_the_run_goes_on(home):
    folder = home.inbox / "region_vard"
    folder.mkdir()
    (folder / "region_vard_202402.csv").mkdir()
    (folder / "region_vard_202402.csv" / "inner.csv").write_text(GOOD_REGION)
    os.mkfifo(folder / "region_vard_202403.csv")  # opening it would wait for a writer for ever
    (folder / "region_vard_202404.csv").symlink_to(folder / "no_such_file")
    deliver(home, "region_vard", "region_vard_202401.csv", GOOD_REGION)
    result = run_cli(home, "load", timeout=120)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    kinds = {"region_vard_202402.csv": "a folder", "region_vard_202403.csv": "a named pipe (FIFO)",
             "region_vard_202404.csv": "a symbolic link"}
    for name, kind in kinds.items():
        assert f"{kind}, not a regular file" in quarantined_unopened(home, "region_vard", name)
    assert (home.quarantine / "region_vard" / "region_vard_202402.csv" / "inner.csv").read_text() == GOOD_REGION
    assert query(home, "SELECT file_name, rows_loaded FROM raw.loads WHERE status = 'loaded'") == [
        ("region_vard_202401.csv", 2)]
    assert sorted(os.listdir(folder)) == []
