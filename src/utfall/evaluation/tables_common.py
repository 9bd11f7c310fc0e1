"""Helpers shared by the evaluation table builders: suppression with linked cells, Swedish
number formatting for prose (always from display values), labels and the traffic light.
"""

from __future__ import annotations

import re

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from utfall.evaluation.report_model import ReportTable
from utfall.evaluation.render_format import Kind, format_value, is_missing, is_number
from utfall.evaluation.suppression import HIDDEN, Reason, Suppressed, TableSpec, suppress
from utfall.evaluation.suppression.audit import HIDDEN as HIDDEN_KIND
from utfall.evaluation.suppression.audit import SMALL as SMALL_KIND
from utfall.evaluation.suppression.audit import exposed_cells
from utfall.evaluation.suppression.grid import Sum, build_grid
from utfall.ingest.reference import load_status_names

MONTHS_SV = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")

# The seed status_priority's names, in its order, capitalised for table headings
STATUS_SV = {status: name[0].upper() + name[1:] for status, name in load_status_names().items()}
STATUS_ORDER = tuple(STATUS_SV)

@dataclass
class Links:
    """Figures that appear in more than one table (e.g. an insats's ended count in the summary
    and in its outcome table). Whatever one table hides, the others must hide too, or a
    reader could put the tables side by side. Key: (insats_id, measure)."""

    hidden: dict[tuple[str, str], str] = field(default_factory=dict)  # -> '<5' or '..' as displayed
    shown: dict[tuple[str, str], float] = field(default_factory=dict)

    def record(self, sup: Suppressed, cells: Mapping[tuple[str, str], tuple[Hashable, str]]) -> None:
        """cells: (insats_id, measure) -> (row label, column) of that figure in `sup`."""
        for key, (row, col) in cells.items():
            if row not in sup.display.index:
                continue
            value = sup.display.at[row, col]
            if sup.hidden.at[row, col]:
                # the weaker label wins: '..' tells a reader less than '<5'
                self.hidden[key] = HIDDEN if self.hidden.get(key) == HIDDEN else str(value)
                self.shown.pop(key, None)
            elif key not in self.hidden and is_number(value):  # a text ("kan följas upp först 2026") is no figure
                self.shown[key] = float(value)

    def display(self, insats_id: str, measure: str):
        """The figure as the tables show it: its value, its hidden label, or None when no table shows it."""
        key = (insats_id, measure)
        return self.hidden.get(key, self.shown.get(key))

    def is_hidden(self, insats_id: str, measure: str) -> bool:
        return (insats_id, measure) in self.hidden

    def must_force(self, insats_id: str, measure: str) -> bool:
        """Hidden elsewhere as `..`: a table showing the same figure must hide it too. (A `<5` needs
        no forcing: the same small value is hidden by every table's own suppression.)"""
        return self.hidden.get((insats_id, measure)) == HIDDEN

    def sum_exposes(self, insats_ids: Iterable[str], measure: str, total: float, threshold: int) -> bool:
        """Would showing `total`, the sum of `measure` over these insatser, let a reader work out
        one of the hidden ones? Asked of the suppression layer's own audit, with the sum as a line."""
        keys = [(i, measure) for i in insats_ids]
        hidden = [k for k in keys if k in self.hidden]
        if not hidden:
            return False
        if len(hidden) == 1:
            return True
        cells = {k: (n, "v") for n, k in enumerate(keys)}
        total_cell = (len(keys), "v")
        known = {cells[k]: self.shown.get(k, 0.0) for k in keys if k not in self.hidden}
        known[total_cell] = float(total)
        labels = {cells[k]: (SMALL_KIND if self.hidden[k] != HIDDEN else HIDDEN_KIND) for k in hidden}
        try:
            found = exposed_cells(known, labels, [Sum(total_cell, tuple(cells[k] for k in keys))], threshold,
                                  big=10 * float(total) + 100 * threshold + 1000)
        except ValueError:  # the labels do not fit the sum (e.g. a differently defined total): do not show it
            return True
        return bool(found)


