"""Hostile ignore files: what compiling a large .gitignore costs per MiB of lines.

``CASES`` is collected by ``bench/hostile.py``. A line without a wildcard and a ``*.ext``
name line are looked up as bytes (``scanning/ignore.py``); any other line compiles a regular
expression, and a path that no look-up settles tries each of them, as git does. Each case
builds one file of short lines to a target size, compiles it as the walk does and decides
20 paths with it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from hostile_case import Case  # noqa: E402

from repolens.scanning.ignore import IgnoreRules  # noqa: E402

__all__ = ["CASES"]


def _ignore_file(line: Callable[[int], str]) -> Callable[[int, Path], str]:
    """A .gitignore of ``line(n)`` for n = 0, 1, ... to about ``size`` bytes."""

    def build(size: int, _scratch: Path) -> str:
        lines, total = [], 0
        while total < size:
            lines.append(line(len(lines)))
            total += len(lines[-1]) + 1
        return "\n".join(lines) + "\n"

    return build


def _decide(text: object) -> int:
    """The file's rules compiled as the walk compiles them, then 20 paths decided."""
    rules = IgnoreRules.from_patterns(str(text).splitlines())
    return sum(rules.ignored(f"src/name{index}.ext{index}", False) for index in range(20))


CASES = [
    Case(
        ".gitignore of literal names 'nameN'",
        "gitignore lines",
        _ignore_file(lambda n: f"name{n}"),
        _decide,
    ),
    Case(
        ".gitignore of suffixes '*.extN'",
        "gitignore lines",
        _ignore_file(lambda n: f"*.ext{n}"),
        _decide,
    ),
    Case(
        ".gitignore of wildcard lines 'nameN*'",
        "gitignore lines",
        _ignore_file(lambda n: f"name{n}*"),
        _decide,
    ),
]
