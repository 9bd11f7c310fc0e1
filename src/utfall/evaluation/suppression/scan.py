"""The disclosure scanner the tests run on every staff output.

Two kinds of check, because text alone cannot tell a count from other small numbers
("3" can be a count, a month, a percentage, a page number, a kommun's rank):

- Structured, on tables: a rendered table read back (the Excel sheet, an HTML table) with
  the TableSpec of the table it shows. There every count cell is known, so the scanner can
  prove for that table that: no count 1..threshold-1 is shown; no derived figure is shown
  over a hidden cell; no sum has exactly one hidden cell; and no hidden count can be worked
  out exactly from the shown cells, the sums and the labels (audit.py).
- Text, on anything (HTML text, PDF text, JSON): a 64-hex string (a person_id) anywhere,
  and a small number directly followed by a word for persons ("3 deltagare"). The latter
  catches prose built from unsuppressed figures, but only in that phrasing: text cannot
  prove the absence of small counts. That is why every count a report prints must come
  from a `Suppressed` table, and the tables must be checked structurally.

Neither check sees knowledge from outside the table (another table of the same report,
last year's report): consistent suppression across tables is the report's duty.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from utfall.evaluation.suppression.audit import HIDDEN as HIDDEN_LABEL
from utfall.evaluation.suppression.audit import SMALL as SMALL_LABEL
from utfall.evaluation.suppression.audit import exposed_cells
from utfall.evaluation.suppression.core import Suppressed, resolve_threshold
from utfall.evaluation.suppression.grid import Cell, build_grid
from utfall.evaluation.suppression.spec import HIDDEN, TableSpec, small_label

HEX64 = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{64}(?![0-9A-Fa-f])")
_PERSON_WORDS = r"personer|person|deltagare|deltagarna|individer|kvinnor|män|avslutade"
_COUNT_PHRASE = re.compile(rf"(?<![\d.,\-–])\b([1-9]\d*)(?:\s|\u00a0)+(?:{_PERSON_WORDS})\b", re.IGNORECASE)
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")

Item = str | Suppressed | pd.DataFrame | tuple[pd.DataFrame, TableSpec]


def find_disclosures(*items: Item | list, threshold: int | None = None, allow_hex: Iterable[str] = ()) -> list[str]:
    """Every disclosure found in `items`, as messages (empty: nothing found).

    items: text (str); a `Suppressed` table; a rendered table with its spec as
    (DataFrame, TableSpec); a DataFrame without spec (only the text checks run on its
    cells); or lists of these.
    allow_hex: 64-hex strings that are not person_ids (e.g. the file checksums in
    manifest.json), which the scanner cannot tell apart otherwise.
    """
    allowed = {h.lower() for h in allow_hex}
    found: list[str] = []
    for item in _flatten(items):
        if isinstance(item, str):
            found += _scan_text(item, "text", resolve_threshold(threshold), allowed)
        elif isinstance(item, Suppressed):
            t = item.threshold if threshold is None else resolve_threshold(threshold)
            found += _scan_table(item.display, item.spec, t, allowed)
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], TableSpec):
            found += _scan_table(item[0], item[1], resolve_threshold(threshold), allowed)
        elif isinstance(item, pd.DataFrame):
            found += _scan_text(_frame_text(item), "table", resolve_threshold(threshold), allowed)
        else:
            raise TypeError(f"cannot scan {type(item).__name__}")
    return found


def _flatten(items) -> Iterable:
    for item in items:
        if isinstance(item, list):
            yield from _flatten(item)
        else:
            yield item


def _frame_text(frame: pd.DataFrame) -> str:
    parts = [str(c) for c in frame.columns] + [str(i) for i in frame.index]
    parts += [str(v) for v in frame.to_numpy().ravel()]
    return "\n".join(parts)


def _scan_text(text: str, where: str, t: int, allowed: set[str]) -> list[str]:
    found = [
        f"{where}: a 64-hex value (person_id?) {m.group()[:8]}…"
        for m in HEX64.finditer(text)
        if m.group().lower() not in allowed
    ]
    for m in _COUNT_PHRASE.finditer(text):
        if 1 <= int(m.group(1)) < t:
            found.append(f"{where}: a small count in the text: {m.group()!r}")
    return found


def _parse(value) -> tuple[str, float | None]:
    """A rendered cell: ('number', v), ('small', None), ('hidden', None) or ('other', None)."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return "other", None
    if isinstance(value, bool):
        return "other", None
    if isinstance(value, (int, float)) or hasattr(value, "__float__") and not isinstance(value, str):
        return "number", float(value)
    text = str(value).strip()
    if text == HIDDEN:
        return "hidden", None
    if text.startswith("<"):
        return "small", None
    compact = re.sub(r"[\s\u00a0\u202f]", "", text)
    if _NUMBER.match(compact):
        return "number", float(compact.replace(",", "."))
    return "other", None


def _scan_table(frame: pd.DataFrame, spec: TableSpec, t: int, allowed: set[str]) -> list[str]:
    name = spec.name or "table"
    found = _scan_text(_frame_text(frame), name, t, allowed)
    grid = build_grid(frame, spec)
    col_index = {c: frame.columns.get_loc(c) for c in frame.columns}

    def where(cell: Cell) -> str:
        return f"{name}: row {frame.index[cell[0]]!r}, column {cell[1]!r}"

    cells = {c: _parse(frame.iat[c[0], col_index[c[1]]]) for c in (*grid.count_cells, *grid.derived_sources)}
    for cell in grid.count_cells:
        kind, v = cells[cell]
        if kind == "number" and 1 <= v < t:
            found.append(f"{where(cell)}: count {v:g} is shown (must be {small_label(t)})")
        if kind == "small" and str(frame.iat[cell[0], col_index[cell[1]]]).strip() != small_label(t):
            found.append(f"{where(cell)}: labelled {frame.iat[cell[0], col_index[cell[1]]]!r}, the threshold is {t}")
    is_hidden = {c for c, (kind, _) in cells.items() if kind in ("small", "hidden")}
    for cell, sources in grid.derived_sources.items():
        if cell not in is_hidden and cells[cell][0] != "other" and any(s in is_hidden for s in sources):
            found.append(f"{where(cell)}: shown, but computed from a hidden cell")
    for line in (*grid.count_sums, *grid.derived_sums):
        hidden_here = [c for c in line.cells if c in is_hidden]
        if len(hidden_here) == 1 and all(cells[c][0] == "number" for c in line.cells if c not in is_hidden):
            found.append(f"{where(hidden_here[0])}: the only hidden cell of a sum; it can be worked out")
    known = {c: cells[c][1] for c in grid.count_cells if cells[c][0] == "number"}
    labels = {c: (SMALL_LABEL if cells[c][0] == "small" else HIDDEN_LABEL) for c in grid.count_cells if c in is_hidden}
    big = 10 * sum(known.values()) + 100 * t + 1000
    try:
        exposed = exposed_cells(known, labels, grid.count_sums, t, big)
    except ValueError as exc:
        return found + [f"{name}: the shown cells contradict the declared sums ({exc})"]
    found += [f"{where(c)}: hidden, but the table shows it is {v}" for c, v in sorted(exposed.items())]
    return found
