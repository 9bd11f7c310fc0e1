"""`utfall pseudonymise` end to end on real files, and the personnummer rules behind it.

Numbers are written out literally; each "valid" one has a correct Luhn check digit over
its 10 digits YYMMDDNNNC (and each invalid one a correct one too, unless Luhn is the
point), so a case fails for the rule it is named after. Expected pseudonyms are computed
here by hand from the normalised 12 digits, independently of the code under test.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import os
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from utfall.ingest import pii
from utfall.cli.main import app

REPO = Path(__file__).resolve().parents[2]
UTFALL = REPO / ".venv" / "bin" / "utfall"

KEY = b"key-custodian-secret-0123456789"
KEY_TEXT = KEY.decode()

# Valid numbers, the 12-digit normalised form written out.
ANNA = "199001011239"  # born 1990-01-01
OLD = "191901011237"  # born 1919-01-01: over 100, so '+' in the 10-digit form
NO_SEPARATOR = "198507099805"
COORDINATION = "199001611236"  # samordningsnummer: day 01 + 60
LEAP_DAY = "200002291235"  # 2000 is a leap year


def expected_person_id(normalised: str) -> str:
    return hmac.new(KEY, normalised.encode("ascii"), hashlib.sha256).hexdigest()


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "key.txt"
    path.write_bytes(KEY + b"\n")  # as an editor saves it
    return path


def write_input(path: Path, rows: list[list[str]], header=("namn", "pnr", "belopp"), bom=False) -> Path:
    lines = [";".join(header)] + [";".join(row) for row in rows]
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + ("\n".join(lines) + "\n").encode("utf-8"))
    return path


def read_csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f, delimiter=";"))


@dataclass
class Run:
    exit_code: int
    output: str  # stdout and stderr, whitespace collapsed: Rich wraps long lines


def run_cli(*args: str | Path) -> Run:
    result = CliRunner().invoke(app, ["pseudonymise", *map(str, args)])
    return Run(result.exit_code, " ".join(result.output.split()))


# --- the command on valid input -----------------------------------------------------


def test_valid_forms_are_pseudonymised_from_the_normalised_number(tmp_path: Path, key_file: Path) -> None:
    cases = [
        (ANNA, ANNA),
        ("900101-1239", ANNA),
        ("190101+1237", OLD),
        ("8507099805", NO_SEPARATOR),
        ("19900101-1239", ANNA),
        (COORDINATION, COORDINATION),
        ("900161-1236", COORDINATION),
        (LEAP_DAY, LEAP_DAY),
        (" 199001011239 ", ANNA),  # stray spaces around the value
    ]
    src = write_input(tmp_path / "in.csv", [[f"p{i}", value, str(i)] for i, (value, _) in enumerate(cases)])
    out = tmp_path / "out.csv"

    result = run_cli("--key-file", key_file, "--column", "pnr", src, out)

    assert result.exit_code == 0, result.output
    assert read_csv(out) == [["namn", "person_id", "belopp"]] + [
        [f"p{i}", expected_person_id(normalised), str(i)] for i, (_, normalised) in enumerate(cases)
    ]
    assert not (tmp_path / "out.refused.csv").exists()
    assert f"{len(cases)} rows read, {len(cases)} written" in result.output


def test_same_person_in_10_and_12_digit_form_gets_the_same_person_id(tmp_path: Path, key_file: Path) -> None:
    forms = ["199001011239", "900101-1239", "9001011239", "19900101-1239"]
    src = write_input(tmp_path / "in.csv", [[f"p{i}", form, "1"] for i, form in enumerate(forms)])
    out = tmp_path / "out.csv"
    assert run_cli("--key-file", key_file, "--column", "pnr", src, out).exit_code == 0
    ids = {row[1] for row in read_csv(out)[1:]}
    assert ids == {expected_person_id(ANNA)}
    assert len(ids.pop()) == 64


def test_bom_quoting_and_column_position_are_kept(tmp_path: Path, key_file: Path) -> None:
    src = write_input(
        tmp_path / "in.csv",
        [["199001011239", "Anna", '"a;b"']],
        header=("personnummer", "namn", "fritext"),
        bom=True,
    )
    out = tmp_path / "out.csv"
    assert run_cli("--key-file", key_file, "--column", "personnummer", src, out).exit_code == 0
    assert read_csv(out) == [["person_id", "namn", "fritext"], [expected_person_id(ANNA), "Anna", "a;b"]]


# --- refused rows ---------------------------------------------------------------------

NOT_A_NUMBER = "not 10 or 12 digits with an optional - or + before the last four"
INVALID = [
    ("199001011230", "Luhn check digit does not match"),
    ("199013011235", "month is not 01-12"),  # month 13, Luhn valid
    ("199001321232", "day does not exist in that month and year"),  # day 32
    ("199002301233", "day does not exist in that month and year"),  # 30 February
    ("199902291237", "day does not exist in that month and year"),  # 29 Feb, 1999 not leap
    ("199001921239", "coordination day (day + 60) does not exist in that month and year"),
    ("209912311231", "date of birth lies in the future"),
    ("19900101-12AB", NOT_A_NUMBER),
    ("19900101123", NOT_A_NUMBER),  # 11 digits
    ("", "empty"),
]


def test_invalid_numbers_are_refused_with_reasons_and_kept_out_of_the_output(
    tmp_path: Path, key_file: Path
) -> None:
    rows = [["ok", ANNA, "0"]] + [[f"bad{i}", value, str(i)] for i, (value, _) in enumerate(INVALID)]
    src = write_input(tmp_path / "in.csv", rows)
    out = tmp_path / "out.csv"

    result = run_cli("--key-file", key_file, "--column", "pnr", src, out)

    assert result.exit_code == 1
    assert read_csv(out) == [["namn", "person_id", "belopp"], ["ok", expected_person_id(ANNA), "0"]]
    # Header is line 1 and the valid row line 2, so the invalid ones start at line 3.
    report = tmp_path / "out.refused.csv"
    expected = [[str(i + 3), reason] for i, (_, reason) in enumerate(INVALID)]
    assert read_csv(report) == [["line", "reason"]] + expected
    report_text = report.read_text(encoding="utf-8")
    for value, _ in INVALID:
        if value:
            assert value not in report_text and value[2:] not in report_text
    assert "bad0" not in report_text  # nor the rest of the row
    assert f"{len(rows)} rows read, 1 written to {out}, {len(INVALID)} refused" in result.output


def test_refused_line_numbers_count_physical_lines(tmp_path: Path, key_file: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text('namn;pnr\n"two\nlines";199001011230\n\nx;123\ny;1;extra\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    assert run_cli("--key-file", key_file, "--column", "pnr", src, out).exit_code == 1
    assert read_csv(tmp_path / "out.refused.csv")[1:] == [
        ["2", "Luhn check digit does not match"],
        ["5", NOT_A_NUMBER],
        ["6", "3 fields where the header has 2"],
    ]


def test_report_goes_where_asked_and_a_stale_one_is_removed(tmp_path: Path, key_file: Path) -> None:
    out = tmp_path / "out.csv"
    report = tmp_path / "refusals.csv"
    bad = write_input(tmp_path / "bad.csv", [["a", "199001011230", "1"]])
    assert run_cli("--key-file", key_file, "--column", "pnr", "--refused", report, bad, out).exit_code == 1
    assert report.exists() and not (tmp_path / "out.refused.csv").exists()

    good = write_input(tmp_path / "good.csv", [["a", ANNA, "1"]])
    assert run_cli("--key-file", key_file, "--column", "pnr", "--refused", report, good, out).exit_code == 0
    assert not report.exists()


# --- the key ----------------------------------------------------------------------------


def test_key_never_appears_in_output_report_or_cli_output(tmp_path: Path, key_file: Path) -> None:
    src = write_input(tmp_path / "in.csv", [["a", ANNA, "1"], ["b", "199001011230", "2"]])
    out = tmp_path / "out.csv"
    proc = subprocess.run(
        [UTFALL, "pseudonymise", "--key-file", key_file, "--column", "pnr", src, out],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.returncode == 1, proc.stderr
    texts = [proc.stdout, proc.stderr, out.read_text(), (tmp_path / "out.refused.csv").read_text()]
    for text in texts:
        assert KEY_TEXT not in text and KEY.hex() not in text
    assert read_csv(out)[1][1] == expected_person_id(ANNA)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "is empty"), (b"\n", "is empty"), (b"short-key-15byt\n", "shorter than 16 bytes")],
)
def test_bad_key_is_refused_with_exit_2(tmp_path: Path, content: bytes, message: str) -> None:
    key_file = tmp_path / "key.txt"
    key_file.write_bytes(content)
    src = write_input(tmp_path / "in.csv", [["a", ANNA, "1"]])
    out = tmp_path / "out.csv"
    result = run_cli("--key-file", key_file, "--column", "pnr", src, out)
    assert result.exit_code == 2
    assert message in result.output
    if content.strip():
        assert content.strip().decode() not in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("stored", "key"),
    [
        (KEY, KEY),
        (KEY + b"\r\n", KEY),  # saved on Windows
        (KEY + b" \n\n", KEY + b" \n"),  # only the last newline is dropped
        (KEY + b"\r", KEY + b"\r"),  # a lone CR is no newline
    ],
)
def test_key_is_used_as_stored_less_one_trailing_newline(tmp_path: Path, stored: bytes, key: bytes) -> None:
    key_file = tmp_path / "key.txt"
    key_file.write_bytes(stored)
    src = write_input(tmp_path / "in.csv", [["a", ANNA, "1"]])
    out = tmp_path / "out.csv"
    assert run_cli("--key-file", key_file, "--column", "pnr", src, out).exit_code == 0
    assert read_csv(out)[1][1] == hmac.new(key, ANNA.encode(), hashlib.sha256).hexdigest()


# --- refused runs: exit 2, nothing written ------------------------------------------


def test_missing_column_names_the_columns_found(tmp_path: Path, key_file: Path) -> None:
    src = write_input(tmp_path / "in.csv", [["a", ANNA, "1"]])
    out = tmp_path / "out.csv"
    result = run_cli("--key-file", key_file, "--column", "personnummer", src, out)
    assert result.exit_code == 2
    assert "personnummer" in result.output and "namn, pnr, belopp" in result.output
    assert not out.exists()


def test_missing_files_exit_2(tmp_path: Path, key_file: Path) -> None:
    src = write_input(tmp_path / "in.csv", [["a", ANNA, "1"]])
    out = tmp_path / "out.csv"
    no_key = run_cli("--key-file", tmp_path / "nokey", "--column", "pnr", src, out)
    assert no_key.exit_code == 2 and "key file not found" in no_key.output
    no_input = run_cli("--key-file", key_file, "--column", "pnr", tmp_path / "missing.csv", out)
    assert no_input.exit_code == 2 and "input file not found" in no_input.output
    assert not out.exists()


def test_output_may_not_overwrite_the_input(tmp_path: Path, key_file: Path) -> None:
    src = write_input(tmp_path / "in.csv", [["a", ANNA, "1"]])
    before = src.read_bytes()
    assert run_cli("--key-file", key_file, "--column", "pnr", src, src).exit_code == 2
    assert src.read_bytes() == before


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("namn;pnr;pnr", "column 'pnr' occurs more than once"),
        ("person_id;pnr", "already has a person_id column"),
        ("", "is empty (no header row)"),
    ],
)
def test_unusable_header_exits_2(tmp_path: Path, key_file: Path, header: str, message: str) -> None:
    src = tmp_path / "in.csv"
    src.write_text(header + "\n" if header else "", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = run_cli("--key-file", key_file, "--column", "pnr", src, out)
    assert result.exit_code == 2 and message in result.output
    assert not out.exists()


def test_a_run_failing_midway_keeps_the_previous_output(tmp_path: Path, key_file: Path) -> None:
    out = tmp_path / "out.csv"
    out.write_text("previous\n")
    src = tmp_path / "in.csv"
    # Enough good rows that output is being written when the bad bytes are reached.
    src.write_bytes(b"namn;pnr\n" + b"a;199001011239\n" * 20_000 + b"b;\xff\xfe\n")
    result = run_cli("--key-file", key_file, "--column", "pnr", src, out)
    assert result.exit_code == 2 and "not UTF-8 at line 20002" in result.output
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "key.txt", "out.csv"]


# --- pii: the rules themselves --------------------------------------------------------

TODAY = date(2025, 6, 15)


@pytest.mark.parametrize(
    ("value", "normalised", "coordination"),
    [
        ("199001011239", "199001011239", False),
        ("900101-1239", "199001011239", False),
        ("9001011239", "199001011239", False),
        ("19900101-1239", "199001011239", False),
        ("190101+1237", "191901011237", False),
        ("190101-1237", "201901011237", False),  # '-' → within the last 100 years
        ("199001611236", "199001611236", True),
        ("900161-1236", "199001611236", True),
        ("000229-1235", "200002291235", False),  # 2000 is a leap year
        ("202402291237", "202402291237", False),
        ("189912311231", "189912311231", False),
        ("250615-0008", "202506150008", False),  # born today
    ],
)
def test_parse_valid(value: str, normalised: str, coordination: bool) -> None:
    number = pii.parse(value, TODAY)
    assert number.normalised == normalised
    assert number.is_coordination_number is coordination
    assert pii.looks_like_identity_number(value, TODAY)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("199001011230", "Luhn check digit does not match"),
        ("199013011235", "month is not 01-12"),
        ("199001321232", "day does not exist in that month and year"),
        ("199002301233", "day does not exist in that month and year"),
        ("199902291237", "day does not exist in that month and year"),
        ("202302291238", "day does not exist in that month and year"),
        ("000229+1235", "day does not exist in that month and year"),  # '+' → 1900, not leap
        ("190002291235", "day does not exist in that month and year"),
        ("199001921239", "coordination day (day + 60) does not exist in that month and year"),
        ("209912311231", "date of birth lies in the future"),
        ("20991231-1231", "date of birth lies in the future"),
        ("250616-0007", "date of birth lies in the future"),  # born tomorrow
        ("000001011238", "century is not 18, 19 or 20"),  # year 0000 is no date at all
        ("170001011238", "century is not 18, 19 or 20"),
        ("19900101-12AB", NOT_A_NUMBER),
        ("19900101123", NOT_A_NUMBER),
        ("1990010112390", NOT_A_NUMBER),
        ("900101/1239", NOT_A_NUMBER),
        ("", NOT_A_NUMBER),
        ("١٩٩٠٠١٠١١٢٣٩", NOT_A_NUMBER),  # Arabic-Indic digits of a valid number
    ],
)
def test_parse_invalid(value: str, reason: str) -> None:
    # Exact reasons: they are shown to users and must not repeat the number or its parts.
    with pytest.raises(pii.InvalidNumber) as caught:
        pii.parse(value, TODAY)
    assert str(caught.value) == reason
    assert not pii.looks_like_identity_number(value, TODAY)


def test_luhn_ok() -> None:
    assert pii.luhn_ok("9001011239")
    assert pii.luhn_ok("8507099805")
    assert not pii.luhn_ok("9001011230")
    assert not pii.luhn_ok("8507099804")


def test_mask_hides_all_but_the_first_four() -> None:
    assert pii.mask("199001011239") == "1990********"
    assert pii.mask(" 900101-1239 ") == "9001*******"
    assert pii.mask("1234") == "****"
    assert pii.mask("") == ""
