"""Hard-coded absolute paths (PA001), found without needing them to exist here.

Windows drives (``C:\\``, ``C:/``), UNC shares, ``/home/<user>/``, ``/Users/<user>/``,
``/mnt/<x>/`` and Colab's ``/content/drive``; in code, notebook code cells, configuration
and data. Shebangs, ``/dev/null``, ``/tmp``, ``/usr/bin/env`` and system paths are not
findings. A data file full of such paths is one finding with a count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..records import FileRecord
from .model import Finding
from .source import Source, finding

__all__ = ["check_paths", "find_paths"]

_PATH = re.compile(
    r"""(?x)
    (?<![\w/\\:.])(?P<drive>[A-Za-z]:(?:\\\\|\\|/)(?=[\w.$ ~-]))          # C:\, C:\\, C:/
    | (?<![\w/\\:])(?P<unc>\\\\\\\\[\w.$-]+\\\\[\w.$-]+|\\\\[\w.$-]+\\[\w.$-]+)  # \\server\share
    | (?<![\w/.~-])(?P<posix>/(?:home|Users|mnt|media)/[\w.-]+/|/content/drive(?:/|\b))
    """
)
_CATEGORIES = ("code", "notebook", "config", "data")
_END = re.compile(r"""["'`\s,;)\]}>]""")
MAX_PER_FILE = 20


def find_paths(line: str) -> Iterator[str]:
    """The absolute paths a line of text names (each as written, cut at its end)."""
    if line.startswith("#!"):
        return
    for match in _PATH.finditer(line):
        start = match.start()
        end = _END.search(line, match.end())
        yield line[start : end.start() if end else len(line)][:120]


def check_paths(record: FileRecord, source: Source) -> Iterator[Finding]:
    if record.category not in _CATEGORIES:
        return
    path = record.path
    if record.category == "data" and source.notebook is None:
        hits = [
            (number, found)
            for number, line in enumerate(source.lines(), 1)
            for found in find_paths(line)
        ]
        if hits:
            number, first = hits[0]
            yield finding(
                "PA001",
                path,
                f"{len(hits):,} absolute path{'s' if len(hits) != 1 else ''} in this data "
                f"file, the first on line {number}.",
                evidence=first,
                line=number,
                fix="Store paths relative to the data file (e.g. IMG/center_1.png) and join "
                "them to the data folder when reading.",
            )
        return
    count = 0
    for cell, text in source.code_chunks():
        for number, line in enumerate(text.split("\n"), 1):
            for found in find_paths(line):
                count += 1
                if count > MAX_PER_FILE:
                    return
                yield finding(
                    "PA001",
                    path,
                    f"hard-coded absolute path '{found}'"
                    + (f" in cell {cell + 1}." if cell is not None else "."),
                    evidence=line.strip()[:160],
                    line=number,
                    cell=cell,
                )
