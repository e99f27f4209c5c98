"""Charts of a scan: ``plot_x(data, ax=None) -> Axes``. They draw; callers save.

One shared style (``chartstyle``), readable labels, sizes in B/KiB/MiB/GiB. Every
chart aggregates (by category, by language, top N, by date), so a tree of
100,000 files draws the same handful of bars as a small one. With nothing to
show, a chart says so in words instead of failing. Text from the tree (paths,
names) goes through ``literal_label``, so no name can start matplotlib's math mode
(``$...$``). matplotlib is imported only by the modules that draw: this one,
``chartstyle`` and the history's and the portfolio's ``view``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from ..core.records import FileRecord
from ..core.units import human_bytes
from ..scanning.activity import GitActivity
from .chartstyle import (
    BLANK,
    CATEGORY_COLOURS,
    CODE,
    COMMENT,
    ERROR,
    STYLE,
    axes_for,
    count_axis,
    empty_chart,
    legend_below,
    literal_label,
    size_axis,
    styled,
)
from .summary import Summary, as_summary

__all__ = [
    "STYLE",
    "human_bytes",
    "plot_activity",
    "plot_bytes_by_category",
    "plot_largest_files",
    "plot_lines_by_language",
    "plot_notebook_health",
    "save_chart",
    "show",
]


def _size_axis(ax: Axes, largest: float) -> None:
    size_axis(ax, largest, "x")


def _shorten(text: str, width: int = 42) -> str:
    """A path cut from the left to ``width`` characters, as a literal label."""
    return literal_label(text if len(text) <= width else "…" + text[-(width - 1) :])


def _bar_labels(ax: Axes, values: Sequence[float], labels: Sequence[str]) -> None:
    right = max(values) if values else 0
    for index, (value, label) in enumerate(zip(values, labels, strict=True)):
        ax.text(value + right * 0.01, index, label, va="center", fontsize=8, color="#333")
    if right:
        ax.set_xlim(0, right * 1.18)


def plot_bytes_by_category(summary: Summary, ax: Axes | None = None) -> Axes:
    """Where the bytes are: total size per category, largest first."""
    with styled():
        ax = axes_for(ax)
        title = "Where the bytes are"
        groups = sorted(summary.by_category.items(), key=lambda item: -item[1].size_bytes)
        groups = [(name, group) for name, group in groups if group.files]
        if not groups:
            return empty_chart(ax, title, "No files to show")
        names = [name for name, _ in groups][::-1]
        sizes = [group.size_bytes for _, group in groups][::-1]
        files = [group.files for _, group in groups][::-1]
        ax.barh(names, sizes, color=[CATEGORY_COLOURS.get(name, "#888") for name in names])
        total = sum(sizes) or 1
        _bar_labels(
            ax,
            sizes,
            [
                f"{human_bytes(size)} · {size / total:.0%} · {count:,} "
                + ("file" if count == 1 else "files")
                for size, count in zip(sizes, files, strict=True)
            ],
        )
        _size_axis(ax, max(sizes))
        ax.set_title(title)
        ax.set_xlabel("total size")
        return ax


def plot_lines_by_language(summary: Summary, ax: Axes | None = None, top: int = 12) -> Axes:
    """Lines of code per language split into code, comment and blank (the languages with
    the most code; data, markup, text and configuration are not code and not drawn)."""
    with styled():
        languages = [
            (name, group)
            for name, group in summary.code_languages.items()
            if group.kinds.code_lines
        ][:top]
        ax = axes_for(ax, height=max(2.6, 0.4 * len(languages) + 1.4))
        title = "Lines of code by language"
        if not languages:
            return empty_chart(ax, title, "No lines of code")
        languages = languages[::-1]
        names = [literal_label(name) for name, _ in languages]
        code = [group.kinds.code for _, group in languages]
        comment = [group.kinds.comment for _, group in languages]
        blank = [group.kinds.blank for _, group in languages]
        ax.barh(names, code, color=CODE, label="code")
        ax.barh(names, comment, left=code, color=COMMENT, label="comment")
        lefts = [c + m for c, m in zip(code, comment, strict=True)]
        ax.barh(names, blank, left=lefts, color=BLANK, label="blank")
        totals = [c + m + b for c, m, b in zip(code, comment, blank, strict=True)]
        _bar_labels(ax, totals, [f"{value:,}" for value in totals])
        count_axis(ax, "x")
        ax.set_xlabel("lines")
        legend_below(ax, 3)
        hidden = len(summary.code_languages) - len(languages)
        ax.set_title(title + (f" (top {top}; {hidden} more)" if hidden > 0 else ""))
        return ax


def plot_largest_files(summary: Summary, ax: Axes | None = None) -> Axes:
    """The largest files, coloured by category."""
    with styled():
        records = list(summary.largest)
        ax = axes_for(ax, height=max(3.0, 0.35 * len(records) + 1.2))
        title = f"Largest files (top {summary.top})"
        if not records:
            return empty_chart(ax, title, "No files to show")
        records = records[::-1]
        names = [_shorten(record.path) for record in records]
        sizes = [record.size_bytes for record in records]
        colours = [CATEGORY_COLOURS.get(record.category, "#888") for record in records]
        ax.barh(range(len(records)), sizes, color=colours)
        ax.set_yticks(range(len(records)), names, fontsize=8)
        _bar_labels(
            ax,
            sizes,
            [f"{human_bytes(s)} ({r.category})" for s, r in zip(sizes, records, strict=True)],
        )
        _size_axis(ax, max(sizes))
        ax.set_title(title)
        ax.set_xlabel("size")
        return ax


def plot_notebook_health(
    summary: Summary | Sequence[FileRecord], ax: Axes | None = None, top: int = 15
) -> Axes:
    """Output weight per notebook (the heaviest ``top``); red where a cell errored."""
    with styled():
        notebooks = sorted(
            as_summary(summary).notebook_files,
            key=lambda record: (-record.notebook.output_bytes, record.path),  # type: ignore[union-attr]
        )[:top]
        ax = axes_for(ax, height=max(3.0, 0.35 * len(notebooks) + 1.2))
        title = "Notebook outputs"
        if not notebooks:
            return empty_chart(ax, title, "No readable notebooks")
        notebooks = notebooks[::-1]
        names = [_shorten(record.path) for record in notebooks]
        weights = [record.notebook.output_bytes for record in notebooks]  # type: ignore[union-attr]
        colours = [
            ERROR if record.notebook.error_cells else CODE  # type: ignore[union-attr]
            for record in notebooks
        ]
        ax.barh(range(len(notebooks)), weights, color=colours)
        ax.set_yticks(range(len(notebooks)), names, fontsize=8)
        labels = []
        for record in notebooks:
            stats = record.notebook
            assert stats is not None
            notes = [
                f"{human_bytes(stats.output_bytes)}",
                f"{stats.code_cells} code / {stats.markdown_cells} md cells",
            ]
            if stats.error_cells:
                notes.append(f"{stats.error_cells} error")
            if stats.out_of_order:
                notes.append("out of order")
            labels.append(" · ".join(notes))
        _bar_labels(ax, weights, labels)
        _size_axis(ax, max(weights))
        ax.set_xlabel("bytes of outputs (red: holds an error output)")
        ax.set_title(title)
        return ax


def plot_activity(
    summary: Summary | Sequence[FileRecord],
    ax: Axes | None = None,
    history: GitActivity | None = None,
) -> Axes:
    """Commits per month from git when there is a history; else files by last-modified
    date, binned by day, month or year to fit the span."""
    if history is not None:
        return _plot_commits(history, ax)
    with styled():
        ax = axes_for(ax)
        title = "Activity: files by last modification"
        by_day = as_summary(summary).modified_by_day
        if not by_day:
            return empty_chart(ax, title, "No files to show")
        dates = [date.fromisoformat(day) for day in (min(by_day), max(by_day))]
        span_days = (max(dates) - min(dates)).days
        if span_days <= 90:
            key, label = "%Y-%m-%d", "day"
        elif span_days <= 365 * 4:
            key, label = "%Y-%m", "month"
        else:
            key, label = "%Y", "year"
        counts: Counter[str] = Counter()
        for day, files in by_day.items():
            counts[date.fromisoformat(day).strftime(key)] += files
        bins = sorted(counts)
        ax.bar(range(len(bins)), [counts[b] for b in bins], color=CODE, width=0.8)
        pad = max(0.6, (8 - len(bins)) / 2)  # a lone bar stays a bar, not a wall
        ax.set_xlim(-pad, len(bins) - 1 + pad)
        step = max(1, len(bins) // 12)
        ax.set_xticks(range(0, len(bins), step), bins[::step], rotation=30, ha="right", fontsize=8)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="y", alpha=0.3)
        ax.grid(axis="x", visible=False)
        ax.set_ylabel(f"files last modified that {label}")
        ax.set_title(title)
        return ax


def _plot_commits(history: GitActivity, ax: Axes | None) -> Axes:
    with styled():
        ax = axes_for(ax)
        months = list(history.by_month)
        counts = [history.by_month[month] for month in months]
        ax.bar(range(len(months)), counts, color=CODE, width=0.8)
        pad = max(0.6, (8 - len(months)) / 2)
        ax.set_xlim(-pad, len(months) - 1 + pad)
        step = max(1, len(months) // 12)
        ax.set_xticks(
            range(0, len(months), step), months[::step], rotation=30, ha="right", fontsize=8
        )
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="y", alpha=0.3)
        ax.grid(axis="x", visible=False)
        ax.set_ylabel("commits that month")
        ax.set_title("Activity: commits per month (git)")
        return ax


def show(ax: Axes, reading: str = "", close: bool = False) -> None:
    """Display the chart in a notebook with alt text: its title and a one-line reading
    (``reading`` may be the HTML sentence under it: its tags are dropped), drawn for wide
    windows and for phones (``pictures``); ``close`` closes its figure afterwards (when
    it is not saved too)."""
    import re
    from html import unescape

    from IPython.display import display

    from .display import HTML
    from .pictures import picture_html

    title = ax.get_title(loc="left") or ax.get_title() or _suptitle(ax)
    text = unescape(re.sub(r"<[^>]+>", "", reading)).strip()
    alt = f"{title}. {text}" if text else title
    with styled():
        display(HTML(picture_html(ax.figure, alt or "A chart")))
    if close:
        plt.close(ax.figure)


def _suptitle(ax: Axes) -> str:
    title = getattr(ax.figure, "_suptitle", None)
    return title.get_text() if title is not None else ""


def save_chart(ax: Axes, path: str | Path, close: bool = True) -> Path:
    """Save the figure holding ``ax`` as PNG (atomically); close it unless told not to."""
    from ..core.atomic import atomic_write

    target = Path(path)
    figure = ax.figure
    with styled(), atomic_write(target, "wb") as handle:
        figure.savefig(handle, format="png")
    if close:
        plt.close(figure)
    return target
