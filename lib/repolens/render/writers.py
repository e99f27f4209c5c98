"""The names notebooks import from here: output folders and atomic files, which live
on the ground floor (``core``) so that every floor can write safely."""

from ..core.atomic import (
    AtomicFile,
    OutputFolderError,
    atomic_write,
    prepare_output_folder,
    remove_stale_temporaries,
)

__all__ = [
    "AtomicFile",
    "OutputFolderError",
    "atomic_write",
    "prepare_output_folder",
    "remove_stale_temporaries",
]
