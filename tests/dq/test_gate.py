"""The quality gate (issue 4): catalogue, delivery and completeness levels, waivers, report, CLI.

Each scenario starts from the shared generated warehouse (`gate_home`: 2 förbund, 300
participants, 2022–2024, FK month 2023-06 held back), delivers its fault, builds and gates
2023. The figures asserted were worked out from the generated files (seed 7): FK 2023-06
has 251 rows; FK months 2023-03…2023-09 around it have 252, 252, 255, 249, 246, 245 rows.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
from datetime import date, timedelta

import duckdb
import pytest

from tests.conftest import GATE_HELD_BACK, GATE_YEAR, VENV_BIN, cli_env, query
from utfall.warehouse.dbt_build import build
from utfall.dq.catalogue import COLUMNS, CatalogueError, load_catalogue
from utfall.dq.gate import GateNotPassed, require_passed, run_gate
from utfall.dq.gate_model import Measurement, Scope
from utfall.dq.runner import LEVEL_MODULES, judge, level_of
from utfall.dq.waivers import record_waiver
from utfall.ingest.loader import load

TODAY = date(2025, 3, 1)
HEX64 = re.compile(r"[0-9a-f]{64}")


def load_and_build(paths):
    report = load(paths, today=TODAY)
    result = build(paths)
    assert result.success, result.failures
    return report


def deliver_held(paths, held, keep_rows: int | None = None) -> None:
    lines = (held / GATE_HELD_BACK).read_text(encoding="utf-8").splitlines(keepends=True)
    if keep_rows is not None:
        lines = lines[: 1 + keep_rows]
    (paths.inbox / "fk_utbetalningar").mkdir(parents=True, exist_ok=True)
    (paths.inbox / "fk_utbetalningar" / GATE_HELD_BACK).write_text("".join(lines), encoding="utf-8")


def gate_cli(paths, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "utfall"), *args], env=cli_env(paths), capture_output=True, text=True,
                          timeout=600)


def stored_results(paths, run_id: str) -> list[dict]:
    rows = query(paths, "SELECT * FROM dq.results WHERE run_id = ? ORDER BY check_id, forbund_id", [run_id])
    columns = [r[0] for r in query(paths, "SELECT column_name FROM information_schema.columns "
                                          "WHERE table_schema = 'dq' AND table_name = 'results' ORDER BY ordinal_position")]
    return [dict(zip(columns, row)) for row in rows]


def assert_no_person_id(paths, run_id: str, report_path) -> None:
    dump = query(paths, "SELECT string_agg(coalesce(query, '') || coalesce(message, '') || "
                        "coalesce(array_to_string(examples, '|'), ''), '\n') FROM dq.results WHERE run_id = ?",
                 [run_id])[0][0]
    assert not HEX64.search(dump)
    assert not HEX64.search(report_path.read_text(encoding="utf-8").replace(run_id, ""))


def test_clean_data_passes_every_check_runs_and_the_guard_follows(clean_home):
    paths = clean_home  # the held month delivered, loaded and built
    result = gate_cli(paths, "gate", "--year", str(GATE_YEAR))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "GODKÄND" in result.stdout and "index.html" in result.stdout
    [(run_id, passed, blocking, report)] = query(paths, "SELECT run_id, passed, blocking_failures, report_path "
                                                        "FROM dq.runs")
    assert passed and blocking == 0
    results = stored_results(paths, run_id)
    catalogue = load_catalogue()
    # every catalogue entry ran, and nothing ran that is not in the catalogue
    assert {r["check_id"] for r in results} == set(catalogue)
    assert {r["status"] for r in results} <= {"pass", "not_applicable"}
    by_key = {(r["check_id"], r["forbund_id"]): r for r in results}
    months = by_key[("completeness_months_fk_utbetalningar", None)]
    # the months the 2023 cohorts read: from the first month every feed had (2022-01; the earliest
    # inskrivning's 12 months before lie earlier) to the cut-off 2023-12, not the months after it
    assert (months["violated_rows"], months["denominator"], months["percent"]) == (0, 24, 0)
    # one result per förbund for register checks; CSN is too small to judge for truncation
    assert by_key[("completeness_register_deltagare", "sf01")]["status"] == "pass"
    assert by_key[("completeness_register_deltagare", "sf02")]["status"] == "pass"
    assert by_key[("completeness_volume_csn_studiestod", None)]["status"] == "not_applicable"
    assert by_key[("delivery_refused_fk_utbetalningar", None)]["denominator"] == 36  # files seen in 2022-01…2025-12
    assert all(level_of(m) in {"delivery", "completeness", "warehouse", "evaluation"} for m in LEVEL_MODULES)
    report_path = paths.home / "dq" / "reports" / run_id / "index.html"
    assert report == str(report_path)
    html = report_path.read_text(encoding="utf-8")
    assert "Datakvalitetsrapport" in html and "Data-quality report" in html and "GODKÄND" in html
    assert "<script" not in html and "http" not in html  # self-contained
    assert_no_person_id(paths, run_id, report_path)

    # the evaluation's guard: passed for the year, for each förbund (covered by the all-förbund run) …
    assert require_passed(paths, GATE_YEAR) == run_id
    assert require_passed(paths, GATE_YEAR, "sf02") == run_id
    with pytest.raises(GateNotPassed, match="har inte körts"):
        require_passed(paths, GATE_YEAR + 1)
    # … and stale as soon as a file loads after the run
    archived = next((paths.archive / "fk_utbetalningar").glob(f"*__{GATE_HELD_BACK}"))
    corrected = archived.read_text(encoding="utf-8").replace(";100;", ";50;", 1)
    (paths.inbox / "fk_utbetalningar" / GATE_HELD_BACK).write_text(corrected, encoding="utf-8")
    assert load(paths, today=TODAY).exit_code == 0
    with pytest.raises(GateNotPassed, match="inaktuell"):
        require_passed(paths, GATE_YEAR)

    # usage errors exit 2
    unknown = gate_cli(paths, "gate", "--year", str(GATE_YEAR), "--forbund", "sf99")
    assert unknown.returncode == 2 and "okänt förbund 'sf99'" in unknown.stderr


def bad_deltagare_snapshot(paths) -> str:
    """sf01's register again, newer extract date, one ended episode exiting before it began."""
    [archived] = (paths.archive / "deltagare").glob("*__deltagare_sf01_20241231.csv")
    rows = list(csv.DictReader(io.StringIO(archived.read_text(encoding="utf-8")), delimiter=";"))
    broken = next(r for r in rows if r["status"] == "avslutad")
    broken["avslutsdatum"] = str(date.fromisoformat(broken["inskrivningsdatum"]) - timedelta(days=1))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=";", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    name = "deltagare_sf01_20250115.csv"
    (paths.inbox / "deltagare").mkdir(parents=True, exist_ok=True)
    (paths.inbox / "deltagare" / name).write_text(out.getvalue(), encoding="utf-8")
    return name


