"""The person-month panel is incremental: after each kind of change it equals a rebuild from scratch.

The test builds the generated gate data (2 förbund, 300 participants, 2022–2024, one
Försäkringskassan month held back), changes the inputs, builds again (incrementally), and
compares the whole panel, fct_episodes and two marts with a full rebuild of a copy of the
same warehouse. dbt's log says what the incremental run rebuilt, so the test also shows it
did not rebuild everything.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import date
from pathlib import Path

import duckdb

from tests.conftest import GATE_HELD_BACK, deliver, pid
from utfall.warehouse.dbt_build import build
from utfall.db.config import Paths
from utfall.ingest.loader import delivered_name, load

PANEL = "intermediate.int_person_months"
TODAY = date(2025, 3, 1)


def build_ok(paths: Paths, full_refresh: bool = False) -> str:
    """Build; return what dbt logged about the panel in this run."""
    log = paths.home / "dbt" / "logs" / "dbt.log"
    before = log.stat().st_size if log.exists() else 0
    # one log file however long the builds make it: dbt rolls dbt.log over at 10 MB, and this
    # run's line would then be in the rolled file (0 = no limit)
    os.environ["DBT_LOG_FILE_MAX_BYTES"] = "0"
    try:
        result = build(paths, full_refresh=full_refresh)
    finally:
        os.environ.pop("DBT_LOG_FILE_MAX_BYTES", None)
    assert result.success, result.failures
    with log.open(encoding="utf-8", errors="replace") as fh:
        fh.seek(before)
        said = re.findall(r"int_person_months: (rebuilding[^\n]*)", fh.read())
    return said[-1] if said else ""


def assert_equals_full_rebuild(paths: Paths, tmp_path: Path) -> int:
    """The incremental panel equals the panel a full rebuild of the same warehouse makes."""
    fresh = Paths(tmp_path / "fresh")
    shutil.rmtree(fresh.home, ignore_errors=True)
    fresh.home.mkdir(parents=True)
    shutil.copy(paths.warehouse, fresh.warehouse)
    build_ok(fresh, full_refresh=True)
    con = duckdb.connect()
    con.execute(f"ATTACH '{paths.warehouse}' AS incremental (READ_ONLY)")
    con.execute(f"ATTACH '{fresh.warehouse}' AS rebuilt (READ_ONLY)")
    rows = con.execute(f"SELECT count(*) FROM incremental.{PANEL}").fetchone()[0]
    # The panel, and the tables that read it, must agree
    for table in (PANEL, "core.fct_episodes", "marts.mart_outcomes_year", "marts.mart_flows_month"):
        differ = rows_differing(con, table)
        assert differ == 0, f"{differ} rows of {table} differ from a full rebuild"
    return rows


def rows_differing(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Rows in one database's table and not the other's (as multisets).

    Doubles are compared to 9 decimals: sums of doubles come out in the last bit
    differently depending on the order DuckDB's threads add them in, on any two builds.
    """
    schema, name = table.split(".")
    columns = ", ".join(
        f"round({column}, 9)" if data_type == "DOUBLE" else column
        for column, data_type in con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE database_name = 'incremental' AND schema_name = ? AND table_name = ? ORDER BY column_index",
            [schema, name]).fetchall())
    return con.execute(f"""
        SELECT count(*) FROM (
            (SELECT {columns} FROM incremental.{table} EXCEPT ALL SELECT {columns} FROM rebuilt.{table})
            UNION ALL
            (SELECT {columns} FROM rebuilt.{table} EXCEPT ALL SELECT {columns} FROM incremental.{table}))
    """).fetchone()[0]


def panel_value(paths: Paths, sql: str) -> list[tuple]:
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def edit_archived(paths: Paths, feed: str, name_part: str, edit) -> str:
    """Re-deliver an archived file with its text changed by `edit` (a correction); return its name."""
    (source,) = [p for p in (paths.archive / feed).iterdir() if name_part in p.name]
    name = delivered_name(source)
    deliver(paths, feed, name, edit(source.read_text(encoding="utf-8")))
    return name


