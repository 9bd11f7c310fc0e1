"""The PDF's layout, measured from WeasyPrint's boxes and the PDF's own text, not by eye.

* Nothing is wider than the page: `overflows` finds every box past the content box's right
  edge. It must name a deliberately too-wide table (a check that cannot fail proves nothing),
  and find nothing in a report with the widest tables the evaluation has (thirteen columns,
  long Swedish headings).
* A long table splits between rows with its header repeated on every page it spans.
* The table of contents gives the page each section starts on.
* Charts: no title in the image, value labels, kronor in mkr, the goal as a line, items by
  number, and a figure not yet known marked in words rather than left as an empty place.
"""

from __future__ import annotations

import re

import matplotlib
import pandas as pd
import pytest

from tests.support.report_checks import pdf_text
from utfall.evaluation.charts import STYLE, draw_figure
from utfall.evaluation.report_model import Chart, Report, ReportTable, Section
from utfall.evaluation.render_format import THIN
from utfall.evaluation.render_html import read_html_tables, render_html
from utfall.evaluation.render_pdf import overflows, page_count, render_pdf
from utfall.evaluation.suppression import TableSpec, suppress

MONTHS = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
          "november", "december"]
LONG_ROWS = 90  # more rows than an A4 page holds at 8 pt


def wide_but_fitting() -> ReportTable:
    """Twelve months and the year across, long headings, six-figure kronor: the evaluation's widest kind."""
    columns = [f"{m.capitalize()} 2025" for m in MONTHS] + ["Hela året"]
    frame = pd.DataFrame([[123_456.0] * 13, [98_765.0] * 13, [0.456] * 13],
                         index=pd.Index(["Utbetalt från Försäkringskassan", "Ekonomiskt bistånd",
                                         "Andel i arbete eller studier"], name="Mått"),
                         columns=columns)
    return ReportTable("bred_men_ryms", "Månad för månad 2025", suppress(frame, TableSpec(counts=[]), threshold=5),
                       sek_columns=tuple(columns))


def too_wide() -> ReportTable:
    """Forty columns of kronor (never wrapped inside a figure): no font size makes it fit."""
    columns = [f"Kolumn {i}" for i in range(1, 41)]
    frame = pd.DataFrame([[1_234_567.0] * 40], index=pd.Index(["Kronor"], name="Mått"), columns=columns)
    return ReportTable("for_bred", "En tabell som inte får plats", suppress(frame, TableSpec(counts=[]), threshold=5),
                       sek_columns=tuple(columns))


def long_table() -> ReportTable:
    frame = pd.DataFrame({"Aktiva vid månadens slut": [40 + i % 7 for i in range(LONG_ROWS)],
                          "I kö vid månadens slut": [10 + i % 3 for i in range(LONG_ROWS)]},
                         index=pd.Index([f"Rad {i:03d}" for i in range(1, LONG_ROWS + 1)], name="Period"))
    spec = TableSpec(counts=list(frame.columns))
    return ReportTable("lang", "En lång tabell", suppress(frame, spec, threshold=5))


def report(*tables: ReportTable) -> Report:
    chart_table = tables[0]  # a chart drawn from the first table, printed with it
    chart = Chart("Månad för månad 2025", "bar", chart_table, {chart_table.suppressed.display.columns[0]: "Januari"},
                  y_label="Kronor")
    return Report(
        forbund_id="sf02", forbund_name="Samordningsförbundet Göteborg", year=2025, gate_run_id="gate-run-1",
        sections=[
            Section("sammanfattning", "Sammanfattning", ["Året i korthet."], [tables[0]], [chart]),
            Section("insats", "IPS Göteborg", ["Om insatsen."],
                    subsections=[Section("deltagare", "Deltagare och kö", [], list(tables[1:]))]),
            Section("metod", "Metod och datakvalitet", ["Källor."]),
        ],
        generated_at="2026-01-15T08:00:00Z", software_version="0.1.0", suppression_threshold=5,
    )


@pytest.fixture(scope="module")
def fitting() -> dict:
    html = render_html(report(wide_but_fitting(), long_table()))
    return {"html": html, "pdf": render_pdf(html)}


def test_a_too_wide_table_is_found_and_named():
    """A table the renderer did not split (forty figures in one row, as a renderer bug would
    print it), put into a rendered report: the check names it, and only it."""
    cells = "".join(f"<td class=\"num\">1{THIN}234{THIN}567{THIN}kr</td>" for _ in range(40))
    wide = f'<div class="table-block"><table data-key="for_bred"><tbody><tr>{cells}</tr></tbody></table></div>'
    html = render_html(report(wide_but_fitting(), long_table())).replace("</main>", wide + "</main>")
    problems = overflows(html)
    assert problems, "a forty-column table fits on A4: the check cannot fail"
    assert {p.where for p in problems} == {"for_bred"}
    assert any(p.tag == "table" for p in problems)
    # by far: forty figures of 12 characters at 8 pt take more than twice the 178 mm content width
    assert max(p.right - p.limit for p in problems) > 600


def test_a_forty_column_table_is_printed_in_parts_that_fit_and_read_back_whole():
    html = render_html(report(too_wide()))
    assert overflows(html) == []
    parts = re.findall(r'<table data-key="for_bred"[^>]*data-part="(\d+)"', html)
    assert len(parts) >= 3 and parts == [str(i) for i in range(1, len(parts) + 1)]
    # each part repeats the row label; read back, the table is whole again
    assert len(re.findall(r'<th scope="row"[^>]*>Kronor</th>', html)) == len(parts)
    back = read_html_tables(html)["for_bred"]
    assert list(back.columns) == [f"Kolumn {i}" for i in range(1, 41)]
    assert back.loc["Kronor"].tolist() == [1_234_567] * 40


