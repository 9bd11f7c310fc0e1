"""How a report table is declared to the suppression layer: one `TableSpec` per table.

A table is a pandas DataFrame with unique row labels (its index). The spec says which
columns hold counts of persons, which figures derive from which counts, and which rows
and columns are totals of which. Everything the layer does follows from that.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

# SCB's symbol for "uppgift ej tillgänglig eller för osäker för att anges": used for every
# hidden cell that is not labelled with the threshold (derived figures, secondary cells).
HIDDEN = ".."

# A reference to the source of a derived figure: a column name means "this column, same
# row"; a (row label, column) pair means one fixed cell, e.g. the denominator in the
# 'Totalt' row of a distribution table.
Ref = str | tuple[Hashable, str]


class Reason(StrEnum):
    """Why a cell is hidden ('' = shown)."""

    SHOWN = ""
    PRIMARY = "primary"  # the count itself is 1..threshold-1
    SECONDARY = "secondary"  # hidden so that another hidden cell cannot be worked out
    DERIVED = "derived"  # a share/mean/sum over a hidden group


def small_label(threshold: int) -> str:
    """How a count 1..threshold-1 is shown: '<5' with the default threshold."""
    return f"<{threshold}"


def legend_sv(threshold: int) -> str:
    """The Swedish explanation the report prints beside suppressed tables (method section)."""
    return (
        f"{small_label(threshold)} = färre än {threshold} personer. "
        f"{HIDDEN} = uppgiften visas inte för att skydda enskilda personer: den bygger på färre "
        f"än {threshold} personer, eller skulle annars kunna räknas fram ur andra uppgifter i "
        "tabellen (till exempel ur en summa). Summor som visas är exakta. 0 visas som 0."
    )


@dataclass(frozen=True)
class TableSpec:
    """What the suppression layer must know about one table.

    counts: columns holding counts of persons (or episodes); the small-cell rule applies.
    derived: derived column -> the cells it is computed from (numerator and/or denominator
        counts, see `Ref`). It is hidden whenever one of them is hidden: a share shown beside
        its shown numerator would give away a hidden denominator, and vice versa.
    total_columns: total column -> the columns it is the sum of, in every row (e.g. the
        'Totalt' column of a cross table, or `ended` = the sum of the exit-reason columns).
    total_rows: total row label -> the row labels it is the sum of; None = every row that is
        not itself a total row (e.g. the 'Totalt' row, a förbund total over its insatser).
    additive: the columns that total_rows sum; default every count column. Leave out a count
        that does not add up over rows (e.g. distinct persons when a person can be in two
        rows) and add derived sums that do (SEK, helårsekvivalenter), so that they get
        secondary suppression too.
    name: for messages.

    Only declare totals that hold exactly: `suppress` checks them and refuses a table
    where a declared total is not the sum of its parts.
    """

    counts: Sequence[str]
    derived: Mapping[str, Sequence[Ref]] = field(default_factory=dict)
    total_columns: Mapping[str, Sequence[str]] = field(default_factory=dict)
    total_rows: Mapping[Hashable, Sequence[Hashable] | None] = field(default_factory=dict)
    additive: Sequence[str] | None = None
    name: str = ""

    @property
    def additive_columns(self) -> tuple[str, ...]:
        return tuple(self.counts if self.additive is None else self.additive)

    def renamed(self, columns: Mapping[str, str] | None = None, rows: Mapping[Hashable, Hashable] | None = None) -> TableSpec:
        """The same spec for the table after its columns/rows got display names (e.g. Swedish
        headings in Excel), so that a rendered table read back can be checked with it."""
        col = (lambda c: (columns or {}).get(c, c))
        row = (lambda r: (rows or {}).get(r, r))

        def ref(r: Ref) -> Ref:
            return (row(r[0]), col(r[1])) if isinstance(r, tuple) else col(r)

        return TableSpec(
            counts=[col(c) for c in self.counts],
            derived={col(d): [ref(r) for r in refs] for d, refs in self.derived.items()},
            total_columns={col(t): [col(p) for p in parts] for t, parts in self.total_columns.items()},
            total_rows={row(t): (None if parts is None else [row(p) for p in parts]) for t, parts in self.total_rows.items()},
            additive=None if self.additive is None else [col(c) for c in self.additive],
            name=self.name,
        )
