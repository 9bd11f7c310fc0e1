"""The evaluation's tables as an Excel workbook (tabeller.xlsx), for the förbund's evaluator.

Sheets, in order:
- 'Innehåll': every sheet with a link to it, the title the report gives its table and the
  report section it is in. A hidden column holds each table's key (`ReportTable.key`): tools
  and tests find a table's sheet by it (`table_sheets`), whatever the sheet is called.
- 'Om tabellerna': what the report is, the suppression rule, sources and method.
- 'Förbundets kommentarer', when the förbund wrote comments (evaluation.comments), as text.
- One sheet per `ReportTable`, named so a person can read it ("IPS Göteborg – flöden";
  `sheet_names`): a title row (the report's title of the table, with its cohort), the note,
  the Swedish headings (frozen), the figures as numbers with Swedish number formats (counts
  whole, shares as %, ratios with a decimal, kronor with thousands separated), and hidden
  cells as the text '<5' / '..' — the same cells as the HTML, from `display` only.
"""

from __future__ import annotations

import io
import re
from datetime import datetime

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from utfall.evaluation.comments import Comments
from utfall.evaluation.report_model import Report, ReportTable, Section
from utfall.evaluation.render_format import EXCEL_FORMATS, PALETTE, Kind, column_kind, format_value, is_missing, is_number
from utfall.evaluation.render_html import document_title, has_row_labels
from utfall.evaluation.suppression import legend_sv, small_label

INDEX_SHEET = "Innehåll"
ABOUT_SHEET = "Om tabellerna"
COMMENTS_SHEET = "Förbundets kommentarer"
TITLE_ROW, NOTE_ROW, HEADER_ROW = 1, 2, 3  # the data start on the row after the headings
INDEX_KEY_COLUMN = 4  # the index's hidden column of table keys
SHEET_NAME_MAX = 31  # Excel's limit
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_HEADER_FILL = PatternFill("solid", fgColor="E8EEF4")
_RULE = Side(style="medium", color=PALETTE[0].lstrip("#"))
# Text Excel would read as a formula when a reader edits the cell: kept text by a quote prefix.
_FORMULA_STARTS = ("=", "+", "-", "@")

# A table's short name on its sheet tab, by the end of its key (after '<insats_id>_'); an insats
# table's tab starts with the insats ("IPS Göteborg – flöden"). A key not listed here gets its
# title, shortened.
SHEET_LABELS: dict[str, str] = {
    "nyckeltal": "Nyckeltal per insats",
    "maluppfyllelse": "Måluppfyllelse",
    "jamforelse_riket": "Jämförelse med riket",
    # after an insats's name: at most LABEL_ROOM characters, so a name of 14 stays whole
    "kon": "kön",
    "alder": "ålder",
    "kommun": "hemkommun",
    "utbildning": "utbildning",
    "stod_start": "stöd vid start",
    "ar_i_stod": "år med stöd",
    "manader": "tid i insatsen",
    "arsflode": "flöden",
    "manader_flode": "månadsflöden",
    "inskrivnas_status": "vid årets slut",
    "inskrivna_arbete": "arbete per mån",
    "avslutsorsak": "avslutsorsak",
    "uppfoljning": "uppföljning",
    "arbete_studier": "efter avslut",
    "stod_fore_efter": "före och efter",
    "helarsekv": "helårsekv.",
    "overgangar": "övergångar",
    "tid_arbete": "första arbete",
    "redan_arbete": "redan i arbete",
    "samhallsekonomi": "socioekonomi",
    "ar_for_ar": "år för år",
    "ar_for_ar_12m": "12 mån efter",
    "programtrohet": "programtrohet",
    "ips25_punkter": "IPS-25 punkter",
    "kallor": "Källor",
    "kvalitetskontroll": "Kvalitetskontroll",
    "undantag": "Undantag",
}
LABEL_ROOM = 14


def render_excel(report: Report) -> bytes:
    """The workbook as .xlsx bytes."""
    out = io.BytesIO()
    build_workbook(report).save(out)
    return out.getvalue()


