"""What a report is made of, between the table builder and the renderers.

The builder (`tables.py`) reads the warehouse and fills a `Report` whose every table has
already passed the suppression layer; the renderers (HTML, PDF, Excel) only lay it out.
Nothing in a `Report` is person-level, and no hidden value is in it (`Suppressed` holds none).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from utfall.evaluation.suppression import Suppressed

if TYPE_CHECKING:
    from utfall.evaluation.comments import Comments

ChartKind = Literal["bar", "barh", "stacked_bar", "line", "step"]


@dataclass(frozen=True)
class Chart:
    """A chart drawn from a table's suppressed figures (`table.suppressed.numeric()`).

    x: the column (or the index, when None) along the axis; series: the columns plotted,
    each with its Swedish legend label. A hidden cell is NaN there and is not drawn.
    """

    title: str  # Swedish
    kind: ChartKind
    table: "ReportTable"
    series: dict[str, str]  # column -> Swedish label
    x: str | None = None
    x_label: str = ""  # the category (or time) axis: horizontal, or vertical for barh
    y_label: str = ""  # the value axis: vertical, or horizontal for barh
    alt_text: str = ""  # Swedish description for screen readers; say what the chart shows
    percent: bool = False  # y values are shares 0–1, shown as %
    rows: tuple | None = None  # row labels to plot, in this order (e.g. without the 'Totalt' row); None = all
    tick_labels: tuple[str, ...] | None = None  # short category labels (e.g. item numbers) the table beside explains
    goal: float | None = None  # a goal drawn as a dashed line across the value axis
    goal_label: str = ""  # Swedish legend text of the goal line


@dataclass(frozen=True)
class ReportTable:
    """One table of the report: one Excel sheet, one HTML/PDF table."""

    key: str  # stable id, also the Excel sheet name (≤ 31 chars, no []:*?/\)
    title: str  # Swedish
    suppressed: Suppressed  # display has Swedish column headings
    note: str = ""  # Swedish, e.g. what the denominator is
    percent_columns: tuple[str, ...] = ()  # shares 0–1 shown as %
    sek_columns: tuple[str, ...] = ()  # amounts shown as whole kronor
    decimal_columns: tuple[str, ...] = ()  # ratios shown with a decimal, also when a value is whole


@dataclass(frozen=True)
class Section:
    key: str
    title: str  # Swedish
    paragraphs: list[str] = field(default_factory=list)  # Swedish prose; figures in it come from display values
    tables: list[ReportTable] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    subsections: list["Section"] = field(default_factory=list)
    comments: "Comments | None" = None  # the förbund's own text (evaluation.comments), after the paragraphs

    def all_tables(self) -> list[ReportTable]:
        """The section's tables and its subsections', in reading order."""
        return [*self.tables, *(t for s in self.subsections for t in s.all_tables())]


@dataclass(frozen=True)
class Report:
    forbund_id: str
    forbund_name: str
    year: int
    gate_run_id: str
    sections: list[Section]  # summary first, one per insats, then method and data quality
    generated_at: str  # ISO UTC
    software_version: str
    suppression_threshold: int

    def tables(self) -> list[ReportTable]:
        return [t for s in self.sections for t in s.all_tables()]
