"""What a content check reads: a file's text once decoded, and a notebook's cells."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..core.findings import Finding
from ..scanning.notebooks import source_extension
from .lexers import Syntax, syntax_for, syntax_named
from .suppression import MAX_NOTES, Suppressions, read_suppressions
from .table import Check, checks_table

__all__ = ["Cell", "Source", "evidence_at", "finding", "is_test_path", "text_of"]

_TEXT_START = re.compile(r"[^\s]")
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
    tags: tuple[str, ...] = ()  # metadata.tags: raises-exception, parameters, ...

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

    @cached_property
    def kernel_language(self) -> str | None:
        """A notebook's kernel language, as its metadata names it."""
        metadata = self.notebook.get("metadata") if self.notebook is not None else None
        if not isinstance(metadata, dict):
            return None
        spec, info = metadata.get("kernelspec"), metadata.get("language_info")
        for value in (
            spec.get("language") if isinstance(spec, dict) else None,
            info.get("name") if isinstance(info, dict) else None,
            metadata.get("language"),
        ):
            if isinstance(value, str) and value:
                return value
        return None

    def syntax(self, cell: Cell | None = None) -> Syntax | None:
        """How comments are written in the file, or in a notebook's cell."""
        if cell is None:
            return syntax_for(self.path)
        if cell.kind == "markdown":
            return syntax_named("markup")
        if cell.kind != "code":
            return None
        extension = source_extension(self.kernel_language or "python")
        return syntax_for(f"cell{extension}") if extension else None

    @cached_property
    def suppressions(self) -> dict[int | None, Suppressions]:
        """What each text suppresses: the file (key None), or each notebook cell (by index).
        Texts that do not hold ``repolens:`` cost one substring search."""
        if self.notebook is None:
            return {None: read_suppressions(self.text, self.syntax())}
        return {
            cell.index: read_suppressions(cell.source, self.syntax(cell)) for cell in self.cells
        }

    def suppresses(self, finding: Finding) -> bool:
        """Whether a suppression comment on the finding's line covers its check."""
        if self.notebook is not None and finding.cell is None:
            return False  # a finding of the whole notebook: no cell's comment covers it
        table = self.suppressions.get(finding.cell if self.notebook is not None else None)
        return table is not None and table.covers(finding.check, finding.line)

    def suppression_notes(self, kept: list[Finding]) -> list[str]:
        """Why comments that look like suppressions are not, and lines whose finding stays
        although ``repolens: ignore`` stands there outside a comment: a few, then a count."""
        found: list[tuple[int, int, str]] = []
        for cell, table in self.suppressions.items():
            place = -1 if cell is None else cell
            found += [(place, line, why) for line, why in table.problems]
        for item in kept:
            table = self.suppressions.get(item.cell if self.notebook is not None else None)
            if table is not None and item.line in table.outside:
                why = (
                    "'repolens: ignore' is not in a comment"
                    if self.syntax(self._cells_by_index.get(item.cell)) is not None  # type: ignore[arg-type]
                    else "'repolens: ignore' cannot suppress here: this kind of file has no "
                    "comments (per-file-ignores in the settings can)"
                )
                found.append((-1 if item.cell is None else item.cell, item.line, why))  # type: ignore[arg-type]
        notes = []
        distinct = sorted(set(found))
        for place, line, why in distinct[:MAX_NOTES]:
            where = (
                f"{self.path}:{line}"
                if place < 0
                else f"{self.path}, cell {place + 1}, line {line}"
            )
            notes.append(f"{where}: not a suppression: {why}")
        if len(distinct) > MAX_NOTES:
            more = len(distinct) - MAX_NOTES
            notes.append(f"{self.path}: {more} more comments that are not suppressions")
        return notes

    @cached_property
    def _cells_by_index(self) -> dict[int, Cell]:
        return {cell.index: cell for cell in self.cells}


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
        metadata = cell.get("metadata")
        tags = metadata.get("tags") if isinstance(metadata, dict) else None
        yield Cell(
            index,
            kind,
            text_of(cell.get(key, "")),
            count if isinstance(count, int) and not isinstance(count, bool) else None,
            tuple(item for item in outputs if isinstance(item, dict))
            if isinstance(outputs, list)
            else (),
            tuple(tag for tag in tags if isinstance(tag, str)) if isinstance(tags, list) else (),
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


def evidence_at(text: str, offset: int, limit: int = 160) -> str:
    """The line that holds ``offset``, stripped and cut to ``limit`` characters: what a
    finding shows as seen. Reads only that line, and of a long line only its first part."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    end = len(text) if end < 0 else end
    found = _TEXT_START.search(text, start, end)
    if found is None:
        return ""
    return text[found.start() : min(end, found.start() + limit + 64)].strip()[:limit]
