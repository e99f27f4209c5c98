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

__all__ = ["OutputFolderError", "atomic_write", "prepare_output_folder", "remove_stale_temporaries"]


class OutputFolderError(ValueError):
    """The output folder is a file, cannot be created or cannot be written: one line."""


def prepare_output_folder(folder: Path) -> None:
    """Create ``folder`` and prove it writable, before any work is done."""
    if folder.exists() and not folder.is_dir():
        raise OutputFolderError(f"output folder {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputFolderError(f"cannot create output folder {folder}: {error.strerror}") from None
    try:
        descriptor, probe = tempfile.mkstemp(prefix=".repolens-probe-", dir=folder)
    except OSError as error:
        raise OutputFolderError(
            f"cannot write into output folder {folder}: {error.strerror}"
        ) from None
    os.close(descriptor)
    os.unlink(probe)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; rename it over ``path`` when the block succeeds."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write writes only, not mode {mode!r}")
    target = Path(path)
    if mode == "w":
        kwargs.setdefault("encoding", "utf-8")
        kwargs.setdefault("errors", "backslashreplace")
        kwargs.setdefault("newline", "")
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    try:
        with os.fdopen(descriptor, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


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
