"""The history notebook's tables, charts and sentences, drawn from ``history.json``.

Every chart aggregates (the few largest languages, the ten categories), so thousands
of commits draw a handful of series; every sentence is HTML with each string from the
repository (paths, languages, subjects) escaped. matplotlib and pandas are imported
here only.
"""

from __future__ import annotations

import json
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.axes import Axes

from ..core.units import human_bytes
from ..render.chartstyle import (
    CATEGORY_COLOURS,
    axes_for,
    count_axis,
    empty_chart,
    legend_below,
    literal_label,
    size_axis,
    styled,
    time_axis,
)
from ..scanning.filetypes import CATEGORIES

__all__ = [
    "CHARTS",
    "HistoryDocumentError",
    "bytes_frame",
    "bytes_sentence",
    "events_frame",
    "growth_charts",
    "growth_html",
    "languages_frame",
    "languages_sentence",
    "load_history",
    "notebooks_frame",
    "notebooks_sentence",
    "page_heading",
    "plot_bytes_over_time",
    "plot_languages_over_time",
    "plot_notebooks_over_time",
]

_REQUIRED = ("schema_version", "commits", "events", "head", "repository")


class HistoryDocumentError(Exception):
    """history.json is missing, does not parse, or is not a history document."""


def load_history(path: str | Path) -> dict[str, Any]:
    """A history document, checked for the fields the views use."""
    try:
        document = json.loads(Path(path).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise HistoryDocumentError(f"{path}: not a readable history document ({error})") from None
    if not isinstance(document, dict) or any(key not in document for key in _REQUIRED):
        raise HistoryDocumentError(f"{path}: not a history document")
    if not str(document["schema_version"]).startswith("2."):
        raise HistoryDocumentError(
            f"{path}: schema {document['schema_version']} is not 2.x: run repolens history again"
        )
    return document


def _stamp(text: str | None) -> pd.Timestamp | None:
    """A commit's time on the charts' axis (UTC); None for a commit without one, or one
    pandas cannot place (before 1677 or after 2262)."""
    if not text:
        return None
    try:
        return pd.Timestamp(datetime.fromisoformat(text)).tz_convert("UTC")
    except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
        return None


def _timed(document: dict[str, Any], rows: list[Any], **options: Any) -> pd.DataFrame:
    """One row per commit indexed by its time; commits without a time the axis can show
    (``time_problem``) are left out of the charts over time."""
    stamps = [_stamp(row["time"]) for row in document["commits"]]
    index = pd.DatetimeIndex([pd.NaT if stamp is None else stamp for stamp in stamps], name="time")
    frame = pd.DataFrame(rows, index=index, **options)
    return frame[frame.index.notna()]


def languages_frame(document: dict[str, Any], top: int = 6) -> pd.DataFrame:
    """Lines of code per commit (rows, by commit time) of the ``top`` languages with the
    most code at the newest commit; the rest summed as "other languages"."""
    rows = []
    for row in document["commits"]:
        counts: dict[str, int] = {}
        for group in row["groups"]:
            if group["language"] and group["code"] and group["kind"] == "code":
                counts[group["language"]] = counts.get(group["language"], 0) + group["code"]
        rows.append(counts)
    frame = _timed(document, rows).fillna(0)
    if frame.empty:
        return frame
    frame = frame.astype(int)
    order = frame.iloc[-1].sort_values(ascending=False, kind="stable").index.tolist()
    keep = [name for name in order if frame[name].iloc[-1] > 0][:top]
    rest = [name for name in frame.columns if name not in keep]
    out = frame[keep].copy()
    if rest:
        out["other languages"] = frame[rest].sum(axis=1)
    return out


def bytes_frame(document: dict[str, Any]) -> pd.DataFrame:
    """Bytes per commit by category (columns in the categories' order)."""
    rows = []
    for row in document["commits"]:
        sizes = dict.fromkeys(CATEGORIES, 0)
        for group in row["groups"]:
            sizes[group["category"]] += group["bytes"]
        rows.append(sizes)
    frame = _timed(document, rows)
    return frame[[name for name in CATEGORIES if name in frame and frame[name].any()]]


def notebooks_frame(document: dict[str, Any]) -> pd.DataFrame:
    return _timed(document, [row["notebooks"] for row in document["commits"]])


def events_frame(document: dict[str, Any]) -> pd.DataFrame:
    """The arrivals: large files and large folders, with their commits' subjects."""
    subjects = {row["commit"]: row["subject"] for row in document["commits"]}
    return pd.DataFrame(
        [
            {
                "time": event["time"],
                "commit": event["commit"][:10],
                "what": "folder" if event["kind"] == "large_folder" else "file",
                "path": event["path"],
                "size": human_bytes(event["bytes"]),
                "files": event["files"],
                "LFS": event["lfs"],
                "subject": subjects.get(event["commit"], ""),
            }
            for event in document["events"]
        ],
        columns=["time", "commit", "what", "path", "size", "files", "LFS", "subject"],
    )


def _with_newest(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its last row repeated a little after the newest commit, so a step
    chart gives the newest commit a width of its own (a step drawn "post" ends at the
    last commit otherwise, and whatever it brought is invisible)."""
    if frame.empty:
        return frame
    first, last = frame.index[0], frame.index[-1]
    pad = max((last - first) * 0.04, pd.Timedelta(days=1))
    tail = frame.iloc[[-1]].copy()
    tail.index = pd.DatetimeIndex([last + pad], name=frame.index.name)
    return pd.concat([frame, tail])


def _over_time(ax: Axes, frame: pd.DataFrame, colours: list[str] | None, labels: list[str]) -> None:
    shown = _with_newest(frame)
    ax.stackplot(
        shown.index,
        *(shown[name] for name in shown.columns),
        labels=labels,
        colors=colours,
        step="post",
        alpha=0.85,
    )
    ax.set_xlim(shown.index[0], shown.index[-1])
    time_axis(ax)
    ax.grid(axis="y", alpha=0.3)
    ax.grid(axis="x", visible=False)


def plot_languages_over_time(
    document: dict[str, Any], ax: Axes | None = None, top: int = 6
) -> Axes:
    """Lines of code (code files and notebooks' code cells, never rows of data) of the
    languages with the most code, stacked, commit by commit."""
    ax = axes_for(ax)
    frame = languages_frame(document, top)
    title = "Lines of code by language, commit by commit"
    if frame.empty or not frame.to_numpy().any():
        return empty_chart(ax, title, "no code in any commit")
    with styled():
        _over_time(ax, frame, None, [literal_label(str(name)) for name in frame.columns])
        legend_below(ax, 3)
        ax.set_ylabel("lines of code")
        count_axis(ax, "y")
        ax.set_title(title)
    return ax


def plot_bytes_over_time(document: dict[str, Any], ax: Axes | None = None) -> Axes:
    """Bytes by category (stacked), a marker on top of the stack where each large file or
    folder arrived."""
    ax = axes_for(ax)
    frame = bytes_frame(document)
    title = "Bytes by category, and what arrived"
    if frame.empty or not frame.to_numpy().any():
        return empty_chart(ax, title, "no bytes in any commit")
    with styled():
        _over_time(
            ax, frame, [CATEGORY_COLOURS[name] for name in frame.columns], list(frame.columns)
        )
        totals = frame.sum(axis=1)
        for event in document["events"][:30]:
            when = _stamp(event["time"])
            if when is None:
                continue
            height = totals[totals.index <= when]
            ax.plot(
                [when], [height.iloc[-1] if len(height) else 0], "v", color="#222", clip_on=False
            )
        size_axis(ax, float(totals.max()), "y")
        legend_below(ax, 4)
        ax.set_title(title)
    return ax


def plot_notebooks_over_time(document: dict[str, Any], ax: Axes | None = None) -> Axes:
    ax = axes_for(ax)
    frame = notebooks_frame(document)
    title = "Notebooks' output weight, commit by commit"
    if frame.empty or not frame["notebooks"].any():
        return empty_chart(ax, title, "no notebooks in any commit")
    with styled():
        shown = _with_newest(frame[["output_bytes"]])
        ax.step(shown.index, shown["output_bytes"], where="post", color="#9372b2")
        ax.fill_between(shown.index, shown["output_bytes"], step="post", alpha=0.3, color="#9372b2")
        ax.set_xlim(shown.index[0], shown.index[-1])
        time_axis(ax)
        size_axis(ax, float(shown["output_bytes"].max()), "y")
        ax.set_ylabel("outputs stored in notebooks")
        ax.grid(axis="y", alpha=0.3)
        ax.grid(axis="x", visible=False)
        ax.set_title(title)
    return ax


def _day(row: dict[str, Any]) -> str:
    return escape((row["time"] or "?")[:10])


def _commit(row: dict[str, Any]) -> str:
    return f"<code>{escape(row['commit'][:10])}</code> ({_day(row)}, “{escape(row['subject'])}”)"


def languages_sentence(document: dict[str, Any]) -> str:
    commits = document["commits"]
    if not commits:
        return "<p>No commits.</p>"
    first, last = commits[0], commits[-1]
    frame = languages_frame(document, top=1)
    lead = ""
    if not frame.empty and len(frame.columns) and frame.iloc[-1].sum():
        name = str(frame.columns[0])
        share = frame.iloc[-1][name] / max(last["code"], 1)
        lead = f" {escape(name)} holds {share:.0%} of it now."
    code_groups = [g for g in last["groups"] if g["category"] == "code" and g["kind"] == "code"]
    others = [
        f"{last[key]:,} {name}"
        for key, name in (
            ("data_rows", "rows of data"),
            ("markup_lines", "lines of markup"),
            ("text_lines", "lines of text"),
            ("config_lines", "lines of configuration"),
        )
        if last.get(key)
    ]
    return (
        f"<p>Over {len(commits):,} commits ({_day(first)} to {_day(last)}) the code went from "
        f"{first['code']:,} to {last['code']:,} lines (code files and notebooks' code "
        f"cells).{lead}"
        + (f" Source files now: {sum(g['files'] for g in code_groups):,}." if code_groups else "")
        + (f" Beside the code, never counted as code: {', '.join(others)}." if others else "")
        + "</p>"
    )


def bytes_sentence(document: dict[str, Any]) -> str:
    commits = document["commits"]
    if not commits:
        return "<p>No commits.</p>"
    first, last = commits[0], commits[-1]
    biggest = max(commits, key=lambda row: row["bytes"])
    jumps = sorted(
        zip(commits[1:], commits, strict=False),
        key=lambda pair: pair[0]["bytes"] - pair[1]["bytes"],
        reverse=True,
    )
    text = (
        f"<p>The tree went from {human_bytes(first['bytes'])} to {human_bytes(last['bytes'])}"
        f" (largest {human_bytes(biggest['bytes'])} at {_commit(biggest)})."
    )
    if jumps and jumps[0][0]["bytes"] > jumps[0][1]["bytes"]:
        grew, before = jumps[0]
        text += (
            f" The biggest step was {_commit(grew)}: "
            f"+{human_bytes(grew['bytes'] - before['bytes'])}."
        )
    events = document["events"]
    if events:
        files = [e for e in events if e["kind"] == "large_file"]
        folders = [e for e in events if e["kind"] == "large_folder"]
        text += (
            f" {len(files):,} files over {human_bytes(document['thresholds']['large_file_bytes'])}"
            f" and {len(folders):,} folders over "
            f"{document['thresholds']['large_folder_files']:,} files arrived (▼ on the chart)"
        )
        if files:
            top = max(files, key=lambda e: e["bytes"])
            text += (
                f"; the largest, <code>{escape(top['path'])}</code> "
                f"({human_bytes(top['bytes'])}{', in LFS' if top['lfs'] else ''}), "
                f"on {escape((top['time'] or '?')[:10])}"
            )
        text += "."
    return text + "</p>"


def notebooks_sentence(document: dict[str, Any]) -> str:
    commits = [row for row in document["commits"] if row["notebooks"]["notebooks"]]
    if not commits:
        return "<p>No notebook in any commit.</p>"
    last = document["commits"][-1]["notebooks"]
    heaviest = max(commits, key=lambda row: row["notebooks"]["output_bytes"])
    return (
        f"<p>Notebooks first appear at {_commit(commits[0])}; there are "
        f"{last['notebooks']:,} now, storing {human_bytes(last['output_bytes'])} of outputs "
        f"({last['error_cells']:,} {'cell' if last['error_cells'] == 1 else 'cells'} with "
        "errors). Their outputs weighed most, "
        f"{human_bytes(heaviest['notebooks']['output_bytes'])}, at {_commit(heaviest)}.</p>"
    )


def page_heading(document: dict[str, Any]) -> str:
    """The history page's heading: the repository's folder, the commits and their span."""
    commits = document["commits"]
    name = Path(str(document["repository"])).name or str(document["repository"])
    span = f" from {_day(commits[0])} to {_day(commits[-1])}" if commits else ""
    notes = "".join(f"<p>Note: {escape(str(note))}</p>" for note in document.get("notes", []))
    return (
        f"<h1>How <code>{escape(name)}</code> grew</h1><p>{len(commits):,} commits of the "
        f"first-parent line of <code>{escape(str(document['rev']))}</code>{span}; "
        f"{int(document.get('blobs', 0)):,} distinct blobs.</p>" + notes
    )


CHARTS = (
    (plot_languages_over_time, languages_sentence, "history_languages.png"),
    (plot_bytes_over_time, bytes_sentence, "history_bytes.png"),
    (plot_notebooks_over_time, notebooks_sentence, "history_notebooks.png"),
)
"""Each history chart, the sentence under it and the file it is saved as."""


def _document_in(folder: Path) -> dict[str, Any] | str:
    """The history document in ``folder``, or the HTML that says why there is none."""
    path = folder / "history.json"
    if not path.is_file():
        return (
            "<p>No history in this folder: <code>repolens history PATH -o OUT</code> with "
            "the same OUT adds it here.</p>"
        )
    try:
        document = load_history(path)
        languages_sentence(document) + bytes_sentence(document)
    except HistoryDocumentError as error:
        return f"<p>history.json could not be read: {escape(str(error))}</p>"
    except (KeyError, TypeError, ValueError, AttributeError):  # fields of the wrong shape
        return f"<p>history.json could not be read: {escape(str(path))} is not a history.</p>"
    return document


def growth_html(folder: str | Path) -> str:
    """The report's section when ``repolens history`` wrote into the same folder: two
    sentences and links to the history's page and files; else how to add it."""
    folder = Path(folder)
    document = _document_in(folder)
    if isinstance(document, str):
        return document
    links = [
        f'<a href="{escape(name)}">{escape(label)}</a>'
        for name, label in (
            ("history.html", "the history page"),
            ("history.json", "history.json"),
            ("history.csv", "history.csv"),
        )
        if (folder / name).is_file()
    ]
    sentences = languages_sentence(document) + bytes_sentence(document)
    return sentences + f"<p>The whole history: {', '.join(links)}.</p>"


def growth_charts(folder: str | Path) -> list[tuple[Axes, str]]:
    """The history's charts with their sentences when ``folder`` holds a readable
    history.json (the report shows them under "How it grew"); none otherwise."""
    document = _document_in(Path(folder))
    if isinstance(document, str):
        return []
    return [(plot(document), sentence(document)) for plot, sentence, _name in CHARTS]
