"""Sentences that read a summary for people: the text under each chart.

Pure functions from summaries and records to HTML fragments. Every string that
comes from the tree, the parameters or the environment (paths, titles, names)
passes through ``html.escape`` here and nowhere reaches the page raw: the
notebook shows these fragments as HTML, never as Markdown (whose code spans a
back-quote in a file name could close).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from ..checks.table import checks_table
from ..core.findings import Finding, Level
from ..core.linekinds import other_lines
from ..core.records import FileRecord
from ..core.units import counted
from ..core.units import human_bytes as _size
from ..scanning.activity import GitActivity
from .baseline import Comparison
from .summary import Summary, as_summary

__all__ = [
    "activity_sentence",
    "baseline_html",
    "bytes_sentence",
    "findings_html",
    "heading",
    "languages_sentence",
    "largest_sentence",
    "notebooks_sentence",
    "overview_sentence",
    "problems_sentence",
]


def _strong(text: str) -> str:
    return f"<strong>{escape(text)}</strong>"


def _code(text: str) -> str:
    return f"<code>{escape(text)}</code>"


def _paragraph(text: str) -> str:
    return f"<p>{text}</p>"


def heading(title: str, root: str, elapsed: float) -> str:
    """The report's heading: its title, the folder and how long the scan took."""
    return f"<h1>{escape(title)}</h1>\n" + _paragraph(f"{_code(root)}, scanned in {elapsed:.1f} s")


def _was(count: int) -> str:
    return "was" if count == 1 else "were"


def overview_sentence(summary: Summary) -> str:
    if summary.total_files == 0:
        return _paragraph(
            _strong("This tree holds no files") + ", so there is nothing to chart below."
        )
    notebooks = summary.notebooks.notebooks
    parts = [
        f"{_strong(counted(summary.total_files, 'file'))} taking "
        f"{_strong(_size(summary.total_size_bytes))}",
        f"{counted(summary.code_lines, 'line')} of code",
    ]
    if summary.source_files:
        parts.append(f"{counted(summary.source_files, 'source file')}")
    if notebooks:
        parts.append(counted(notebooks, "notebook"))
    others = [f"{count:,} {name}" for name, count in other_lines(summary.files.kinds)]
    text = "This tree holds " + ", ".join(parts) + "."
    if others:
        text += " Beside the code: " + ", ".join(others) + " (never counted as code)."
    return _paragraph(text)


def bytes_sentence(summary: Summary) -> str:
    groups = [(name, group) for name, group in summary.by_category.items() if group.size_bytes]
    if not groups:
        return _paragraph("No file holds any bytes.")
    total = summary.total_size_bytes
    name, group = max(groups, key=lambda item: item[1].size_bytes)
    text_like = sum(
        summary.by_category[key].size_bytes
        for key in ("code", "notebook", "config", "docs")
        if key in summary.by_category
    )
    return _paragraph(
        f"{_strong(name.capitalize())} files hold the most bytes: {_size(group.size_bytes)} "
        f"({group.size_bytes / total:.0%}) in {counted(group.files, 'file')}. "
        f"Code, notebooks, configuration and docs together take {_size(text_like)} "
        f"({text_like / total:.0%}); the rest is data, images, media, models, archives "
        "and other files."
    )


def languages_sentence(summary: Summary) -> str:
    languages = [(n, g) for n, g in summary.code_languages.items() if g.kinds.code]
    if not languages:
        return _paragraph("No lines of code were counted.")
    name, group = languages[0]
    total = summary.code_lines or 1
    code, comment = group.kinds.code, group.kinds.comment
    comment_share = comment / (code + comment or 1)
    lead = (
        f"{_strong(name)} has the most code: {counted(code, 'line')} "
        f"({code / total:.0%} of all code), "
    )
    if comment_share:
        return _paragraph(
            lead + f"with one comment line for every {1 / comment_share:.1f} lines "
            "of code and comment."
        )
    return _paragraph(lead + "without a single comment line.")


