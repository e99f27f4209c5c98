"""The report's "Does it reproduce?" section, drawn from the ``rerun.json`` that
``repolens rerun`` wrote into the report's folder.

The section says how many notebooks reproduced and how they ran (environment, sandbox,
time), how many runtime failures a static finding predicted (the checks' measured
recall), then one row per notebook, failures first: its verdict, the failing cell or
the cells that differ, the cause and the finding that predicted it, an excerpt of what
differs, and a link to the executed notebook. Every string from the document (paths,
errors, excerpts) is escaped; links are relative (``notebooks/...``) and quoted, so
none can carry a scheme. rerun.json is read through the safe reader, at most
``MAX_RERUN_BYTES``, and used only where its fields have the shapes the schema gives
them: a document that is not one says so in one line and the report goes on.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..core import safeio
from ..core.units import counted
from .causes import recall
from .model import Cause, CauseKind, Verdict

__all__ = [
    "MAX_RERUN_BYTES",
    "RERUN_FILE",
    "SHOWN",
    "RerunDocumentError",
    "load_rerun",
    "reproduce_html",
    "verdict_order",
]

RERUN_FILE = "rerun.json"
MAX_RERUN_BYTES = 256 << 20
SHOWN = 100  # notebooks in the table; rerun.csv has every one
EXCERPT = 160

_ORDER = (Verdict.FAILED, Verdict.TIMED_OUT, Verdict.NOT_RUN, Verdict.DIFFERS, Verdict.REPRODUCED)
_CLASS = {
    Verdict.FAILED: "finding-error",
    Verdict.TIMED_OUT: "finding-error",
    Verdict.NOT_RUN: "finding-error",
    Verdict.DIFFERS: "finding-warning",
    Verdict.REPRODUCED: "",
}


class RerunDocumentError(Exception):
    """rerun.json cannot be read, does not parse, or is not a rerun document."""


def load_rerun(path: str | Path) -> dict[str, Any]:
    """A rerun document (schema 1.x), checked for the fields the section uses."""
    try:
        data = safeio.read_small_file(str(path), MAX_RERUN_BYTES)
        document = json.loads(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        raise RerunDocumentError(f"not a readable rerun document ({reason[:200]})") from None
    if not isinstance(document, dict) or not str(document.get("schema_version", "")).startswith(
        "1."
    ):
        raise RerunDocumentError("not a rerun document of schema 1.x")
    if not isinstance(document.get("notebooks"), list):
        raise RerunDocumentError("a rerun document without its notebooks")
    return document


def _text(value: Any, limit: int = EXCERPT) -> str:
    text = value if isinstance(value, str) else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _verdict(item: dict[str, Any]) -> Verdict | None:
    try:
        return Verdict(item.get("verdict"))
    except ValueError:
        return None


def _cause(item: dict[str, Any]) -> Cause | None:
    cause = _dict(item.get("cause"))
    try:
        kind = CauseKind(cause.get("kind"))
    except ValueError:
        return None
    return Cause(
        kind,
        _text(cause.get("detail"), 1000),
        _text(cause.get("evidence"), 1000),
        _text(cause.get("finding"), 1000),
        cause.get("predicted") is True,
    )


def verdict_order(item: dict[str, Any]) -> tuple[int, str]:
    """Failures first, then drift, then what reproduced; by path within each."""
    found = _verdict(item)
    return (_ORDER.index(found) if found else len(_ORDER), _text(item.get("path"), 10_000))


def _cell_number(value: Any) -> str:
    return str(value + 1) if isinstance(value, int) and not isinstance(value, bool) else "?"


def _headline(document: dict[str, Any], notebooks: list[dict[str, Any]]) -> str:
    verdicts = [_verdict(item) for item in notebooks]
    total = len(notebooks)
    reproduced = sum(1 for found in verdicts if found is Verdict.REPRODUCED)
    rate = f" ({reproduced / total:.0%})" if total else ""
    environment = _dict(document.get("environment"))
    mode = _text(environment.get("mode"), 40) or "an unknown"
    sandbox = _text(document.get("sandbox"), 40) or "an unknown"
    seconds = document.get("seconds")
    took = f", {seconds:,.0f} s" if isinstance(seconds, int | float) else ""
    others = [
        (Verdict.DIFFERS, "ran with results that differ"),
        (Verdict.FAILED, "failed"),
        (Verdict.TIMED_OUT, "timed out"),
        (Verdict.NOT_RUN, "did not run"),
    ]
    rest = [
        f"{count:,} {words}"
        for verdict, words in others
        if (count := sum(1 for found in verdicts if found is verdict))
    ]
    sandboxed = "without a sandbox" if sandbox == "none" else f"in a {escape(sandbox)} sandbox"
    text = (
        f"<p><strong>{reproduced:,} of {counted(total, 'notebook')} reproduced</strong>{rate}"
        f", run from the {escape(mode)} environment {sandboxed}{took}."
        + (f" {escape(', '.join(rest))}." if rest else "")
        + "</p>"
    )
    problem = _text(environment.get("problem"), 600)
    if problem:
        text += f"<p>The environment could not be built: {escape(problem)}</p>"
    return text


def _recall_html(notebooks: Iterable[dict[str, Any]]) -> str:
    outcomes = [
        (found, _cause(item)) for item in notebooks if (found := _verdict(item)) is not None
    ]
    return f"<p>{escape(recall(outcomes).sentence)}</p>"


def _first_difference(item: dict[str, Any]) -> tuple[list[int], dict[str, Any]]:
    cells, first = [], {}
    for comparison in _list(item.get("comparisons")):
        comparison = _dict(comparison)
        differences = _list(comparison.get("differences"))
        if comparison.get("same") is False or differences:
            cells.append(comparison.get("cell"))
            if not first and differences:
                first = _dict(differences[0])
    return cells, first


def _where(item: dict[str, Any], verdict: Verdict | None) -> str:
    if verdict in (Verdict.FAILED, Verdict.TIMED_OUT):
        for cell in _list(item.get("cells")):
            cell = _dict(cell)
            if cell.get("state") in ("failed", "timed out"):
                return f"cell {_cell_number(cell.get('cell'))}"
        return ""
    if verdict is Verdict.DIFFERS:
        cells, _first = _first_difference(item)
        shown = ", ".join(_cell_number(cell) for cell in cells[:8])
        more = f" and {len(cells) - 8:,} more" if len(cells) > 8 else ""
        return f"cell{'s' if len(cells) != 1 else ''} {shown}{more}"
    return ""


def _why(item: dict[str, Any], verdict: Verdict | None) -> str:
    cause = _cause(item)
    parts = []
    if cause is not None:
        parts.append(
            f"<strong>{escape(cause.kind.value)}</strong>: {escape(cause.detail)}"
            + (f" (<code>{escape(cause.finding)}</code>)" if cause.finding else "")
        )
        said = cause.evidence.split(": ", 1)[-1]
        if cause.evidence and said not in cause.detail:
            parts.append(f"<em>Seen:</em> <code>{escape(_text(cause.evidence))}</code>")
    if verdict is Verdict.DIFFERS:
        _cells, first = _first_difference(item)
        kind, detail = _text(first.get("kind"), 40), _text(first.get("detail"))
        if kind or detail:
            parts.append(f"{escape(kind)}{': ' if kind and detail else ''}{escape(detail)}")
        saved, fresh = _text(first.get("saved")), _text(first.get("fresh"))
        if saved or fresh:
            parts.append(
                f"<em>Saved:</em> <code>{escape(saved)}</code> "
                f"<em>fresh:</em> <code>{escape(fresh)}</code>"
            )
    elif cause is None and verdict is not Verdict.REPRODUCED:
        reason = _text(item.get("reason"), 600)
        if reason:
            parts.append(escape(reason))
    if verdict is Verdict.REPRODUCED:
        compared = sum(
            value
            for comparison in _list(item.get("comparisons"))
            if isinstance(value := _dict(comparison).get("compared"), int)
        )
        parts.append(
            f"{counted(compared, 'output')} compared"
            if compared
            else "ran; no saved output to compare"
        )
    return " ".join(parts)


def _link(item: dict[str, Any], folder: Path) -> str:
    """A link to the executed notebook when it is where rerun.json says, under the
    folder's ``notebooks/``."""
    executed = item.get("executed")
    if not isinstance(executed, str) or not executed.startswith("notebooks/"):
        return ""
    parts = executed.split("/")
    if any(part in ("", ".", "..") for part in parts) or not os.path.isfile(folder / executed):
        return ""
    return f' (<a href="{escape(quote(executed))}">executed</a>)'


