"""The evaluation's tables as an Excel workbook (tabeller.xlsx), for staff who work on with them.

A first sheet 'Om tabellerna' (what the report is, the suppression rule, sources and method,
the list of tables), then one sheet per `ReportTable`, named by its key: a title row, the
note, the Swedish headings (frozen), the figures as numbers with Swedish number formats, and
hidden cells as the text '<5' / '..' — the same cells as the HTML, from `display` only.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from utfall.evaluation.model import Report, ReportTable
from utfall.evaluation.render_format import EXCEL_FORMATS, PALETTE, Kind, column_kind, format_value, is_missing, is_number
from utfall.evaluation.render_html import document_title, has_row_labels
from utfall.suppression import legend_sv, small_label

ABOUT_SHEET = "Om tabellerna"
TITLE_ROW, NOTE_ROW, HEADER_ROW = 1, 2, 3  # the data start on the row after the headings
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_HEADER_FILL = PatternFill("solid", fgColor="E8EEF4")
_RULE = Side(style="medium", color=PALETTE[0].lstrip("#"))
# Text Excel would read as a formula when a reader edits the cell: kept text by a quote prefix.
_FORMULA_STARTS = ("=", "+", "-", "@")


def render_excel(report: Report) -> bytes:
    """The workbook as .xlsx bytes."""
    out = io.BytesIO()
    build_workbook(report).save(out)
    return out.getvalue()


def write_excel(report: Report, path: Path) -> None:
    Path(path).write_bytes(render_excel(report))


def build_workbook(report: Report) -> Workbook:
    tables = report.tables()
    keys = [t.key for t in tables]
    for key in keys:
        if not key or len(key) > 31 or _BAD_SHEET_CHARS.search(key) or key.lower() == ABOUT_SHEET.lower():
            raise ValueError(f"table key {key!r} cannot be an Excel sheet name (≤ 31 characters, none of []:*?/\\)")
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise ValueError(f"table keys must be unique (they name the sheets): {dupes}")

    wb = Workbook()
    _about_sheet(wb.active, report, tables)
    for table in tables:
        _table_sheet(wb.create_sheet(table.key), table, report.suppression_threshold)
    # Stable properties: from the report, not the clock.
    when = _parse_time(report.generated_at)
    wb.properties.creator = f"Utfall {report.software_version}"
    wb.properties.title = document_title(report)
    wb.properties.language = "sv-SE"
    if when is not None:
        wb.properties.created = wb.properties.modified = when
    return wb


def _parse_time(iso: str) -> datetime | None:
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None


def _about_sheet(ws, report: Report, tables: list[ReportTable]) -> None:
    ws.title = ABOUT_SHEET
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 100
    wrap = Alignment(wrap_text=True, vertical="top")
    _put(ws, 1, 1, document_title(report)).font = Font(bold=True, size=14)
    rows: list[tuple[str, str] | str] = [
        ("Samordningsförbund", report.forbund_name),
        ("Verksamhetsår", str(report.year)),
        ("Skapad", report.generated_at),
        ("Programversion", f"Utfall {report.software_version}"),
        ("Kvalitetskontroll", report.gate_run_id),
        "",
        "Skydd av enskilda personer",
        ("Regel", f"Antal personer från 1 till {report.suppression_threshold - 1} visas som "
                  f"{small_label(report.suppression_threshold)}. Andelar, medelvärden och belopp som "
                  "bygger på sådana grupper visas inte, och fler uppgifter döljs där det behövs så att "
                  "en dold uppgift inte kan räknas fram ur summor."),
        ("Teckenförklaring", legend_sv(report.suppression_threshold)),
        "",
        "Källor och metod",
    ]
    method = report.sections[-1] if report.sections else None
    for p in (method.paragraphs if method else []):
        rows.append(("", p))
    if not method or not method.paragraphs:
        rows.append(("", "Se avsnittet om metod och datakvalitet i rapporten."))
    rows += ["", "Tabeller"]
    rows += [(t.key, t.title) for t in tables]
    r = 3
    for item in rows:
        if isinstance(item, str):
            if item:
                _put(ws, r, 1, item).font = Font(bold=True, size=12)
        else:
            _put(ws, r, 1, item[0]).font = Font(bold=True)
            _put(ws, r, 2, item[1]).alignment = wrap
            ws.cell(r, 1).alignment = wrap
        r += 1


def _table_sheet(ws, table: ReportTable, threshold: int) -> None:
    display = table.suppressed.display
    hidden = table.suppressed.hidden
    labelled = has_row_labels(display)
    total_rows = set(table.suppressed.spec.total_rows)
    kinds = {c: column_kind(table, c) for c in display.columns}
    first = 2 if labelled else 1  # column of the first figure

    _put(ws, TITLE_ROW, 1, table.title).font = Font(bold=True, size=13)
    note = table.note
    if bool(hidden.to_numpy().any()):
        note = (note + " " if note else "") + f"Dolda uppgifter ({small_label(threshold)}, ..): se bladet '{ABOUT_SHEET}'."
    if note:
        _put(ws, NOTE_ROW, 1, note).font = Font(italic=True)

    headings = ([str(display.index.name or "")] if labelled else []) + [str(c) for c in display.columns]
    for j, text in enumerate(headings, start=1):
        cell = _put(ws, HEADER_ROW, j, text)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.border = Border(bottom=_RULE)
        cell.alignment = Alignment(wrap_text=True, vertical="bottom",
                                   horizontal="left" if j < first or kinds[display.columns[j - first]] is Kind.TEXT else "right")
    widths = [len(h) for h in headings]

    for i, label in enumerate(display.index):
        r = HEADER_ROW + 1 + i
        bold = Font(bold=True) if label in total_rows else None
        if labelled:
            c = _put(ws, r, 1, _plain(label))
            widths[0] = max(widths[0], len(str(label)))
            if bold:
                c.font = bold
        for j, col in enumerate(display.columns):
            value, kind = display.iat[i, j], kinds[col]
            cell = ws.cell(r, first + j)
            if is_missing(value):
                pass
            elif bool(hidden.iat[i, j]) or not is_number(value):
                _put(ws, r, first + j, str(value))  # '<5', '..' or text, as given
                if bool(hidden.iat[i, j]):
                    cell.alignment = Alignment(horizontal="right")
            else:
                cell.value = round(float(value)) if kind is Kind.SEK else _plain(value)
                cell.number_format = EXCEL_FORMATS[kind if kind is not Kind.TEXT else Kind.NUMBER]
            if bold:
                cell.font = bold
            widths[first - 1 + j] = max(widths[first - 1 + j], len(format_value(value, kind)))

    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(max(w + 2, 8), 50)
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, first)
    ws.sheet_view.zoomScale = 100
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"


def _put(ws, row: int, column: int, value):
    """Write one cell. Text is always a string cell: never a formula, an error code or a
    control character, whatever an insats name or a waiver reason holds (staff files are inert)."""
    cell = ws.cell(row, column)
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"  # openpyxl makes '=…' a formula and '#N/A' an error
        if value.startswith(_FORMULA_STARTS):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def _plain(value):
    """numpy scalars as Python ones: openpyxl writes those as they are."""
    return value.item() if hasattr(value, "item") else value


# --- reading back, for the disclosure scans in tests -----------------------------------------

def read_excel_tables(data: bytes, report: Report) -> dict[str, pd.DataFrame]:
    """Every table sheet of a workbook written by `render_excel(report)` as a DataFrame, cells as
    stored (numbers, '<5', '..'), row labels as index. Feed it to `find_disclosures((frame, spec))`."""
    wb = load_workbook(io.BytesIO(data), read_only=True)
    out = {}
    for table in report.tables():
        rows = [list(r) for r in wb[table.key].iter_rows(min_row=HEADER_ROW, values_only=True)]
        header, body = rows[0], rows[1:]
        if has_row_labels(table.suppressed.display):
            out[table.key] = pd.DataFrame([r[1:] for r in body], columns=header[1:], index=[r[0] for r in body])
        else:
            out[table.key] = pd.DataFrame(body, columns=header)
    wb.close()
    return out
