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

from collections.abc import Iterable
from concurrent.futures import Future
from typing import Any

from pytokei import Config, Languages

from .records import LineCounts

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


def count_with_engine(paths: Iterable[str]) -> dict[str, tuple[str, LineCounts]]:
    """Count the given files with the engine: ``{path: (language, counts)}``.

    Only files whose language the engine recognises appear in the result; the
    engine counts exactly the paths given (hidden and git-ignored ones too).
    """
    todo = list(paths)
    if not todo:
        return {}
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
    """``count_with_engine`` in a process of its own, started on first use, so the scan's
    Python work (reading heads, records, reports) runs while the engine counts: the
    engine holds the interpreter's lock for as long as it counts.

    ``submit`` returns None when no process can be had (the caller counts in its own
    process then); a future that fails is the caller's to count again."""

    def __init__(self) -> None:
        self._pool: Any = None
        self.broken = False

    @property
    def started(self) -> bool:
        return self._pool is not None

    def submit(self, paths: list[str]) -> Future[dict[str, tuple[str, LineCounts]]] | None:
        if self.broken:
            return None
        try:
            if self._pool is None:
                import multiprocessing
                from concurrent.futures import ProcessPoolExecutor

                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(1, mp_context=context)
            return self._pool.submit(count_with_engine, paths)
        except Exception:  # no semaphores, no processes: count in the caller's process
            self.broken = True
            return None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


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