def test_each_kind_of_change_rebuilds_only_what_changed_and_equals_a_full_rebuild(
        gate_home, tmp_path, monkeypatch):
    paths, held = gate_home
    # A private copy of the project, so that a seed can change (step 2)
    project = tmp_path / "project"
    repo = Path(__file__).resolve().parents[2]
    for folder in ("dbt", "seeds", "expectations"):
        shutil.copytree(repo / folder, project / folder, ignore=shutil.ignore_patterns("target", "logs"))
    monkeypatch.setenv("UTFALL_PROJECT_DIR", str(project))

    assert build_ok(paths) == "rebuilding every month (first build or --full-refresh)"
    persons = panel_value(paths, f"SELECT count(DISTINCT person_id) FROM {PANEL}")[0][0]
    months = panel_value(paths, f"SELECT count(DISTINCT month_start) FROM {PANEL}")[0][0]
    assert months == 36  # 2022-01 … 2024-12: the other feeds delivered 2023-06
    work_2023 = panel_value(paths, f"SELECT count(*) FILTER (WHERE is_work) FROM {PANEL} WHERE year = 2023")[0][0]

    # 1. Deliveries change, one of each kind, at once:
    #    - a month of one feed arrives late (FK 2023-06);
    #    - an old month of another is corrected (one salary doubled in Skatteverket's 2022-03);
    #    - sf01's register: a newer snapshot drops one person and adds a new one, who has a
    #      salary in a corrected 2024-02 of Skatteverket.
    shutil.copy(held / GATE_HELD_BACK, paths.inbox / "fk_utbetalningar" / GATE_HELD_BACK)
    corrected = {}

    def double_first_salary(text: str) -> str:
        lines = text.splitlines()
        cells = lines[1].split(";")  # person_id;manad;arbetsgivare_sektor;bruttolon_sek;skatteavdrag_sek
        cells[3] = str(int(cells[3]) * 2)
        lines[1] = ";".join(cells)
        corrected.update(person=cells[0], salary=float(cells[3]))
        return "\n".join(lines) + "\n"

    edit_archived(paths, "skv_lon", "skv_lon_202203", double_first_salary)

    newcomer = pid(999_001)
    (snapshot,) = [p for p in (paths.archive / "deltagare").iterdir() if "_sf01_" in p.name]
    assert snapshot.name.endswith("_20241231.csv")  # the generated extract; a newer one replaces it
    rows = snapshot.read_text(encoding="utf-8").splitlines()
    gone = next(r for r in rows[1:] if not r.startswith(corrected["person"])).split(";")[0]
    rows = [r for r in rows if not r.startswith(gone)]
    rows.append(f"{newcomer};sf01;sf01-ips1;2023-01-10;2023-02-01;;K;1990;0180;gymnasium;aktiv;")
    deliver(paths, "deltagare", "deltagare_sf01_20250115.csv", "\n".join(rows) + "\n")
    edit_archived(paths, "skv_lon", "skv_lon_202402",
                  lambda text: text.rstrip("\n") + f"\n{newcomer};2024-02;PRIVAT;25000;7000\n")
    assert not load(paths, today=TODAY).quarantined

    assert build_ok(paths) == ("rebuilding 3 changed month(s), new participants, "
                               "removing participants no longer in the register")
    assert panel_value(paths, f"SELECT salary_sek FROM {PANEL} "
                              f"WHERE person_id = '{corrected['person']}' AND month_start = '2022-03-01'") == [
        (corrected["salary"],)]
    assert panel_value(paths, f"SELECT count(*) FROM {PANEL} "
                              "WHERE month_start = '2023-06-01' AND support_fk_sek > 0")[0][0] > 0
    assert panel_value(paths, f"SELECT count(*) FROM {PANEL} WHERE person_id = '{gone}'") == [(0,)]
    # 36 months, a salary of 25,000 (above 2024's threshold of 7,200) in one of them
    assert panel_value(paths, f"SELECT count(*), sum(salary_sek), count(*) FILTER (WHERE status = 'arbete') "
                              f"FROM {PANEL} WHERE person_id = '{newcomer}'") == [(36, 25000.0, 1)]
    assert assert_equals_full_rebuild(paths, tmp_path) == persons * months

    # 2. A rule's parameter changes (2023's salary threshold set to 1 SEK): every month is rebuilt
    parameters = project / "seeds" / "yearly_parameters.csv"
    lines = parameters.read_text(encoding="utf-8").splitlines()
    column = lines[0].split(",").index("salary_threshold_month_sek")
    for i, line in enumerate(lines):
        cells = line.split(",")
        if cells[0] == "2023":
            cells[column] = "1"
            lines[i] = ",".join(cells)
    parameters.write_text("\n".join(lines) + "\n", encoding="utf-8")

    assert build_ok(paths) == "rebuilding every month (the rules or a seed they use changed)"
    assert panel_value(paths, f"SELECT count(*) FILTER (WHERE is_work) FROM {PANEL} WHERE year = 2023")[0][0] > work_2023
    assert assert_equals_full_rebuild(paths, tmp_path) == persons * months

    # 3. Nothing changed: nothing is rebuilt
    assert build_ok(paths) == "rebuilding 0 changed month(s)"
