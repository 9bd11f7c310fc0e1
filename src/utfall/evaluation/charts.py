"""Charts of the evaluation: a `Chart` drawn from its table's suppressed figures, as PNG.

Privacy: the figures come from `Suppressed.numeric()` only, where every hidden cell is NaN;
a NaN is not drawn (a bar is left out, a line is broken) and the place is marked with the
cell's label from `display` ('<5', '..'), so a gap reads as "hidden", not as zero.

Deterministic: the object-oriented API (no pyplot, so no global figure state and no GUI
backend), a fixed size and DPI, the DejaVu font matplotlib ships, and no 'Software' or
date in the PNG metadata — the same report gives byte-identical images, and so the same
checksums in manifest.json.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from utfall.evaluation.report_model import Chart
from utfall.evaluation.render_format import MUTED_COLOUR, PALETTE, TEXT_COLOUR, Kind, column_kind, format_axis
from utfall.evaluation.suppression import HIDDEN

# 980 × 448 px: sharp on a phone, small as a data: URI; printed about 150 mm wide, so the 12 pt
# text reads as about 9 pt on paper (a wider figure printed smaller had unreadable labels)
WIDTH_IN, HEIGHT_IN, DPI = 7.0, 3.2, 140
# A lying bar chart is as tall as its bars need: two bars do not fill half a page
BARH_BASE_IN, BARH_PER_BAR_IN, BARH_MIN_IN = 0.9, 0.34, 1.6
MAX_VALUE_LABELS = 30  # bars beyond this are too narrow to carry their figure; the table beside has it
STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 12,  # readable when a phone scales the image to ~40 %
    "axes.edgecolor": MUTED_COLOUR,
    "axes.labelcolor": TEXT_COLOUR,
    "axes.titlesize": 14,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "xtick.color": TEXT_COLOUR,
    "ytick.color": TEXT_COLOUR,
    "legend.frameon": False,
    "svg.hashsalt": "utfall",  # should SVG ever be used: stable ids
}


def render_chart(chart: Chart) -> bytes:
    """The chart as PNG bytes.

    No title in the image: the report prints the chart's title once, beside it (a title drawn
    in the PNG repeated the caption and could be clipped). The legend sits below the axes, in
    the figure's constrained layout, so no label is cut at the image's edge."""
    with matplotlib.rc_context(STYLE):
        fig = draw_figure(chart)
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def draw_figure(chart: Chart) -> Figure:
    """The chart drawn on a new Figure (call inside `matplotlib.rc_context(STYLE)`)."""
    fig = Figure(figsize=figure_size(chart), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    _draw(ax, chart)
    handles = []
    if len(chart.series) > 1:
        # Handles made here, not taken from what is drawn: a series whose every cell is
        # hidden still gets its colour in the legend.
        handles = [_handle(chart, i) for i in range(len(chart.series))]
    if chart.goal is not None:
        handles.append(Line2D([], [], color=TEXT_COLOUR, linestyle="--", label=chart.goal_label or "Mål"))
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 3))
    return fig


def figure_size(chart: Chart) -> tuple[float, float]:
    """Width and height in inches (× DPI = the PNG's pixels)."""
    if chart.kind != "barh":
        return WIDTH_IN, HEIGHT_IN
    bars = len(chart.rows) if chart.rows is not None else len(
        [r for r in chart.table.suppressed.display.index if r not in set(chart.table.suppressed.spec.total_rows)])
    legend = 0.4 if len(chart.series) > 1 or chart.goal is not None else 0.0
    return WIDTH_IN, min(HEIGHT_IN, max(BARH_MIN_IN, BARH_BASE_IN + BARH_PER_BAR_IN * bars + legend))


def pixels(chart: Chart) -> tuple[int, int]:
    width, height = figure_size(chart)
    return round(width * DPI), round(height * DPI)


def _handle(chart: Chart, i: int):
    colour = PALETTE[i % len(PALETTE)]
    label = list(chart.series.values())[i]
    if chart.kind in ("line", "step"):
        return Line2D([], [], color=colour, marker="o" if chart.kind == "line" else None, label=label)
    return Patch(facecolor=colour, label=label)


def alt_text(chart: Chart) -> str:
    """The chart's alt text; a description from its title and series when the builder gave none."""
    if chart.alt_text.strip():
        return chart.alt_text.strip()
    series = ", ".join(chart.series.values())
    return f"Diagram: {chart.title}" + (f" ({series})" if series else "") + ". Siffrorna finns i tabellen intill."


def _draw(ax, chart: Chart) -> None:
    table = chart.table
    # The chart's rows when it names them (e.g. the förbund beside riket); otherwise total rows
    # are left out: a 'Totalt' bar would dwarf the categories, and the table beside shows it.
    index = table.suppressed.display.index
    rows = list(chart.rows) if chart.rows is not None else [
        label for label in index if label not in set(table.suppressed.spec.total_rows)]
    numeric = table.suppressed.numeric().loc[rows]
    display = table.suppressed.display.loc[rows]
    labels = [str(v) for v in (numeric.index if chart.x is None else numeric[chart.x])]
    if chart.tick_labels is not None:
        if len(chart.tick_labels) != len(labels):
            raise ValueError(f"chart {chart.title!r}: {len(chart.tick_labels)} tick labels for {len(labels)} categories")
        labels = list(chart.tick_labels)
    columns = list(chart.series)
    for col in columns:
        if col not in numeric.columns:
            raise ValueError(f"chart {chart.title!r}: column {col!r} is not in table {table.key!r}")
    values = {col: pd.to_numeric(numeric[col], errors="coerce").to_numpy(dtype=float) for col in columns}
    shown = {col: [str(v) for v in display[col]] for col in columns}
    kind = Kind.PERCENT if chart.percent else _value_kind(table, columns)
    horizontal = chart.kind == "barh"
    value_axis = ax.xaxis if horizontal else ax.yaxis
    # Kronor in tkr or mkr after the largest amount drawn: '1,2 mkr', not '1 200 000 kr'
    unit = _sek_unit(values) if kind is Kind.SEK else None
    value_axis.set_major_formatter(FuncFormatter(lambda v, _pos: format_axis(v, kind, unit)))
    if not any(np.isfinite(v).any() for v in values.values()):
        value_axis.set_major_locator(FixedLocator([]))  # nothing drawn: a scale would read as zeros
    elif kind is not Kind.PERCENT:
        value_axis.set_major_locator(MaxNLocator(nbins=6, integer=kind is Kind.COUNT))
    ax.grid(axis="y" if not horizontal else "x")
    ax.grid(axis="x" if not horizontal else "y", visible=False)

    if chart.kind in ("line", "step"):
        positions = np.arange(len(labels))
        for i, col in enumerate(columns):
            colour = PALETTE[i % len(PALETTE)]
            if chart.kind == "line":
                ax.plot(positions, values[col], marker="o", color=colour, label=chart.series[col])
            else:
                ax.step(positions, values[col], where="post", color=colour, label=chart.series[col])
            for p, v, text in zip(positions, values[col], shown[col]):
                if np.isnan(v) and _is_label(text):
                    _mark(ax, p, 0.0, text, horizontal=False)
        ax.set_xticks(positions, labels)
    else:
        # a figure that is neither drawn nor hidden is unknown (e.g. a follow-up not yet due): the
        # row's own words say so where its bar would be, so the gap does not read as 0
        absent = [next((v for v in row if isinstance(v, str) and v.strip() and not _is_label(v)), "uppgift saknas")
                  for row in display.itertuples(index=False)]
        _bars(ax, chart, labels, columns, values, shown, kind, unit, absent)
    _limits(ax, chart, values, len(labels), kind)
    if chart.goal is not None:
        (ax.axvline if horizontal else ax.axhline)(chart.goal, color=TEXT_COLOUR, linestyle="--", linewidth=1.2)
        low, high = (ax.get_xlim if horizontal else ax.get_ylim)()
        if chart.goal * 1.08 > high:  # the goal is on the chart even when every value is below it
            (ax.set_xlim if horizontal else ax.set_ylim)(low, chart.goal * 1.08)
    ax.set_xlabel(chart.y_label if horizontal else chart.x_label)
    ax.set_ylabel(chart.x_label if horizontal else chart.y_label)
    if not horizontal and max((len(s) for s in labels), default=0) * len(labels) > 60:
        for tick in ax.get_xticklabels():  # long category names would overlap
            tick.set_rotation(30)
            tick.set_horizontalalignment("right")


def _bars(ax, chart: Chart, labels: Sequence[str], columns, values, shown, kind: Kind, unit,
          absent: Sequence[str]) -> None:
    horizontal = chart.kind == "barh"
    stacked = chart.kind == "stacked_bar"
    positions = np.arange(len(labels), dtype=float)
    width = 0.8 if stacked or len(columns) == 1 else 0.8 / len(columns)
    bottom = np.zeros(len(labels))
    for i, col in enumerate(columns):
        v = values[col]
        at = positions if stacked else positions - 0.4 + width * (i + 0.5)
        base = bottom if stacked else np.zeros(len(labels))
        # A NaN bar would be drawn as nothing anyway; drop it so no empty patch exists.
        keep = ~np.isnan(v)
        draw = ax.barh if horizontal else ax.bar
        kwargs = {"left" if horizontal else "bottom": base[keep]}
        bars = draw(at[keep], v[keep], width, color=PALETTE[i % len(PALETTE)], label=chart.series[col], **kwargs)
        if not stacked and len(labels) * len(columns) <= MAX_VALUE_LABELS:
            # the figure at each bar, as the table beside writes it
            ax.bar_label(bars, labels=[format_axis(x, kind, unit) for x in v[keep]], padding=2,
                         fontsize=10, color=TEXT_COLOUR)
        if not stacked:
            for p, hidden, text, words in zip(at, ~keep, shown[col], absent):
                if hidden:
                    _mark(ax, p, 0.0, text if _is_label(text) else words, horizontal)
        else:
            bottom = bottom + np.nan_to_num(v)  # a hidden part adds nothing: only shown figures are drawn
    if stacked:  # one mark per bar, on top of what is drawn: which parts are hidden
        for p, top, i in zip(positions, bottom, range(len(labels))):
            hidden_parts = [shown[c][i] for c in columns if np.isnan(values[c][i]) and _is_label(shown[c][i])]
            if hidden_parts:
                _mark(ax, p, top, "dolt" if len(hidden_parts) == len(columns) else "delvis dolt", horizontal)
    (ax.set_yticks if horizontal else ax.set_xticks)(positions, labels)


def _sek_unit(values: dict[str, np.ndarray]) -> str:
    with np.errstate(all="ignore"):
        drawn = [np.nanmax(np.abs(v)) for v in values.values() if np.isfinite(v).any()]
    top = max(drawn, default=0.0)
    return "mkr" if top >= 1_000_000 else "tkr" if top >= 10_000 else "kr"


def _limits(ax, chart: Chart, values: dict[str, np.ndarray], n: int, kind: Kind) -> None:
    """Axes that hold every category and start at 0, also when hidden cells leave little drawn."""
    horizontal = chart.kind == "barh"
    stacked = chart.kind == "stacked_bar"
    drawn = np.vstack(list(values.values())) if values else np.zeros((1, max(n, 1)))
    if stacked:
        drawn = np.nansum(drawn, axis=0, keepdims=True)
    with np.errstate(all="ignore"):
        top = np.nanmax(drawn) if np.isfinite(drawn).any() else 0.0
        low = np.nanmin(drawn) if np.isfinite(drawn).any() else 0.0
    floor = 0.05 if kind is Kind.PERCENT else 1.0  # an axis that says something with nothing on it
    hi, lo = max(top, floor) * 1.15, min(low, 0.0) * 1.15  # room for the value labels
    (ax.set_xlim if horizontal else ax.set_ylim)(lo, hi)
    if chart.kind in ("bar", "barh", "stacked_bar"):
        (ax.set_ylim if horizontal else ax.set_xlim)(-0.6, n - 0.4)
        if horizontal:
            ax.invert_yaxis()  # first category on top, as in the table


def _mark(ax, position: float, value: float, text: str, horizontal: bool) -> None:
    """Write a hidden cell's label where its bar would start, so the gap reads as hidden, not 0."""
    if horizontal:
        ax.annotate(text, (value, position), xytext=(3, 0), textcoords="offset points",
                    ha="left", va="center", color=MUTED_COLOUR, fontsize=11)
    else:
        ax.annotate(text, (position, value), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", color=MUTED_COLOUR, fontsize=11)


def _is_label(text: str) -> bool:
    return text == HIDDEN or text.startswith("<")


def _value_kind(table, columns) -> Kind:
    kinds = {column_kind(table, c) for c in columns}
    if kinds == {Kind.SEK}:
        return Kind.SEK
    if kinds <= {Kind.COUNT}:
        return Kind.COUNT
    return Kind.NUMBER
