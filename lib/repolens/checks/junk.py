"""Junk (JU001): what never belongs in a repository, one finding per folder or file.

In a git work tree the scan only sees what git tracks or would add, so every finding
is junk that is (or will be) committed."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator

from ..core.findings import Finding
from ..core.records import FileRecord
from ..core.units import human_bytes
from .source import finding

__all__ = ["is_junk_candidate", "junk_findings"]

_FOLDERS = {
    "__pycache__": "Python bytecode",
    ".ipynb_checkpoints": "Jupyter checkpoints",
    "__MACOSX": "macOS archive metadata",
    "node_modules": "installed JavaScript packages",
    ".pytest_cache": "pytest's cache",
    ".mypy_cache": "mypy's cache",
    "CMakeFiles": "CMake's build files",
}
# Folders named by a pattern: an IDE's build output (CLion's cmake-build-debug/).
_FOLDER_PATTERNS = (
    (re.compile(r"^cmake-build-[\w.-]+$"), "an IDE's CMake build folder", "cmake-build-*/"),
)
_FILES = (
    (re.compile(r".*\.py[co]$"), "Python bytecode", "*.py[co]"),
    (re.compile(r"^\.DS_Store$"), "macOS folder metadata", ".DS_Store"),
    (re.compile(r"^\._.+"), "macOS resource fork (AppleDouble)", "._*"),
    (re.compile(r"^~\$.+"), "an Office lock file", "~$*"),
    (re.compile(r"^\..+\.sw[a-p]$"), "a Vim swap file", "*.sw?"),
    (re.compile(r"^\.#.+|.+~$"), "an editor backup", "*~"),
    (re.compile(r"^Thumbs\.db$"), "Windows thumbnails", "Thumbs.db"),
    (re.compile(r"^~WRL\d*\.tmp$", re.IGNORECASE), "a Word temporary file", "~WRL*.tmp"),
    (re.compile(r"^CMakeCache\.txt$"), "CMake's cache of one build", "CMakeCache.txt"),
    (re.compile(r"^cmake_install\.cmake$"), "a script CMake generated", "cmake_install.cmake"),
    (re.compile(r"^CTestTestfile\.cmake$"), "a script CMake generated", "CTestTestfile.cmake"),
    (
        re.compile(r"^install_manifest\.txt$"),
        "CMake's list of installed files",
        "install_manifest.txt",
    ),
)


# Any of the file patterns, in one pass: the stream asks this of every path.
_ANY_FILE = re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _what, _glob in _FILES))


def _junk_folder(part: str) -> tuple[str, str] | None:
    """What a folder of this name is and its .gitignore pattern, when it is junk."""
    if part in _FOLDERS:
        return _FOLDERS[part], f"{part}/"
    for pattern, what, glob in _FOLDER_PATTERNS:
        if pattern.match(part):
            return what, glob
    return None


def is_junk_candidate(path: str) -> bool:
    """Whether ``junk_findings`` could say anything about a path (the others it skips)."""
    parts = path.split("/")
    if any(_junk_folder(part) for part in parts[:-1]) or parts[-1] == "pyvenv.cfg":
        return True
    return _ANY_FILE.match(parts[-1]) is not None


def junk_findings(records: Iterable[FileRecord]) -> Iterator[Finding]:
    folders: dict[str, list[FileRecord]] = defaultdict(list)
    why: dict[str, tuple[str, str]] = {}
    environments: set[str] = set()
    for record in records:
        parts = record.path.split("/")
        for depth, part in enumerate(parts[:-1]):
            junk = _junk_folder(part)
            if junk is not None:
                folder = "/".join(parts[: depth + 1])
                folders[folder].append(record)
                why[folder] = junk
                break
        else:
            if parts[-1] == "pyvenv.cfg":
                environments.add("/".join(parts[:-1]) or ".")
                continue
            for pattern, what, glob in _FILES:
                if pattern.match(parts[-1]):
                    yield finding(
                        "JU001",
                        record.path,
                        f"{what} ({human_bytes(record.size_bytes)}).",
                        fix=f"Delete it (git rm --cached '{record.path}' if git tracks it) "
                        f"and add {glob} to .gitignore.",
                    )
                    break
    for folder, members in sorted(folders.items()):
        if any(folder.startswith(env + "/") for env in environments):
            continue
        what, glob = why[folder]
        total = sum(record.size_bytes for record in members)
        yield finding(
            "JU001",
            folder + "/",
            f"{what}: {len(members):,} file{'s' if len(members) != 1 else ''}, "
            f"{human_bytes(total)}.",
            fix=f"Delete it (git rm -r --cached '{folder}' if git tracks it) and add {glob} "
            "to .gitignore.",
        )
    for environment in sorted(environments):
        yield finding(
            "JU001",
            environment + "/",
            "a Python virtual environment (pyvenv.cfg): installed packages for one machine.",
            fix=f"Delete {environment}/, add it to .gitignore, and declare the packages in "
            "requirements.txt instead.",
        )
