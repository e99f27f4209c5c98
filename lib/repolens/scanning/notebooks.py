"""Jupyter notebooks read as JSON: cells, outputs, kernel and errors.

Pure: ``read_notebook`` takes the file's bytes. Code-cell lines are counted
later, in the kernel's language, by the same engine as any source file; this
module hands over the code (``ParsedNotebook.code``) and the extension that
names its language.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..core.records import LineCounts, NotebookStats

__all__ = [
    "CELL_LIMIT",
    "InvalidNotebook",
    "ParsedNotebook",
    "clean_text",
    "read_notebook",
    "source_extension",
]

CELL_LIMIT = 8 << 20
"""Characters of one cell's source that content checks read as code (imports): a cell is
held to the cap a file's content is (``options.CONTENT_LIMIT``); a longer cell is counted,
searched for secrets and paths, and named in a note as not read for imports."""

# Kernel language -> extension the counting engine knows it by.
_EXTENSIONS = {
    "python": ".py",
    "python3": ".py",
    "ipython": ".py",
    "r": ".r",
    "julia": ".jl",
    "scala": ".scala",
    "java": ".java",
    "c": ".c",
    "c++": ".cpp",
    "cpp": ".cpp",
    "c++11": ".cpp",
    "c++14": ".cpp",
    "c++17": ".cpp",
    "javascript": ".js",
    "typescript": ".ts",
    "bash": ".sh",
    "sh": ".sh",
    "matlab": ".m",
    "octave": ".m",
    "go": ".go",
    "rust": ".rs",
    "ruby": ".rb",
    "haskell": ".hs",
    "sql": ".sql",
    "sas": ".sas",
    "perl": ".pl",
    "lua": ".lua",
}


class InvalidNotebook(ValueError):
    """The file is not a notebook repolens can read; the message says why."""


@dataclass(frozen=True, slots=True)
class ParsedNotebook:
    stats: NotebookStats  # code_lines not yet counted: all zero
    code: str  # the code cells, joined, for counting in the kernel language


def source_extension(language: str | None) -> str | None:
    """The file extension that names a kernel language for the engine."""
    if not language:
        return None
    return _EXTENSIONS.get(language.strip().lower())


def clean_text(value: str) -> str:
    """A string from a file, made safe to write anywhere: lone surrogates become ``\\udXXX``."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")


