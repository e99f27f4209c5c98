"""An unexpected failure in one line: its type and message, and where its traceback went
(a file named in the line, or standard error with ``REPOLENS_DEBUG`` set), so that no
caller shows a traceback and every failure still leaves what a bug report needs."""

from __future__ import annotations

import os
import sys
import tempfile
import traceback

from .printable import printable

__all__ = ["failure_line", "one_line", "save_traceback"]


def one_line(error: BaseException) -> str:
    """``Type: message`` with the message's white space folded, at most 300 characters."""
    text = " ".join(str(error).split())[:300]
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def save_traceback() -> str:
    """Write the traceback being handled to a file for a bug report; say where, or print
    it when ``REPOLENS_DEBUG`` is set or no file can be written."""
    details = "".join(f"{printable(line)}\n" for line in traceback.format_exc().splitlines())
    if os.environ.get("REPOLENS_DEBUG"):
        print(details, file=sys.stderr, end="")
        return ""
    try:
        descriptor, path = tempfile.mkstemp(prefix="repolens-traceback-", suffix=".txt")
        with os.fdopen(descriptor, "w", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(details)
    except OSError:
        print(details, file=sys.stderr, end="")
        return ""
    return f" (details for a bug report: {path})"


def failure_line(error: BaseException) -> str:
    """``unexpected failure: Type: message (details for a bug report: FILE)``, printable;
    call it while ``error`` is being handled."""
    return f"unexpected failure: {printable(one_line(error))}{save_traceback()}"
