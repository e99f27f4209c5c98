"""What goes wrong when git is asked: one line each, never a traceback."""

from __future__ import annotations

__all__ = ["GitError", "GitMissing", "NotARepository"]


class GitError(Exception):
    """git could not answer, or was not run: one line saying why."""


class GitMissing(GitError):
    """git is not installed."""


class NotARepository(GitError):
    """No git repository holds the path."""