def largest_sentence(summary: Summary) -> str:
    if not summary.largest:
        return _paragraph("There are no files to rank.")
    top = summary.largest
    share = sum(record.size_bytes for record in top) / (summary.total_size_bytes or 1)
    lines = summary.most_lines[0] if summary.most_lines else None
    text = (
        f"The {counted(len(top), 'largest file')} {'holds' if len(top) == 1 else 'hold'} "
        f"{share:.0%} of all bytes; the largest "
        f"is {_code(top[0].path)} ({_size(top[0].size_bytes)}, {escape(top[0].category)})."
    )
    if lines is not None and lines.lines is not None:
        text += f" The longest text is {_code(lines.path)} with {counted(lines.lines, 'line')}."
    return _paragraph(text)


def notebooks_sentence(summary: Summary) -> str:
    notebooks = summary.notebooks
    if notebooks.notebooks == 0 and notebooks.invalid == 0:
        return _paragraph("There are no notebooks in this tree.")
    parts = [
        f"{counted(notebooks.notebooks, 'readable notebook')} with "
        f"{counted(notebooks.cells, 'cell')} carry {_size(notebooks.output_bytes)} of outputs"
        + (
            f", {_size(notebooks.image_bytes)} of it embedded images"
            if notebooks.image_bytes
            else ""
        )
        + "."
    ]
    if notebooks.with_errors:
        parts.append(
            f"{_strong(counted(notebooks.with_errors, 'notebook'))} "
            f"{_was(notebooks.with_errors)} saved with an error output."
        )
    if notebooks.out_of_order:
        parts.append(
            f"{_strong(counted(notebooks.out_of_order, 'notebook'))} ran cells out of "
            "order, so the saved outputs may not come back when run top to bottom."
        )
    if notebooks.invalid:
        parts.append(
            f"{_strong(counted(notebooks.invalid, 'notebook'))} could not be read at all "
            "(see the last section)."
        )
    return _paragraph(" ".join(parts))


def activity_sentence(
    summary: Summary | Sequence[FileRecord], history: GitActivity | None = None
) -> str:
    """Which source the activity comes from, and what it says."""
    if history is not None:
        folders = list(history.last_by_folder.items())
        stale = folders[-1] if len(folders) > 1 else None
        text = (
            f"From git: {counted(history.commits, 'commit')} touched this folder between "
            f"{history.first} and {history.last}"
            + (" (a shallow clone: older commits are missing)" if history.shallow else "")
            + "."
        )
        if folders:
            latest = folders[0]
            text += f" The last change was in {_code(latest[0])} on {latest[1]}"
            if stale is not None:
                text += f"; {_code(stale[0])} has not changed since {stale[1]}"
            text += "."
        return _paragraph(text)
    by_day = as_summary(summary).modified_by_day
    if not by_day:
        return _paragraph("No modification times to show.")
    first, last = min(by_day), max(by_day)
    if first == last:
        return _paragraph(
            f"From file times (no git history here): every file was last modified on "
            f"{last}. Files checked out or copied together share one date: "
            "their history is in version control."
        )
    return _paragraph(
        f"From file times (no git history here): files were last modified between "
        f"{first} and {last}."
    )


def problems_sentence(summary: Summary | Sequence[FileRecord]) -> str:
    bad, other = as_summary(summary).problem_counts
    if not bad and not other:
        return _paragraph("Every file could be analysed.")
    text = []
    if bad:
        text.append(
            f"{_strong(counted(bad, 'file'))} could not be analysed (unreadable or "
            "invalid); the table lists why"
            + (" (the first 50; files.csv has every one)." if bad + other > 50 else ".")
        )
    if other:
        text.append(
            f"{other:,} {'entry' if other == 1 else 'entries'} "
            f"{_was(other)} recorded without line counts "
            "(links, special files, or text over the counting limit)."
        )
    return _paragraph(" ".join(text))


