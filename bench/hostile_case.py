"""One adversarial input for the hostile benchmark: how to build it at a size, what runs on it.

Every ``bench/hostile_*.py`` module lists its cases in a module-level ``CASES``;
``bench/hostile.py`` collects them, builds each input at the sizes it measures and records
the time and memory that ``run`` costs per MiB of input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Case"]


@dataclass(frozen=True)
class Case:
    name: str  # short and unique: "PA001 on '=C:\\a' repeated in a CSV"
    exercises: str  # the check or matcher it drives: "PA001", "gitignore **", ...
    build: Callable[[int, Path], object]  # (target size in bytes, scratch folder) -> input
    run: Callable[[object], object]  # processes the input as repolens would
    # The largest input repolens accepts (bytes), when a larger one is refused: the harness
    # then measures the case at this size too, so the table shows the real worst cost and
    # not only the refusal's.
    cap: int | None = None
