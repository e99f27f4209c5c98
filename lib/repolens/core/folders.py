"""The output folder: created and proved writable before any work is done, so that a
folder that cannot take the reports is one line at the start, not a failure at the end."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["OutputFolderError", "prepare_output_folder"]


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
