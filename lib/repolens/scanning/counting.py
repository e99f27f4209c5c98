"""Lines of text files: code, comment and blank.

Languages the engine knows are counted by pytokei (tokei's library): one call
for a whole batch of files, which it reads in parallel. Text the engine does
not know is counted here as physical lines: blank when only white space,
code otherwise.

Embedded languages count in the file that holds them, so a file's lines always
add up to its physical lines: fenced code in Markdown, ``<script>`` and ``<style>``
in HTML, doc comments in Rust.

Docstrings count as code: that is tokei's default, and Python treats them
as statements (they are string literals bound to ``__doc__``). cloc and scc
count them as comments, so their comment totals for Python run higher.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Any

import msgspec
from pytokei import Config, Languages

from ..core.records import LineCounts
from .frames import CutFrame, read_frame, write_frame

__all__ = [
    "EngineProcess",
    "count_newlines",
    "count_physical",
    "count_with_engine",
    "engine_version",
]


def engine_version() -> str:
    import pytokei

    return f"pytokei {pytokei.__version__}"


_ENGINE_RAN = False


def engine_ran_here() -> bool:
    """Whether this process has counted with the engine: its native thread pool then
    exists, and a process forked from this one would wait on threads it does not have."""
    return _ENGINE_RAN


def count_with_engine(paths: Iterable[str]) -> dict[str, tuple[str, LineCounts]]:
    """Count the given files with the engine: ``{path: (language, counts)}``.

    Only files whose language the engine recognises appear in the result; the
    engine counts exactly the paths given (hidden and git-ignored ones too).
    """
    global _ENGINE_RAN
    todo = list(paths)
    if not todo:
        return {}
    _ENGINE_RAN = True
    languages = Languages()
    languages.get_statistics(todo, [], Config())
    result: dict[str, tuple[str, LineCounts]] = {}
    for language_type, language in languages.get_languages().items():
        name = language_type.name()
        for report in language.reports:
            # summarise() folds embedded languages (Rust doc comments, HTML <script>
            # and <style>, fenced code in Markdown) into the file's own counts.
            stats = report.stats.summarise()
            result[report.name] = (name, LineCounts(stats.code, stats.comments, stats.blanks))
    return result


class EngineProcess:
    """``count_with_engine`` in a process of its own (``python -m repolens.scanning.counting``,
    started on first use), so the scan's Python work (reading heads, records, reports) runs
    while the engine counts: the engine holds the interpreter's lock for as long as it
    counts. Requests go one at a time through the process's stdin and stdout, as
    length-prefixed MessagePack, from one thread that waits for each answer.

    ``submit`` returns None when no process can be had (the caller counts in its own
    process then); a future that fails is the caller's to count again."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._thread: ThreadPoolExecutor | None = None
        self.broken = False

    @property
    def started(self) -> bool:
        return self._process is not None

    def submit(self, paths: list[str]) -> Future[dict[str, tuple[str, LineCounts]]] | None:
        if self.broken:
            return None
        if self._process is None:
            try:
                # The folder this package is in comes first on the path: the process
                # must run this very code, however the caller found it.
                home = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
                search = os.pathsep.join(filter(None, [home, os.environ.get("PYTHONPATH")]))
                self._process = subprocess.Popen(
                    [sys.executable, "-m", "repolens.scanning.counting"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env={**os.environ, "PYTHONPATH": search},
                )
            except OSError:  # no process to be had: count in the caller's
                self.broken = True
                return None
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="repolens-engine")
        assert self._thread is not None
        return self._thread.submit(self._round_trip, [os.fsencode(path) for path in paths])

    def _round_trip(self, paths: list[bytes]) -> dict[str, tuple[str, LineCounts]]:
        process = self._process
        assert process is not None and process.stdin is not None and process.stdout is not None
        try:
            _send(process.stdin, paths)
            answer = _receive(process.stdout)
        except BaseException:
            self.broken = True  # the process is gone or out of step: no more requests
            raise
        return {os.fsdecode(path): (name, LineCounts(*counts)) for path, name, counts in answer}

    def close(self) -> None:
        if self._thread is not None:
            self._thread.shutdown(wait=False, cancel_futures=True)
            self._thread = None
        if self._process is not None:
            process, self._process = self._process, None
            with contextlib.suppress(OSError):
                if process.stdin is not None:
                    process.stdin.close()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()


MAX_MESSAGE_BYTES = 1 << 30


def _send(stream: IO[bytes], value: object) -> None:
    write_frame(stream, msgspec.msgpack.encode(value))
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    try:
        payload = read_frame(stream, MAX_MESSAGE_BYTES)
    except CutFrame as error:
        raise EOFError(f"the engine's process ended mid-message ({error})") from None
    if payload is None:
        raise EOFError("the engine's process ended")
    return msgspec.msgpack.decode(payload)


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The engine's process: count each list of paths read from ``requests`` and answer
    ``[[path, language, [code, comment, blank]], ...]`` until ``requests`` ends."""
    while True:
        try:
            paths = _receive(requests)
        except EOFError:
            return
        counted = count_with_engine(os.fsdecode(path) for path in paths)
        _send(
            answers,
            [
                [os.fsencode(path), name, [counts.code, counts.comment, counts.blank]]
                for path, (name, counts) in counted.items()
            ],
        )


def count_physical(text: str) -> LineCounts:
    """Physical lines of a text the engine does not know: blank or code."""
    if not text:
        return LineCounts(0, 0, 0)
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    blank = sum(1 for line in lines if not line.strip())
    return LineCounts(len(lines) - blank, 0, blank)


def count_newlines(chunks: Iterable[bytes]) -> int:
    """Physical lines of a byte stream read in chunks (bounded memory)."""
    lines = 0
    last = b""
    for chunk in chunks:
        if chunk:
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last and last != b"\n":
        lines += 1
    return lines


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
