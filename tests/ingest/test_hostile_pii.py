"""Issue 15, item 2: no personnummer anywhere but the input file.

Every written form of one personnummer and one samordningsnummer is delivered in every place
a file can hold it (a whole value, inside free text, the first line of a file without header,
the file name); then everything that can show input is read back: reason files, stored file
names, the ledger, `utfall load` / `utfall ledger` output and an Airflow ingest task's log.
Compared on digits only (after NFKC and any script's digits), so no separator or digit form
can hide a leak.
"""

from __future__ import annotations

import logging
import os
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import deliver, pid, query

from tests.support.samples import run_cli
from utfall.ingest import pii
from utfall.db.config import Paths
from utfall.ingest.loader import load

# 1985-03-12 / 1231 and its samordningsnummer (day 12 + 60) / 1238: date and Luhn checked by hand
# (tests/ingest/test_loader.py uses the same two).
DIGITS = ("8503121231", "8503721238")
VARIANTS = {
    "10": "8503121231",
    "10_dash": "850312-1231",
    "10_plus": "850312+1231",  # turned 100: born 1885
    "12": "198503121231",
    "12_dash": "19850312-1231",
    "space": "850312 1231",
    "spaced_dash": "850312 - 1231",
    "no_break_space": "850312\u00a01231",
    "thin_space": "850312\u20091231",
    "en_dash": "19850312\u20131231",
    "minus_sign": "19850312\u22121231",
    "hyphen": "850312\u20101231",
    "em_dash": "850312\u20141231",
    "fullwidth_hyphen": "850312\uff0d1231",
    "century_space": "19 850312-1231",
    "century_space_12": "19 8503121231",
    "fullwidth_digits": "\uff11\uff19\uff18\uff15\uff10\uff13\uff11\uff12\uff11\uff12\uff13\uff11",
    "fullwidth_with_dash": "\uff18\uff15\uff10\uff13\uff11\uff12\uff0d\uff11\uff12\uff13\uff11",
    "arabic_indic_digits": "\u0668\u0665\u0660\u0663\u0661\u0662\u0661\u0662\u0663\u0661",
    "soft_hyphen_inside": "8503\u00ad12-1231",
    "zero_width_space_inside": "850312\u200b1231",
    "zero_width_space_after_dash": "850312-\u200b1231",
    "samordningsnummer": "850372-1238",
    "samordningsnummer_en_dash": "19850372\u20131238",
}
TODAY = date(2025, 3, 1)
FK_HEADER = "person_id;manad;formankod;omfattning;dagar;belopp_sek;skatt_sek"
AF_HEADER = "person_id;manad;inskriven;sokandekategori;program;lonestod_typ;lonestod_sek"
DELTAGARE_HEADER = (
    "person_id;forbund_id;insats_id;kodatum;inskrivningsdatum;avslutsdatum;kon;fodelsear;hemkommun;"
    "utbildningsniva;status;avslutsorsak"
)


def digits_only(text: str) -> str:
    """Every digit of the text, in ASCII, nothing else: separators and digit forms cannot hide a number."""
    return "".join(str(unicodedata.digit(c)) for c in unicodedata.normalize("NFKC", text)
                   if unicodedata.digit(c, None) is not None)


def assert_no_number(where: str, text: str) -> None:
    shown = digits_only(text)
    for number in DIGITS:
        assert number not in shown, f"{where} shows a personnummer"


def deliver_every_variant(home: Paths) -> int:
    """Each variant in each place, one file each (distinct bytes and periods); return the file count."""
    files = 0
    for i, (name, variant) in enumerate(VARIANTS.items()):
        year = 2000 + i
        # a whole value (person_id), and inside free text
        deliver(home, "fk_utbetalningar", f"fk_utbetalningar_{year}01.csv",
                f"{FK_HEADER}\n{variant};{year}-01;SJP;100;31;20000;6000\n")
        deliver(home, "af_status", f"af_status_{year}01.csv",
                f"{AF_HEADER}\n{pid(i)};{year}-01;J;11;jobbspår för {variant} enligt beslut;;\n")
        # the header is missing: the number stands on line 1
        deliver(home, "region_vard", f"region_vard_{year}01.csv", f"{variant};{year}-01;2;0\n{pid(i)};{year}-01;1;0\n")
        # in the file name (as the förbund id of a register snapshot)
        deliver(home, "deltagare", f"deltagare_{variant}_20250101.csv",
                f"{DELTAGARE_HEADER}\n{pid(i)};sf01;sf01-{i};2024-01-10;2024-02-01;;K;1990;0180;gymnasium;aktiv;\n")
        files += 4
    return files


