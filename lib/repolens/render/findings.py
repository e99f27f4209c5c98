"""Findings as text for people, JSON, CSV and SARIF 2.1.0: renderings of one list, and
the three files ``repolens check -o`` writes of them (``CHECK_FILES``)."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Sequence
from itertools import groupby
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

from .._version import __version__
from ..checks.table import checks_table
from ..core import safeio
from ..core.atomic import atomic_write
from ..core.cells import guard_cell
from ..core.findings import Finding, Level
from ..core.printable import printable, printable_json
from ..core.records import path_bytes

if TYPE_CHECKING:  # the checks' result is only read here: no import of every check
    from ..checks.run import CheckResult

__all__ = [
    "CHECK_FILES",
    "FINDINGS_COLUMNS",
    "checks_markdown",
    "dumps",
    "finding_dict",
    "findings_document",
    "notebook_lines",
    "sarif_document",
    "sarif_uri",
    "write_findings_csv",
    "write_findings_files",
    "write_text",
]

CHECK_FILES = ("findings.csv", "findings.json", "findings.sarif")
FINDINGS_COLUMNS = ("check", "level", "path", "cell", "line", "message", "evidence", "fix")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/repolens/repolens#checks"


def checks_markdown() -> str:
    """The table of checks as docs/checks.md and README show it (generated, so they cannot
    drift): each check's level and why it has it."""
    rows = [
        "| id | level | what it catches | why it matters | why this level | anchor |",
        "|---|---|---|---|---|---|",
    ]
    for check in checks_table().values():
        cells = (check.what, check.why, check.level_why, check.anchor)
        what, why, level_why, anchor = (text.replace("|", "\\|") for text in cells)
        rows.append(
            f"| `{check.id}` | {check.level.value} | {what} | {why} | {level_why} | {anchor} |"
        )
    return "\n".join(rows) + "\n"


def finding_dict(item: Finding) -> dict[str, Any]:
    return {
        "check": item.check,
        "level": item.level.value,
        "path": item.path,
        "cell": None if item.cell is None else item.cell + 1,
        "line": item.line,
        "message": item.message,
        "evidence": item.evidence,
        "fix": item.fix,
    }


def write_text(findings: Sequence[Finding], out: TextIO, root: str = "") -> None:
    """Grouped by check, most severe first; each finding with where, what and the fix."""
    table = checks_table()
    if not findings:
        print(
            f"No findings{' in ' + printable(root) if root else ''}: nothing stops this tree "
            "from being "
            "reproduced that repolens checks.",
            file=out,
        )
        return
    for check_id, group in groupby(findings, key=lambda item: item.check):
        items = list(group)
        check = table[check_id]
        print(
            f"{check.level.value.upper()} {check.id} {check.name} ({len(items)}): {check.what}",
            file=out,
        )
        for item in items:
            print(f"  {printable(item.where)}: {printable(item.message)}", file=out)
            if item.evidence:
                print(f"      seen: {printable(item.evidence)}", file=out)
            print(f"      fix:  {printable(item.fix)}", file=out)
        print(file=out)
    counts = {level: sum(1 for item in findings if item.level is level) for level in Level}
    print(
        f"{len(findings)} finding{'s' if len(findings) != 1 else ''}: "
        + ", ".join(f"{counts[level]} {level.value}" for level in Level),
        file=out,
    )


def write_findings_csv(path: str | os.PathLike[str], findings: Iterable[Finding]) -> None:
    """findings.csv: one row per finding, RFC 4180, text cells guarded like files.csv."""
    with atomic_write(path, "w") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(FINDINGS_COLUMNS)
        for item in findings:
            row = finding_dict(item)
            writer.writerow(
                [
                    "" if row[column] is None else guard_cell(row[column])
                    for column in FINDINGS_COLUMNS
                ]
            )


def _region(item: Finding, notebook_lines: dict[str, list[str]]) -> dict[str, int]:
    """SARIF regions are lines of the file: for a notebook cell, the line of the .ipynb
    that holds the cell's line where it can be found, else the first line."""
    if item.cell is None:
        return {"startLine": item.line or 1}
    lines = notebook_lines.get(item.path)
    return {"startLine": _notebook_line(lines, item) if lines else 1}


def _notebook_line(lines: list[str], item: Finding) -> int:
    marker = '"cell_type"'
    cell = -1
    for number, text in enumerate(lines, 1):
        if marker in text:
            cell += 1
            if cell == item.cell:
                return number
    return 1


