"""Git as data: every git command repolens runs goes through here (see ``session``)."""

from .session import (
    DOCUMENTED_PROGRAM_KEYS,
    PROGRAM_KEYS,
    SAFETY_OVERRIDES,
    GitError,
    GitMissing,
    Guard,
    Location,
    NotARepository,
    Session,
    Stream,
    environment,
    git_output,
    locate,
    open_session,
    overrides,
)

__all__ = [
    "DOCUMENTED_PROGRAM_KEYS",
    "PROGRAM_KEYS",
    "SAFETY_OVERRIDES",
    "GitError",
    "GitMissing",
    "Guard",
    "Location",
    "NotARepository",
    "Session",
    "Stream",
    "environment",
    "git_output",
    "locate",
    "open_session",
    "overrides",
]
