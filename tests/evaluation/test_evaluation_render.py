"""The evaluation renderers (HTML, PDF, Excel, charts) on a hand-made, suppressed Report.

Every output is read back and scanned the way a reader would see it: HTML tables parsed,
PDF text from pdftotext, every Excel cell. The scans run on a deliberately unsuppressed
report too and must catch it there — a scan that cannot fail proves nothing.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from tests.support.report_checks import browser_check, ink_share, pdf_page_images
from tests.support.report_checks import pdf_text as read_pdf_text
from tests.support.sample_report import age_table, make_report, outcome_table
from utfall.evaluation.charts import render_chart
from utfall.evaluation.report_model import Chart, Report, ReportTable, Section
from utfall.evaluation.render_excel import (
    ABOUT_SHEET, COMMENTS_SHEET, EXCEL_FORMATS, HEADER_ROW, INDEX_SHEET, read_excel_tables, render_excel, sheet_names,
    table_sheets,
)
from utfall.evaluation.render_format import THIN, Kind, column_kind, format_value
from utfall.evaluation.render_html import parse_figure, read_html_tables, render_html, toc_columns
from utfall.evaluation.render_pdf import render_pdf
from utfall.evaluation.suppression import TableSpec, find_disclosures, legend_sv, suppress

SECTION_TITLES = ["Sammanfattning", "IPS – Individanpassat stöd", "Deltagare", "Förbundets kommentarer",
                  "Metod och datakvalitet"]


def hidden_raw_values(report_table: ReportTable, raw: pd.DataFrame) -> dict[str, set[str]]:
    """Row label -> the raw figures of its hidden cells, written as the renderers would."""
    s = report_table.suppressed
    out: dict[str, set[str]] = {}
    for i, label in enumerate(s.display.index):
        for j, col in enumerate(s.display.columns):
            if s.hidden.iat[i, j]:
                out.setdefault(str(label), set()).add(format_value(raw.iat[i, j], column_kind(report_table, col)))
    return out


@pytest.fixture(scope="module")
def rendered() -> dict:
    report = make_report()
    html = render_html(report)
    return {"report": report, "html": html, "pdf": render_pdf(html), "xlsx": render_excel(report)}


@pytest.fixture(scope="module")
def leaked() -> dict:
    report = make_report(leak=True)
    html = render_html(report)
    return {"report": report, "html": html, "pdf": render_pdf(html), "xlsx": render_excel(report)}


def test_the_fixture_has_hidden_cells():
    """Guard: the report really has '<5' and '..' cells, one of them under a chart."""
    out = make_report().tables()[0].suppressed.display.to_numpy().ravel().tolist()
    assert "<5" in out and ".." in out
    assert "<5" in make_report().tables()[1].suppressed.display["Antal"].tolist()


# --- formatting, the one definition ---------------------------------------------------------

def test_swedish_number_formats():
    assert format_value(1_234_567.4, Kind.SEK) == f"1{THIN}234{THIN}567{THIN}kr"
    assert format_value(0.235, Kind.PERCENT) == f"24{THIN}%"  # half away from zero, as Excel
    assert format_value(0.125, Kind.PERCENT) == f"13{THIN}%"
    assert format_value(12345, Kind.COUNT) == f"12{THIN}345"
    assert format_value(2.25, Kind.NUMBER) == "2,3"
    assert format_value(-1.5, Kind.NUMBER) == "\u22121,5"
    assert format_value("<5", Kind.COUNT) == "<5" and format_value("..", Kind.PERCENT) == ".."
    assert format_value(float("nan"), Kind.COUNT) == ""
    assert parse_figure(f"1{THIN}234{THIN}kr") == 1234 and parse_figure("2,3") == pytest.approx(2.3)
    assert parse_figure(f"24{THIN}%") == pytest.approx(0.24)
    assert parse_figure("<5") == "<5" and parse_figure("..") == ".." and parse_figure("God trohet") == "God trohet"


# --- HTML ----------------------------------------------------------------------------------

def test_html_is_self_contained(rendered):
    html = rendered["html"]
    assert '<html lang="sv">' in html
    # the one address: the link the förbund wrote in its comments, for a reader to follow, nothing loaded
    html = html.replace('<a href="https://testbygd.example/plan" rel="noreferrer">', "<a>")
    assert not re.search(r"https?:", html, re.IGNORECASE), "a link out of the file"
    for attr in re.findall(r"""\b(?:src|href)\s*=\s*["']([^"']*)""", html, re.IGNORECASE):
        assert attr.startswith(("data:", "#")), f"a reference out of the file: {attr[:60]}"
    assert not re.search(r"<script|<link|@import|<iframe|<object|<embed", html, re.IGNORECASE)
    for url in re.findall(r"url\(([^)]*)\)", html):
        assert url.strip("'\" ").startswith("data:"), url


def test_html_is_deterministic(rendered):
    """Same report, same bytes: the manifest's checksums change only when the content does."""
    assert render_html(make_report()) == rendered["html"]


def test_every_image_has_alt_text(rendered):
    images = re.findall(r"<img\b[^>]*>", rendered["html"])
    assert len(images) == 2
    for tag in images:
        alt = re.search(r'\balt="([^"]*)"', tag)
        assert alt and alt.group(1).strip(), f"no alt text: {tag[:80]}"
        assert 'src="data:image/png;base64,' in tag


def test_html_contents(rendered):
    html = rendered["html"]
    for title in SECTION_TITLES:
        assert title in html
    assert "&lt;5" in html and "<td" in html
    # Table of contents: every entry points at a section that exists.
    toc = re.search(r'<nav class="toc".*?</nav>', html, re.DOTALL).group()
    targets = re.findall(r'href="#([^"]+)"', toc)
    assert len(targets) == len(SECTION_TITLES)
    for target in targets:
        assert f'id="{target}"' in html
    # The suppression legend closes the method section.
    method = html[html.index('id="avsnitt-metod"'):]
    legend = legend_sv(5).replace("<", "&lt;")
    assert legend in method
    assert html.count(legend) == 1


def test_html_tables_show_exactly_the_display(rendered):
    tables = read_html_tables(rendered["html"])
    report = rendered["report"]
    assert set(tables) == {t.key for t in report.tables()}
    for table in report.tables():
        frame = tables[table.key]
        display = table.suppressed.display
        assert list(frame.columns) == [str(c) for c in display.columns]
        for i in range(len(display)):
            for j, col in enumerate(display.columns):
                shown = parse_figure(format_value(display.iat[i, j], column_kind(table, col)))
                assert frame.iat[i, j] == shown, (table.key, i, col)
        assert find_disclosures((frame, table.suppressed.spec), threshold=5) == []
    text = re.sub(r"<[^>]+>", " ", re.sub(r'src="data:[^"]*"', "", rendered["html"]))
    assert find_disclosures(text, threshold=5) == []


# --- PDF -----------------------------------------------------------------------------------

def pdf_text(pdf: bytes, tmp_path: Path, layout: bool = True) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    return read_pdf_text(path, layout)


def pdf_tables(text: str, report: Report) -> dict[str, pd.DataFrame]:
    """The tables as pdftotext -layout prints them: for each row label, the first line after
    the table's title that starts with it; its cells are the runs between 2+ spaces."""
    lines = text.splitlines()
    out = {}
    for table in report.tables():
        display = table.suppressed.display
        start = next(i for i, line in enumerate(lines) if line.strip() == table.title)
        rows = []
        for label in display.index:
            # positional rows (no row labels): the row is found by its first cell
            first = str(label) if not isinstance(display.index, pd.RangeIndex) else str(display.iat[label, 0])
            line = next(li for li in lines[start:] if re.match(rf"\s*{re.escape(first)}(\s{{2,}}|$)", li))
            cells = re.split(r"\s{2,}", line.strip())
            if isinstance(display.index, pd.RangeIndex):
                cells = [""] + cells
            assert len(cells) == len(display.columns) + 1, f"{table.key}: cannot split {line!r}"
            rows.append([parse_figure(c) for c in cells[1:]])
        out[table.key] = pd.DataFrame(rows, columns=display.columns, index=display.index)
    return out


def test_pdf(rendered, tmp_path):
    pdf = rendered["pdf"]
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf, tmp_path, layout=False)
    flat = re.sub(r"\s+", " ", text)
    assert "Utvärdering 2025 – Samordningsförbundet Testbygd" in flat  # title and page header
    assert "Sida 1 av" in flat and "<5" in text
    for title in SECTION_TITLES:
        assert title in flat
    assert find_disclosures(text, threshold=5) == []
    # every page as an image: as many as the footer counts, none blank
    (pages,) = set(re.findall(r"Sida \d+ av (\d+)", flat))
    path = tmp_path / "r.pdf"
    images = pdf_page_images(path, tmp_path / "sidor")
    assert len(images) == int(pages) and all(ink_share(image) > 0.005 for image in images)


