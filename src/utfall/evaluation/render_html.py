"""The evaluation as one self-contained HTML file (utvardering.html), and the same HTML for the PDF.

Self-contained: CSS inline, charts as data: URIs, no script, no link out — a förbund can
mail the file or open it offline, and it fetches nothing that could tell a server who reads
it. A Content-Security-Policy in the page makes a browser refuse anything else, should a
paragraph ever carry a reference.

What is rendered: each table's `Suppressed.display` and each chart from `numeric()`, the
Report's texts and metadata — nothing else. Hidden cells are shown as given ('<5', '..');
the legend for them closes the method section (the last section, see model.Report).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from utfall.evaluation.charts import alt_text, pixels, render_chart
from utfall.evaluation.conclusions import verdict_css
from utfall.evaluation.report_model import Chart, Report, ReportTable, Section
from utfall.evaluation.render_format import MINUS, MUTED_COLOUR, PALETTE, THIN, TEXT_COLOUR, Kind, column_kind, format_value
from utfall.evaluation.suppression import HIDDEN, legend_sv

LEGEND_ID = "teckenforklaring"
SHORT_TABLE_ROWS = 10  # a table of at most this many rows is not split across pages
# What one printed table row holds, in characters of the print font (8 pt on the 178 mm wide
# A4 content box, with the cell padding): a wider table is laid out as several, each with the
# row labels. Conservative; tests/evaluation/test_evaluation_layout.py measures the result from the PDF.
PRINT_LINE_CHARS = 96
CELL_PADDING_CHARS = 2
ROW_LABEL_CHARS = 24  # a longer row label wraps between words
TEXT_CELL_CHARS = 24  # a longer text cell (a verdict, what a figure is about) wraps between words too
# A long table that fits half the line is printed in two columns (its header repeated in each),
# not as a strip down the left of the page; at most about a page of rows (a table of many pages
# in columns lost its header on the later pages: tests/evaluation/test_evaluation_layout.py).
TWO_COLUMN_ROWS = (12, 60)


def render_html(report: Report) -> str:
    """The report as a complete HTML document (str, UTF-8 when written)."""
    ids = _Ids()
    sections = [_section_view(s, 1, ids) for s in report.sections]
    return _environment().get_template("evaluation.html.j2").render(
        report=report,
        title=document_title(report),
        sections=sections,
        toc_columns=toc_columns(sections),
        legend=legend_sv(report.suppression_threshold),
        legend_id=LEGEND_ID,
        SHORT_TABLE_ROWS=SHORT_TABLE_ROWS,
        accent=PALETTE[0],
        text_colour=TEXT_COLOUR,
        muted=MUTED_COLOUR,
        generated=report.generated_at[:10],
    )


def toc_columns(sections: list[dict]) -> list[tuple[int, list[dict]]]:
    """The contents in two columns for print: (number of the first entry, its sections), split
    where the two columns' lines (a section and its subsections) come closest to even. Split here,
    not by CSS columns: WeasyPrint lays CSS columns out again on every pass that fills in the page
    numbers, which made the contents cost four tenths of the PDF's time."""
    lines = [1 + len(s["subsections"]) for s in sections]
    total = sum(lines)
    split = min(range(len(sections) + 1), key=lambda k: (abs(2 * sum(lines[:k]) - total), -k))
    return [(start + 1, part) for start, part in ((0, sections[:split]), (split, sections[split:])) if part]


def document_title(report: Report) -> str:
    """'Utvärdering 2025 – Samordningsförbundet X': the page title, the h1 and the PDF header."""
    return f"Utvärdering {report.year} – {report.forbund_name}"


def _environment() -> Environment:
    return Environment(loader=PackageLoader("utfall.evaluation", "templates"),
                       autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)


# --- view model: what the template lays out, already formatted -------------------------------

