"""Atomic file writing: a report is either the old one or the whole new one.

The content goes to a temporary file in the destination's folder, is flushed
and synced, then renamed over the destination. A crash leaves at most a
stray ``.tmp`` file, never a half-written report; ``remove_stale_temporaries``
clears those on the next run. Text is written as UTF-8 with any lone surrogate
escaped (``\\udXXX``), so no string can make a write fail halfway.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

__all__ = ["AtomicFile", "atomic_write", "remove_stale_temporaries"]


class AtomicFile:
    """A temporary file beside ``path`` that becomes ``path`` on ``commit()``.

    For writers that stream into a file over a long run (the reports, the cache):
    ``discard()`` (or an exception in ``with``) leaves the destination untouched."""

    def __init__(self, path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> None:
        if mode not in ("w", "wb"):
            raise ValueError(f"atomic_write writes only, not mode {mode!r}")
        self.target = Path(path)
        if mode == "w":
            kwargs.setdefault("encoding", "utf-8")
            kwargs.setdefault("errors", "backslashreplace")
            kwargs.setdefault("newline", "")
        descriptor, self.temporary = tempfile.mkstemp(
            prefix=f".{self.target.name}.", suffix=".tmp", dir=self.target.parent
        )
        try:
            self.handle: IO[Any] = os.fdopen(descriptor, mode, **kwargs)
        except BaseException:
            os.close(descriptor)
            os.unlink(self.temporary)
            raise

    def commit(self) -> None:
        """Flush, sync and rename the temporary file over the destination."""
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()
            os.chmod(self.temporary, 0o666 & ~_umask())
            os.replace(self.temporary, self.target)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.handle.close()
        with contextlib.suppress(OSError):
            os.unlink(self.temporary)

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; rename it over ``path`` when the block succeeds."""
    with AtomicFile(path, mode, **kwargs) as file:
        yield file.handle


def remove_stale_temporaries(folder: Path, names: Sequence[str]) -> None:
    """Remove the ``.NAME.*.tmp`` files an interrupted ``atomic_write`` left in ``folder``."""
    try:
        listing = os.listdir(folder)
    except OSError:
        return
    prefixes = tuple(f".{name}." for name in names)
    for entry in listing:
        if entry.startswith(prefixes) and entry.endswith(".tmp"):
            with contextlib.suppress(OSError):
                os.unlink(folder / entry)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
