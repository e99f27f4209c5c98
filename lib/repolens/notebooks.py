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

from .records import LineCounts, NotebookStats

__all__ = ["InvalidNotebook", "ParsedNotebook", "read_notebook", "source_extension"]

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


def _text(value: Any, what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return "".join(value)
    raise InvalidNotebook(f"{what} is {type(value).__name__}, not a string or a list of strings")


def _payload_bytes(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, list):
        return sum(_payload_bytes(part) for part in value)
    return len(json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"))


def _cells(document: Any) -> tuple[list[Any], str]:
    if not isinstance(document, dict):
        raise InvalidNotebook(f"top level is a JSON {type(document).__name__}, not an object")
    if "cells" in document:
        cells = document["cells"]
        key = "source"
    elif isinstance(document.get("worksheets"), list):  # nbformat 3
        cells = [cell for sheet in document["worksheets"] for cell in sheet.get("cells", [])]
        key = "input"
    else:
        raise InvalidNotebook("no 'cells' list")
    if not isinstance(cells, list):
        raise InvalidNotebook(f"'cells' is a {type(cells).__name__}, not a list")
    return cells, key


def _kernel(document: dict[str, Any]) -> tuple[str | None, str | None]:
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        return None, None
    spec = metadata.get("kernelspec") if isinstance(metadata.get("kernelspec"), dict) else {}
    info = metadata.get("language_info") if isinstance(metadata.get("language_info"), dict) else {}
    kernel = spec.get("name") if isinstance(spec.get("name"), str) else None
    language = spec.get("language") or info.get("name") or metadata.get("language")
    return kernel, language if isinstance(language, str) else None


def read_notebook(content: bytes) -> ParsedNotebook:
    """Read a notebook's bytes; raise ``InvalidNotebook`` with the reason when it is not one."""
    try:
        document = json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidNotebook(f"not valid JSON: {error}") from None
    except RecursionError:
        raise InvalidNotebook("not valid JSON: nested too deeply") from None
    cells, source_key = _cells(document)
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
        source = _text(cell.get(source_key, ""), f"cell {index} {source_key}")
        if cell_type == "markdown" or cell_type == "heading":
            counts["markdown"] += 1
            markdown_lines += sum(1 for line in source.split("\n") if line.strip())
            continue
        if cell_type != "code":
            counts["raw"] += 1
            continue
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
            data = output.get("data")
            if isinstance(data, dict):
                for mime, value in data.items():
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
