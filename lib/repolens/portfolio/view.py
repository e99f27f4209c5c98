"""The portfolio notebook's tables, charts and sentences, drawn from ``portfolio.json``.

Charts aggregate across repositories (distributions, the repositories with the most of
something), so 500 repositories draw as readably as five. Every string from a
repository (its name, path, reason, file names) is escaped in HTML and literal in
charts.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes

from ..core.units import counted, human_bytes
from ..render.chartstyle import (
    CATEGORY_COLOURS,
    axes_for,
    count_axis,
    empty_chart,
    legend_below,
    literal_label,
    size_axis,
    styled,
)
from .merge import COLUMNS

__all__ = [
    "DISTRIBUTED",
    "PortfolioDocumentError",
    "checks_frame",
    "checks_sentence",
    "committed_sentence",
    "distributions_sentence",
    "failures_html",
    "league",
    "league_sentence",
    "load_portfolio",
    "locate",
    "outliers",
    "page_heading",
    "plot_checks",
    "plot_committed_bytes",
    "plot_distributions",
    "portfolio_frame",
    "reproduction_rate",
    "reproduction_sentence",
    "reran",
]

DISTRIBUTED = {  # measure: what it is, as its chart names it
    "code": "lines of code",
    "bytes": "bytes committed",
    "notebooks": "notebooks",
    "errors": "errors found",
}
WORST_FIRST = ["errors", "warnings", "notes"]


class PortfolioDocumentError(Exception):
    """portfolio.json is missing, does not parse, or is not a portfolio document."""


def load_portfolio(path: str | Path) -> dict[str, Any]:
    try:
        document = json.loads(Path(path).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PortfolioDocumentError(f"{path}: not a readable portfolio ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("rows"), list):
        raise PortfolioDocumentError(f"{path}: not a portfolio document")
    return document


def locate(text: str, start: Path | None = None) -> tuple[Path, Path]:
    """A list file or folder and the folder it was found from: an absolute path as it
    is, a relative one looked up in the working folder and then in each folder above it
    (as the notebooks' ``path``), so the defaults work from the repository's root
    (papermill) and from ``notebooks/`` (nbmake, Jupyter)."""
    candidate = Path(text).expanduser()
    here = (start or Path.cwd()).resolve()
    if candidate.is_absolute():
        return candidate, here
    for base in (here, *here.parents):
        if (base / candidate).exists():
            return base / candidate, base
    raise FileNotFoundError(f"{text}: not found here ({here}) or in any folder above it")


def portfolio_frame(document: dict[str, Any]) -> pd.DataFrame:
    """The analysed repositories (status ok), one row each, indexed by name."""
    rows = [row for row in document["rows"] if row.get("status") == "ok"]
    frame = pd.DataFrame(rows, columns=[*COLUMNS, "shard"])
    return frame.drop(columns=["status", "reason"]).set_index("name")


def page_heading(document: dict[str, Any]) -> str:
    """The portfolio page's heading: how many repositories, how many were analysed."""
    counts = document.get("counts", {})
    rows = len(document["rows"])
    return (
        f"<h1>Portfolio of {rows:,} repositories</h1><p>{int(counts.get('ok', 0)):,} analysed"
        + "".join(
            f", {int(counts[status]):,} {status}"
            for status in ("failed", "missing", "stale")
            if counts.get(status)
        )
        + f" (run <code>{escape(str(document.get('run_id', '')))}</code>).</p>"
    )


def reran(frame: pd.DataFrame) -> bool:
    """Whether the portfolio was rerun (``--rerun``): some repository has counts."""
    return "rerun_notebooks" in frame.columns and bool(frame["rerun_notebooks"].notna().any())


def reproduction_rate(frame: pd.DataFrame) -> pd.Series:
    """Reproduced over rerun notebooks per repository (NaN where none was rerun)."""
    total = pd.to_numeric(frame["rerun_notebooks"], errors="coerce")
    done = pd.to_numeric(frame["reproduced"], errors="coerce")
    return (done / total.where(total > 0)).astype(float)


def league(frame: pd.DataFrame, by: str | list[str] | None = None) -> pd.DataFrame:
    """The league table: after a rerun, the repositories that reproduce least first (a
    ``reproduction`` column, reproduced/rerun), then worst findings (errors, warnings,
    notes); or sorted by any column (``by``), largest first; ties by name."""
    keys = [by] if isinstance(by, str) else list(by or WORST_FIRST)
    unknown = [key for key in keys if key not in frame.columns]
    if unknown:
        raise KeyError(f"no column {', '.join(unknown)}; choose from {', '.join(frame.columns)}")
    shown = frame.reset_index()
    rerun = reran(frame)
    first: list[str] = []
    if rerun:
        shown["reproduction rate"] = reproduction_rate(shown)
        shown["reproduction"] = [
            "" if pd.isna(total) else f"{int(done)}/{int(total)}"
            for done, total in zip(shown["reproduced"], shown["rerun_notebooks"], strict=True)
        ]
        first = [] if by else ["reproduction rate"]
    shown = shown.sort_values(
        [*first, *keys, "name"],
        ascending=[True] * len(first) + [False] * len(keys) + [True],
        kind="stable",
        na_position="last",
    )
    columns = [
        "name",
        *(["reproduction"] if rerun else []),
        *dict.fromkeys(
            [*keys, "errors", "warnings", "notes", "files", "bytes", "code", "top_language"]
        ),
        "notebooks",
        "notebooks_with_errors",
        "data_bytes",
        "model_bytes",
        "checks",
    ]
    table = shown[list(dict.fromkeys(columns))].reset_index(drop=True)
    for column in ("bytes", "data_bytes", "model_bytes"):
        table[column] = table[column].map(human_bytes)
    table["checks"] = table["checks"].fillna("").map(lambda text: ", ".join(text.split(",")))
    return table


def reproduction_sentence(frame: pd.DataFrame) -> str:
    """After a rerun: how many notebooks reproduced in all, and which repository least."""
    if frame.empty or not reran(frame):
        return ""
    total = int(pd.to_numeric(frame["rerun_notebooks"], errors="coerce").fillna(0).sum())
    done = int(pd.to_numeric(frame["reproduced"], errors="coerce").fillna(0).sum())
    rates = reproduction_rate(frame).dropna().sort_values(kind="stable")
    least = ""
    if not rates.empty:
        name = str(rates.index[0])
        row = frame.loc[name]
        least = (
            f" <code>{escape(name)}</code> reproduces least "
            f"({int(row['reproduced']):,} of {int(row['rerun_notebooks']):,})."
        )
    problems = int((frame["rerun_problem"].fillna("") != "").sum())
    trouble = (
        f" {problems:,} could not be rerun as declared (see rerun_problem)." if problems else ""
    )
    rate = f" ({done / total:.0%})" if total else ""
    return (
        f"<p>Rerun in a sandbox: {done:,} of {total:,} notebooks reproduced{rate}.{least}"
        f"{trouble}</p>"
    )


def outliers(frame: pd.DataFrame, column: str) -> list[str]:
    """Repositories far above the rest on ``column``: over the upper quartile plus 1.5
    times the inter-quartile range (and above zero), largest first. With no spread (the
    middle half share one value: four repositories with one error each among many with
    none) nothing is named."""
    values = frame[column].astype(float)
    if len(values) < 4:
        return []
    low, high = values.quantile(0.25), values.quantile(0.75)
    if high <= low:  # no spread: nothing stands out from a middle that is one value
        return []
    limit = high + 1.5 * (high - low)
    found = values[(values > limit) & (values > 0)].sort_values(ascending=False, kind="stable")
    return [str(name) for name in found.index]


def _names(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(f"<code>{escape(name)}</code>" for name in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def failures_html(document: dict[str, Any]) -> str:
    bad = [row for row in document["rows"] if row.get("status") != "ok"]
    if not bad:
        return f"<p>All {len(document['rows']):,} repositories were analysed.</p>"
    items = "".join(
        f"<li><code>{escape(str(row['name']))}</code> ({escape(str(row['path']))}): "
        f"{escape(str(row['status']))}, {escape(str(row['reason']))}</li>"
        for row in bad
    )
    shards = document.get("failed_shards") or []
    where = (
        f" Shards to look at: {', '.join(str(index) for index in shards)}."
        if document.get("shards", 1) > 1 and shards
        else ""
    )
    return (
        f"<p>{len(bad):,} of {len(document['rows']):,} repositories could not be analysed; "
        f"the table leaves them out.{where}</p><ul>{items}</ul>"
    )


def league_sentence(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "<p>No repository was analysed.</p>"
    worst = league(frame, WORST_FIRST).iloc[0]
    clean = frame[(frame["errors"] == 0) & (frame["warnings"] == 0)]
    return (
        f"<p>{len(frame):,} repositories; <code>{escape(str(worst['name']))}</code> has the "
        f"most to fix ({counted(int(worst['errors']), 'error')}, "
        f"{counted(int(worst['warnings']), 'warning')}). "
        f"{len(clean):,} {'has' if len(clean) == 1 else 'have'} no error or warning. "
        "Sort by any column with "
        '<code>league(frame, "code")</code>.</p>' + reproduction_sentence(frame)
    )


HISTOGRAM_FROM = 20
"""Repositories from which a measure is drawn as a histogram; fewer are drawn one bar each."""
_LOG_SCALE = ("code", "bytes")  # measures spread over orders of magnitude


def plot_distributions(frame: pd.DataFrame) -> Axes:
    """One chart per measure in ``DISTRIBUTED``: a bar per repository (sorted) for a few
    repositories, a histogram from ``HISTOGRAM_FROM`` on (sizes and lines in log bins,
    drawn on a log axis); counts on whole-number axes, sizes in round units."""
    with styled():
        figure, axes = plt.subplots(2, 2, figsize=(8, 6.4))
    grid = axes.ravel()
    if frame.empty:
        for ax in grid:
            empty_chart(ax, "", "no repository analysed")
        grid[0].set_title("How the repositories compare")
        return grid[0]
    with styled():
        for ax, (column, label) in zip(grid, DISTRIBUTED.items(), strict=True):
            values = frame[column].astype(float)
            if len(values) < HISTOGRAM_FROM:
                _bars(ax, values, column)
            else:
                _histogram(ax, values, column)
            ax.set_title(label, fontsize=11, fontweight="normal")
        figure.suptitle("How the repositories compare", x=0.02, ha="left", fontweight="bold")
        figure.tight_layout()
    return grid[0]


def _bars(ax: Axes, values: pd.Series, column: str) -> None:
    """A few repositories: one bar each, largest on top, named."""
    ordered = values.sort_values(kind="stable")
    ax.barh([literal_label(str(name)) for name in ordered.index], ordered, color="#3b6ea8")
    ax.tick_params(axis="y", labelsize=9)
    if column == "bytes":
        size_axis(ax, float(ordered.max()), "x")
    else:
        count_axis(ax, "x")
    ax.grid(axis="x", alpha=0.3)


def _histogram(ax: Axes, values: pd.Series, column: str) -> None:
    """Many repositories: how many fall in each bin; log bins where the measure spans
    orders of magnitude (zeros get a bar of their own at the left)."""
    import numpy as np

    if column in _LOG_SCALE and values.max() > 0:
        positive = values[values > 0]
        low, high = max(float(positive.min()), 1.0), float(positive.max())
        bins = np.geomspace(low, max(high, low * 10), 12)
        ax.hist(positive, bins=bins, color="#3b6ea8", alpha=0.85)
        ax.set_xscale("log")
        zeros = int((values <= 0).sum())
        if zeros:
            ax.text(0.01, 0.95, f"{zeros:,} with none", transform=ax.transAxes, va="top")
        if column == "bytes":
            ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _p: human_bytes(v)))
        else:
            ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _p: f"{v:,.0f}"))
    else:
        edges = np.arange(0, max(float(values.max()), 1.0) + 2) - 0.5
        if len(edges) > 21:
            edges = np.linspace(-0.5, float(values.max()) + 0.5, 21)
        ax.hist(values, bins=edges, color="#3b6ea8", alpha=0.85)
        count_axis(ax, "x")
    ax.set_ylabel("repositories")
    count_axis(ax, "y")
    ax.grid(axis="y", alpha=0.3)