def test_pdf_tables_hide_what_is_hidden(rendered, tmp_path):
    report = rendered["report"]
    tables = pdf_tables(pdf_text(rendered["pdf"], tmp_path), report)
    raw = {"utfall": outcome_table()[0], "alder": age_table()[0]}
    for table in report.tables():
        frame = tables[table.key]
        assert find_disclosures((frame, table.suppressed.spec), threshold=5) == [], table.key
        for label, values in hidden_raw_values(table, raw.get(table.key, table.suppressed.display)).items():
            row = frame.loc[label].tolist()
            for value in values:
                assert parse_figure(value) not in row, f"{table.key} {label}: hidden {value} is in the PDF"
            assert "<5" in row or ".." in row


# --- Excel ---------------------------------------------------------------------------------

def test_excel(rendered):
    report = rendered["report"]
    wb = load_workbook(io.BytesIO(rendered["xlsx"]))
    # sheet names a person reads; the index first, then the about sheet and the förbund's comments
    assert wb.sheetnames == [INDEX_SHEET, ABOUT_SHEET, COMMENTS_SHEET, "Utfall vid avslut",
                             "Deltagare efter ålder", "IPS – deltagare per årsarbetare", "IPS-25 trohet"]
    assert table_sheets(wb) == sheet_names(report) == {
        "utfall": "Utfall vid avslut", "ips_belastning": "IPS – deltagare per årsarbetare",
        "alder": "Deltagare efter ålder", "ips": "IPS-25 trohet"}
    about = "\n".join(str(c.value) for row in wb[ABOUT_SHEET].iter_rows() for c in row if c.value is not None)
    assert legend_sv(5) in about and "Försäkringskassan" in about and "gate-run-42" in about
    for table in report.tables():
        ws = wb[table_sheets(wb)[table.key]]
        display = table.suppressed.display
        assert ws.cell(1, 1).value == table.title
        labelled = not isinstance(display.index, pd.RangeIndex)
        headings = [c.value for c in ws[HEADER_ROW]][1 if labelled else 0:]
        assert headings == list(display.columns)  # the Swedish headings
        assert ws.freeze_panes == ("B" if labelled else "A") + str(HEADER_ROW + 1)
        for i in range(len(display)):
            for j, col in enumerate(display.columns):
                cell = ws.cell(HEADER_ROW + 1 + i, j + 1 + labelled)
                if table.suppressed.hidden.iat[i, j]:
                    assert cell.value in ("<5", "..") and cell.value == display.iat[i, j]
                elif col in table.percent_columns:
                    assert cell.number_format == EXCEL_FORMATS[Kind.PERCENT]
                elif col in table.sek_columns:
                    assert cell.number_format == EXCEL_FORMATS[Kind.SEK] and isinstance(cell.value, int)
                elif col in table.suppressed.spec.counts:
                    assert isinstance(cell.value, int) and not 1 <= cell.value <= 4
    for key, frame in read_excel_tables(rendered["xlsx"], report).items():
        table = next(t for t in report.tables() if t.key == key)
        assert find_disclosures((frame, table.suppressed.spec), threshold=5) == [], key
        assert find_disclosures(frame, threshold=5) == []