def everything_shown(home: Paths) -> dict[str, str]:
    """What the engineers' tier keeps of the refused files, besides the files' own bytes."""
    shown = {}
    for path in sorted(home.home.rglob("*")):
        shown[f"path {path.relative_to(home.home)}"] = str(path.relative_to(home.home))
        if path.name.endswith(".reason.txt"):
            shown[f"reason file {path.name}"] = path.read_text(encoding="utf-8")
    columns = [r[0] for r in query(home, "SELECT column_name FROM information_schema.columns "
                                         "WHERE table_schema = 'raw' AND table_name = 'loads'")]
    for row in query(home, f"SELECT {', '.join(f'CAST({c} AS VARCHAR)' for c in columns)} FROM raw.loads"):
        for column, value in zip(columns, row):
            shown[f"raw.loads.{column}"] = shown.get(f"raw.loads.{column}", "") + f"\n{value}"
    return shown


def test_every_variant_is_refused_and_shown_nowhere_by_utfall_load_and_ledger(home):
    files = deliver_every_variant(home)
    loaded = run_cli(home, "load")
    ledger = run_cli(home, "ledger")
    assert (loaded.returncode, ledger.returncode) == (1, 0), loaded.stderr + ledger.stderr
    # every file was refused for the number (not for what a rule would have quoted instead)
    statuses = query(home, "SELECT status, count(*) FROM raw.loads GROUP BY status")
    assert statuses == [("quarantined", files)]
    reasons = sorted((home.quarantine).rglob("*.reason.txt"))
    assert len(reasons) == files
    for reason in reasons:
        assert "[personal_identity_number]" in reason.read_text(encoding="utf-8"), reason.name
    for feed in ("fk_utbetalningar", "af_status", "region_vard", "deltagare"):
        assert query(home, f"SELECT count(*) FROM raw.{feed}") == [(0,)]
    assert "QUARANTINED" in loaded.stderr and "quarantined" in loaded.stdout  # the log and summary were read
    for where, text in {**everything_shown(home), "utfall load stdout": loaded.stdout,
                        "utfall load stderr": loaded.stderr, "utfall ledger stdout": ledger.stdout,
                        "utfall ledger stderr": ledger.stderr}.items():
        assert_no_number(where, text)


def test_the_loaders_log_shows_no_variant(home, caplog):
    files = deliver_every_variant(home)
    with caplog.at_level(logging.INFO, logger="utfall"):
        report = load(home, today=TODAY)
    assert [o.status for o in report.outcomes] == ["quarantined"] * files
    assert len(caplog.records) >= files
    for record in caplog.records:
        assert_no_number(f"log record {record.getMessage()[:30]!r}", record.getMessage())
    for outcome in report.outcomes:
        assert_no_number("load outcome", f"{outcome.feed} {outcome.file_name} {outcome.reason} {outcome.stored_path}")


def test_a_file_named_with_a_personnummer_keeps_its_bytes_under_a_redacted_name(home):
    content = f"{DELTAGARE_HEADER}\n{pid(1)};sf01;sf01-ips;2024-01-10;2024-02-01;;K;1990;0180;gymnasium;aktiv;\n"
    deliver(home, "deltagare", "deltagare_198503121231_20250101.csv", content)
    [outcome] = load(home, today=TODAY).outcomes
    assert outcome.status == "quarantined"
    assert outcome.stored_path == home.quarantine / "deltagare" / "deltagare_XXXXXXXXXXXX_20250101.csv"
    assert outcome.stored_path.read_text(encoding="utf-8") == content
    assert query(home, "SELECT file_name, forbund_id, reason FROM raw.loads") == [
        ("deltagare_XXXXXXXXXXXX_20250101.csv", None, "refused: personal_identity_number (1 violation)")]
    reason = Path(f"{outcome.stored_path}.reason.txt").read_text(encoding="utf-8")
    assert "file: [personal_identity_number] the file name holds a valid personnummer" in reason


