"""The names notebooks import from here: output folders and atomic files, which live
on the ground floor (``core``) so that every floor can write safely."""

from ..core.atomic import AtomicFile, atomic_write, remove_stale_temporaries
from ..core.folders import OutputFolderError, prepare_output_folder

__all__ = [
    "AtomicFile",
    "OutputFolderError",
    "atomic_write",
    "prepare_output_folder",
    "remove_stale_temporaries",
]