def test_the_index_links_every_sheet_and_records_each_tables_key(rendered):
    report = rendered["report"]
    wb = load_workbook(io.BytesIO(rendered["xlsx"]))
    index = wb[INDEX_SHEET]
    rows = list(index.iter_rows(min_row=HEADER_ROW + 1))
    # one row per sheet but the index, in the workbook's order, each a link to its own sheet's A1
    assert [r[0].value for r in rows] == wb.sheetnames[1:]
    for row in rows:
        link = row[0].hyperlink
        assert link is not None and link.target is None  # inside the workbook: no address
        sheet, cell = link.location.rsplit("!", 1)
        assert sheet.strip("'") == row[0].value and sheet.strip("'") in wb.sheetnames and cell == "A1"
    # each table's row: the report's title of it and where it is in the report; its key hidden
    by_sheet = {r[0].value: [c.value for c in r[1:4]] for r in rows}
    assert by_sheet["Deltagare efter ålder"] == ["Deltagare efter ålder", "IPS – Individanpassat stöd › Deltagare",
                                                 "alder"]
    assert by_sheet[COMMENTS_SHEET][:2] == ["Förbundets egna kommentarer till utvärderingen", "Förbundets kommentarer"]
    assert index.column_dimensions["D"].hidden
    for table in report.tables():
        assert wb[table_sheets(wb)[table.key]].cell(1, 1).value == table.title  # the report's title, with its cohort


