"""Small-cell suppression of one evaluation table (domain brief §2): the one place the rule lives.

Steps, repeated until nothing changes:
1. primary: a count 1..threshold-1 is hidden and shown as `<5`;
2. breakdown: every part of a hidden total below the threshold is hidden too, zeros
   included, and shown as `..` (a total `<5` over four categories shown `<5` and the rest
   0 would say "one in each": the labels alone would give the counts away);
3. secondary: a line (a total and its parts) with exactly one hidden cell lets a reader
   subtract; the smallest shown non-zero part is hidden too (the total itself only when no
   part is left), until every line has none or at least two hidden cells;
4. audit: a reader who knows the rule could still pin a cell down from the labels
   (total 6 = `<5` + `..` means 1 + 5); each such cell gets one more secondary cell in one
   of its lines (see audit.py);
then derived figures (shares, means, SEK sums, helårsekvivalenter) are hidden with any
cell they are computed from, and derived sums get step 3 of their own.

Zero is shown (domain brief §2, and the convention of SCB and Socialstyrelsen tables): a
zero describes nobody, so it identifies nobody, and hiding zeros would hide most of a small
förbund's tables for no protection. The exception is step 2 above, where the zeros beside
hidden small counts would let the labels be solved.

Shown totals stay exact: nothing is rounded or perturbed, cells are only hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from utfall.evaluation.suppression.audit import HIDDEN as HIDDEN_LABEL
from utfall.evaluation.suppression.audit import SMALL as SMALL_LABEL
from utfall.evaluation.suppression.audit import exposed_cells
from utfall.evaluation.suppression.grid import Cell, Grid, Sum, build_grid
from utfall.evaluation.suppression.spec import HIDDEN, Reason, TableSpec, small_label


@dataclass(frozen=True)
class Suppressed:
    """A table ready for renderers. It holds no hidden value: renderers cannot leak one.

    display: the table to render; shown cells keep their value (counts as int), hidden ones
        are the strings `<5` or `..`.
    reasons: a Reason per cell ('' where shown).
    """

    display: pd.DataFrame
    reasons: pd.DataFrame
    spec: TableSpec
    threshold: int

    @property
    def hidden(self) -> pd.DataFrame:
        """True where a cell is hidden."""
        return self.reasons != Reason.SHOWN

    def numeric(self) -> pd.DataFrame:
        """The counts and derived figures as floats with every hidden cell NaN, for charts:
        a chart plots from here and so never plots a hidden value. Other columns as they are."""
        out = self.display.copy()
        for col in (*self.spec.counts, *self.spec.derived):
            out[col] = pd.to_numeric(self.display[col].where(~self.hidden[col]), errors="coerce").astype(float)
        return out


def suppress(frame: pd.DataFrame, spec: TableSpec, threshold: int | None = None) -> Suppressed:
    """Apply the small-cell rule to `frame` as declared by `spec`.

    threshold: counts 1..threshold-1 are small; default the seed parameter
    `suppression_threshold` (seeds/parameters.csv).
    """
    t = resolve_threshold(threshold)
    name = spec.name or "table"
    grid = build_grid(frame, spec)
    values = {cell: _cell_value(frame, cell) for cell in (*grid.count_cells, *grid.derived_sources)}
    for cell in grid.count_cells:
        v = values[cell]
        if v is not None and (v < 0 or v != int(v)):
            raise ValueError(f"{name}: {cell[1]} in row {frame.index[cell[0]]!r} is {v}, not a count")
    for line in (*grid.count_sums, *grid.derived_sums):
        _check_sum(frame, line, values, name)

    reasons: dict[Cell, Reason] = {}
    breakdown: set[Cell] = set()  # counts shown as `..` although small: parts of a small hidden total
    for cell in grid.count_cells:
        v = values[cell]
        if v is not None and 1 <= v < t:
            reasons[cell] = Reason.PRIMARY
    big = sum(v for c in grid.count_cells if (v := values[c]) is not None) + t
    while True:
        if _hide_breakdowns(grid.count_sums, values, reasons, breakdown, t):
            continue
        if _hide_single_hidden(grid.count_sums, values, reasons):
            continue
        labels = {c: (HIDDEN_LABEL if c in breakdown or reasons[c] != Reason.PRIMARY else SMALL_LABEL) for c in reasons}
        known = {c: values[c] for c in grid.count_cells if c not in reasons and values[c] is not None}
        exposed = exposed_cells(known, labels, grid.count_sums, t, big)
        if not exposed:
            break
        # One more secondary cell per exposed cell, in table order; a cell whose lines got
        # one this round waits for the next audit (that cell may already free it).
        # A cell with no candidate left waits too: a cell hidden for another one this round may
        # already protect it. Only a round that hides nothing while cells are exposed is a dead end.
        touched: set[Sum] = set()
        progressed = False
        for cell in sorted(exposed, key=_order):
            mine = [line for line in grid.lines_of(cell) if line in grid.count_sums]
            if not touched.intersection(mine):
                touched.update(mine)
                progressed |= _hide_more_for(cell, grid, values, reasons)
        if not progressed:
            raise RuntimeError(f"{name}: a hidden count can be worked out and no shown count is left to hide")

    while True:  # derived figures: their sources are final once the counts are
        changed = False
        for cell, sources in grid.derived_sources.items():
            if cell not in reasons and any(s in reasons for s in sources):
                reasons[cell] = Reason.DERIVED
                changed = True
        changed |= _hide_single_hidden(grid.derived_sums, values, reasons, derived=True)
        if not changed:
            break

    display = frame.astype(object).copy()
    reason_frame = pd.DataFrame(Reason.SHOWN, index=frame.index, columns=frame.columns, dtype=object)
    for col in spec.counts:  # shown counts as int, so that no renderer prints "12.0"
        for i in range(len(frame)):
            v = values[(i, col)]
            if v is not None and (i, col) not in reasons:
                display.iat[i, frame.columns.get_loc(col)] = int(v)
    for (i, col), why in reasons.items():
        j = frame.columns.get_loc(col)
        reason_frame.iat[i, j] = why
        is_small = why == Reason.PRIMARY and (i, col) not in breakdown
        display.iat[i, j] = small_label(t) if is_small else HIDDEN
    return Suppressed(display=display, reasons=reason_frame, spec=spec, threshold=t)


def resolve_threshold(threshold: int | None) -> int:
    """The threshold to use: given, or the seed parameter. Below 3 a `<t` label would name the value."""
    if threshold is None:
        from utfall.ingest.reference import parameter

        threshold = parameter("suppression_threshold")
    if threshold != int(threshold) or int(threshold) < 3:
        raise ValueError(f"suppression threshold must be a whole number of at least 3, not {threshold}")
    return int(threshold)


def _cell_value(frame: pd.DataFrame, cell: Cell) -> float | None:
    raw = frame.iat[cell[0], frame.columns.get_loc(cell[1])]
    if raw is None or (isinstance(raw, float) and np.isnan(raw)) or raw is pd.NA or raw is pd.NaT:
        return None  # missing (e.g. a share with no denominator): shown as missing, used in no sum
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{cell[1]} in row {frame.index[cell[0]]!r} is {raw!r}, not a number") from None


def _check_sum(frame: pd.DataFrame, line: Sum, values: dict, name: str) -> None:
    cells = [values[c] for c in line.cells]
    if any(v is None for v in cells):
        return
    total, parts = cells[0], sum(cells[1:])
    if not np.isclose(total, parts, rtol=1e-9, atol=1e-6):
        i, col = line.total
        raise ValueError(
            f"{name}: {col} in row {frame.index[i]!r} is declared a total but is {total:g}, "
            f"while its parts add up to {parts:g}"
        )


def _order(cell: Cell) -> tuple:
    return (cell[0], cell[1])


def _hide_breakdowns(sums, values, reasons, breakdown: set[Cell], t: int) -> bool:
    changed = False
    for line in sums:
        total = values[line.total]
        if line.total in reasons and total is not None and total < t:
            for part in line.parts:
                if part not in breakdown:
                    breakdown.add(part)
                    reasons.setdefault(part, Reason.SECONDARY)
                    changed = True
    return changed


def _candidates(line: Sum, values, reasons, zeros: bool = False) -> list[tuple]:
    """Shown non-zero cells of a line, best first: parts before the total (shown totals are
    the most useful figures), then the smallest (least information lost), then table order."""
    out = []
    for cell in line.cells:
        v = values[cell]
        if cell not in reasons and v is not None and (zeros or v != 0):
            out.append(((cell == line.total, abs(v), _order(cell)), cell))
    return sorted(out)


def _hide_single_hidden(sums, values, reasons, derived: bool = False) -> bool:
    changed = False
    for line in sums:
        if sum(c in reasons for c in line.cells) != 1:
            continue
        if any(values[c] is None for c in line.cells):
            continue  # a missing cell: the line cannot be solved
        candidates = _candidates(line, values, reasons)
        if not candidates and derived:
            # A derived sum of 0 beside zeros: hiding a 0 protects nothing, but keeps the
            # line consistent with the rule (a line never has exactly one hidden cell).
            candidates = _candidates(line, values, reasons, zeros=True)
        if not candidates:
            # Only zeros are left beside the hidden cell: it can be worked out, and no shown
            # non-zero cell can hide it. Cannot happen with a consistent table (the total
            # is then the hidden cell's value and non-zero, or the breakdown rule applied).
            raise RuntimeError(f"secondary suppression found no cell to hide in line {line}")
        reasons[candidates[0][1]] = Reason.SECONDARY
        changed = True
    return changed


def _hide_more_for(cell: Cell, grid: Grid, values, reasons) -> bool:
    """One more secondary cell for an exposed cell: the best candidate over its lines, else over
    the table. False when no shown non-zero count is left anywhere."""
    candidates = sorted(c for line in grid.lines_of(cell) if line in grid.count_sums for c in _candidates(line, values, reasons))
    if not candidates:  # its lines are all hidden or zero: widen to the whole table
        candidates = sorted(
            ((False, abs(values[c]), _order(c)), c)
            for c in grid.count_cells
            if c not in reasons and values[c] not in (None, 0)
        )
    if not candidates:
        return False
    reasons[candidates[0][1]] = Reason.SECONDARY
    return True