def test_the_widest_tables_of_the_report_fit_the_page(fitting):
    assert overflows(fitting["html"]) == []


def test_a_long_table_repeats_its_header_on_every_page(fitting, tmp_path):
    (tmp_path / "r.pdf").write_bytes(fitting["pdf"])
    pages = pdf_text(tmp_path / "r.pdf").split("\f")
    spans = [i for i, page in enumerate(pages) if re.search(r"^\s*Rad \d{3}\s", page, re.M)]
    assert len(spans) >= 2, "the long table fits on one page: make it longer"
    for i in spans:
        assert re.search(r"Period\s+Aktiva vid\s", pages[i]), f"page {i + 1} has rows without the header"
    # every row once, in order, and no row cut across pages
    rows = [r for i in spans for r in re.findall(r"^\s*(Rad \d{3})\s", pages[i], re.M)]
    assert rows == [f"Rad {i:03d}" for i in range(1, LONG_ROWS + 1)]


def test_the_table_of_contents_gives_each_sections_page(fitting, tmp_path):
    (tmp_path / "r.pdf").write_bytes(fitting["pdf"])
    # read in reading order (the contents are set in two columns); no section starts a page of its
    # own, so the summary's heading is on page 1, below the contents
    pages = pdf_text(tmp_path / "r.pdf", layout=False).split("\f")
    toc = pages[0]
    for title in ("Sammanfattning", "IPS Göteborg", "Deltagare och kö", "Metod och datakvalitet"):
        match = re.search(rf"^(?:\d+\.\s*)?{re.escape(title)}[ .]*?(\d+)\s*$", toc, re.M)
        assert match, f"no page number after {title!r} in the contents:\n{toc}"
        # the section's heading is on that page (and on no earlier one)
        starts = [i + 1 for i, page in enumerate(pages) if re.search(rf"^\s*{re.escape(title)}\s*$", page, re.M)]
        assert starts and starts[0] == int(match.group(1)), (title, match.group(1), starts)
    assert page_count(fitting["html"]) == len([p for p in pages if p.strip()])


# --- charts: what is drawn, read from the figure ------------------------------------------------

def drawn(chart: Chart):
    with matplotlib.rc_context(STYLE):
        fig = draw_figure(chart)
        fig.canvas.draw()  # lays out ticks and labels as the PNG has them
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    legend = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    return fig, ax, texts, legend


def test_a_chart_has_no_title_of_its_own_and_labels_its_bars():
    frame = pd.DataFrame({"Status": ["", "kan följas upp först 2026"], "Andel": [0.4, None]},
                         index=["Arbete eller studier månaden efter avslut", "Egen försörjning 12 månader efter"])
    rt = ReportTable("uppf", "Utfall efter avslut", suppress(frame, TableSpec(counts=[]), threshold=5),
                     percent_columns=("Andel",))
    _, ax, texts, _ = drawn(Chart("Andel med utfallet", "barh", rt, {"Andel": "Andel"}, percent=True))
    assert ax.get_title() == ""  # the report prints the title once, beside the image
    assert f"40{THIN}%" in texts  # the value at its bar
    # the follow-up not yet due has no bar, and says so where the bar would be
    assert "kan följas upp först 2026" in texts


def test_kronor_axes_in_mkr_the_goal_as_a_line_and_items_by_number():
    sek = pd.DataFrame({"Före (kr)": [2_500_000.0, 1_200_000.0]}, index=["Försäkringskassan", "Kommunen"])
    rt = ReportTable("kr", "Kronor", suppress(sek, TableSpec(counts=[]), threshold=5), sek_columns=("Före (kr)",))
    _, ax, texts, _ = drawn(Chart("Kronor", "bar", rt, {"Före (kr)": "Före"}))
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert ticks and all(t.endswith(f"{THIN}mkr") for t in ticks), ticks
    assert f"2,5{THIN}mkr" in texts and f"1,2{THIN}mkr" in texts  # value labels in the axis's unit

    load = pd.DataFrame({"Deltagare per årsarbetare coach": [18.0, 22.5, 19.0]}, index=["jan", "feb", "mar"])
    rt = ReportTable("last", "Deltagare per årsarbetare", suppress(load, TableSpec(counts=[]), threshold=5))
    _, ax, _, legend = drawn(Chart("Deltagare per årsarbetare", "line", rt, {"Deltagare per årsarbetare coach": "Per"},
                                   goal=20.0, goal_label="Mål: högst 20 per årsarbetare"))
    assert any(list(line.get_ydata()) == [20.0, 20.0] for line in ax.get_lines())  # the goal across the chart
    assert "Mål: högst 20 per årsarbetare" in legend

    items = pd.DataFrame({"Poäng (1–5)": [4, 5, 3] * 8 + [4]}, index=[f"Punkt {i}" for i in range(1, 26)])
    rt = ReportTable("ips", "IPS-25", suppress(items, TableSpec(counts=[]), threshold=5))
    _, ax, _, _ = drawn(Chart("IPS-25", "bar", rt, {"Poäng (1–5)": "Poäng"},
                              tick_labels=tuple(str(i) for i in range(1, 26))))
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(i) for i in range(1, 26)]