def test_number_formats(rendered):
    """Counts whole numbers, shares as %, kronor with thousands separated, ratios with a decimal even
    where the value is whole; hidden cells the text '..' or '<5', never a number."""
    assert EXCEL_FORMATS == {Kind.COUNT: "#,##0", Kind.PERCENT: "0\\ %", Kind.SEK: '#,##0\\ "kr"',
                             Kind.NUMBER: "#,##0.0", Kind.TEXT: "@"}
    wb = load_workbook(io.BytesIO(rendered["xlsx"]))
    sheets = table_sheets(wb)
    load = wb[sheets["ips_belastning"]]
    assert [(c.value, c.number_format) for c in load["C"][HEADER_ROW:]] == [(20, "#,##0.0"), (18.5, "#,##0.0")]
    assert [(c.value, c.number_format) for c in load["B"][HEADER_ROW:]] == [(40, "#,##0"), (37, "#,##0")]
    outcome = wb[sheets["utfall"]]
    # Totalt: 35 ended, 14 to work (40 %), support before 2 222 221 kr; Arbetslivsinriktad's 3 in studies is hidden
    heading = {outcome.cell(HEADER_ROW, j).value: j for j in range(2, 8)}
    total = {h: outcome.cell(HEADER_ROW + 3, j) for h, j in heading.items()}
    assert outcome.cell(HEADER_ROW + 3, 1).value == "Totalt"
    assert (total["Avslutade"].value, total["Avslutade"].number_format) == (35, "#,##0")
    assert (total["Andel arbete"].value, total["Andel arbete"].number_format) == (0.4, "0\\ %")
    assert (total["Stöd före (kr)"].value, total["Stöd före (kr)"].number_format) == (2_222_221, '#,##0\\ "kr"')
    hidden = {h: outcome.cell(HEADER_ROW + 1, j) for h, j in heading.items()}
    assert [(hidden[h].value, hidden[h].data_type) for h in ("Studier", "Arbete", "Andel arbete")] == [
        ("<5", "s"), ("..", "s"), ("..", "s")]
    # the HTML shows the ratio as the sheet does
    html = read_html_tables(rendered["html"])["ips_belastning"]
    assert html["Deltagare per årsarbetare"].tolist() == [20.0, 18.5]
    assert "<td class=\"num\">20,0</td>" in rendered["html"]