def build_workbook(report: Report) -> Workbook:
    placed = _tables_in_sections(report.sections)
    keys = [t.key for t, _ in placed]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise ValueError(f"table keys must be unique (each names a sheet): {dupes}")
    names = sheet_names(report)
    comments = _comments(report.sections)

    wb = Workbook()
    index = wb.active
    _about_sheet(wb.create_sheet(ABOUT_SHEET), report)
    if comments is not None:
        _comments_sheet(wb.create_sheet(COMMENTS_SHEET), *comments)
    for table, _ in placed:
        _table_sheet(wb.create_sheet(names[table.key]), table, report.suppression_threshold)
    _index_sheet(index, report, [(ABOUT_SHEET, "Om rapporten, skyddet av enskilda, källor och metod", "", "")]
                 + ([(COMMENTS_SHEET, "Förbundets egna kommentarer till utvärderingen", comments[0].title, "")]
                    if comments else [])
                 + [(names[t.key], t.title, path, t.key) for t, path in placed])
    # Stable properties: from the report, not the clock.
    when = _parse_time(report.generated_at)
    wb.properties.creator = f"Utfall {report.software_version}"
    wb.properties.title = document_title(report)
    wb.properties.language = "sv-SE"
    if when is not None:
        wb.properties.created = wb.properties.modified = when
    return wb


# --- sheet names ------------------------------------------------------------------------------

def sheet_names(report: Report) -> dict[str, str]:
    """Each table's key -> its sheet's name: readable, at most 31 characters, none of []:*?/\\,
    unique (as Excel compares: ignoring case) and none of the other sheets' names."""
    used = {n.lower() for n in (INDEX_SHEET, ABOUT_SHEET, COMMENTS_SHEET, "history")}  # 'History' is Excel's
    out: dict[str, str] = {}
    for table in report.tables():
        name = _readable_name(table, report.forbund_name)
        n = 2
        unique = name
        while unique.lower() in used:
            unique = _fit(name, SHEET_NAME_MAX - len(f" {n}")) + f" {n}"
            n += 1
        used.add(unique.lower())
        out[table.key] = unique
    return out


def _readable_name(table: ReportTable, forbund_name: str) -> str:
    """'<insats> – <label>' for an insats table (its title reads '<insats>: …'); another table
    by its title where that fits, else by its label."""
    prefix, sep, rest = table.title.partition(": ")
    if not sep:
        prefix, rest = "", table.title
    # the title without what a tab has no room for: brackets, the year
    short = re.sub(r"\s*\([^)]*\)", "", rest.replace(forbund_name, "Förbundet"))
    short = _clean(re.sub(r"\s+(under |för |i )?(19|20)\d\d$", "", short)) or _clean(rest)
    label = _label(table.key)
    if not prefix:
        name = short if len(short) <= SHEET_NAME_MAX or label is None else label
        return _fit(name[:1].upper() + name[1:], SHEET_NAME_MAX) or "Tabell"
    if label is None:
        label = short if short[:2].isupper() else short[:1].lower() + short[1:]
    # The insats's name tells two insatser's sheets apart: it is kept whole where it can be.
    prefix, label = _clean(prefix), _clean(label)
    label = _fit(label, max(LABEL_ROOM, SHEET_NAME_MAX - len(" – ") - len(prefix)))
    return f"{_fit(prefix, SHEET_NAME_MAX - len(' – ') - len(label))} – {label}"


def _label(key: str) -> str | None:
    matches = [k for k in SHEET_LABELS if key == k or key.endswith("_" + k)]
    return SHEET_LABELS[max(matches, key=len)] if matches else None


def _clean(text: str) -> str:
    """No character Excel refuses in a sheet name, no apostrophe at either end, one space between words."""
    text = " ".join(_BAD_SHEET_CHARS.sub(" ", ILLEGAL_CHARACTERS_RE.sub("", text)).split())
    return text.strip("'").strip()


# A cut name does not end on one of these ('sektor för'): they point at the words cut away.
_DANGLING = {"och", "eller", "för", "i", "av", "med", "till", "under", "vid", "efter", "per", "på", "som", "dem", "de"}


def _fit(text: str, limit: int) -> str:
    """At most `limit` characters: cut between words where one is close, else with '…'."""
    if len(text) <= limit:
        return text
    words = text[:limit + 1].split(" ")[:-1]
    while words and (words[-1].lower() in _DANGLING or words[-1] in ("–", "-", ",")):
        words.pop()
    cut = " ".join(words).rstrip(" –-,")
    return cut if len(cut) >= limit * 2 // 3 else text[:limit - 1].rstrip() + "…"