def blocking_of(run) -> set[tuple[str, str | None]]:
    return {(r.check_id, r.forbund_id) for r in run.blocking}


def test_missing_month_and_refused_snapshot_fail_and_waivers_let_exactly_them_through(gate_home):
    paths, _ = gate_home  # the held FK month is never delivered
    name = bad_deltagare_snapshot(paths)
    report = load_and_build(paths)
    assert [o.file_name for o in report.quarantined] == [name]  # the loader's rule refused it

    waived_months = record_waiver(paths, "completeness_months_fk_utbetalningar", GATE_YEAR, None,
                                  "FK levererar juni 2023 i nästa leverans", "Anna Analytiker")
    # waivers of the same check for another förbund or another year do not count
    record_waiver(paths, "delivery_refused_deltagare", GATE_YEAR, "sf02", "fel förbund", "Bo Byråkrat")
    record_waiver(paths, "delivery_refused_deltagare", GATE_YEAR + 1, "sf01", "fel år", "Bo Byråkrat")

    result = gate_cli(paths, "gate", "--year", str(GATE_YEAR))
    assert result.returncode == 1, result.stdout + result.stderr
    out = " ".join(result.stdout.split())
    assert "completeness_months_fk_utbetalningar" in out and "saknas: 2023-06" in out
    assert "delivery_refused_deltagare" in out and name in out
    [(run_id,)] = query(paths, "SELECT run_id FROM dq.runs")
    results = {(r["check_id"], r["forbund_id"]): r for r in stored_results(paths, run_id)}
    failing = {k for k, r in results.items() if r["status"] in ("fail", "warn", "error")}
    assert failing == {("completeness_months_fk_utbetalningar", None), ("delivery_refused_deltagare", "sf01")}
    months = results[("completeness_months_fk_utbetalningar", None)]
    assert (months["status"], months["violated_rows"], months["denominator"], months["waiver_id"]) == (
        "fail", 1, 24, waived_months.waiver_id)
    assert months["examples"] == ["saknas: 2023-06"]
    refused = results[("delivery_refused_deltagare", "sf01")]
    assert (refused["status"], refused["violated_rows"], refused["denominator"], refused["percent"],
            refused["waiver_id"]) == ("fail", 1, 2, 50.0, None)
    assert refused["examples"][0].startswith(f"{name}: refused: ")
    assert results[("delivery_refused_deltagare", "sf02")]["status"] == "pass"
    with pytest.raises(GateNotPassed, match="1 blockerande"):
        require_passed(paths, GATE_YEAR, "sf01")

    waive = gate_cli(paths, "waive", "delivery_refused_deltagare", "--year", str(GATE_YEAR), "--forbund", "sf01",
                     "--reason", "Rättad fil kommer; registret 2024-12-31 gäller", "--by", "Cecilia Chef")
    assert waive.returncode == 0, waive.stderr
    run = run_gate(paths, Scope(GATE_YEAR))
    assert run.passed and blocking_of(run) == set()
    assert {(r.check_id, r.forbund_id) for r in run.results if r.waiver_id is not None} == {
        ("completeness_months_fk_utbetalningar", None), ("delivery_refused_deltagare", "sf01")}
    assert require_passed(paths, GATE_YEAR, "sf01") == run.run_id
    assert query(paths, "SELECT check_id, year, forbund_id, waived_by FROM dq.waivers ORDER BY waiver_id") == [
        ("completeness_months_fk_utbetalningar", 2023, None, "Anna Analytiker"),
        ("delivery_refused_deltagare", 2023, "sf02", "Bo Byråkrat"),
        ("delivery_refused_deltagare", 2024, "sf01", "Bo Byråkrat"),
        ("delivery_refused_deltagare", 2023, "sf01", "Cecilia Chef"),
    ]
    html = run.report_path.read_text(encoding="utf-8")
    assert "Cecilia Chef" in html and "Rättad fil kommer" in html and "Anna Analytiker" in html
    assert_no_person_id(paths, run.run_id, run.report_path)