def sarif_document(
    findings: Sequence[Finding],
    root: str,
    notebook_lines: dict[str, list[str]] | None = None,
    prefix: str = "",
) -> dict[str, Any]:
    """A SARIF 2.1.0 log GitHub code scanning accepts: one run, every check a rule.

    ``prefix`` is put before every path (the tree's place in the repository)."""
    table = checks_table()
    rules = [
        {
            "id": check.id,
            "name": check.name,
            "shortDescription": {"text": check.what},
            "fullDescription": {"text": f"{check.what} {check.why}"},
            "help": {
                "text": f"{check.why} Fix: {check.fix} ({check.anchor})",
                "markdown": f"**Why**: {check.why}\n\n**Fix**: {check.fix}\n\n"
                f"**Anchor**: {check.anchor}",
            },
            "helpUri": f"{INFORMATION_URI}-{check.id.lower()}",
            "defaultConfiguration": {"level": check.level.value},
            "properties": {"tags": ["reproducibility", check.family]},
        }
        for check in table.values()
    ]
    index = {check_id: number for number, check_id in enumerate(table)}
    results = []
    for item in findings:
        where = item.where
        message = item.message if not item.path else f"{where}: {item.message}"
        text = f"{message} Fix: {item.fix}"
        if item.evidence:
            text += f" Seen: {item.evidence}"
        result: dict[str, Any] = {
            "ruleId": item.check,
            "ruleIndex": index[item.check],
            "level": item.level.value,
            "message": {"text": text},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": sarif_uri(prefix, item.path),
                            "uriBaseId": "%SRCROOT%",
                        },
                        "region": _region(item, notebook_lines or {}),
                    }
                }
            ],
            "partialFingerprints": {"repolens/v1": item.identity},
        }
        if item.cell is not None:
            result["properties"] = {"cell": item.cell + 1, "lineInCell": item.line}
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "repolens",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }


def sarif_uri(prefix: str, path: str) -> str:
    """A relative URI (RFC 3986) of the file a finding names: the real bytes of its name
    (``path`` as records show it, ``prefix`` a path on this system), every byte but
    letters, digits, ``-._~`` and ``/`` percent-encoded, so ``\\``, ``%``, ``#``, ``?``,
    ``:``, a space, a line break or a byte that is not UTF-8 each lead to the file itself."""
    real = (os.fsencode(prefix) + path_bytes(path)).rstrip(b"/") or b"."
    return quote(real, safe="/")


def dumps(document: Any) -> str:
    """JSON as findings.json and SARIF are written and printed: readable names, with the
    characters a terminal would hide or act on escaped (``printable_json``)."""
    return printable_json(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"


def findings_document(outcome: CheckResult) -> dict[str, Any]:
    """findings.json (and ``repolens check --format json``): the tool, the tree, where its
    settings came from, the counts and every finding."""
    return {
        "tool": {"name": "repolens", "version": __version__},
        "root": outcome.scan.root,
        "settings": outcome.settings.source or None,
        "counts": outcome.counts(),
        "by_check": outcome.by_check(),
        "findings": [finding_dict(item) for item in outcome.findings],
    }


def notebook_lines(root: str, findings: Iterable[Finding]) -> dict[str, list[str]]:
    """The lines of the notebooks that findings point into (for SARIF regions), read
    through ``safeio`` (a notebook that cannot be read gets no regions)."""
    lines: dict[str, list[str]] = {}
    for item in findings:
        if item.cell is not None and item.path not in lines:
            try:
                real = os.fsdecode(path_bytes(item.path))  # the name, not its shown form
                data = safeio.read_content(os.path.join(root, real), 64 << 20)
            except OSError:
                continue
            lines[item.path] = data.decode("utf-8", "replace").split("\n")
    return lines


def write_findings_files(
    folder: str | os.PathLike[str],
    findings: Sequence[Finding],
    document: dict[str, Any],
    sarif: dict[str, Any],
) -> None:
    """Write ``CHECK_FILES`` into ``folder``, each atomically."""
    write_findings_csv(os.path.join(folder, "findings.csv"), findings)
    for name, content in (("findings.json", document), ("findings.sarif", sarif)):
        with atomic_write(os.path.join(folder, name), "w") as handle:
            handle.write(dumps(content))
