"""Asking git, when it is installed: one subprocess call, its output, or None."""

from __future__ import annotations

import shutil
import subprocess

__all__ = ["git_output"]


def git_output(root: str, *args: str, stdin: bytes | None = None) -> bytes | None:
    """What ``git -C root ARGS`` prints; None when git is missing, fails or takes too long."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        return subprocess.run(
            [git, "-C", root, *args],
            input=stdin,
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