def distributions_sentence(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "<p>No repository was analysed.</p>"
    parts = []
    for column, label in DISTRIBUTED.items():
        median = frame[column].median()
        shown = human_bytes(median) if column == "bytes" else f"{median:,.0f}"
        found = outliers(frame, column)
        parts.append(
            f"median {escape(label)} {shown}"
            + (f" (far above the rest: {_names(found)})" if found else "")
        )
    return "<p>Across the repositories: " + "; ".join(parts) + ".</p>"


def plot_committed_bytes(frame: pd.DataFrame, top: int = 20) -> Axes:
    """Bytes committed per repository by kind (data, models, media, archives, the rest),
    the ``top`` heaviest."""
    with styled():
        _figure, ax = plt.subplots(figsize=(8, max(3.0, 0.3 * min(top, len(frame)) + 1.5)))
    title = "What is committed: the heaviest repositories"
    if frame.empty:
        return empty_chart(ax, title, "no repository analysed")
    heavy = frame.sort_values(["bytes"], ascending=False, kind="stable").head(top).iloc[::-1]
    kinds = {
        "data": "data_bytes",
        "model": "model_bytes",
        "image": "image_bytes",
        "media": "media_bytes",
        "archive": "archive_bytes",
    }
    left = pd.Series(0.0, index=heavy.index)
    with styled():
        for kind, column in kinds.items():
            ax.barh(
                [literal_label(str(name)) for name in heavy.index],
                heavy[column],
                left=left,
                color=CATEGORY_COLOURS[kind],
                label=kind,
            )
            left = left + heavy[column]
        rest = (heavy["bytes"] - left).clip(lower=0)
        ax.barh(
            [literal_label(str(name)) for name in heavy.index],
            rest,
            left=left,
            color=CATEGORY_COLOURS["other"],
            label="code, notebooks, docs and the rest",
        )
        size_axis(ax, float(heavy["bytes"].max()), "x")
        legend_below(ax, 3)
        ax.set_title(title)
    return ax


def committed_sentence(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "<p>No repository was analysed.</p>"
    heavy = frame["data_bytes"] + frame["model_bytes"] + frame["media_bytes"] + frame["image_bytes"]
    with_assets = frame[heavy > 0]
    top = heavy.sort_values(ascending=False, kind="stable")
    lead = ""
    if len(with_assets):
        name = str(top.index[0])
        lead = (
            f" The most: <code>{escape(name)}</code> with {human_bytes(float(top.iloc[0]))} "
            "of data, models, images and media."
        )
    return (
        f"<p>{len(with_assets):,} of {len(frame):,} repositories commit data, models, images "
        f"or media files.{lead}</p>"
    )


def checks_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """For each check: in how many repositories it found something."""
    counts: dict[str, int] = {}
    for text in frame["checks"].fillna(""):
        for check in filter(None, str(text).split(",")):
            counts[check] = counts.get(check, 0) + 1
    table = pd.DataFrame(
        sorted(counts.items(), key=lambda item: (-item[1], item[0])),
        columns=["check", "repositories"],
    )
    return table


def plot_checks(frame: pd.DataFrame, top: int = 15) -> Axes:
    ax = axes_for(None)
    title = "Checks that found something, by repositories"
    table = checks_frame(frame).head(top).iloc[::-1]
    if table.empty:
        return empty_chart(ax, title, "no check found anything")
    with styled():
        ax.barh(table["check"], table["repositories"], color="#c03d3e")
        count_axis(ax, "x")
        ax.set_xlabel("repositories")
        ax.set_title(title)
    return ax


def checks_sentence(frame: pd.DataFrame) -> str:
    table = checks_frame(frame)
    if table.empty:
        return "<p>No check found anything in any repository.</p>"
    first = table.iloc[0]
    return (
        f"<p>{len(table):,} checks found something somewhere; the most common, "
        f"{escape(str(first['check']))}, in {int(first['repositories']):,} of "
        f"{len(frame):,} repositories.</p>"
    )