@pytest.mark.parametrize("keep_rows", [125, 0], ids=["half", "empty_month"])
def test_truncated_delivery_fails_the_volume_check(gate_home, keep_rows):
    """Half of the month's 251 rows, or none: an empty month loads (issue 19), and here, where
    about 250 rows are usual, the volume check is what calls it suspicious."""
    paths, held = gate_home
    deliver_held(paths, held, keep_rows=keep_rows)
    load_and_build(paths)
    assert query(paths, "SELECT status, rows_loaded FROM raw.loads WHERE file_name = ?", [GATE_HELD_BACK]) == [
        ("loaded", keep_rows)]
    run = run_gate(paths, Scope(GATE_YEAR))
    assert not run.passed
    assert blocking_of(run) == {("completeness_volume_fk_utbetalningar", None)}
    [volume] = [r for r in run.results if r.check_id == "completeness_volume_fk_utbetalningar"]
    # against the median 250.5 of 252, 252, 255, 249, 246, 245 and the median 240.5 of
    # June 2022 (235) and June 2024 (246); the other 23 months the 2023 cohorts read are fine
    assert (volume.violated_rows, volume.denominator) == (1, 24)
    assert volume.examples == [
        f"2023-06: {keep_rows} rader, median för månaderna runt omkring 250.5 och för samma månad andra år 240.5"]


# --- Without a warehouse: judging, the catalogue, the waive command -----------------------