def test_a_headerless_file_is_refused_for_the_number_on_line_one(home):
    deliver(home, "region_vard", "region_vard_202401.csv", f"850312 1231;2024-01;2;0\n{pid(1)};2024-01;1;0\n")
    [outcome] = load(home, today=TODAY).outcomes
    reason = Path(f"{outcome.stored_path}.reason.txt").read_text(encoding="utf-8")
    assert "line 1: [personal_identity_number] holds a valid personnummer" in reason
    assert "[header]" not in reason  # the header rule would quote the line


def test_an_unknown_feed_on_the_command_line_is_not_echoed(home):
    result = run_cli(home, "load", "--feed", "850312\u20131231")
    assert result.returncode == 2
    assert "unknown feed 'XXXXXX-XXXX'" in result.stderr
    assert_no_number("utfall load --feed stderr", result.stderr + result.stdout)


def test_redact_leaves_numbers_that_are_none_alone():
    # a failed Luhn check, an impossible date, an 11-digit run and an order number stay as they are
    text = "8503121232 851312-1231 85031212312 order 2024-0115"
    assert pii.redact(text) == text
    assert pii.redact(f"se {VARIANTS['en_dash']} och {VARIANTS['samordningsnummer']}") == "se XXXXXXXX-XXXX och XXXXXX-XXXX"


def test_the_ingest_dags_task_log_shows_no_variant(airflow_db, dagbag, home, capfd, caplog):  # noqa: F811
    for i, variant in enumerate(VARIANTS.values()):
        year = 2000 + i
        deliver(home, "fk_utbetalningar", f"fk_utbetalningar_{year}01.csv",
                f"{FK_HEADER}\n{variant};{year}-01;SJP;100;31;20000;6000\n")
        deliver(home, "fk_utbetalningar", f"fk_utbetalningar_{year}02.csv", f"{variant};{year}-02;SJP;100;31;1;0\n")
    deliver(home, "fk_utbetalningar", f"fk_utbetalningar_{VARIANTS['en_dash']}.csv", "x\n")
    with caplog.at_level(logging.INFO):
        run = dagbag.dags["ingest_fk_utbetalningar"].test()
    assert str(run.state) == "failed"
    captured = capfd.readouterr()
    task_logs = "\n".join(p.read_text(encoding="utf-8", errors="replace")
                          for p in Path(os.environ["AIRFLOW_HOME"]).rglob("*.log"))
    everything = "\n".join([captured.out, captured.err, caplog.text, task_logs])
    assert "file(s) of fk_utbetalningar quarantined" in everything  # the task's failure was captured
    assert_no_number("Airflow task log", everything)
    assert query(home, "SELECT count(*) FROM raw.fk_utbetalningar") == [(0,)]


@pytest.mark.parametrize("column", ["person_id", "utfall"])
def test_utfall_socioeconomic_refuses_every_variant_without_showing_it(tmp_path, column):
    from tests.evaluation.test_socioeconomic import HEADER, ROWS, replace_field, run_in_process, write

    for i, variant in enumerate(VARIANTS.values()):
        folder = tmp_path / str(i)
        folder.mkdir()
        path = write(folder, [HEADER, ROWS[0], replace_field(ROWS[1], column, f"nr {variant}")],
                     name=f"personer {variant}.csv")
        code, out, err = run_in_process(path)
        assert (code, out) == (2, "")
        assert f"rad 3, kolumn {column}: " in err and "[regel personnummer]" in err
        assert_no_number(f"utfall socioeconomic stderr ({i})", err.replace(str(tmp_path), ""))
