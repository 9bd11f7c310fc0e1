"""Checks on what förbund staff receive, shared by the renderer, evaluate and demo tests.

Every output is read back the way a reader would see it — HTML tables parsed, PDF text from
pdftotext and page images from pdftoppm, every Excel cell, the page in headless Chromium —
and scanned for small counts and person_ids.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from openpyxl import load_workbook
from PIL import Image

from utfall.evaluation.report_model import Report, Section
from utfall.evaluation.render_excel import read_excel_tables
from utfall.evaluation.render_html import read_html_tables
from utfall.evaluation.suppression import find_disclosures

INSTALL_HINT = "run scripts/install-test-deps.sh (poppler-utils, chromium)"
PERSON_ID = re.compile(r"\b[0-9a-f]{64}\b")


def pdf_text(pdf: Path, layout: bool = True) -> str:
    assert shutil.which("pdftotext"), INSTALL_HINT
    args = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), str(pdf), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=60).stdout


def pdf_page_images(pdf: Path, out: Path, dpi: int = 40) -> list[Path]:
    """Every page of the PDF as a PNG (pdftoppm), in page order."""
    assert shutil.which("pdftoppm"), INSTALL_HINT
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(pdf), str(out / "sida")], check=True, timeout=120)
    return sorted(out.glob("sida-*.png"))


def ink_share(png: Path) -> float:
    """Share of a page image's pixels that are not white: 0 for a blank page."""
    with Image.open(png) as image:
        grey = image.convert("L")
        histogram = grey.histogram()
    return 1 - sum(histogram[250:]) / sum(histogram)


def all_sections(sections: list[Section]):
    """Every section and subsection, depth first."""
    for section in sections:
        yield section
        yield from all_sections(section.subsections)


def assert_staff_outputs_disclose_nothing(folder: Path, report: Report) -> None:
    """HTML, PDF and Excel in `folder` (one förbund's year) hold no person_id and no count
    1–4; every table as staff read it, scanned with its spec, shows nothing over a hidden cell
    and leaves no hidden cell solvable from totals. `report` is the same report, rebuilt."""
    html = (folder / "utvardering.html").read_text(encoding="utf-8")
    assert not PERSON_ID.search(html)
    workbook = load_workbook(folder / "tabeller.xlsx", read_only=True)
    cells = [str(c) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
             for c in row if c is not None]
    assert cells and not any(PERSON_ID.search(c) for c in cells)

    html_tables = read_html_tables(html)
    excel_tables = read_excel_tables((folder / "tabeller.xlsx").read_bytes(), report)
    assert set(html_tables) == set(excel_tables) == {t.key for t in report.tables()}
    for table in report.tables():
        spec = table.suppressed.spec
        assert find_disclosures((html_tables[table.key], spec)) == [], table.key
        assert find_disclosures((excel_tables[table.key], spec)) == [], table.key
        assert find_disclosures(excel_tables[table.key]) == [], table.key

    text = pdf_text(folder / "utvardering.pdf")
    assert report.forbund_name in text and not PERSON_ID.search(text)
    # The text check reads "<n> Deltagare"-like phrases as counts; names that end in a digit
    # ("IPS Stockholm 2") are labels, not counts, so they are taken out first.
    labels = sorted({t.title for t in report.tables()} | {s.title for s in all_sections(report.sections)}, key=len, reverse=True)
    for label in labels:
        text, html = text.replace(label, "«rubrik»"), html.replace(label, "«rubrik»")
    assert find_disclosures(text) == [] and find_disclosures(html) == []


# Injected into a copy of the page for the test only: the report itself has no script.
PROBE = """<script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push('error ' + (e.message || (e.target && e.target.tagName))), true);
console.error = (...a) => window.__errors.push('console ' + a.join(' '));
document.addEventListener('securitypolicyviolation', e => window.__errors.push('blocked ' + e.blockedURI));
window.addEventListener('load', () => {
  const images = [...document.images];
  const out = {errors: window.__errors, images: images.length,
    broken: images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt),
    pageWiderThanScreen: document.documentElement.scrollWidth > window.innerWidth};
  const pre = document.createElement('pre'); pre.id = 'probe'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def browser_check(html: str, tmp_path: Path) -> dict:
    """Open the page in headless Chromium at phone width; what the probe saw after load."""
    chromium = shutil.which("chromium")
    assert chromium, INSTALL_HINT
    page = html.replace("style-src 'unsafe-inline'", "style-src 'unsafe-inline'; script-src 'unsafe-inline'")
    page = page.replace("<head>", "<head>\n" + PROBE, 1)
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    args = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}", "--window-size=390,844", "--virtual-time-budget=5000",
            "--dump-dom", path.as_uri()]
    dom = subprocess.run(args, capture_output=True, text=True, timeout=90).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.DOTALL)
    assert found, f"the page did not load in Chromium: {dom[:300]!r}"
    return json.loads(found.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