def test_an_unlisted_check_an_unmeasured_entry_and_a_broken_level_are_errors_and_person_ids_never_pass():
    catalogue = load_catalogue()
    measured = [(e.level, Measurement(cid, None, 0, 10, "select 1")) for cid, e in catalogue.items()
                if e.level != "warehouse" and cid != "completeness_months_af_status"]
    measured.append(("completeness", Measurement("completeness_made_up", None, 0, 10, "select 1")))
    measured.append(("delivery", Measurement("delivery_refused_skv_lon", "sf01", 1, 4, "select 1",
                                             examples=["person " + "ab" * 32])))
    results = judge(catalogue, measured, {"warehouse": "RuntimeError: boom"})
    by_key = {(r.check_id, r.forbund_id): r for r in results}
    made_up = by_key[("completeness_made_up", None)]
    assert (made_up.status, made_up.severity, made_up.blocks) == ("error", "blocking", True)
    assert "inte i katalogen" in made_up.message
    not_run = by_key[("completeness_months_af_status", None)]
    assert not_run.status == "error" and "kördes inte" in not_run.message
    # every entry of a level that raised is an error naming why
    assert all("boom" in r.message for r in results if r.level == "warehouse")
    assert {r.check_id for r in results} == set(catalogue) | {"completeness_made_up"}
    leaked = by_key[("delivery_refused_skv_lon", "sf01")]
    assert leaked.status == "error" and "person_id" in leaked.message
    assert not any(HEX64.search(e) for e in leaked.examples)
    assert by_key[("delivery_refused_fk_utbetalningar", None)].status == "pass"


def test_threshold_and_severity_decide_pass_fail_warn():
    catalogue = load_catalogue()
    cases = [
        ("completeness_register_deltagare", 1, 1, "fail"),
        ("completeness_register_programtrohet", 1, 1, "warn"),  # programtrohet missing is a warning
        ("completeness_volume_fk_utbetalningar", 0, 36, "pass"),
        ("completeness_volume_fk_utbetalningar", 0, 0, "not_applicable"),
        ("completeness_volume_fk_utbetalningar", 5, 4, "error"),
    ]
    for check_id, violated, denominator, status in cases:
        [r] = [r for r in judge(catalogue, [("completeness", Measurement(check_id, "sf01", violated, denominator, ""))],
                                {}) if r.check_id == check_id and r.forbund_id == "sf01"]
        assert r.status == status, (check_id, violated, denominator)


