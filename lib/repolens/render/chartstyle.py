"""The one style every chart shares: sizes, fonts, grid, colours (by category too), a
chart that says in words that it has nothing to show, and labels from a tree kept
literal (no ``$`` starts matplotlib's math mode)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.axes import Axes

__all__ = [
    "BLANK",
    "CATEGORY_COLOURS",
    "CODE",
    "COMMENT",
    "ERROR",
    "STYLE",
    "axes_for",
    "count_axis",
    "empty_chart",
    "legend_below",
    "literal_label",
    "size_axis",
    "styled",
    "time_axis",
]

STYLE = {
    "figure.figsize": (8.0, 4.5),
    "figure.dpi": 100,
    "savefig.dpi": 120,
    "savefig.bbox": "tight",
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "x",
    "grid.alpha": 0.3,
    "axes.prop_cycle": matplotlib.cycler(
        color=["#3b6ea8", "#e1812c", "#3a923a", "#c03d3e", "#9372b2", "#845b53", "#d684bd"]
    ),
}
CODE, COMMENT, BLANK = "#3b6ea8", "#e1812c", "#c9c9c9"
ERROR = "#c03d3e"
CATEGORY_COLOURS = {
    "code": "#3b6ea8",
    "notebook": "#9372b2",
    "config": "#7f7f7f",
    "docs": "#bcbd22",
    "data": "#3a923a",
    "image": "#e1812c",
    "media": "#d684bd",
    "model": "#c03d3e",
    "archive": "#845b53",
    "other": "#b0b0b0",
}


@contextlib.contextmanager
def styled() -> Iterator[None]:
    """Draw in the shared style."""
    with plt.rc_context(STYLE):
        yield


def axes_for(ax: Axes | None, height: float | None = None) -> Axes:
    """``ax``, or new axes of the shared size (``height`` in inches: taller for long lists)."""
    if ax is not None:
        return ax
    with styled():
        size = (STYLE["figure.figsize"][0], height or STYLE["figure.figsize"][1])
        _figure, new = plt.subplots(figsize=size)
        return new


def empty_chart(ax: Axes, title: str, message: str) -> Axes:
    """A chart with nothing to show says so in words."""
    ax.set_title(title)
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="#666")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    return ax


def literal_label(text: str) -> str:
    """Text from the tree as a literal label: every ``$`` escaped, so no mathtext."""
    return text.replace("$", r"\$")


def count_axis(ax: Axes, axis: str = "y") -> None:
    """An axis of counts: whole numbers only (no 0.5 repositories), with thousands
    separators (25,000 50,000, never 2500050000), at most six ticks."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(MaxNLocator(nbins=5, integer=True, min_n_ticks=2))
    target.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:,.0f}"))


def legend_below(ax: Axes, columns: int = 4) -> None:
    """The legend under the chart, in ``columns`` columns, so it covers no data."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(
            handles,
            labels,
            loc="upper left",
            bbox_to_anchor=(0.0, -0.14),
            ncol=max(1, min(columns, len(labels))),
            frameon=False,
        )


def size_axis(ax: Axes, largest: float, axis: str = "x") -> None:
    """Ticks at round numbers of the unit that fits (0, 5, 10, 15 MiB, never 4.8 / 9.5 /
    14.3), labelled in that unit."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

    power = 0
    while largest / 1024**power >= 1024 and power < 4:
        power += 1
    unit, name = 1024**power, ("B", "KiB", "MiB", "GiB", "TiB")[power]
    ticks = MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]).tick_values(0, largest / unit or 1)
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(FixedLocator([t * unit for t in ticks if t >= 0]))
    target.set_major_formatter(
        FuncFormatter(lambda value, _pos: "0" if not value else f"{value / unit:,.4g} {name}")
    )


def time_axis(ax: Axes) -> None:
    """Dates along x, at most five ticks, written as briefly as the span allows."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=2, maxticks=5)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
