"""Analysts stay in their tier (issue 15, item 8).

`utfall sql` opens the published copy sandboxed: it cannot ATTACH the engineers' warehouse,
COPY rows to a file, read other files or undo the sandbox with SET/RESET, and it reads no
file but a published copy. The files Utfall writes get the modes of their tier whatever the
umask of the account running it: a real load, build, gate and evaluation, run once with a
wide-open umask (0o000) and once with a closed one (0o077), then every mode is read back.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import stat
import subprocess
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from tests.conftest import GATE_YEAR, VENV_BIN, cli_env, deliver, pid
from utfall.db.config import Paths
from utfall.warehouse.analyst_copy import analyst_db_path, publish

PERSON = pid(1)


def utfall(paths: Paths, *args: str, umask: int | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "utfall"), *args], env=cli_env(paths), capture_output=True, text=True,
                          timeout=1800, preexec_fn=None if umask is None else (lambda: os.umask(umask)))


# --- `utfall sql`: the sandbox ------------------------------------------------------------------

@pytest.fixture
def published_home(home: Paths) -> Paths:
    """A warehouse with person-level rows beside a mart, published; a delivery file beside it."""
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("CREATE SCHEMA raw; CREATE SCHEMA marts")
        con.execute("CREATE TABLE raw.fk_utbetalningar AS SELECT ? AS person_id, 12345 AS belopp_sek", [PERSON])
        con.execute("CREATE TABLE marts.mart_year AS SELECT 'sf01' AS forbund_id, 42 AS persons")
    publish(home)
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", f"person_id;belopp_sek\n{PERSON};12345\n")
    return home


def test_the_published_copy_is_still_queried(published_home):
    done = utfall(published_home, "sql", "--csv", "SELECT forbund_id, persons FROM marts.mart_year")
    assert (done.returncode, done.stdout) == (0, "forbund_id,persons\nsf01,42\n"), done.stderr


@pytest.mark.parametrize("statement", [
    "ATTACH '{warehouse}' AS w (READ_ONLY); SELECT person_id FROM w.raw.fk_utbetalningar",
    "ATTACH '{warehouse}' AS w; SELECT person_id FROM w.raw.fk_utbetalningar",
    "COPY (SELECT * FROM marts.mart_year) TO '{out}'",
    "EXPORT DATABASE '{out_dir}'",
    "SELECT * FROM read_csv('{delivery}')",
    "SELECT * FROM read_csv_auto('{delivery}')",
    "SELECT content FROM read_text('{delivery}')",
    "SELECT * FROM read_parquet('{warehouse}')",
    "SELECT * FROM glob('{inbox}/*/*')",
    "INSTALL httpfs",
    "LOAD httpfs",
])
def test_utfall_sql_reaches_no_other_file(published_home, statement, tmp_path):
    home, out = published_home, tmp_path / "out"
    out.mkdir()
    sql = statement.format(warehouse=home.warehouse, out=out / "rows.csv", out_dir=out / "export",
                           delivery=home.inbox / "fk_utbetalningar" / "fk_utbetalningar_202401.csv", inbox=home.inbox)
    done = utfall(home, "sql", "--csv", sql)
    assert done.returncode == 1, done.stdout
    assert "disabled" in done.stderr, done.stderr  # DuckDB: "… disabled by configuration"
    assert PERSON not in done.stdout + done.stderr and "12345" not in done.stdout + done.stderr
    assert sorted(p.name for p in out.iterdir()) == []


@pytest.mark.parametrize("statement", [
    "SET enable_external_access = true",
    "RESET enable_external_access",
    "SET lock_configuration = false",
    "SET GLOBAL enable_external_access = true",
    "SET threads = 1",
])
def test_utfall_sql_cannot_undo_its_sandbox(published_home, statement):
    done = utfall(published_home, "sql", "--csv",
                  f"{statement}; ATTACH '{published_home.warehouse}' AS w; SELECT person_id FROM w.raw.fk_utbetalningar")
    assert done.returncode == 1 and "configuration has been locked" in done.stderr, done.stdout + done.stderr
    assert PERSON not in done.stdout + done.stderr


def test_utfall_sql_reads_only_a_published_copy(published_home, tmp_path):
    home = published_home
    done = utfall(home, "sql", "--csv", "--db", str(home.warehouse), "SELECT person_id FROM raw.fk_utbetalningar")
    assert done.returncode == 1 and "not a published analyst copy" in done.stderr, done.stdout + done.stderr
    assert PERSON not in done.stdout + done.stderr
    # a person column smuggled into a copy with the published schemas is refused too
    fake = tmp_path / "fake.duckdb"
    with duckdb.connect(str(fake)) as con:
        con.execute("CREATE SCHEMA marts; CREATE TABLE manifest (table_name VARCHAR)")
        con.execute("CREATE TABLE marts.m AS SELECT ? AS person_id", [PERSON])
    done = utfall(home, "sql", "--csv", "--db", str(fake), "SELECT 1")
    assert done.returncode == 1 and "not a published analyst copy" in done.stderr, done.stdout + done.stderr
    # another published copy is fine
    copy = tmp_path / "copy.duckdb"
    shutil.copy(analyst_db_path(home), copy)
    assert utfall(home, "sql", "--csv", "--db", str(copy), "SELECT persons FROM marts.mart_year").stdout == "persons\n42\n"


# --- file modes by tier, after a real load, build, gate and evaluation ----------------------------

HOSTILE_INSATS = '=HYPERLINK("http://angripare.example","Klicka här")'
HOSTILE_REASON = "=1+1 beslut i styrgruppen"
OPEN, CLOSED = 0o000, 0o077  # the umask of whoever runs Utfall: must not matter


def hostile_snapshot(paths: Paths) -> tuple[str, str]:
    """(name, text): sf01's newest insatser snapshot one day later, one insats renamed to a formula."""
    archived = sorted((paths.archive / "insatser").glob("*__insatser_sf01_*.csv"), key=lambda p: p.name.split("_")[-1])
    newest = archived[-1]
    day = date.fromisoformat(newest.stem.split("_")[-1][:4] + "-" + newest.stem.split("_")[-1][4:6] + "-"
                             + newest.stem.split("_")[-1][6:8]) + timedelta(days=1)
    rows = list(csv.reader(io.StringIO(newest.read_text(encoding="utf-8-sig")), delimiter=";"))
    rows[1][rows[0].index("namn")] = HOSTILE_INSATS
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows(rows)
    return f"insatser_sf01_{day:%Y%m%d}.csv", out.getvalue()