def test_the_catalogue_is_validated(tmp_path):
    assert len(load_catalogue()) >= 29
    bad = tmp_path / "dq_checks.csv"
    bad.write_text(",".join(COLUMNS) + "\n"
                   "a,delivery,raw.x,,conformance,value,blocking,0,sv,en\n"
                   "a,delivery,raw.x,,conformance,value,blocking,0,sv,en\n"
                   "b,nowhere,raw.x,,conformance,value,blocking,0,sv,en\n"
                   "c,delivery,raw.x,,conformance,value,fatal,150,sv,en\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as e:
        load_catalogue(bad)
    text = str(e.value)
    assert "line 3: check_id 'a' appears twice" in text
    assert "line 4: level 'nowhere'" in text and "line 5: severity 'fatal'" in text


def test_waive_refuses_an_unknown_check_and_needs_reason_and_name(home):
    unknown = gate_cli(home, "waive", "no_such_check", "--year", "2023", "--reason", "x", "--by", "y")
    assert unknown.returncode == 2 and "okänd kontroll 'no_such_check'" in unknown.stderr
    no_reason = gate_cli(home, "waive", "completeness_months_fk_utbetalningar", "--year", "2023", "--by", "y")
    assert no_reason.returncode == 2 and "--reason" in no_reason.stderr
    blank = gate_cli(home, "waive", "completeness_months_fk_utbetalningar", "--year", "2023", "--reason", " ",
                     "--by", "y")
    assert blank.returncode == 2 and "skäl" in blank.stderr
    assert not home.warehouse.exists()  # nothing written
    no_warehouse = gate_cli(home, "gate", "--year", "2023")
    assert no_warehouse.returncode == 2 and "inget lager" in no_warehouse.stderr


def test_volume_check_knows_seasons_and_still_sees_truncation():
    """Few get studiemedel in July: every July at 300 rows against 1,000 in the months around is
    a season, not a truncation. A March at 400 is truncated (its other Marches have 1,000), and
    so is a July at 50 (other Julys 300, months around 1,000)."""
    from utfall.dq.completeness import _volume

    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw.loads (feed VARCHAR, period VARCHAR, status VARCHAR, rows_loaded BIGINT)")
    counts = {f"{y}{m:02d}": 300 if m == 7 else 1000 for y in (2021, 2022, 2023) for m in range(1, 13)}
    counts.update({"202203": 400, "202307": 50})
    con.executemany("INSERT INTO raw.loads VALUES ('csn_studiestod', ?, 'loaded', ?)", list(counts.items()))
    volume = _volume(con, "csn_studiestod", date(2021, 1, 1), date(2023, 12, 1))
    assert (volume.violated_rows, volume.denominator) == (2, 36)
    # 2022-03: months around 1,000 (Dec–Jun without March); other Marches 1,000, 1,000
    # 2023-07: months around 1,000 (Apr–Oct without July); other Julys 300, 300
    assert volume.examples == [
        "2022-03: 400 rader, median för månaderna runt omkring 1000 och för samma månad andra år 1000",
        "2023-07: 50 rader, median för månaderna runt omkring 1000 och för samma månad andra år 300",
    ]
    # Julys of 120 and 140 rows are too few to judge a July of 60 by (below volume_min_median_rows 200)
    counts = {f"{y}{m:02d}": 1000 for y in (2021, 2022, 2023) for m in range(1, 13)}
    counts.update({"202107": 120, "202207": 60, "202307": 140})
    con.executemany("INSERT INTO raw.loads VALUES ('kommun_bistand', ?, 'loaded', ?)", list(counts.items()))
    assert _volume(con, "kommun_bistand", date(2021, 1, 1), date(2023, 12, 1)).violated_rows == 0


def test_the_months_the_cohorts_read_are_expected_up_to_the_cut_off():
    """Issue 14: the 2024 evaluation follows the exits of 2022–2024, so it reads from 12 months
    before their earliest inskrivning (2021-09 → 2020-09; the feeds begin 2021-01) to December
    2024. A CSN month refused in 2022 is a gap there and fails, named; months after the cut-off
    (2025) are not needed."""
    from utfall.dq.completeness import _months
    from utfall.dq.scope import expected_months

    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw.loads (feed VARCHAR, period VARCHAR, status VARCHAR, rows_loaded BIGINT, "
                "forbund_id VARCHAR)")
    months = [f"{y}{m:02d}" for y in (2021, 2022, 2023, 2024) for m in range(1, 13)]
    for feed in ("fk_utbetalningar", "csn_studiestod"):
        con.executemany("INSERT INTO raw.loads VALUES (?, ?, ?, 100, NULL)",
                        [(feed, p, "quarantined" if (feed, p) == ("csn_studiestod", "202208") else "loaded")
                         for p in months])
    con.execute("CREATE SCHEMA core")
    con.execute("CREATE TABLE core.fct_episodes (forbund_id VARCHAR, entered_on DATE, exit_year INTEGER)")
    con.execute("INSERT INTO core.fct_episodes VALUES ('sf01', DATE '2021-09-14', 2022), "
                "('sf01', DATE '2023-02-01', 2024), ('sf01', DATE '2019-01-01', 2021), ('sf01', DATE '2024-03-01', NULL)")
    first, last = expected_months(con, Scope(2024))
    assert (first, last) == (date(2021, 1, 1), date(2024, 12, 1))
    csn = _months(con, "csn_studiestod", first, last)
    assert (csn.violated_rows, csn.denominator, csn.examples) == (1, 48, ["saknas: 2022-08"])
    # an earlier year's cohorts start later: 2023 reads from 2021-01 too (earliest 2021-09 − 12 months,
    # not before the feeds), and only to December 2023
    assert expected_months(con, Scope(2023)) == (date(2021, 1, 1), date(2023, 12, 1))
    # one förbund's scope reads its own cohorts
    assert expected_months(con, Scope(2024, "sf02")) == (date(2023, 1, 1), date(2024, 12, 1))


def test_dq_results_columns_are_defined_once_and_match_a_result():
    from dataclasses import fields

    from utfall.dq.runner import Result
    from utfall.dq.store import RESULT_COLUMNS, RESULTS_DDL

    columns = [name for name, _, _ in RESULT_COLUMNS]
    assert {f.name for f in fields(Result)} == set(columns) - {"run_id", "year"}
    con = duckdb.connect()
    con.execute("CREATE SCHEMA dq")
    con.execute(RESULTS_DDL)
    assert [r[0] for r in con.execute("DESCRIBE dq.results").fetchall()] == columns
