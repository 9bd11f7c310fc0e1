"""`utfall load`: every bad delivery is refused whole, named by line, column and rule; good ones load.

Every test runs on both warehouses: the DuckDB file and a PostgreSQL database (issue 7)."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.conftest import VENV_BIN, cli_env, deliver, pid, query
from tests.support.samples import FK_HEADER, FK_ROWS, GOOD_FK, GOOD_REGION, DELTAGARE_HEADER, DELTAGARE_ROWS, PERSONNUMMER_10, SAMORDNINGSNUMMER, fk, run_cli
from utfall.db.config import Paths
from utfall.ingest.contracts import FEEDS
from utfall.ingest.loader import load



@pytest.fixture
def home(home_on_each_warehouse: Paths) -> Paths:
    """Every test here runs on both warehouses."""
    return home_on_each_warehouse




def refused_case(home: Paths, feed: str, name: str, content: str | bytes) -> tuple[int, str]:
    """Deliver the bad file beside a good one; return (exit code, reason text) after checking the basics."""
    deliver(home, "region_vard", "region_vard_202401.csv", GOOD_REGION)
    deliver(home, feed, name, content)
    report = load(home)
    # The good file still loads, whole.
    assert [(o.file_name, o.status, o.rows_loaded) for o in report.outcomes if o.status != "quarantined"] == [
        ("region_vard_202401.csv", "loaded", 2)
    ]
    assert query(home, "SELECT count(*) FROM raw.region_vard") == [(2,)]
    # The bad file: in quarantine with a reason, ledger says so, nothing of it in raw.
    [bad] = report.quarantined
    quarantined = home.quarantine / feed / name
    assert quarantined.exists() and not (home.inbox / feed / name).exists()
    reason = (home.quarantine / feed / f"{name}.reason.txt").read_text(encoding="utf-8")
    assert name in reason
    status, rows_loaded = query(home, "SELECT status, rows_loaded FROM raw.loads WHERE load_id = ?", [bad.load_id])[0]
    assert (status, rows_loaded) == ("quarantined", 0)
    if feed in ("fk_utbetalningar", "region_vard", "af_status", "kommun_bistand"):
        assert query(home, f"SELECT count(*) FROM raw.{feed} WHERE load_id = ?", [bad.load_id]) == [(0,)]
    return report.exit_code, reason


BAD_FILES = [
    # (id, feed, file name, content, expected fragment "line N, column C: [rule]")
    ("wrong_encoding", "fk_utbetalningar", "fk_utbetalningar_202401.csv",
     (GOOD_FK + f"{pid(4)};2024-01;SJP;100;31;100;0\n").replace("SJP;100;31;100", "SJP;100;31;10\xe5").encode("latin-1"),
     "line 5: [encoding]"),
    ("wrong_separator", "fk_utbetalningar", "fk_utbetalningar_202401.csv",
     GOOD_FK.replace(";", ","), "line 1: [separator]"),
    ("missing_column", "fk_utbetalningar", "fk_utbetalningar_202401.csv",
     fk(*(r.rsplit(";", 1)[0] for r in FK_ROWS), header=FK_HEADER.rsplit(";", 1)[0]),
     "line 1, column skatt_sek: [header] missing column"),
    ("unknown_column", "fk_utbetalningar", "fk_utbetalningar_202401.csv",
     fk(*(r + ";x" for r in FK_ROWS), header=FK_HEADER + ";extra"),
     "line 1, column extra: [header] unknown column"),
    ("wrong_type", "fk_utbetalningar", "fk_utbetalningar_202401.csv",
     fk(FK_ROWS[0], FK_ROWS[1].replace(";20;", ";tjugo;")),
     "line 3, column dagar: [type] value tjugo is not a whole number"),
    ("unknown_code", "fk_utbetalningar", "fk_utbetalningar_202401.csv",
     fk(FK_ROWS[0], FK_ROWS[1], FK_ROWS[2].replace(";SJE;", ";XYZ;")),
     "line 4, column formankod: [code_list] value XYZ is not one of"),
    ("negative_amount", "fk_utbetalningar", "fk_utbetalningar_202401.csv",
     fk(FK_ROWS[0].replace(";20000;", ";-20000;"), FK_ROWS[1]),
     "line 2, column belopp_sek: [negative_amount]"),
    ("bad_omfattning", "fk_utbetalningar", "fk_utbetalningar_202401.csv",
     fk(FK_ROWS[0].replace(";100;31;", ";60;31;")),
     "line 2, column omfattning: [code_list] value 60 is not one of 25/50/75/100"),
    ("implausible_date", "deltagare", "deltagare_sf01_20250101.csv",
     "\n".join([DELTAGARE_HEADER, DELTAGARE_ROWS[0].replace("2024-02-01", "2025-06-01").replace("2024-01-10", "2024-05-10")]) + "\n",
     "line 2, column inskrivningsdatum: [implausible_date]"),
    ("empty_file", "fk_utbetalningar", "fk_utbetalningar_202401.csv", "", "file: [empty_file]"),
    ("register_header_only", "deltagare", "deltagare_sf01_20250101.csv", DELTAGARE_HEADER + "\n",
     "file: [no_rows] a register snapshot with a header but no data rows"),
    ("data_without_header", "fk_utbetalningar", "fk_utbetalningar_202401.csv", fk(*FK_ROWS[1:], header=FK_ROWS[0]),
     "line 1, column person_id: [header] missing column"),
    ("truncated_last_line", "fk_utbetalningar", "fk_utbetalningar_202401.csv",
     GOOD_FK + f"{pid(4)};2024-01;SJ", "line 5, column omfattning: [too_few_fields] the line ends before this column"),
    ("duplicate_key", "fk_utbetalningar", "fk_utbetalningar_202401.csv",
     fk(*FK_ROWS, FK_ROWS[0].replace(";20000;", ";21000;")),
     "line 5, column person_id, manad, formankod: [duplicate_key] same key as line 2"),
    ("period_mismatch", "fk_utbetalningar", "fk_utbetalningar_202401.csv",
     fk(FK_ROWS[0], FK_ROWS[1].replace("2024-01", "2024-02")),
     "line 3, column manad: [period_mismatch] value 2024-02 differs from the file name period 2024-01"),
    ("forbund_mismatch", "deltagare", "deltagare_sf01_20250101.csv",
     "\n".join([DELTAGARE_HEADER, DELTAGARE_ROWS[0], DELTAGARE_ROWS[1].replace(";sf01;", ";sf02;")]) + "\n",
     "line 3, column forbund_id: [forbund_mismatch]"),
    ("row_rule", "deltagare", "deltagare_sf01_20250101.csv",
     "\n".join([DELTAGARE_HEADER, DELTAGARE_ROWS[1].replace(";avslutad;", ";aktiv;")]) + "\n",
     "line 2, column status, avslutsdatum: [row_rule:ended_iff_exit_date]"),
    ("unknown_feed", "okant", "okant_202401.csv", GOOD_FK, "file: [unknown_feed] folder 'okant' is not a known feed"),
    ("file_name_without_period", "fk_utbetalningar", "fk_utbetalningar.csv", GOOD_FK,
     "file: [file_name] file name 'fk_utbetalningar.csv' does not follow fk_utbetalningar_YYYYMM.csv"),
    ("future_period", "fk_utbetalningar", "fk_utbetalningar_209912.csv", GOOD_FK, "file: [file_name]"),
]


@pytest.mark.parametrize("feed,name,content,expected", [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_bad_delivery_is_quarantined_with_line_column_and_rule(home, feed, name, content, expected):
    exit_code, reason = refused_case(home, feed, name, content)
    assert exit_code == 1
    assert expected in reason, reason


@pytest.mark.parametrize(
    "feed,name,header,row,column",
    [
        ("fk_utbetalningar", "fk_utbetalningar_202401.csv", FK_HEADER,
         f"{PERSONNUMMER_10};2024-01;SJP;100;31;20000;6000", "person_id"),
        ("fk_utbetalningar", "fk_utbetalningar_202401.csv", FK_HEADER,
         f"{pid(1)};2024-01;SJP;100;31;{PERSONNUMMER_10};6000", "belopp_sek"),
        ("fk_utbetalningar", "fk_utbetalningar_202401.csv", FK_HEADER,
         f"{pid(1)};2024-01;SJP;100;31;20000;19850312-1231", "skatt_sek"),
        ("af_status", "af_status_202401.csv",
         "person_id;manad;inskriven;sokandekategori;program;lonestod_typ;lonestod_sek",
         f"{pid(1)};2024-01;J;11;jobbspår för 850312+1231 enligt beslut;;", "program"),
        ("kommun_bistand", "kommun_bistand_202401.csv",
         "person_id;manad;kommun;belopp_sek;forsorjningshinder",
         f"{pid(1)};2024-01;0180;8000;se akt 198503121231", "forsorjningshinder"),
    ],
    ids=["as_person_id", "as_amount", "12_digits_with_dash", "inside_free_text", "12_digits_in_text"],
)
def test_personnummer_in_any_column_refuses_the_file(home, feed, name, header, row, column):
    exit_code, reason = refused_case(home, feed, name, "\n".join([header, row]) + "\n")
    assert exit_code == 1
    assert f"line 2, column {column}: [personal_identity_number]" in reason
    # The number itself is never repeated in the reason (it is read by more people than the file).
    assert "8503121231" not in reason.replace("-", "").replace("+", "")


def test_samordningsnummer_refuses_the_file(home):
    row = f"{pid(1)};2024-01;0180;8000;{SAMORDNINGSNUMMER}"
    exit_code, reason = refused_case(
        home, "kommun_bistand", "kommun_bistand_202401.csv",
        f"person_id;manad;kommun;belopp_sek;forsorjningshinder\n{row}\n",
    )
    assert exit_code == 1
    assert "line 2, column forsorjningshinder: [personal_identity_number]" in reason
    assert "samordningsnummer" in reason


def test_ten_digit_number_that_fails_luhn_is_not_taken_for_a_personnummer(home):
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv",
            fk(f"{pid(1)};2024-01;SJP;100;31;8503121232;6000"))
    report = load(home)
    assert [o.status for o in report.outcomes] == ["loaded"]


def test_good_file_loads_typed_and_row_counts_reconcile(home):
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", "\ufeff" + GOOD_FK)  # a BOM happens
    report = load(home)
    assert report.exit_code == 0
    [outcome] = report.outcomes
    assert (outcome.status, outcome.rows_in_file, outcome.rows_loaded) == ("loaded", 3, 3)
    assert query(home, "SELECT rows_in_file, rows_loaded FROM raw.loads WHERE load_id = ?", [outcome.load_id]) == [(3, 3)]
    rows = query(home, "SELECT source_line, person_id, manad::VARCHAR, omfattning, dagar, belopp_sek::float8, skatt_sek "
                       "FROM raw.fk_utbetalningar WHERE load_id = ? ORDER BY source_line", [outcome.load_id])
    assert rows[1] == (3, pid(2), "2024-01-01", 50, 20, 5000.50, None)  # decimal comma, empty = missing
    assert [r[0] for r in rows] == [2, 3, 4]
    assert (home.archive / "fk_utbetalningar" / f"{outcome.load_id}__fk_utbetalningar_202401.csv").exists()


@pytest.mark.parametrize("content", [FK_HEADER + "\n", "\ufeff" + FK_HEADER + "\r\n", FK_HEADER],
                         ids=["header_line", "bom_crlf", "no_final_newline"])
def test_month_with_header_and_no_rows_is_an_empty_month(home, content):
    """Nobody got anything from FK this month: a delivery of 0 rows, not a refusal (issue 19)."""
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", content)
    report = load(home)
    assert report.exit_code == 0
    [outcome] = report.outcomes
    assert (outcome.status, outcome.rows_in_file, outcome.rows_loaded) == ("loaded", 0, 0)
    assert query(home, "SELECT status, period, rows_in_file, rows_loaded FROM raw.loads") == [
        ("loaded", "202401", 0, 0)]
    assert query(home, "SELECT count(*) FROM raw.fk_utbetalningar") == [(0,)]
    assert (home.archive / "fk_utbetalningar" / f"{outcome.load_id}__fk_utbetalningar_202401.csv").exists()
    # A later correction with rows supersedes the empty month like any other.
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", GOOD_FK)
    [correction] = load(home).outcomes
    assert (correction.status, correction.rows_loaded) == ("loaded", 3)
    assert f"supersedes load {outcome.load_id}" in correction.reason


def test_empty_months_are_told_apart_by_name_not_bytes(home):
    """Every empty month of a feed has the same bytes (its header): each is its own delivery."""
    for month in ("202401", "202402"):
        deliver(home, "csn_studiestod", f"csn_studiestod_{month}.csv", "person_id;manad;studieform;bidrag_sek;lan_sek\n")
    assert [(o.status, o.rows_loaded) for o in load(home).outcomes] == [("loaded", 0), ("loaded", 0)]
    deliver(home, "csn_studiestod", "csn_studiestod_202402.csv", "person_id;manad;studieform;bidrag_sek;lan_sek\n")
    [again] = load(home).outcomes
    assert again.status == "duplicate" and "same content as load 2 (csn_studiestod_202402.csv" in again.reason
    assert query(home, "SELECT period, status FROM raw.loads ORDER BY load_id") == [
        ("202401", "loaded"), ("202402", "loaded"), (None, "duplicate")]


def test_parquet_month_without_rows_is_an_empty_month(home):
    target = home.inbox / "fk_utbetalningar" / "fk_utbetalningar_202401.parquet"
    target.parent.mkdir(parents=True)
    columns = ", ".join(f"NULL::VARCHAR AS {c}" for c in FK_HEADER.split(";"))
    duckdb.sql(f"COPY (SELECT {columns} LIMIT 0) TO '{target}' (FORMAT parquet)")
    report = load(home)
    assert [(o.status, o.rows_loaded) for o in report.outcomes] == [("loaded", 0)]


def test_parquet_delivery_with_the_same_columns_loads(home, tmp_path):
    csv = tmp_path / "fk.csv"
    csv.write_text(GOOD_FK, encoding="utf-8")
    target = home.inbox / "fk_utbetalningar" / "fk_utbetalningar_202401.parquet"
    target.parent.mkdir(parents=True)
    duckdb.sql(
        f"COPY (SELECT person_id, strptime(manad, '%Y-%m')::DATE AS manad, formankod, omfattning::INT AS omfattning,"
        f" dagar::INT AS dagar, replace(belopp_sek, ',', '.')::DOUBLE AS belopp_sek, skatt_sek::DOUBLE AS skatt_sek"
        f" FROM read_csv('{csv}', delim=';', all_varchar=true)) TO '{target}' (FORMAT parquet)"
    )
    report = load(home)
    assert [(o.status, o.rows_loaded) for o in report.outcomes] == [("loaded", 3)]
    assert query(home, "SELECT sum(belopp_sek)::float8 FROM raw.fk_utbetalningar") == [(37000.50,)]


def test_same_file_twice_is_a_duplicate_and_loads_nothing(home):
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", GOOD_FK)
    first = load(home)
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", GOOD_FK)
    second = load(home)
    assert second.exit_code == 0
    [dup] = second.outcomes
    assert dup.status == "duplicate" and dup.rows_loaded == 0
    assert f"same content as load {first.outcomes[0].load_id}" in dup.reason
    assert query(home, "SELECT count(*) FROM raw.fk_utbetalningar") == [(3,)]
    assert query(home, "SELECT status FROM raw.loads ORDER BY load_id") == [("loaded",), ("duplicate",)]
    assert len(list((home.archive / "fk_utbetalningar").iterdir())) == 2  # nothing deleted


def test_correction_supersedes_the_earlier_file_and_keeps_its_rows(home):
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", GOOD_FK)
    first = load(home).outcomes[0]
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", fk(FK_ROWS[0].replace(";20000;", ";21000;")))
    second = load(home).outcomes[0]
    assert second.status == "loaded" and f"supersedes load {first.load_id}" in second.reason
    assert query(home, "SELECT load_id, status, superseded_by FROM raw.loads ORDER BY load_id") == [
        (first.load_id, "superseded", second.load_id),
        (second.load_id, "loaded", None),
    ]
    # History stays in raw; the latest correction is what downstream models read.
    assert query(home, "SELECT count(*) FROM raw.fk_utbetalningar") == [(4,)]
    latest = query(home, "SELECT sum(belopp_sek)::float8 FROM raw.fk_utbetalningar f JOIN raw.loads l USING (load_id) "
                         "WHERE l.status = 'loaded'")
    assert latest == [(21000.0,)]


def test_newer_register_snapshot_replaces_the_forbunds_older_one_only(home):
    snapshot = "\n".join([DELTAGARE_HEADER, *DELTAGARE_ROWS]) + "\n"
    deliver(home, "deltagare", "deltagare_sf01_20250101.csv", snapshot)
    deliver(home, "deltagare", "deltagare_sf02_20250101.csv", snapshot.replace("sf01", "sf02"))
    load(home)
    deliver(home, "deltagare", "deltagare_sf01_20250201.csv", snapshot.replace(";1990;", ";1991;"))
    load(home)
    older = "\n".join([DELTAGARE_HEADER, DELTAGARE_ROWS[0]]) + "\n"
    deliver(home, "deltagare", "deltagare_sf01_20241201.csv", older)  # late, older extract
    late = load(home).outcomes[0]
    assert late.status == "superseded" and "newer snapshot (20250201" in late.reason
    assert query(home, "SELECT file_name, status FROM raw.loads ORDER BY load_id") == [
        ("deltagare_sf01_20250101.csv", "superseded"),
        ("deltagare_sf02_20250101.csv", "loaded"),
        ("deltagare_sf01_20250201.csv", "loaded"),
        ("deltagare_sf01_20241201.csv", "superseded"),
    ]


def test_run_interrupted_after_commit_is_finished_not_repeated(home):
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", GOOD_FK)
    [outcome] = load(home).outcomes
    # The state a kill between commit and file move leaves: ledger says loaded, file still in the inbox.
    outcome.stored_path.rename(home.inbox / "fk_utbetalningar" / "fk_utbetalningar_202401.csv")
    again = load(home)
    assert [(o.status, o.recovered, o.load_id) for o in again.outcomes] == [("loaded", True, outcome.load_id)]
    assert outcome.stored_path.exists()
    assert query(home, "SELECT count(*) FROM raw.loads") == [(1,)]
    assert query(home, "SELECT count(*) FROM raw.fk_utbetalningar") == [(3,)]


def test_cli_exit_codes_and_summary(home):
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", GOOD_FK)
    ok = run_cli(home, "load")
    assert ok.returncode == 0, ok.stderr
    assert "Load summary" in ok.stdout and "fk_utbetalningar" in ok.stdout
    assert run_cli(home, "load").returncode == 0  # nothing new
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202402.csv", fk(FK_ROWS[0]))  # period mismatch
    bad = run_cli(home, "load", "--feed", "fk_utbetalningar")
    assert bad.returncode == 1
    assert "quarantined fk_utbetalningar_202402.csv" in bad.stdout
    assert run_cli(home, "load", "--feed", "no_such_feed").returncode == 2


@pytest.mark.parametrize("home_on_each_warehouse", ["duckdb"], indirect=True)  # DuckDB's one-writer lock
def test_load_waits_for_another_writer_and_says_so(home):
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", GOOD_FK)
    home.warehouse.parent.mkdir(parents=True, exist_ok=True)
    # The holder keeps the warehouse until the load has said it waits (not for a fixed time, which
    # a busy machine could outlast before the CLI even starts).
    holder = subprocess.Popen(
        [str(VENV_BIN / "python"), "-c",
         f"import duckdb, sys; c = duckdb.connect({str(home.warehouse)!r}); print('held', flush=True); "
         "sys.stdin.readline(); c.close()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    loading = subprocess.Popen([str(VENV_BIN / "utfall"), "load"], env=cli_env(home), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    said = []
    for line in loading.stderr:  # the load cannot finish before the holder lets go
        said.append(line)
        if "locked by process" in line and "waiting" in line:
            break
    holder.communicate("let go\n", timeout=60)
    stdout, rest = loading.communicate(timeout=300)
    assert loading.returncode == 0, "".join(said) + rest
    assert any("locked by process" in line and "waiting" in line for line in said), said
    assert query(home, "SELECT count(*) FROM raw.fk_utbetalningar") == [(3,)]


def test_every_delivered_file_is_kept_somewhere(home):
    names = []
    for feed, name, content, _ in [c[1:] for c in BAD_FILES[:6]]:
        folder = home.inbox / feed
        folder.mkdir(parents=True, exist_ok=True)
        # distinct names so they can all sit in the inbox at once
        unique = f"{Path(name).stem}_{len(names)}{Path(name).suffix}"
        (folder / unique).write_bytes(content if isinstance(content, bytes) else content.encode())
        names.append(unique)
    load(home)
    kept = {p.name for p in home.home.rglob("*") if p.is_file()}
    for n in names:
        assert n in kept
    assert not any(p.is_file() for p in home.inbox.rglob("*"))


@pytest.mark.parametrize(
    "content,rows",
    [
        (GOOD_FK.replace("\n", "\r\n"), 3),  # made on Windows
        (GOOD_FK + "\n\n", 3),  # blank lines after the last row: an export habit, nothing lost
        (GOOD_FK.rstrip("\n"), 3),  # no newline after the last row
    ],
    ids=["crlf", "trailing_blank_lines", "no_final_newline"],
)
def test_harmless_file_shapes_load(home, content, rows):
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", content)
    [outcome] = load(home).outcomes
    assert (outcome.status, outcome.rows_loaded) == ("loaded", rows)
    assert query(home, "SELECT max(skatt_sek)::INT FROM raw.fk_utbetalningar") == [(6000,)]  # no stray \r


def test_blank_line_between_rows_is_refused_at_its_line(home):
    exit_code, reason = refused_case(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv",
                                     fk(FK_ROWS[0], "", FK_ROWS[1]))
    assert exit_code == 1
    assert "line 3: [blank_line]" in reason


def test_quoted_value_holding_the_separator_is_one_value(home):
    header = "person_id;manad;inskriven;sokandekategori;program;lonestod_typ;lonestod_sek"
    deliver(home, "af_status", "af_status_202401.csv",
            f'{header}\n{pid(1)};2024-01;J;11;"Steg 1; förberedande";;\n')
    [outcome] = load(home).outcomes
    assert outcome.status == "loaded"
    assert query(home, "SELECT program FROM raw.af_status") == [("Steg 1; förberedande",)]


def test_progress_is_reported_within_a_file_and_ends_complete(home):
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", GOOD_FK)
    seen: list[float] = []
    finished: list[str] = []
    load(home, on_progress=lambda path, fraction: seen.append(fraction),
         on_file=lambda path, outcome: finished.append(outcome.status))
    assert seen == sorted(seen) and seen[-1] == 1.0 and 0.5 in seen and 0.6 in seen
    assert finished == ["loaded"]


def test_gx_suite_on_its_own_names_the_failing_line_and_column(home):
    """GX is the second line of defence behind the SQL rules: run alone on a staged file, it
    passes a good file and names line and column of a bad one (the listing pass)."""
    from datetime import date

    from utfall.ingest.delivery_names import identify
    from utfall.ingest.gx_check import validate_staged
    from utfall.ingest.validation import stage

    con = duckdb.connect()
    good = deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", GOOD_FK)
    stage(con, identify(good, "fk_utbetalningar", date(2024, 6, 1)))
    assert validate_staged(con, FEEDS["fk_utbetalningar"]) == ([], 0)

    # Line 5 (header = line 1): 40 days in a month, beyond the contract's 0–31
    bad = deliver(home, "fk_utbetalningar", "fk_utbetalningar_202402.csv",
                  fk(*FK_ROWS, f"{pid(4)};2024-02;SJP;100;40;1000;0"))
    stage(con, identify(bad, "fk_utbetalningar", date(2024, 6, 1)))
    violations, total = validate_staged(con, FEEDS["fk_utbetalningar"])
    assert total == 1
    assert [(v.rule, v.line, v.column) for v in violations] == [
        ("gx:expect_column_values_to_be_between", 5, "dagar")
    ]


FK_KEY = "person_id, manad, formankod"


@pytest.mark.parametrize("bad_row, gx_finds, sql_finds", [
    # each kind of expectation the suites hold, broken on line 5 (header = line 1): the SQL rule
    # its meta.rule maps to (SUITE_RULES_CHECKED_IN_SQL) refuses the same line and column
    (";2024-01;SJP;100;10;1000;0", [("expect_column_values_to_not_be_null", 5, "person_id")],
     [("required", 5, "person_id")]),
    (f"{pid(4)};2024-01;XXX;100;10;1000;0", [("expect_column_values_to_be_in_set", 5, "formankod")],
     [("code_list", 5, "formankod")]),
    ("ABC;2024-01;SJP;100;10;1000;0", [("expect_column_values_to_match_regex", 5, "person_id")],
     [("format", 5, "person_id")]),
    (f"{pid(4)};2024-01;SJP;100;40;1000;0", [("expect_column_values_to_be_between", 5, "dagar")],
     [("range", 5, "dagar")]),
    (f"{pid(4)};2024-01;SJP;100;10;-5;0", [("expect_column_values_to_be_between", 5, "belopp_sek")],
     [("negative_amount", 5, "belopp_sek")]),
    # GX lists both rows of a doubled key, the SQL rule the later one
    (FK_ROWS[0], [("expect_compound_columns_to_be_unique", 2, FK_KEY), ("expect_compound_columns_to_be_unique", 5, FK_KEY)],
     [("duplicate_key", 5, FK_KEY)]),
])
def test_what_the_gx_suite_finds_the_sql_rules_find_on_the_same_line(tmp_path, bad_row, gx_finds, sql_finds):
    """Why the loader leaves these expectations out of GX: the SQL rules already refuse them."""
    from datetime import date

    from utfall.ingest.delivery_names import identify
    from utfall.ingest.gx_check import validate_staged
    from utfall.ingest.validation import check_rules, stage

    path = tmp_path / "fk_utbetalningar" / "fk_utbetalningar_202401.csv"
    path.parent.mkdir()
    path.write_text(fk(*FK_ROWS, bad_row), encoding="utf-8")
    delivery = identify(path, "fk_utbetalningar", date(2024, 6, 1))
    con = duckdb.connect()
    stage(con, delivery)
    gx_violations, _ = validate_staged(con, FEEDS["fk_utbetalningar"])
    assert [(v.rule.removeprefix("gx:"), v.line, v.column) for v in gx_violations] == gx_finds
    sql_violations, _ = check_rules(con, delivery, date(2024, 6, 1))
    assert [(v.rule, v.line, v.column) for v in sql_violations] == sql_finds


def test_every_derived_expectation_is_checked_by_a_sql_rule_so_the_load_runs_no_gx(home):
    """Today's contracts derive nothing GX alone checks: a load neither imports GX nor copies
    rows into pandas (the cost that was over half of every file's load)."""
    from utfall.ingest.gx_check import uncovered_expectations

    assert {feed: uncovered_expectations(FEEDS[feed]) for feed in FEEDS} == {feed: [] for feed in FEEDS}
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", GOOD_FK)
    script = ("import sys; from datetime import date; from pathlib import Path; from utfall.db.config import Paths; "
              "from utfall.ingest.loader import load; "
              f"r = load(Paths(Path({str(home.home)!r}), {home.warehouse_dsn!r}), today=date(2024, 6, 1)); "
              "print([o.status for o in r.outcomes], 'great_expectations' in sys.modules, 'pandas' in sys.modules)")
    out = subprocess.run([str(VENV_BIN / "python"), "-c", script], env=cli_env(home), capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "['loaded'] False False"


def test_an_expectation_no_sql_rule_checks_is_run_by_gx_at_load(home, monkeypatch):
    """An expectation under a rule of its own (here: at most 20 days, stricter than the
    contract's 0–31) is GX's alone: the loader runs it, and it refuses the file by line and column."""
    from utfall.ingest import derive, gx_check

    suite = derive.delivery_suite(FEEDS["fk_utbetalningar"])
    suite["expectations"].append({"type": "expect_column_values_to_be_between",
                                  "kwargs": {"column": "dagar", "max_value": 20}, "meta": {"rule": "short_months"}})
    suite_file = home.home / "suites" / "fk_utbetalningar.json"
    suite_file.parent.mkdir(parents=True)
    suite_file.write_text(json.dumps(suite), encoding="utf-8")
    monkeypatch.setattr(derive, "suite_path", lambda feed: suite_file if feed.name == "fk_utbetalningar"
                        else derive.expectations_dir() / "deliveries" / f"{feed.name}.json")
    assert [e["meta"]["rule"] for e in gx_check.uncovered_expectations(FEEDS["fk_utbetalningar"])] == ["short_months"]
    # the GX-only check reads one column, not the file
    assert gx_check._columns_read(FEEDS["fk_utbetalningar"], gx_check.uncovered_expectations(
        FEEDS["fk_utbetalningar"])) == ["dagar"]

    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv",
            fk(f"{pid(1)};2024-01;SJP;100;20;20000;6000", f"{pid(2)};2024-01;AKS;50;12;5000,50;"))
    # line 3: 25 days, within the contract, beyond the GX-only expectation
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202402.csv",
            fk(f"{pid(1)};2024-02;SJP;100;20;20000;6000", f"{pid(2)};2024-02;AKS;50;25;5000,50;"))
    report = load(home, today=date(2024, 6, 1))
    assert [(o.file_name, o.status) for o in report.outcomes] == [
        ("fk_utbetalningar_202401.csv", "loaded"), ("fk_utbetalningar_202402.csv", "quarantined")]
    [refused] = report.quarantined
    assert [(v.rule, v.line, v.column) for v in refused.violations] == [
        ("gx:expect_column_values_to_be_between", 3, "dagar")]
    assert refused.seconds["gx"] > 0


