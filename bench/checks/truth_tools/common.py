"""What every truth tool needs: the tree's files as git lists them, bounded reads,
notebooks through nbformat, and the one shape of an expected problem.

None of this imports repolens: the truth is built without it.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "MAX_READ",
    "Expected",
    "Place",
    "code_cells",
    "is_python_notebook",
    "is_test_path",
    "read_bytes",
    "read_notebook",
    "read_text",
    "tracked_files",
]

MAX_READ = 64 << 20  # no file of a repository costs more than this to read
_TEST_FOLDERS = frozenset({"test", "tests", "testing", "fixtures", "__tests__", "testdata"})
_TEST_FILE = re.compile(r"^(test[_-].*|.*[_-]test|conftest)\.\w+$", re.IGNORECASE)


@dataclass(frozen=True)
class Place:
    path: str
    line: int | None = None
    cell: int | None = None  # 1-based, as repolens prints it

    def as_list(self) -> list[Any]:
        return [self.path, self.line, self.cell]


@dataclass(frozen=True)
class Expected:
    """One problem that should be found: where (any of ``places`` is right), and how it
    was established. ``key`` names the problem when the check reports it once for many
    places (a module for EN002, a file pattern for AS003)."""

    check: str
    places: tuple[Place, ...]
    how: str
    key: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        first = self.places[0]
        row: dict[str, Any] = {
            "check": self.check,
            "path": first.path,
            "line": first.line,
            "cell": first.cell,
        }
        if len(self.places) > 1:
            row["also"] = [place.as_list() for place in self.places[1:]]
        if self.key is not None:
            row["key"] = self.key
        row["how"] = self.how
        row.update(self.extra)
        return row


def is_test_path(path: str) -> bool:
    """Test code and fixtures, as the checks' documentation scopes them (README: 'What the
    checks leave alone'): a folder named tests/, fixtures/, ... or a test_*.py file."""
    parts = path.split("/")
    return any(part.lower() in _TEST_FOLDERS for part in parts[:-1]) or bool(
        _TEST_FILE.match(parts[-1])
    )


def tracked_files(root: Path) -> list[str]:
    """Paths git tracks in the work tree that exist there as regular files, sorted."""
    listing = subprocess.run(
        ["git", "-C", str(root), "ls-files", "-z"],
        capture_output=True,
        check=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull},
    ).stdout
    paths = []
    for item in listing.split(b"\0"):
        if not item:
            continue
        path = os.fsdecode(item)
        try:
            mode = os.lstat(root / path).st_mode
        except OSError:
            continue  # left out of the scratch tree (blob missing from the clone)
        if stat.S_ISREG(mode):
            paths.append(path)
    return sorted(paths)


def read_bytes(root: Path, path: str, limit: int = MAX_READ) -> bytes | None:
    """A regular file's bytes (no link followed, no FIFO opened), or None past ``limit``."""
    try:
        descriptor = os.open(root / path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        chunks = []
        remaining = info.st_size
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def read_text(root: Path, path: str) -> str | None:
    """Text as UTF-8 (a BOM dropped, bad bytes replaced); None for binary (a NUL early)."""
    data = read_bytes(root, path)
    if data is None or b"\0" in data[:8192]:
        return None
    return data.decode("utf-8-sig", "replace")


def read_notebook(root: Path, path: str) -> Any | None:
    """The notebook as nbformat reads it (upgraded to version 4), or None."""
    import nbformat

    text = read_text(root, path)
    if text is None:
        return None
    try:
        return nbformat.reads(text, as_version=4)
    except Exception:  # nbformat raises many kinds on a broken notebook
        return None


def code_cells(notebook: Any) -> Iterator[tuple[int, Any]]:
    """``(1-based index among all cells, cell)`` of each code cell."""
    for index, cell in enumerate(notebook.get("cells", []), 1):
        if cell.get("cell_type") == "code":
            yield index, cell


def is_python_notebook(notebook: Any) -> bool:
    metadata = notebook.get("metadata", {}) or {}
    spec = metadata.get("kernelspec") or {}
    language = spec.get("language") or (metadata.get("language_info") or {}).get("name") or ""
    return str(language).lower() in ("", "python", "python2", "python3")