@pytest.mark.parametrize("tables, expected", [
    # an insats table's tab: the insats, a dash and the table's short name
    ([("sf01-ips1_arsflode", "IPS Göteborg: flöden och kö under 2025")], ["IPS Göteborg – flöden"]),
    # a long insats name is cut between words to leave room for what the table is
    ([("sf01-alr_kon", "Arbetslivsinriktad rehabilitering i Göteborg Nordost: kön")], ["Arbetslivsinriktad – kön"]),
    # characters Excel refuses go; two tables whose names meet are told apart
    ([("sf01-a_kon", "IPS [Norr/Syd]: kön"), ("sf01-b_kon", "IPS [Norr/Syd]: kön")],
     ["IPS Norr Syd – kön", "IPS Norr Syd – kön 2"]),
    # a table without insats: its title without the year, the förbund named 'Förbundet'
    ([("jamforelse_riket", "Samordningsförbundet Testbygd jämfört med riket 2025")], ["Förbundet jämfört med riket"]),
    # a table the names do not know: its title, without brackets, shortened between words
    ([("sf01-ips1_sektor", "IPS: arbetsgivarnas sektor för dem som fick arbete (avslutade 2025)")],
     ["IPS – arbetsgivarnas sektor"]),
])
def test_sheet_names_are_readable_short_unique_and_valid(tables, expected):
    shown = make_report().tables()[2].suppressed
    report = Report(**{**make_report().__dict__, "sections": [
        Section("s", "S", tables=[ReportTable(key, title, shown) for key, title in tables])]})
    names = list(sheet_names(report).values())
    assert names == expected
    for name in names:
        assert len(name) <= 31 and not re.search(r"[\[\]:*?/\\]", name)
    assert len({n.lower() for n in names}) == len(names)
    assert load_workbook(io.BytesIO(render_excel(report))).sheetnames[1:] == [ABOUT_SHEET, *expected]


# --- the scans fail on a leak ----------------------------------------------------------------

def test_scans_catch_an_unsuppressed_table(leaked, tmp_path):
    report = leaked["report"]
    leak = report.tables()[0]
    assert 3 in leak.suppressed.display["Studier"].tolist()
    spec = leak.suppressed.spec
    html_found = find_disclosures((read_html_tables(leaked["html"])["utfall"], spec), threshold=5)
    xlsx_found = find_disclosures((read_excel_tables(leaked["xlsx"], report)["utfall"], spec), threshold=5)
    pdf_found = find_disclosures((pdf_tables(pdf_text(leaked["pdf"], tmp_path), report)["utfall"], spec), threshold=5)
    for found in (html_found, xlsx_found, pdf_found):
        assert any("count 3 is shown" in m for m in found), found
        assert any("count 4 is shown" in m for m in found), found


# --- charts --------------------------------------------------------------------------------

def test_charts_are_deterministic_png():
    report = make_report()
    chart = report.sections[1].subsections[0].charts[0]
    first, second = render_chart(chart), render_chart(make_report().sections[1].subsections[0].charts[0])
    assert first.startswith(b"\x89PNG") and first == second
    assert b"Software" not in first and b"matplotlib" not in first.lower()


@pytest.mark.parametrize("kind", ["bar", "barh", "stacked_bar", "line", "step"])
def test_every_chart_kind_draws_with_hidden_cells(kind):
    table = make_report().tables()[0]  # every part of two rows hidden
    chart = Chart("Utfall", kind, table, {"Arbete": "Arbete", "Studier": "Studier"}, percent=False)
    assert render_chart(chart).startswith(b"\x89PNG")


# --- in a browser --------------------------------------------------------------------------

def test_html_in_chromium(rendered, tmp_path):
    seen = browser_check(rendered["html"], tmp_path)
    assert seen["errors"] == [] and seen["broken"] == []
    assert seen["images"] == 2
    assert not seen["pageWiderThanScreen"], "the page scrolls sideways on a phone (tables must scroll inside)"


def test_chromium_check_sees_a_broken_page(rendered, tmp_path):
    broken = rendered["html"].replace(
        "</main>", '<img src="data:image/png;base64,AAAA" alt="trasig"><img src="https://example.invalid/x.png" alt="extern"></main>')
    seen = browser_check(broken, tmp_path)
    assert set(seen["broken"]) == {"trasig", "extern"}
    assert any("blocked" in e for e in seen["errors"])


