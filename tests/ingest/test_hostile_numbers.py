"""Issue 15, item 3: numbers mean what they say.

Integer, amount and decimal columns take only the formats the contract documents
(contracts.NUMBER_FORMATS): digits, a decimal comma or point where the type has decimals
(an amount at most two), a leading minus. DuckDB's own casts read 20.7, 0x1F, 1_0 and 1e1
as 21, 31, 10 and 10; here each is a type violation naming its line and column.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from tests.conftest import deliver, pid, query
from utfall.db.config import Paths
from utfall.ingest.loader import load

FK_HEADER = "person_id;manad;formankod;omfattning;dagar;belopp_sek;skatt_sek"
TODAY = date(2025, 3, 1)


def fk_row(n: int, dagar: str = "31", belopp: str = "20000", skatt: str = "") -> str:
    return f"{pid(n)};2024-01;SJP;100;{dagar};{belopp};{skatt}"


def refused(home: Paths, feed: str, name: str, text: str) -> str:
    """Load the one file; it must be quarantined with nothing loaded. Return its reason text."""
    deliver(home, feed, name, text)
    [outcome] = load(home, today=TODAY).outcomes
    assert outcome.status == "quarantined"
    assert query(home, f"SELECT count(*) FROM raw.{feed}") == [(0,)]
    return Path(f"{outcome.stored_path}.reason.txt").read_text(encoding="utf-8")


def test_whole_number_column_takes_digits_only(home):
    bad = ["20.7", "0x1F", "1_0", "1e1", "+3", "1 0", "20,0", "٣", "99999999999999999999"]
    rows = [fk_row(i, dagar=v) for i, v in enumerate(bad)]
    reason = refused(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", "\n".join([FK_HEADER, *rows]) + "\n")
    for line, value in enumerate(bad, start=2):
        assert f"line {line}, column dagar: [type] value {value} is not a whole number (digits only)" in reason
    assert f"first {len(bad)} of {len(bad)}" in reason


def test_amount_takes_digits_and_at_most_two_decimals(home):
    bad = ["12,345", "1e3", "0x10", "1_000", "1 000", ".5", "5,", "Infinity"]
    rows = [fk_row(i, belopp=v) for i, v in enumerate(bad)]
    rows.append(fk_row(len(bad), belopp="-5,50"))  # a negative amount still says so
    reason = refused(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", "\n".join([FK_HEADER, *rows]) + "\n")
    assert f"line {len(bad) + 2}, column belopp_sek: [negative_amount] value -5,50 is below 0" in reason
    for line, value in enumerate(bad, start=2):
        assert (f"line {line}, column belopp_sek: [type] value {value} is not an amount in SEK "
                "(digits, optional decimal comma or point, at most two decimals)") in reason


def test_decimal_column_refuses_exponent_hex_and_underscore(home):
    header = "person_id;manad;kommun;timmar"
    bad = ["1e1", "0x1F", "1_0", "nan", "12.5.1"]
    rows = [f"{pid(i)};2024-01;0180;{v}" for i, v in enumerate(bad)]
    reason = refused(home, "kommun_boendestod", "kommun_boendestod_202401.csv", "\n".join([header, *rows]) + "\n")
    for line, value in enumerate(bad, start=2):
        assert f"line {line}, column timmar: [type] value {value} is not a number (digits, optional decimal" in reason


def test_documented_formats_load_exactly_and_a_correction_in_another_format_replaces_nothing(home):
    rows = [fk_row(1, dagar="07", belopp="5000,5", skatt="1500.25"), fk_row(2, dagar="0", belopp="20000", skatt="0,05")]
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", "\n".join([FK_HEADER, *rows]) + "\n")
    deliver(home, "kommun_boendestod", "kommun_boendestod_202401.csv",
            f"person_id;manad;kommun;timmar\n{pid(1)};2024-01;0180;12,125\n{pid(2)};2024-01;0180;3.5\n")
    assert [o.status for o in load(home, today=TODAY).outcomes] == ["loaded", "loaded"]
    # a correction of the month written 2e1: refused whole, the loaded month stays current
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv",
            "\n".join([FK_HEADER, fk_row(1, dagar="2e1"), rows[1]]) + "\n")
    assert [o.status for o in load(home, today=TODAY).outcomes] == ["quarantined"]
    assert query(home, "SELECT dagar, belopp_sek::VARCHAR, skatt_sek::VARCHAR FROM raw.fk_utbetalningar "
                       "ORDER BY source_line") == [(7, "5000.50", "1500.25"), (0, "20000.00", "0.05")]
    assert query(home, "SELECT timmar FROM raw.kommun_boendestod ORDER BY source_line") == [(12.125,), (3.5,)]


def test_parquet_decimals_in_a_whole_number_column_are_not_rounded(home, tmp_path):
    target = home.inbox / "fk_utbetalningar" / "fk_utbetalningar_202401.parquet"
    target.parent.mkdir(parents=True)
    duckdb.sql(f"COPY (SELECT '{pid(1)}' AS person_id, DATE '2024-01-01' AS manad, 'SJP' AS formankod, "
               f"100 AS omfattning, 20.7::DOUBLE AS dagar, 20000.0::DOUBLE AS belopp_sek, NULL::DOUBLE AS skatt_sek) "
               f"TO '{target}' (FORMAT parquet)")
    [outcome] = load(home, today=TODAY).outcomes
    assert outcome.status == "quarantined"
    reason = Path(f"{outcome.stored_path}.reason.txt").read_text(encoding="utf-8")
    assert "line 1, column dagar: [type] value 20.7 is not a whole number (digits only)" in reason  # row 1
    assert query(home, "SELECT count(*) FROM raw.fk_utbetalningar") == [(0,)]
