"""What a content check reads: a file's text once decoded, and a notebook's cells."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .model import Check, Finding, checks_table

__all__ = ["Cell", "Source", "finding", "is_test_path", "suppressed", "text_of"]

_SUPPRESS = re.compile(r"repolens:\s*ignore(?:\[([A-Za-z0-9,\s]*)\])?")
_TEST_FOLDERS = frozenset({"test", "tests", "testing", "fixtures", "__tests__", "testdata"})
_TEST_FILE = re.compile(r"^(test[_-].*|.*[_-]test|conftest)\.\w+$", re.IGNORECASE)


def is_test_path(path: str) -> bool:
    """Test code and fixtures: literal paths and keys there are test inputs, not settings."""
    parts = path.split("/")
    return any(part.lower() in _TEST_FOLDERS for part in parts[:-1]) or bool(
        _TEST_FILE.match(parts[-1])
    )


@dataclass(frozen=True, slots=True)
class Cell:
    index: int  # 0-based, as in the file
    kind: str  # "code", "markdown", "raw"
    source: str
    execution_count: int | None
    outputs: tuple[dict[str, Any], ...]

    def lines(self) -> list[str]:
        return self.source.split("\n")


@dataclass(frozen=True)
class Source:
    """A text file as the checks see it."""

    path: str
    category: str
    text: str
    notebook: dict[str, Any] | None = None  # the parsed document, for notebooks
    cells: tuple[Cell, ...] = ()

    @classmethod
    def from_bytes(cls, path: str, category: str, content: bytes, encoding: str | None) -> Source:
        text = content.decode(_codec(encoding), "replace")
        if category != "notebook":
            return cls(path, category, text)
        try:
            document = json.loads(text)
        except (ValueError, RecursionError):
            return cls(path, category, text)
        if not isinstance(document, dict):
            return cls(path, category, text)
        return cls(path, category, text, document, tuple(_cells(document)))

    @cached_property
    def lines(self) -> list[str]:
        """The text's lines, split once."""
        return self.text.split("\n")

    def code_chunks(self) -> Iterator[tuple[int | None, str]]:
        """``(cell index or None, text)`` of what runs: the file, or each code cell."""
        if self.notebook is None:
            yield None, self.text
            return
        for cell in self.cells:
            if cell.kind == "code":
                yield cell.index, cell.source

    def line_text(self, finding: Finding) -> str:
        if finding.line is None:
            return ""
        if finding.cell is not None:
            for cell in self.cells:
                if cell.index == finding.cell:
                    lines = cell.lines()
                    return lines[finding.line - 1] if finding.line <= len(lines) else ""
            return ""
        lines = self.lines
        return lines[finding.line - 1] if finding.line <= len(lines) else ""


def _codec(encoding: str | None) -> str:
    return encoding or "utf-8"


def text_of(value: Any) -> str:
    """A notebook's multi-line string, whether stored as one string or a list of lines."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(part for part in value if isinstance(part, str))
    return ""


def _cells(document: dict[str, Any]) -> Iterator[Cell]:
    cells = document.get("cells")
    version3 = False
    if not isinstance(cells, list):
        sheets = document.get("worksheets")
        cells = []
        if isinstance(sheets, list):
            for sheet in sheets:
                if isinstance(sheet, dict) and isinstance(sheet.get("cells"), list):
                    cells.extend(sheet["cells"])
            version3 = True
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict):
            continue
        kind = cell.get("cell_type")
        kind = "markdown" if kind == "heading" else kind if kind in ("code", "markdown") else "raw"
        key = "input" if version3 and kind == "code" else "source"
        count = cell.get("execution_count", cell.get("prompt_number"))
        outputs = cell.get("outputs")
        yield Cell(
            index,
            kind,
            text_of(cell.get(key, "")),
            count if isinstance(count, int) and not isinstance(count, bool) else None,
            tuple(item for item in outputs if isinstance(item, dict))
            if isinstance(outputs, list)
            else (),
        )


def finding(
    check_id: str,
    path: str,
    message: str,
    *,
    evidence: str = "",
    fix: str | None = None,
    line: int | None = None,
    cell: int | None = None,
) -> Finding:
    """A finding of a check in the table, at its level, with its generic fix unless given."""
    check: Check = checks_table()[check_id]
    return Finding(
        check=check.id,
        level=check.level,
        path=path,
        message=message,
        fix=fix or check.fix,
        evidence=evidence,
        line=line,
        cell=cell,
    )


def suppressed(finding_: Finding, line_text: str) -> bool:
    """Whether the line carries ``repolens: ignore`` or ``repolens: ignore[ID, ...]`` for it."""
    if "repolens" not in line_text:
        return False
    for match in _SUPPRESS.finditer(line_text):
        ids = match.group(1)
        if ids is None:
            return True
        if finding_.check in {part.strip().upper() for part in ids.split(",")}:
            return True
    return False