@pytest.fixture(scope="module")
def evaluated(gate_clean_built: Paths, tmp_path_factory: pytest.TempPathFactory) -> Paths:
    paths = Paths(tmp_path_factory.mktemp("tiers") / "home")
    shutil.copytree(gate_clean_built.home, paths.home)
    deliver(paths, "insatser", *hostile_snapshot(paths))
    steps = [(OPEN, "load"), (CLOSED, "build"),
             (OPEN, "waive", "completeness_months_fk_utbetalningar", "--year", str(GATE_YEAR), "--forbund", "sf01",
              "--reason", HOSTILE_REASON, "--by", "+46 Anna"),
             (CLOSED, "gate", "--year", str(GATE_YEAR), "--forbund", "sf01"),
             (CLOSED, "evaluate", "--year", str(GATE_YEAR), "--forbund", "sf01")]
    for umask, *args in steps:
        done = utfall(paths, *args, umask=umask)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    # and a refused file, under the open umask: quarantine and its reason file
    deliver(paths, "fk_utbetalningar", "fk_utbetalningar_202406.csv", "person_id;manad\nx;y\n")
    assert utfall(paths, "load", umask=OPEN).returncode == 1
    return paths


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def modes_under(root: Path) -> dict[str, set[int]]:
    """{'folders': modes, 'files': modes} of root and everything beneath it."""
    out = {"folders": {mode(root)}, "files": set()}
    for folder, folders, files in os.walk(root):
        out["folders"] |= {mode(Path(folder) / n) for n in folders}
        out["files"] |= {mode(Path(folder) / n) for n in files}
    return out


def test_the_engineers_tier_is_for_the_engineers_group_only(evaluated):
    home = evaluated.home
    assert mode(home / "warehouse.duckdb") == 0o640
    assert (home / "quarantine" / "fk_utbetalningar" / "fk_utbetalningar_202406.csv.reason.txt").exists()
    for name in ("archive", "quarantine", "dq", "dbt"):
        found = modes_under(home / name)
        assert found == {"folders": {0o750}, "files": {0o640}}, (name, {k: sorted(map(oct, v)) for k, v in found.items()})


def test_analysts_read_the_published_copy_and_reporters_the_outbox(evaluated):
    home = evaluated.home
    assert mode(home) == 0o751  # others pass through to published/ and outbox/ without listing
    assert modes_under(home / "published") == {"folders": {0o755}, "files": {0o644}}
    assert modes_under(home / "outbox") == {"folders": {0o755}, "files": {0o644}}
    assert sorted(p.name for p in (home / "outbox" / "sf01" / str(GATE_YEAR)).iterdir()) == [
        "manifest.json", "tabeller.xlsx", "utvardering.html", "utvardering.pdf"]


def test_nothing_else_is_readable_by_others(evaluated):
    home = evaluated.home
    readable = [str(p.relative_to(home)) for p in home.rglob("*")
                if not p.is_symlink() and mode(p) & stat.S_IROTH
                and p.relative_to(home).parts[0] not in ("published", "outbox", "inbox", "airflow")]
    assert readable == []


def test_the_real_evaluation_workbook_is_inert(evaluated):
    workbook = load_workbook(evaluated.home / "outbox" / "sf01" / str(GATE_YEAR) / "tabeller.xlsx")
    cells = [c for ws in workbook.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    hostile = {c.value: c.data_type for c in cells if c.value in (HOSTILE_INSATS, HOSTILE_REASON, "+46 Anna")}
    assert hostile == {HOSTILE_INSATS: "s", HOSTILE_REASON: "s", "+46 Anna": "s"}