def _text(value: Any, what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return "".join(value)
    raise InvalidNotebook(f"{what} is {type(value).__name__}, not a string or a list of strings")


def _payload_bytes(value: Any) -> int:
    """Bytes of an output payload: its text (a list of strings is one text), and for
    structured data (JSON outputs) its size as JSON. Walked without recursion: payloads
    may nest deeper than Python's stack."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item.encode("utf-8", "surrogatepass"))
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            total += 2 + 2 * max(len(item) - 1, 0)  # braces and ", "
            for key, part in item.items():
                total += len(str(key).encode("utf-8", "surrogatepass")) + 4  # "key":_
                stack.append(part)
        elif item is None or isinstance(item, bool):
            total += 4 if item is None or item else 5
        else:
            total += len(repr(item))
    return total


def _cells(document: Any) -> tuple[list[Any], bool]:
    """The cells and whether the notebook is nbformat 3 (worksheets)."""
    if not isinstance(document, dict):
        raise InvalidNotebook(f"top level is a JSON {type(document).__name__}, not an object")
    if "cells" in document:
        cells = document["cells"]
        if not isinstance(cells, list):
            raise InvalidNotebook(f"'cells' is a {type(cells).__name__}, not a list")
        return cells, False
    sheets = document.get("worksheets")
    if not isinstance(sheets, list):
        raise InvalidNotebook("no 'cells' list")
    cells = []
    for number, sheet in enumerate(sheets):  # nbformat 3
        if not isinstance(sheet, dict):
            raise InvalidNotebook(f"worksheet {number} is a {type(sheet).__name__}, not an object")
        sheet_cells = sheet.get("cells", [])
        if not isinstance(sheet_cells, list):
            raise InvalidNotebook(
                f"worksheet {number} 'cells' is a {type(sheet_cells).__name__}, not a list"
            )
        cells.extend(sheet_cells)
    return cells, True


def _kernel(document: dict[str, Any]) -> tuple[str | None, str | None]:
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        return None, None
    spec = metadata.get("kernelspec") if isinstance(metadata.get("kernelspec"), dict) else {}
    info = metadata.get("language_info") if isinstance(metadata.get("language_info"), dict) else {}
    kernel = spec.get("name") if isinstance(spec.get("name"), str) else None
    language = spec.get("language") or info.get("name") or metadata.get("language")
    language = language if isinstance(language, str) else None
    return (
        None if kernel is None else clean_text(kernel),
        None if language is None else clean_text(language),
    )


# nbformat 3 keeps an output's MIME payloads at its top level, under short names.
_V3_PAYLOADS = {
    "text": "text/plain",
    "html": "text/html",
    "latex": "text/latex",
    "json": "application/json",
    "javascript": "application/javascript",
    "markdown": "text/markdown",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
}


def _mime_bundle(output: dict[str, Any], version3: bool) -> dict[Any, Any]:
    data = output.get("data")
    if isinstance(data, dict):
        return data
    if version3 and output.get("output_type") in ("pyout", "display_data", "execute_result"):
        return {mime: output[key] for key, mime in _V3_PAYLOADS.items() if key in output}
    return {}


def read_notebook(content: bytes) -> ParsedNotebook:
    """Read a notebook's bytes; raise ``InvalidNotebook`` with the reason when it is not one.

    Any content gives a result or ``InvalidNotebook``: nothing else escapes."""
    try:
        return _read(content)
    except InvalidNotebook:
        raise
    except RecursionError:
        raise InvalidNotebook("nested too deeply") from None
    except Exception as error:  # numbers past the digit limit, types no notebook has, ...
        text = str(error).splitlines()[0][:120] if str(error) else ""
        raise InvalidNotebook(f"{type(error).__name__}: {text}".rstrip(": ")) from None


def _read(content: bytes) -> ParsedNotebook:
    try:
        document = json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidNotebook(f"not valid JSON: {error}") from None
    except ValueError as error:  # e.g. an integer over Python's digit limit
        raise InvalidNotebook(f"not readable JSON: {str(error).splitlines()[0][:120]}") from None
    except RecursionError:
        raise InvalidNotebook("not valid JSON: nested too deeply") from None
    cells, version3 = _cells(document)
    kernel, language = _kernel(document)

    counts = {"code": 0, "markdown": 0, "raw": 0}
    markdown_lines = outputs = output_bytes = image_outputs = image_bytes = 0
    error_cells = executed = 0
    previous_count = 0
    out_of_order = False
    code_parts: list[str] = []
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict):
            raise InvalidNotebook(f"cell {index} is a {type(cell).__name__}, not an object")
        cell_type = cell.get("cell_type")
        if cell_type == "markdown" or cell_type == "heading":
            source = _text(cell.get("source", ""), f"cell {index} source")
            counts["markdown"] += 1
            markdown_lines += sum(1 for line in source.split("\n") if line.strip())
            continue
        if cell_type != "code":
            _text(cell.get("source", ""), f"cell {index} source")
            counts["raw"] += 1
            continue
        key = "input" if version3 and "input" in cell else "source"
        source = _text(cell.get(key, ""), f"cell {index} {key}")
        counts["code"] += 1
        if source:
            code_parts.append(source if source.endswith("\n") else source + "\n")
        count = cell.get("execution_count", cell.get("prompt_number"))
        if isinstance(count, int) and not isinstance(count, bool):
            executed += 1
            if count <= previous_count:
                out_of_order = True
            previous_count = count
        cell_outputs = cell.get("outputs") or []
        if not isinstance(cell_outputs, list):
            raise InvalidNotebook(f"cell {index} outputs is not a list")
        has_error = False
        for output in cell_outputs:
            if not isinstance(output, dict):
                continue
            outputs += 1
            kind = output.get("output_type")
            if kind in ("error", "pyerr"):
                has_error = True
                output_bytes += _payload_bytes(output.get("traceback", []))
            elif kind == "stream":
                output_bytes += _payload_bytes(output.get("text", ""))
            for mime, value in _mime_bundle(output, version3).items():
                size = _payload_bytes(value)
                output_bytes += size
                if isinstance(mime, str) and mime.startswith("image/"):
                    image_outputs += 1
                    image_bytes += size
        error_cells += has_error

    stats = NotebookStats(
        kernel=kernel,
        language=language,
        code_cells=counts["code"],
        markdown_cells=counts["markdown"],
        raw_cells=counts["raw"],
        code_lines=LineCounts(0, 0, 0),
        markdown_lines=markdown_lines,
        outputs=outputs,
        output_bytes=output_bytes,
        image_outputs=image_outputs,
        image_bytes=image_bytes,
        error_cells=error_cells,
        executed_cells=executed,
        out_of_order=out_of_order,
    )
    return ParsedNotebook(stats, "".join(code_parts))
