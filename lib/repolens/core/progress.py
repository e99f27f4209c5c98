"""Progress with an end: what a long command is doing, how far it is and how long is left.

``ProgressLine`` is the ``progress(phase, done, total)`` callback every long step takes
(files scanned, notebook cells run, commits replayed, repositories done). On a terminal it draws
one line updated in place (``\\r``, at most ten times a second, nothing during the first
half second); elsewhere (CI, a Kubernetes Job, a log file) it writes a whole line every
few seconds and one when a phase ends, so a log shows the run moving without flooding.
A total may be an estimate (``estimated=True``: the files counted ahead of the walk) and
is shown with ``~`` until the exact one arrives.

A notebook's kernel is another process: ``ProgressFile`` is the callback the kernel
uses (it appends one line per update to the file ``$REPOLENS_PROGRESS`` names), and
``follow`` reads that file in a thread of the command and hands each update on.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from typing import TextIO

__all__ = [
    "PROGRESS_VARIABLE",
    "UNITS",
    "Follower",
    "ProgressFile",
    "ProgressLine",
    "follow",
    "progress_from_environment",
    "progress_text",
]

PROGRESS_VARIABLE = "REPOLENS_PROGRESS"
"""The file a notebook's kernel reports its progress into, when the command set it."""

UNITS = {
    "walk": "folders",
    "scan": "entries",  # records: files, links, unreadable folders (a summary counts files)
    "history": "commits",
    "portfolio": "repositories",
    "notebook": "cells",
}
"""What each phase counts."""


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def progress_text(
    phase: str, done: int, total: int | None, elapsed: float, estimated: bool = False
) -> str:
    """One progress report as words: ``scan 12,000/78,579 entries (15%), 4 s, about 23 s
    left``. Without a total: how many so far and for how long."""
    unit = UNITS.get(phase, "items")
    if not total:
        return f"{phase} {done:,} {unit}, {_duration(elapsed)}"
    total = max(total, done)
    share = done / total
    text = f"{phase} {done:,}/{'~' if estimated else ''}{total:,} {unit} ({share:.0%}), "
    text += _duration(elapsed)
    left = elapsed * (total - done) / done if done else 0
    if 0 < done < total and elapsed >= 1 and left >= 1:
        text += f", about {_duration(left)} left"
    return text


class ProgressLine:
    """``progress(phase, done, total)``: one line updated in place on a terminal, a line
    every ``every`` seconds (and at each phase's end) anywhere else."""

    def __init__(
        self,
        stream: TextIO,
        delay: float | None = None,
        width: int = 24,
        tty: bool | None = None,
        every: float = 5.0,
    ) -> None:
        self._stream = stream
        self._tty = stream.isatty() if tty is None else tty
        self._start = time.monotonic()
        self._phase_start: dict[str, float] = {}
        # nothing for the first half second on a terminal, the first interval in a log
        self._delay = (0.5 if self._tty else every) if delay is None else delay
        self._width = width
        self._every = every
        self._last = 0.0
        self._drawn = 0  # characters of the line on the terminal now
        self._estimates: dict[str, int] = {}
        self._finished: set[str] = set()
        self._lock = threading.Lock()
        self._latest: tuple[str, int, int | None] | None = None
        self._closed = threading.Event()
        self._heart: threading.Thread | None = None

    def estimate(self, phase: str, total: int) -> None:
        """A total counted ahead (shown with ``~`` until ``progress`` brings one)."""
        self._estimates[phase] = total

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        with self._lock:
            self._latest = (phase, done, total)
            self._report(phase, done, total)
            if self._heart is None and not self._tty:
                self._heart = threading.Thread(target=self._beat, daemon=True)
                self._heart.start()

    def _beat(self) -> None:
        """Off a terminal, say where the run is every ``every`` seconds even while one
        step takes long (a window of large files): a log is never silent for long."""
        while not self._closed.wait(self._every / 2):
            with self._lock:
                if self._closed.is_set():  # closed while this waited for the lock
                    return
                latest = self._latest
                if latest is None or time.monotonic() - self._last < self._every:
                    continue
                phase, done, total = latest
                if total is not None and done >= total:
                    continue
                self._report(phase, done, total)

    def _report(self, phase: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        started = self._phase_start.setdefault(phase, now)
        estimated = total is None and phase in self._estimates
        shown_total = self._estimates.get(phase) if total is None else total
        final = total is not None and done >= total
        if final and phase in self._finished:
            return
        if now - self._start < self._delay:
            return
        pause = 0.1 if self._tty else self._every
        if now - self._last < pause and not final:
            return
        self._last = now
        text = progress_text(phase, done, shown_total, now - started, estimated)
        if self._tty:
            bar = ""
            if shown_total:
                filled = int(self._width * min(done, shown_total) / shown_total)
                bar = "[" + "#" * filled + "-" * (self._width - filled) + "] "
            line = bar + text
            self._stream.write("\r" + line.ljust(self._drawn))
            self._drawn = len(line)
        else:
            self._stream.write(f"repolens: {text}\n")
        self._stream.flush()
        if final:
            self._finished.add(phase)

    def close(self) -> None:
        """Clear the line on a terminal (the command's own summary follows)."""
        self._closed.set()
        with self._lock:
            if self._tty and self._drawn:
                self._stream.write("\r" + " " * self._drawn + "\r")
                self._stream.flush()
                self._drawn = 0


class ProgressFile:
    """The callback a notebook's kernel reports through: one JSON line per update
    (``[phase, done, total]``), at most five a second and every phase's end."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._last = 0.0

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self._last < 0.2 and not (total is not None and done >= total):
            return
        self._last = now
        self._write([phase, done, total])

    def estimate(self, phase: str, total: int) -> None:
        self._write([phase, total, "estimate"])

    def _write(self, update: list[object]) -> None:
        try:
            with open(self._path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(update) + "\n")
        except OSError:
            pass  # progress is a courtesy: never a reason to fail


def progress_from_environment() -> ProgressFile | None:
    """The kernel's progress callback when the command asked for one
    (``$REPOLENS_PROGRESS``)."""
    path = os.environ.get(PROGRESS_VARIABLE)
    return ProgressFile(path) if path else None


class Follower:
    """A thread reading the updates a kernel appends to a progress file."""

    def __init__(self, path: str, progress: Callable[[str, int, int | None], None]) -> None:
        self._path = path
        self._progress = progress
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        position = 0
        while True:
            stopping = self._stop.wait(0.2)
            try:
                with open(self._path, encoding="utf-8") as handle:
                    handle.seek(position)
                    text = handle.read(1 << 20)
            except OSError:
                text = ""
            complete = text[: text.rfind("\n") + 1]
            position += len(complete.encode("utf-8"))
            for line in complete.splitlines():
                try:
                    phase, done, total = json.loads(line)
                    if total == "estimate":
                        estimate = getattr(self._progress, "estimate", None)
                        if estimate is not None:
                            estimate(str(phase), int(done))
                        continue
                    self._progress(str(phase), int(done), None if total is None else int(total))
                except (ValueError, TypeError):
                    continue
            if stopping:
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def follow(path: str, progress: Callable[[str, int, int | None], None]) -> Follower:
    """Hand each update a kernel writes into ``path`` on to ``progress`` until ``stop``."""
    return Follower(path, progress)
