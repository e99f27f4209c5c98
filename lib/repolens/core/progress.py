"""A one-line progress display on a terminal, for scans that take a while."""

from __future__ import annotations

import time
from typing import TextIO

__all__ = ["ProgressLine"]


class ProgressLine:
    """``progress(phase, done, total)`` callback drawing ``\\r``-updated lines.

    Nothing is drawn during the first ``delay`` seconds, so short scans stay quiet;
    redraws are limited to ten a second.
    """

    def __init__(self, stream: TextIO, delay: float = 0.5, width: int = 30) -> None:
        self._stream = stream
        self._start = time.monotonic()
        self._delay = delay
        self._width = width
        self._last = 0.0
        self._drawn = False

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        final = total is not None and done >= total
        if now - self._start < self._delay or (now - self._last < 0.1 and not final):
            return
        self._last = now
        unit = "commits" if phase == "history" else "files"
        if total:
            filled = int(self._width * done / total)
            bar = "#" * filled + "-" * (self._width - filled)
            text = f"{phase:>5} [{bar}] {done:,}/{total:,} {unit}"
        else:
            text = f"{phase:>5} {done:,} {'folders' if phase == 'walk' else 'files'}"
        self._stream.write("\r" + text.ljust(self._width + 30))
        self._stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self._stream.write("\r" + " " * (self._width + 30) + "\r")
            self._stream.flush()