def _tables_in_sections(sections: list[Section], path: str = "") -> list[tuple[ReportTable, str]]:
    """Every table with the titles of the sections it is in ('IPS Göteborg › Deltagare'), in the report's order."""
    out = []
    for s in sections:
        here = f"{path} › {s.title}" if path else s.title
        out += [(t, here) for t in s.tables]
        out += _tables_in_sections(s.subsections, here)
    return out


def _comments(sections: list[Section]) -> tuple[Section, Comments] | None:
    for s in sections:
        if s.comments is not None:
            return s, s.comments
        if (found := _comments(s.subsections)) is not None:
            return found
    return None


def table_sheets(workbook) -> dict[str, str]:
    """A workbook's table keys -> sheet names, as its index sheet records them."""
    out = {}
    for row in workbook[INDEX_SHEET].iter_rows(min_row=HEADER_ROW + 1, values_only=True):
        if len(row) >= INDEX_KEY_COLUMN and row[INDEX_KEY_COLUMN - 1]:
            out[row[INDEX_KEY_COLUMN - 1]] = row[0]
    return out


# --- the sheets ------------------------------------------------------------------------------

def _parse_time(iso: str) -> datetime | None:
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None


def _index_sheet(ws, report: Report, rows: list[tuple[str, str, str, str]]) -> None:
    """rows: (sheet name, what it holds, the report section, table key or '')."""
    ws.title = INDEX_SHEET
    _put(ws, TITLE_ROW, 1, document_title(report)).font = Font(bold=True, size=14)
    _put(ws, NOTE_ROW, 1, "Klicka på ett blads namn för att gå dit. Tabellerna har samma rubriker och "
                          "noter som i rapporten.").font = Font(italic=True)
    for j, heading in enumerate(("Blad", "Innehåll", "Avsnitt i rapporten", "Tabellnyckel"), start=1):
        cell = _put(ws, HEADER_ROW, j, heading)
        cell.font, cell.fill, cell.border = Font(bold=True), _HEADER_FILL, Border(bottom=_RULE)
    for i, (sheet, what, section, key) in enumerate(rows, start=HEADER_ROW + 1):
        link = _put(ws, i, 1, sheet)
        # a link inside the workbook: a location, no address (nothing outside the file)
        quoted = sheet.replace("'", "''")  # Excel's quoting of a sheet name in a reference
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{quoted}'!A1", display=sheet)
        link.style = "Hyperlink"
        _put(ws, i, 2, what).alignment = Alignment(wrap_text=True, vertical="top")
        _put(ws, i, 3, section).alignment = Alignment(wrap_text=True, vertical="top")
        if key:
            _put(ws, i, INDEX_KEY_COLUMN, key)
    for column, width in zip("ABCD", (34, 80, 40, 30)):
        ws.column_dimensions[column].width = width
    ws.column_dimensions[get_column_letter(INDEX_KEY_COLUMN)].hidden = True
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 1)


def _about_sheet(ws, report: Report) -> None:
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
    rows += ["", ("Tabeller", f"Se bladet '{INDEX_SHEET}'.")]
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


def _comments_sheet(ws, section: Section, comments: Comments) -> None:
    """The förbund's comments as text, one block a row: headings bold, list items with their bullet."""
    ws.column_dimensions["A"].width = 110
    wrap = Alignment(wrap_text=True, vertical="top")
    _put(ws, TITLE_ROW, 1, section.title).font = Font(bold=True, size=14)
    r = TITLE_ROW + 1
    for p in section.paragraphs:
        cell = _put(ws, r, 1, p)
        cell.font, cell.alignment = Font(italic=True), wrap
        r += 1
    r += 1
    for block in comments.blocks():
        cell = _put(ws, r, 1, block.text)
        cell.alignment = wrap
        if block.kind == "heading":
            cell.font = Font(bold=True, size=12)
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
    sheets = table_sheets(wb)
    out = {}
    for table in report.tables():
        rows = [list(r) for r in wb[sheets[table.key]].iter_rows(min_row=HEADER_ROW, values_only=True)]
        header, body = rows[0], rows[1:]
        if has_row_labels(table.suppressed.display):
            out[table.key] = pd.DataFrame([r[1:] for r in body], columns=header[1:], index=[r[0] for r in body])
        else:
            out[table.key] = pd.DataFrame(body, columns=header)
    wb.close()
    return out
