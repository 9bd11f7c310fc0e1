"""The förbund's own comments (evaluation.comments): rendered from Markdown, escaped, scanned.

A comment file is text a förbund wrote: it may hold anything a person can type, pasted HTML or
a personnummer. In the report it is Markdown made safe (no raw HTML, links only to web and mail
addresses, nothing loaded); a file staff may not see stops the evaluation naming file and line.
The end-to-end run through `utfall evaluate` (listing, refusal, scans) is in test_evaluate.py.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.support.report_checks import browser_check, pdf_text
from tests.support.sample_report import make_report
from utfall.db.config import Paths
from utfall.evaluation.comments import (
    SECTION_TITLE, Block, CommentRefused, Comments, comments_sections, forbund_with_comments, read_comments,
)
from utfall.evaluation.report_model import Report
from utfall.evaluation.render_excel import COMMENTS_SHEET, render_excel
from utfall.evaluation.render_html import render_html
from utfall.evaluation.render_pdf import render_pdf

HOSTILE = """# Året i korthet

Vi <script>alert('x')</script> tackar <b>alla</b>.

<div onclick="alert(1)">rå HTML</div>

<img src=x onerror="alert(2)">

- [klicka](javascript:alert(3)) och [data](data:text/html,<script>alert(4)</script>)
- [relativ](../../warehouse.duckdb) och ![bild](https://spårare.example/pixel.png)
- <https://forbundet.example/plan> och [skriv](mailto:kansli@forbundet.example)
"""


def report_with(markdown: str) -> Report:
    """The renderers' hand-made report with these comments in its comment section."""
    report = make_report()
    sections = [s if s.comments is None else
                type(s)(s.key, s.title, s.paragraphs, comments=Comments("comments/F01/2025.md", markdown))
                for s in report.sections]
    return Report(**{**report.__dict__, "sections": sections})


def comment_section_html(html: str) -> str:
    start = html.index('<div class="forbund-comments">')
    return html[start:html.index("</div>", start)]


# --- rendered from Markdown ----------------------------------------------------------------------

def test_markdown_becomes_headings_lists_emphasis_and_links():
    html = comment_section_html(render_html(make_report()))
    # '#' below the section's own h2; the list, the emphasis and the one link as written
    assert "<h3>Vårt år</h3>" in html
    assert "<p>Året gick <em>över förväntan</em>, men <strong>kön</strong> växte.</p>" in html
    assert "<ul>\n<li>Fler arbetsgivare i Testbygd</li>\n<li>Ny coach från hösten</li>\n</ul>" in html
    assert '<a href="https://testbygd.example/plan" rel="noreferrer">verksamhetsplanen</a>' in html


def test_the_section_comes_before_the_method_and_is_in_the_table_of_contents():
    html = render_html(make_report())
    toc = re.search(r'<nav class="toc".*?</nav>', html, re.DOTALL).group()
    entries = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', toc)
    titles = [t for _, t in entries]
    assert titles.index(SECTION_TITLE) == titles.index("Metod och datakvalitet") - 1
    assert html.index('<div class="forbund-comments">') < html.index('id="avsnitt-metod"')


def test_the_excel_sheet_holds_the_comments_as_text():
    wb = load_workbook(io.BytesIO(render_excel(make_report())))
    rows = [r[0] for r in wb[COMMENTS_SHEET].iter_rows(values_only=True)]
    assert rows == [SECTION_TITLE, "Förbundet har själv skrivit texten.", None, "Vårt år",
                    "Året gick över förväntan, men kön växte.", "• Fler arbetsgivare i Testbygd",
                    "• Ny coach från hösten", "Läs mer i verksamhetsplanen (https://testbygd.example/plan)."]
    assert wb[COMMENTS_SHEET].cell(4, 1).font.bold  # the heading


def test_blocks_number_ordered_lists_and_indent_nested_ones():
    blocks = Comments("x.md", "1. ett\n2. två\n   - inre\n\n   mer om två\n").blocks()
    assert blocks == [Block("item", "1. ett"), Block("item", "2. två"), Block("item", "  • inre"),
                      Block("paragraph", "mer om två")]


# --- escaped -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hostile() -> dict:
    report = report_with(HOSTILE)
    html = render_html(report)
    return {"report": report, "html": html, "pdf": render_pdf(html), "xlsx": render_excel(report)}


def test_no_raw_html_script_or_unsafe_link_passes(hostile):
    html = hostile["html"]
    section = comment_section_html(html)
    assert not re.search(r"<(script|img|div onclick|b>)", section, re.IGNORECASE), section
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in section or "&lt;script&gt;" in section
    assert "&lt;div onclick=&quot;alert(1)&quot;&gt;rå HTML&lt;/div&gt;" in section
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in section
    # links: only the web and mail addresses; the rest stays text
    hrefs = re.findall(r'href="([^"]*)"', section)
    assert hrefs == ["https://forbundet.example/plan", "mailto:kansli@forbundet.example"]
    assert "[klicka](javascript:alert(3))" in section and "[relativ](../../warehouse.duckdb)" in section
    # an image is its description: nothing is fetched
    assert "bild" in section and "pixel.png" not in section
    # and nowhere in the page is there a script, an image that is not the charts' data:, or an event handler
    tags = re.findall(r"<[a-zA-Z][^>]*>", html)
    assert not [t for t in tags if re.match(r"<(script|iframe|object|embed|link)\b", t, re.IGNORECASE)]
    assert not [t for t in tags if re.search(r"\son\w+\s*=", t, re.IGNORECASE)]
    assert all(src.startswith("data:image/png") for src in re.findall(r'<img src="([^"]*)"', html))


def test_the_pdf_shows_the_hostile_text_as_text(hostile, tmp_path):
    path = tmp_path / "r.pdf"
    path.write_bytes(hostile["pdf"])
    text = " ".join(pdf_text(path, layout=False).split())
    assert SECTION_TITLE in text and "Året i korthet" in text
    assert "<div onclick=\"alert(1)\">rå HTML</div>" in text.replace("”", '"').replace("“", '"')


def test_chromium_opens_the_report_with_hostile_comments_without_errors(hostile, tmp_path):
    seen = browser_check(hostile["html"], tmp_path)
    # nothing the comments hold is run, loaded or blocked: no console error, no refused request
    assert seen["errors"] == [] and seen["broken"] == []
    assert seen["images"] == 2  # the two charts; the comment's image is text
    assert not seen["pageWiderThanScreen"]


def test_long_words_addresses_and_code_lines_fit_the_page():
    from utfall.evaluation.render_pdf import overflows

    markdown = (f"Se https://example.se/{'a' * 200}\n\n{'Ord' * 80}\n\n    kodrad {'x' * 300}\n\n"
                f"[lång länk](https://example.se/{'b' * 150})\n")
    assert overflows(render_html(report_with(markdown))) == []


def test_the_workbook_keeps_hostile_comments_as_text(hostile):
    wb = load_workbook(io.BytesIO(hostile["xlsx"]))
    cells = [c for row in wb[COMMENTS_SHEET].iter_rows() for c in row if c.value is not None]
    assert {c.data_type for c in cells} == {"s"}
    assert "Vi <script>alert('x')</script> tackar <b>alla</b>." in [c.value for c in cells]


# --- read from $UTFALL_HOME and scanned ----------------------------------------------------------

def write_comment(home: Path, forbund: str, year: int, text: str | bytes) -> Path:
    path = home / "comments" / forbund / f"{year}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.write_bytes if isinstance(text, bytes) else path.write_text)(text)
    return path


def test_a_forbund_without_a_file_has_no_comment_section(tmp_path):
    paths = Paths(tmp_path)
    write_comment(tmp_path, "sf01", 2024, "Förra årets kommentar.")  # another year's
    assert read_comments(paths, "sf01", 2025) is None and comments_sections(paths, "sf01", 2025) == []
    assert forbund_with_comments(paths, ["sf01", "sf02"], 2024) == {
        "sf01": tmp_path / "comments" / "sf01" / "2024.md", "sf02": None}
    [section] = comments_sections(paths, "sf01", 2024)
    assert section.title == SECTION_TITLE and section.comments.markdown == "Förra årets kommentar."


@pytest.mark.parametrize("line, what", [
    ("Kontakta handläggaren om 19121212-1212 vid frågor.", "a personnummer or samordningsnummer"),
    ("Deltagare 191212121212 har gått vidare.", "a personnummer or samordningsnummer"),
    ("Samordningsnummer 19121272-1219.", "a personnummer or samordningsnummer"),
    (f"Se person {'ab12' * 16} i listan.", "a 64-hex value (a person_id?)"),
    ("Bara 3 deltagare fick arbete hos kommunen.", "a count of persons below 5"),
])
def test_what_staff_may_not_see_stops_the_report_naming_file_and_line(tmp_path, line, what):
    write_comment(tmp_path, "sf01", 2025, f"# Kommentar\n\nEtt stycke.\n\n{line}\n")
    with pytest.raises(CommentRefused) as refused:
        read_comments(Paths(tmp_path), "sf01", 2025)
    message = str(refused.value)
    assert message.startswith(f"comments/sf01/2025.md, line 5: {what}"), message
    assert not re.search(r"\d{6}", message) and "ab12ab12" not in message  # the value is not repeated


def test_a_count_of_five_a_year_and_a_phone_number_are_no_finding(tmp_path):
    write_comment(tmp_path, "sf01", 2025, "Vi hade 5 deltagare i kö i mars 2025; ring 031-123 45 67.\n")
    assert read_comments(Paths(tmp_path), "sf01", 2025) is not None


def test_a_file_that_is_not_utf8_is_refused_with_its_line(tmp_path):
    write_comment(tmp_path, "sf01", 2025, "Rad ett\nRad två med \xe5\n".encode("latin-1"))
    with pytest.raises(CommentRefused, match=r"^comments/sf01/2025.md, line 2: not UTF-8"):
        read_comments(Paths(tmp_path), "sf01", 2025)
