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
from matplotlib.ticker import FuncFormatter, MaxNLocator

from utfall.evaluation.model import Chart
from utfall.evaluation.render_format import MUTED_COLOUR, PALETTE, TEXT_COLOUR, Kind, column_kind, format_axis
from utfall.suppression import HIDDEN

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 4.5, 120  # 960 × 540 px: sharp on a phone, small as a data: URI
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
    """The chart as PNG bytes."""
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        _draw(ax, chart)
        ax.set_title(chart.title, loc="left")
        if len(chart.series) > 1:
            # Handles made here, not taken from what is drawn: a series whose every cell is
            # hidden still gets its colour in the legend.
            handles = [_handle(chart, i) for i in range(len(chart.series))]
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


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
    columns = list(chart.series)
    for col in columns:
        if col not in numeric.columns:
            raise ValueError(f"chart {chart.title!r}: column {col!r} is not in table {table.key!r}")
    values = {col: pd.to_numeric(numeric[col], errors="coerce").to_numpy(dtype=float) for col in columns}
    shown = {col: [str(v) for v in display[col]] for col in columns}
    kind = Kind.PERCENT if chart.percent else _value_kind(table, columns)
    horizontal = chart.kind == "barh"
    value_axis = ax.xaxis if horizontal else ax.yaxis
    value_axis.set_major_formatter(FuncFormatter(lambda v, _pos: format_axis(v, kind)))
    if kind is not Kind.PERCENT:
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
        _bars(ax, chart, labels, columns, values, shown)
    _limits(ax, chart, values, len(labels), kind)
    ax.set_xlabel(chart.y_label if horizontal else chart.x_label)
    ax.set_ylabel(chart.x_label if horizontal else chart.y_label)
    if not horizontal and max((len(s) for s in labels), default=0) * len(labels) > 60:
        for tick in ax.get_xticklabels():  # long category names would overlap
            tick.set_rotation(30)
            tick.set_horizontalalignment("right")


def _bars(ax, chart: Chart, labels: Sequence[str], columns, values, shown) -> None:
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
        draw(at[keep], v[keep], width, color=PALETTE[i % len(PALETTE)], label=chart.series[col], **kwargs)
        if not stacked:
            for p, hidden, text in zip(at, ~keep, shown[col]):
                if hidden and _is_label(text):
                    _mark(ax, p, 0.0, text, horizontal)
        else:
            bottom = bottom + np.nan_to_num(v)  # a hidden part adds nothing: only shown figures are drawn
    if stacked:  # one mark per bar, on top of what is drawn: which parts are hidden
        for p, top, i in zip(positions, bottom, range(len(labels))):
            hidden_parts = [shown[c][i] for c in columns if np.isnan(values[c][i]) and _is_label(shown[c][i])]
            if hidden_parts:
                _mark(ax, p, top, "dolt" if len(hidden_parts) == len(columns) else "delvis dolt", horizontal)
    (ax.set_yticks if horizontal else ax.set_xticks)(positions, labels)


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
    hi, lo = max(top, floor) * 1.08, min(low, 0.0) * 1.08
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