def test_every_unknown_figure_is_missing_and_no_known_one_is():
    """pd.NA (a nullable integer column's empty cell) is unknown like None and NaN: shown empty,
    never as 0. Its comparison with itself raises rather than answering, which once hid it."""
    import numpy as np
    import pandas as pd

    from utfall.evaluation.render_format import is_missing

    assert [is_missing(v) for v in (None, float("nan"), np.nan, pd.NA, pd.NaT)] == [True] * 5
    assert [is_missing(v) for v in (0, 0.0, 3, "x", "")] == [False] * 5


def test_goal_verdicts_in_colour_symbol_and_words_with_the_report_font(tmp_path):
    """Each verdict cell has its colour class beside symbol and words, and the PDF draws ✓ and ✗
    with the report's own font (DejaVu Sans), not a fallback that may lack them."""
    import subprocess

    from utfall.evaluation.conclusions import Judgement, Verdict

    texts = [Judgement(Verdict.MET).text, Judgement(Verdict.NOT_MET, bound="färre än 5").text,
             Judgement(Verdict.UNKNOWN, "ingen källa anger sysselsättning").text]
    frame = pd.DataFrame({"Bedömning": texts}, index=["IPS: arbete", "IPS: studier", "IPS: sysselsättning"])
    goals = ReportTable("maluppfyllelse", "Måluppfyllelse 2025", suppress(frame, TableSpec(counts=[]), threshold=5))
    report = Report(forbund_id="F01", forbund_name="Samordningsförbundet Testbygd", year=2025, gate_run_id="r",
                    sections=[Section("sammanfattning", "Sammanfattning", [], [goals])],
                    generated_at="2026-01-15T08:00:00Z", software_version="0.1.0", suppression_threshold=5)
    html = render_html(report)
    for css, text in zip(("verdict-met", "verdict-not-met", "verdict-unknown"), texts):
        assert f'<td class="{css}">{text}</td>' in html
    assert "td.verdict-met {" in html and "td.verdict-not-met {" in html  # the colours are in the page
    path = tmp_path / "mal.pdf"
    path.write_bytes(render_pdf(html))
    flat = re.sub(r"\s+", " ", read_pdf_text(path, layout=False))
    assert "✓ Uppnått" in flat and "✗ Ej uppnått (ett antal färre än 5 visas inte)" in flat
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    names = [line.split()[0] for line in fonts.splitlines()[2:]]
    assert names and all("DejaVu" in n for n in names), names


def test_the_contents_split_into_two_columns_where_their_lines_come_closest_to_even():
    # lines: 2, 11, 11, 1, 4 (a section and its subsections) = 29; after two sections 13 of 29
    sections = [{"id": f"s{i}", "subsections": [{}] * n} for i, n in enumerate([1, 10, 10, 0, 3])]
    columns = toc_columns(sections)
    assert [(start, [s["id"] for s in part]) for start, part in columns] == [
        (1, ["s0", "s1"]), (3, ["s2", "s3", "s4"])]
    assert toc_columns(sections[:1]) == [(1, sections[:1])]  # one section: one column


def test_the_contents_name_every_section_once_numbered_on(rendered, tmp_path):
    toc = rendered["html"].split('<nav class="toc"', 1)[1].split("</nav>", 1)[0]
    anchors = re.findall(r'href="#([^"]+)"', toc)
    assert len(anchors) == len(set(anchors)) == 5  # the sample report's 4 sections and 1 subsection
    # lines 1 + 2 | 1 + 1: the third section starts the second column
    assert re.findall(r'<ol start="(\d+)"', toc) == ["1", "3"]
    # …and the PDF numbers it so (WeasyPrint reads the list-item counter, not `start`)
    page_1 = pdf_text(rendered["pdf"], tmp_path).split("\f")[0]
    assert re.search(r"3\.\s+Förbundets kommentarer", page_1) and not re.search(r"1\.\s+Förbundets kommentarer", page_1)
