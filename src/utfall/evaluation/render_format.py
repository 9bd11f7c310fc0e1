"""What every renderer shares: the colour palette and how a figure is written.

One definition, so that a share reads '23 %' and an amount '1 234 567 kr' alike in the HTML,
the PDF (same HTML), the Excel sheets and on chart axes. Swedish conventions (Språkrådet,
SCB): a space between thousands, decimal comma, a space before '%' and 'kr'. The space is
U+202F NARROW NO-BREAK SPACE — thin like a typographer's thin space, and never a place
to break a line inside a number.
"""

from __future__ import annotations

import math
from enum import StrEnum
from numbers import Number

from utfall.evaluation.report_model import ReportTable

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common form of
# colour blindness, and in greyscale print by lightness. Charts take series colours in
# this order; the HTML uses the first as accent colour.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow (last: too light for thin lines on white)
    "#000000",  # black
)
TEXT_COLOUR = "#222222"
MUTED_COLOUR = "#666666"

THIN = "\u202f"  # between thousands, and before '%' and 'kr'
MINUS = "\u2212"  # a true minus sign, not a hyphen
SEK_UNITS = {"kr": 1, "tkr": 1_000, "mkr": 1_000_000}  # chart axes of kronor
MISSING = ""  # a figure that does not exist (e.g. a share with no denominator)


class Kind(StrEnum):
    """How a column's figures are written."""

    COUNT = "count"
    PERCENT = "percent"  # a share 0–1
    SEK = "sek"  # whole kronor
    NUMBER = "number"  # any other figure, one decimal: a ratio, a mean, helårsekvivalenter
    TEXT = "text"


# Excel format codes are stored in the file in the invariant (en-US) syntax: ',' is the
# thousands separator there and Excel shows it in the reader's locale, so a Swedish Excel
# shows '#,##0 "kr"' as '1 234 567 kr' (the brief's '# ##0 "kr"'). A literal space in the
# code would instead be printed at a fixed digit position.
EXCEL_FORMATS: dict[Kind, str] = {
    Kind.COUNT: "#,##0",
    Kind.PERCENT: "0\\ %",
    Kind.SEK: '#,##0\\ "kr"',
    Kind.NUMBER: "#,##0.0",
    Kind.TEXT: "@",
}


def column_kind(table: ReportTable, column: str) -> Kind:
    """A column's kind: declared by the table (percent/SEK), a count by its spec, else by its values."""
    if column in table.percent_columns:
        return Kind.PERCENT
    if column in table.sek_columns:
        return Kind.SEK
    if column in table.decimal_columns:
        return Kind.NUMBER
    if column in table.suppressed.spec.counts:
        return Kind.COUNT
    values = [v for v in table.suppressed.display[column] if not is_missing(v) and not isinstance(v, str)]
    if values and all(isinstance(v, Number) and not isinstance(v, bool) for v in values):
        return Kind.COUNT if all(float(v).is_integer() for v in values) else Kind.NUMBER
    return Kind.TEXT


def is_missing(value) -> bool:
    """None, NaN, pd.NA or NaT: an unknown figure (shown empty, never as 0)."""
    if value is None:
        return True
    try:
        return bool(value != value) or str(value) in ("<NA>", "NaT")  # NaN; pd.NA and NaT by name
    except (TypeError, ValueError):  # pd.NA != pd.NA is pd.NA, whose truth value raises
        return str(value) == "<NA>"


def is_number(value) -> bool:
    return isinstance(value, Number) and not isinstance(value, bool) and not is_missing(value)


def _round(v: float) -> int:
    """Half away from zero, as Excel rounds: the HTML and the sheet show the same figure."""
    return int(math.copysign(math.floor(abs(v) + 0.5), v))


def _grouped(n: int) -> str:
    return f"{n:,}".replace(",", THIN).replace("-", MINUS)


def format_value(value, kind: Kind) -> str:
    """A display cell as text. A hidden cell ('<5', '..') and any other text is shown as given."""
    if is_missing(value):
        return MISSING
    if not is_number(value):
        return str(value)
    v = float(value)
    if kind is Kind.PERCENT:
        return f"{_grouped(_round(v * 100))}{THIN}%"
    if kind is Kind.SEK:
        return f"{_grouped(_round(v))}{THIN}kr"
    if kind is Kind.COUNT or (kind is Kind.TEXT and v.is_integer()):
        return _grouped(_round(v))
    tenths = _round(v * 10)
    whole, frac = divmod(abs(tenths), 10)
    return f"{MINUS if tenths < 0 else ''}{_grouped(whole)},{frac}"


def format_axis(value: float, kind: Kind, unit: str | None = None) -> str:
    """A chart tick or value label: whole percent, or a number with Swedish grouping and decimal
    comma; kronor in `unit` ('kr', 'tkr', 'mkr') when given."""
    if not math.isfinite(value):
        return ""
    if kind is Kind.PERCENT:
        return format_value(value, Kind.PERCENT)
    if kind is Kind.SEK and unit in SEK_UNITS and unit != "kr":
        scaled = value / SEK_UNITS[unit]
        shown = round(scaled, 1)
        text = format_value(shown, Kind.COUNT if float(shown).is_integer() else Kind.NUMBER)
        return f"{text}{THIN}{unit}"
    if kind is Kind.SEK:
        return format_value(value, Kind.SEK)
    return format_value(value, Kind.COUNT if float(value).is_integer() else Kind.NUMBER)

