"""A declared table as cells and sums: the one expansion of a TableSpec that both the
suppression and the disclosure scanner work on."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from utfall.evaluation.suppression.spec import Ref, TableSpec

Cell = tuple[int, str]  # (row position, column name)


@dataclass(frozen=True)
class Sum:
    """total = sum(parts): one line of the table that a reader can solve."""

    total: Cell
    parts: tuple[Cell, ...]

    @property
    def cells(self) -> tuple[Cell, ...]:
        return (self.total, *self.parts)


@dataclass(frozen=True)
class Grid:
    count_cells: tuple[Cell, ...]
    derived_sources: dict[Cell, tuple[Cell, ...]]  # derived cell -> cells it is computed from
    count_sums: tuple[Sum, ...]
    derived_sums: tuple[Sum, ...]

    def lines_of(self, cell: Cell) -> list[Sum]:
        return [s for s in (*self.count_sums, *self.derived_sums) if cell in s.cells]


def build_grid(frame: pd.DataFrame, spec: TableSpec) -> Grid:
    """Expand `spec` over `frame`; a clear error for anything the spec names that is not there."""
    name = spec.name or "table"
    if not frame.index.is_unique:
        raise ValueError(f"{name}: row labels must be unique (they name total rows)")
    if not frame.columns.is_unique:
        raise ValueError(f"{name}: column names must be unique")
    columns = set(frame.columns)
    counts = tuple(spec.counts)
    derived = tuple(spec.derived)
    for col in (*counts, *derived, *spec.total_columns, *(p for ps in spec.total_columns.values() for p in ps), *spec.additive_columns):
        if col not in columns:
            raise ValueError(f"{name}: column {col!r} is declared but not in the table")
    if set(counts) & set(derived):
        raise ValueError(f"{name}: a column cannot be both a count and derived: {sorted(set(counts) & set(derived))}")
    position = {label: i for i, label in enumerate(frame.index)}

    def pos(label) -> int:
        if label not in position:
            raise ValueError(f"{name}: row {label!r} is declared but not in the table")
        return position[label]

    def kind(cols) -> str:
        kinds = {"count" if c in counts else "derived" if c in derived else "other" for c in cols}
        if kinds == {"count"} or kinds == {"derived"}:
            return kinds.pop()
        raise ValueError(f"{name}: a total and its parts must all be counts or all derived figures: {list(cols)}")

    n = len(frame)
    sums: dict[str, list[Sum]] = {"count": [], "derived": []}
    for total, parts in spec.total_columns.items():
        k = kind([total, *parts])
        for i in range(n):
            sums[k].append(Sum((i, total), tuple((i, p) for p in parts)))
    total_row_positions = {pos(t) for t in spec.total_rows}
    for total, parts in spec.total_rows.items():
        part_rows = [i for i in range(n) if i not in total_row_positions] if parts is None else [pos(p) for p in parts]
        for col in spec.additive_columns:
            sums[kind([col])].append(Sum((pos(total), col), tuple((i, col) for i in part_rows)))

    def source(i: int, ref: Ref) -> Cell:
        if isinstance(ref, tuple):
            row, col = ref
            cell = (pos(row), col)
        else:
            cell = (i, ref)
        if cell[1] not in columns:
            raise ValueError(f"{name}: derived figures refer to column {cell[1]!r}, not in the table")
        return cell

    derived_sources = {(i, d): tuple(source(i, r) for r in refs) for d, refs in spec.derived.items() for i in range(n)}
    return Grid(
        count_cells=tuple((i, c) for c in counts for i in range(n)),
        derived_sources=derived_sources,
        count_sums=tuple(sums["count"]),
        derived_sums=tuple(sums["derived"]),
    )