def _row(item: dict[str, Any], folder: Path) -> str:
    verdict = _verdict(item)
    shown = verdict.value if verdict else _text(item.get("verdict"), 40) or "?"
    style = f' class="{_CLASS[verdict]}"' if verdict and _CLASS[verdict] else ""
    return (
        f"<tr><td><code>{escape(_text(item.get('path'), 1000))}</code>{_link(item, folder)}</td>"
        f"<td{style}>{escape(shown)}</td><td>{escape(_where(item, verdict))}</td>"
        f"<td>{_why(item, verdict)}</td></tr>"
    )


def _table(notebooks: list[dict[str, Any]], folder: Path) -> str:
    if not notebooks:
        return "<p>The repository has no notebook to rerun.</p>"
    ordered = sorted(notebooks, key=verdict_order)
    rows = "".join(_row(item, folder) for item in ordered[:SHOWN])
    more = (
        f"<p>And {len(ordered) - SHOWN:,} more notebooks: rerun.csv lists every one.</p>"
        if len(ordered) > SHOWN
        else ""
    )
    return (
        '<table class="repolens-rerun"><thead><tr><th>Notebook</th><th>Verdict</th>'
        f"<th>Where</th><th>Why</th></tr></thead><tbody>{rows}</tbody></table>{more}"
    )


def _files(folder: Path) -> str:
    links = [
        f'<a href="{escape(name)}">{escape(name)}</a>'
        for name in (RERUN_FILE, "rerun.csv", "environment.lock.txt")
        if (folder / name).is_file()
    ]
    return f"<p>The whole rerun: {', '.join(links)}.</p>" if links else ""


def reproduce_html(folder: str | Path) -> str:
    """The section when ``repolens rerun`` wrote into ``folder``: the verdicts, the
    failing cells, the causes and the reproduction rate; '' when it did not (the report
    then leaves the section out)."""
    folder = Path(folder)
    path = folder / RERUN_FILE
    if not os.path.lexists(path):
        return ""
    try:
        document = load_rerun(path)
    except RerunDocumentError as error:
        return f"<p>{RERUN_FILE} could not be read: {escape(str(error))}</p>"
    notebooks = [item for item in document["notebooks"] if isinstance(item, dict)]
    return (
        _headline(document, notebooks)
        + _recall_html(notebooks)
        + _table(notebooks, folder)
        + _files(folder)
    )