@dataclass
class _Ids:
    """Unique HTML ids from section keys (anchors of the table of contents)."""

    used: set[str] = field(default_factory=set)

    def make(self, key: str) -> str:
        base = "avsnitt-" + (re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-") or "x")
        out, n = base, 2
        while out in self.used:
            out, n = f"{base}-{n}", n + 1
        self.used.add(out)
        return out


def _section_view(section: Section, level: int, ids: _Ids) -> dict:
    blocks: list[dict] = []
    charted: set[int] = set()
    for table in section.tables:
        # A chart goes with the table it is drawn from: the title, the figure, then its numbers.
        view = _table_view(table)
        for i, chart in enumerate(section.charts):
            if chart.table.key == table.key:
                view["charts"].append(_chart_view(chart))
                charted.add(i)
        blocks.append(view)
    blocks += [_chart_view(c) for i, c in enumerate(section.charts) if i not in charted]
    return {
        "id": ids.make(section.key),
        "key": section.key,
        "title": section.title,
        "level": level,
        "paragraphs": section.paragraphs,
        # safe HTML: the förbund's Markdown with every text escaped and no raw HTML (evaluation.comments)
        "comments_html": Markup(section.comments.html()) if section.comments else None,
        "blocks": blocks,
        "subsections": [_section_view(s, level + 1, ids) for s in section.subsections],
    }


def _chart_view(chart: Chart) -> dict:
    png = render_chart(chart)
    width, height = pixels(chart)
    return {"type": "chart", "title": chart.title, "alt": alt_text(chart), "width": width, "height": height,
            "src": "data:image/png;base64," + base64.b64encode(png).decode("ascii")}


def _table_view(table: ReportTable) -> dict:
    display = table.suppressed.display
    hidden = table.suppressed.hidden
    kinds = {c: column_kind(table, c) for c in display.columns}
    total_rows = set(table.suppressed.spec.total_rows)
    show_index = has_row_labels(display)
    rows = []
    for i, label in enumerate(display.index):
        cells = []
        for j, col in enumerate(display.columns):
            value = display.iat[i, j]
            is_hidden = bool(hidden.iat[i, j])
            css = ["hidden-cell"] if is_hidden else []
            if kinds[col] is not Kind.TEXT or is_hidden:
                css.append("num")
            text = format_value(value, kinds[col])
            if isinstance(value, str) and (verdict := verdict_css(text)):
                css.append(verdict)  # the goal verdict in colour, beside its symbol and words
            cells.append({"text": text, "css": " ".join(css)})
        rows.append({"label": str(label), "total": label in total_rows, "cells": cells,
                     # a row without any figure names the group of rows below it (e.g. a variable)
                     "heading": bool(cells) and all(c["text"] == "" for c in cells),
                     "nowrap": len(str(label)) <= ROW_LABEL_CHARS})  # 'IPS Göteborg 2' on one line
    columns = [{"text": str(c), "num": kinds[c] is not Kind.TEXT} for c in display.columns]
    label_chars = (min(max((len(r["label"]) for r in rows), default=0), ROW_LABEL_CHARS) + CELL_PADDING_CHARS
                   if show_index else 0)
    widths = [_column_chars(c["text"], [r["cells"][j]["text"] for r in rows], wraps=kinds[display.columns[j]] is Kind.TEXT)
              for j, c in enumerate(columns)]
    parts = [
        {"columns": [columns[j] for j in group],
         "rows": [{**r, "cells": [r["cells"][j] for j in group]} for r in rows]}
        for group in _column_groups(widths, PRINT_LINE_CHARS - label_chars)
    ]
    return {
        "type": "table",
        "narrow": len(parts) == 1 and TWO_COLUMN_ROWS[0] <= len(rows) <= TWO_COLUMN_ROWS[1]
                  and label_chars + sum(widths) <= PRINT_LINE_CHARS // 2 - CELL_PADDING_CHARS,
        "key": table.key,
        "title": table.title,
        "note": table.note,
        "index_heading": str(display.index.name or "") if show_index else None,
        "columns": columns,
        "rows": rows,
        "parts": parts,
        "has_hidden": bool(hidden.to_numpy().any()),
        "charts": [],
    }


def _column_chars(heading: str, cells: list[str], wraps: bool = False) -> int:
    """A column's printed width in characters: its widest figure, or its heading's longest word
    (headings wrap between words only). A text column wraps between words: at most
    TEXT_CELL_CHARS, or its longest word."""
    words = [len(w) for w in heading.split()] or [0]
    widest = max((len(c) for c in cells), default=0)
    if wraps:
        widest = max(min(widest, TEXT_CELL_CHARS), *(len(w) for c in cells for w in c.split()), 0)
    return max(widest, max(words), 3) + CELL_PADDING_CHARS


def _column_groups(widths: list[int], budget: int) -> list[list[int]]:
    """Consecutive columns in groups that each fit `budget` characters, about evenly (13 columns
    become 7 + 6, not 12 + 1). A column wider than the budget stands alone."""
    if not widths:
        return [[]]
    total, n = sum(widths), -(-sum(widths) // max(budget, 1))
    while True:
        limit = min(budget, -(-total // n) + max(widths) // 2)  # an even share, with a little slack
        groups: list[list[int]] = [[]]
        used = 0
        for j, w in enumerate(widths):
            if groups[-1] and used + w > limit:
                groups.append([])
                used = 0
            groups[-1].append(j)
            used += w
        if len(groups) <= n:
            return groups
        n += 1


def has_row_labels(display: pd.DataFrame) -> bool:
    """Whether the index names the rows (categories, 'Totalt') or is only positions 0..n-1."""
    return not (isinstance(display.index, pd.RangeIndex) and display.index.name is None)


# --- reading the tables back, for the disclosure scans in tests ------------------------------

def read_html_tables(html: str) -> dict[str, pd.DataFrame]:
    """Every report table in `html` as a DataFrame: key -> frame with the row labels as index,
    the headings as columns, and figures parsed back to numbers ('23 %' -> 0.23, '1 234 kr' ->
    1234); hidden cells stay '<5' / '..'. Feed it to `find_disclosures((frame, spec))`."""
    parser = _TableReader()
    parser.feed(html)
    out = {}
    for key, (header, rows, labelled) in parser.merged().items():
        columns = header[1:] if labelled else header
        index = [r[0] for r in rows] if labelled else None
        body = [[parse_figure(v) for v in (r[1:] if labelled else r)] for r in rows]
        out[key] = pd.DataFrame(body, columns=columns, index=index)
    return out


def parse_figure(text: str):
    """A formatted figure back to a number (the inverse of `format_value`); other text as is."""
    t = text.strip()
    if t == HIDDEN or t.startswith("<") or t == "":
        return t
    compact = t.replace(THIN, "").replace("\u00a0", "").replace(" ", "").replace(MINUS, "-")
    scale = 1.0
    if compact.endswith("%"):
        compact, scale = compact[:-1], 0.01
    elif compact.endswith("kr"):
        compact = compact[:-2]
    compact = compact.replace(",", ".")
    if re.fullmatch(r"-?\d+(\.\d+)?", compact):
        v = float(compact) * scale
        return int(v) if scale == 1.0 and "." not in compact else v
    return t


class _TableReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        # key -> its parts (a wide table is printed as several with the same key, see PRINT_LINE_CHARS)
        self.tables: dict[str, list[tuple[list[str], list[list[str]], bool]]] = {}
        self._key: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_head = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("data-key"):
            self._key = a["data-key"]
            self.tables.setdefault(self._key, []).append(([], [], a.get("data-row-labels") == "1"))
        elif self._key is None:
            return
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if self._key is None:
            return
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            header, rows, _ = self.tables[self._key][-1]
            (header.extend if self._in_head else rows.append)(self._row)
            self._row = None
        elif tag == "thead":
            self._in_head = False
        elif tag == "table":
            self._key = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def merged(self) -> dict[str, tuple[list[str], list[list[str]], bool]]:
        """Each table's parts side by side again: one header and one row per label."""
        out = {}
        for key, parts in self.tables.items():
            header, rows, labelled = parts[0]
            header, rows = list(header), [list(r) for r in rows]
            skip = 1 if labelled else 0
            for more_header, more_rows, _ in parts[1:]:
                header += more_header[skip:]
                for row, more in zip(rows, more_rows, strict=True):
                    row += more[skip:]
            out[key] = (header, rows, labelled)
        return out