def suppress_table(
    frame: pd.DataFrame,
    spec: TableSpec,
    threshold: int,
    force_hidden: Iterable[tuple[Hashable, str]] = (),
) -> Suppressed:
    """`suppress`, plus cells that must be hidden because another table hides the same figure.

    A forced cell (and every derived cell computed from it) enters `suppress` as missing, so no
    sum uses it, and leaves it as `..`. Only force cells in lines that stay protected: a table
    without declared sums, or together with the total of the line (the callers do so).
    Derived cells that were missing in `frame` (nothing to show) stay empty, not `..`.
    """
    forced = {(r, c) for r, c in force_hidden if r in frame.index}
    work = frame.copy()
    grid = build_grid(frame, spec)
    position = {label: i for i, label in enumerate(frame.index)}
    forced_pos = {(position[r], c) for r, c in forced}
    forced_derived = {cell for cell, sources in grid.derived_sources.items() if forced_pos & set(sources)}
    for i, c in forced_pos | forced_derived:
        work[c] = work[c].astype(object)
        work.iat[i, work.columns.get_loc(c)] = None
    sup = suppress(work, spec, threshold)
    display, reasons = sup.display.copy(), sup.reasons.copy()
    for i, c in forced_pos | forced_derived:
        j = display.columns.get_loc(c)
        display.iat[i, j] = HIDDEN
        reasons.iat[i, j] = Reason.SECONDARY if (i, c) in forced_pos else Reason.DERIVED
    for (i, c) in grid.derived_sources:
        j = frame.columns.get_loc(c)
        if (i, c) not in forced_derived and is_missing(frame.iat[i, j]) and reasons.iat[i, j] == Reason.DERIVED:
            display.iat[i, j] = None  # nothing was there to hide
            reasons.iat[i, j] = Reason.SHOWN
    for c in display.columns:  # an empty cell is None, never NaN, for every renderer
        display[c] = pd.Series([None if is_missing(v) else v for v in display[c]], index=display.index, dtype=object)
    return Suppressed(display=display, reasons=reasons, spec=sup.spec, threshold=sup.threshold)


def table(key: str, title: str, frame: pd.DataFrame, spec: TableSpec, threshold: int, *, note: str = "",
          percent: Iterable[str] = (), sek: Iterable[str] = (), decimals: Iterable[str] = (),
          force_hidden=()) -> ReportTable:
    spec = TableSpec(counts=spec.counts, derived=spec.derived, total_columns=spec.total_columns,
                     total_rows=spec.total_rows, additive=spec.additive, name=spec.name or key)
    return ReportTable(key=key[:31], title=title, suppressed=suppress_table(frame, spec, threshold, force_hidden),
                       note=note, percent_columns=tuple(percent), sek_columns=tuple(sek),
                       decimal_columns=tuple(decimals))


def with_column(sup: Suppressed, column: str, values: Mapping[Hashable, object]) -> Suppressed:
    """Add a text column computed from display values (e.g. the traffic light) to a suppressed table."""
    display, reasons = sup.display.copy(), sup.reasons.copy()
    display[column] = [values.get(r) for r in display.index]
    reasons[column] = [Reason.SHOWN if values.get(r) != HIDDEN else Reason.DERIVED for r in display.index]
    return Suppressed(display=display, reasons=reasons, spec=sup.spec, threshold=sup.threshold)


def with_text(sup: Suppressed, cells: Mapping[tuple[Hashable, str], str]) -> Suppressed:
    """Write a text into empty cells (e.g. "kan följas upp först 2026" where a figure does not exist yet)."""
    display, reasons = sup.display.copy(), sup.reasons.copy()
    for (row, column), text in cells.items():
        if not is_missing(display.at[row, column]):
            raise ValueError(f"{row!r}/{column!r} holds a figure; only an empty cell takes a text")
        display.at[row, column] = text
        reasons.at[row, column] = Reason.SHOWN
    return Suppressed(display=display, reasons=reasons, spec=sup.spec, threshold=sup.threshold)


def shown_number(value) -> float | None:
    """A display cell as a number, None when hidden or empty."""
    if is_missing(value) or isinstance(value, str):
        return None
    return float(value)


def _prose(value, kind: Kind) -> str:
    """A display value for prose, formatted as the tables show it ('–' where there is none), except
    a small hidden count, which prose says in words: 'färre än 5', not '<5'."""
    if is_missing(value):
        return "–"
    text = format_value(value, kind)
    small = re.fullmatch(r"<\s?(\d+)", text)
    return f"färre än {small.group(1)}" if small else text


def fmt_count(value) -> str:
    """A display value of a count for prose: '12', '1 234', 'färre än 5' or '..'."""
    return _prose(value, Kind.COUNT)


def fmt_share(value) -> str:
    return _prose(value, Kind.PERCENT)


def fmt_sek(value) -> str:
    return _prose(value, Kind.SEK)


def fmt_number(value, decimals: int = 1) -> str:
    """Whole (decimals=0) or with one decimal, as the tables show figures."""
    if decimals not in (0, 1):
        raise ValueError("the report shows figures whole or with one decimal")
    return _prose(value, Kind.COUNT if decimals == 0 else Kind.NUMBER)


def share(num, den) -> float | None:
    return None if not den else float(num) / float(den)
