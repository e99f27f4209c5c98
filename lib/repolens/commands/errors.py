"""The exit codes and the exceptions that map to them, in one place for the command line
and every command.

0 success; 1 an unexpected failure, or a report that could not be written after the
scan (``WriteFailed``); 2 bad arguments, settings or root, or an output folder that
cannot be written (``UsageError``, raised before any scan: nothing written); 3 the
report notebook failed in a cell; 4 ``repolens check`` found problems at or above
--fail-on; 5 ``repolens portfolio``: a repository failed, is missing or is stale;
130 interrupted (Ctrl-C); 143 ``repolens portfolio`` stopped by SIGTERM.
"""

from __future__ import annotations

import os

__all__ = [
    "EXIT_FAILURE",
    "EXIT_FINDINGS",
    "EXIT_INTERRUPTED",
    "EXIT_NOTEBOOK",
    "EXIT_OK",
    "EXIT_REPOSITORY_FAILED",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "UsageError",
    "WriteFailed",
    "write_failed",
]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_NOTEBOOK, EXIT_FINDINGS = 0, 1, 2, 3, 4
EXIT_REPOSITORY_FAILED = 5
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell and Kubernetes report a process it ended


class UsageError(Exception):
    """Bad arguments: exit 2 with one line."""


class WriteFailed(Exception):
    """A report could not be written after the scan (disk full, say): exit 1, one line."""


def write_failed(what: str, folder: str | os.PathLike[str], error: OSError) -> WriteFailed:
    """``WriteFailed``: cannot write WHAT (when said) into FOLDER, and the system's reason."""
    action = f"cannot write {what}" if what else "cannot write"
    return WriteFailed(f"{action} into {folder}: {error.strerror or error}")