FINDINGS_SHOWN = 8  # per check; findings.csv and metrics.json hold every one


def findings_html(findings: Sequence[Finding], settings_source: str = "") -> str:
    """What to fix first: the findings grouped by check, most severe first, each with where
    it is and the fix; one line when there is nothing to fix."""
    if not findings:
        return _paragraph(
            _strong("Nothing to fix")
            + ": none of repolens' checks found a problem"
            + (f" (settings from {escape(settings_source)})" if settings_source else "")
            + "."
        )
    table = checks_table()
    counts = {level: sum(1 for item in findings if item.level is level) for level in Level}
    parts = [
        _paragraph(
            f"{_strong(counted(len(findings), 'finding'))}: "
            + ", ".join(counted(counts[level], level.value) for level in Level)
            + ". Errors first; every finding says where it is and how to remove it."
        )
    ]
    groups: dict[str, list[Finding]] = {}
    for item in findings:
        groups.setdefault(item.check, []).append(item)
    for check_id, items in groups.items():
        check = table[check_id]
        rows = "".join(
            f"<li>{_code(item.where)}: {escape(item.message)}"
            + (f" <em>Seen:</em> {_code(item.evidence)}" if item.evidence else "")
            + (f" <em>Fix:</em> {escape(item.fix)}" if item.fix != check.fix else "")
            + "</li>"
            for item in items[:FINDINGS_SHOWN]
        )
        more = (
            f"<li>and {len(items) - FINDINGS_SHOWN:,} more (findings.csv lists every one)</li>"
            if len(items) > FINDINGS_SHOWN
            else ""
        )
        parts.append(
            f'<h3 class="finding-{check.level.value}">{escape(check.level.value.upper())} '
            f"{escape(check.id)} {escape(check.name)} ({len(items):,})</h3>"
            f"<p>{escape(check.what)} {escape(check.why)} <strong>Fix:</strong> "
            f"{escape(check.fix)}</p><ul>{rows}{more}</ul>"
        )
    return "\n".join(parts)


def _delta(pair: tuple[int, int], size: bool = False) -> str:
    before, now = pair
    shown = _size(now) if size else f"{now:,}"
    if before == now:
        return shown
    difference = now - before
    change = _size(abs(difference)) if size else f"{abs(difference):,}"
    return f"{shown} ({'+' if difference > 0 else '-'}{change})"


def baseline_html(comparison: Comparison | None) -> str:
    """Since last time: what changed against an earlier report, or that none was given."""
    if comparison is None:
        return _paragraph(
            "No earlier report was given to compare with "
            "(<code>repolens report --baseline metrics.json</code>)."
        )
    rows = "".join(
        f"<tr><td>{escape(change.name)}</td><td>{_delta(change.files)}</td>"
        f"<td>{_delta(change.size_bytes, size=True)}</td><td>{_delta(change.code_lines)}</td></tr>"
        for change in comparison.changes
    )
    table = (
        "<table><thead><tr><th>category</th><th>files</th><th>size</th>"
        f"<th>lines of code</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    if comparison.had_findings:
        found = (
            f"{_strong(counted(len(comparison.new), 'new finding'))}, "
            f"{_strong(counted(len(comparison.fixed), 'finding'))} fixed."
        )
        items = "".join(
            f"<li>new: {_code(item.where)} {escape(item.check)} {escape(item.message)}</li>"
            for item in comparison.new[:10]
        ) + "".join(
            f"<li>fixed: {_code(str(item.get('path', '')))} {escape(str(item.get('check', '')))} "
            f"{escape(str(item.get('message', '')))}</li>"
            for item in comparison.fixed[:10]
        )
        found += f"<ul>{items}</ul>" if items else ""
    else:
        found = "The earlier report carries no findings to compare (it was not made by a check)."
    return _paragraph(f"Against the report of {escape(comparison.then)}: {found}") + table