def test_each_file_s_stages_are_timed_in_the_load_timings_log(home):
    """The loader's own breakdown (what `make bench` reads): one JSON line per file handled, with
    its seconds per stage; a refused file skips the stages after its refusal. Names and times only."""
    from utfall.ingest import load_timings

    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", GOOD_FK)
    # line 3: days 40, beyond the contract's 0–31
    deliver(home, "region_vard", "region_vard_202401.csv",
            f"person_id;manad;oppenvardsbesok;slutenvardsdagar\n{pid(1)};2024-01;2;0\n{pid(2)};2024-01;0;40\n")
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_2024.csv", fk(*FK_ROWS[:2]))  # no month in the name
    report = load(home)
    records = load_timings.read(home.home)
    assert [(r["feed"], r["file"], r["status"], r["rows"]) for r in records] == [
        ("fk_utbetalningar", "fk_utbetalningar_202401.csv", "loaded", 3),
        ("fk_utbetalningar", "fk_utbetalningar_2024.csv", "quarantined", 0),
        ("region_vard", "region_vard_202401.csv", "quarantined", 0),
    ]
    loaded, misnamed, refused = (r["seconds"] for r in records)
    assert set(loaded) == {"hash", "read", "rules", "gx", "insert", "ledger", "move", "other", "total"}
    assert set(misnamed) == {"hash", "ledger", "move", "other", "total"}  # refused for its name: never read
    assert set(refused) == {"hash", "read", "rules", "ledger", "move", "other", "total"}  # refused by a rule
    for seconds in (loaded, misnamed, refused):
        assert all(s >= 0 for s in seconds.values())
        # the stages are laps of one clock: together they are the file's total
        assert sum(s for stage, s in seconds.items() if stage != "total") == pytest.approx(seconds["total"], abs=1e-4)
    # the outcome carries the same figures; the log quotes no value of a file
    assert [o.seconds for o in sorted(report.outcomes, key=lambda o: o.load_id)] == [loaded, misnamed, refused]
    assert pid(1) not in load_timings.log_path(home.home).read_text(encoding="utf-8")

    # a second run appends, and the breakdown sums its stages over all files
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202402.csv", GOOD_FK.replace("2024-01", "2024-02"))
    load(home)
    records = load_timings.read(home.home)
    assert len(records) == 4
    breakdown = load_timings.breakdown(records)
    assert breakdown["files"] == 4
    assert breakdown["stages"]["insert"]["total_seconds"] == pytest.approx(
        sum(r["seconds"].get("insert", 0) for r in records), abs=1e-3)
    assert breakdown["stages"]["total"]["share"] == 1.0
