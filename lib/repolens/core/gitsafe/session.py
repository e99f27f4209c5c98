"""A session: one repository as git sees it here, and every command run against its
stand-in git folder with the built environment and the overriding keys."""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref

from .errors import GitError, GitMissing, NotARepository
from .keys import environment, overrides
from .locate import Location, locate
from .process import STALL, TIMEOUT, Stream, run, start
from .standin import make_stand_in

__all__ = ["Session", "git_output", "open_session"]


class Session:
    """One repository as git sees it here: a stand-in git folder (a configuration
    written here, a copy of HEAD, links to the objects, refs, packed refs, shallow list
    and index), an empty home folder, and the command line and environment every
    command runs with. Close it (or use ``with``) to remove the stand-in."""

    def __init__(self, location: Location) -> None:
        git = shutil.which("git")
        if git is None:
            raise GitMissing("git is not installed")
        self.location = location
        self.git = git
        self._streams: list[Stream] = []
        try:
            self.folder = tempfile.mkdtemp(prefix="repolens-git-")
        except OSError as error:
            raise GitError(f"no temporary folder for git ({error.strerror or error})") from None
        # A session never closed is removed when it is collected, or at exit.
        self._remove = weakref.finalize(self, shutil.rmtree, self.folder, ignore_errors=True)
        try:
            self._build(location)
        except OSError as error:
            self._remove()
            raise GitError(
                f"{location.git_dir} cannot be read ({error.strerror or error}): git not run"
            ) from None
        except BaseException:
            self._remove()
            raise

    def _build(self, location: Location) -> None:
        stand_in = make_stand_in(self.folder, location)
        self.home, self.git_dir = stand_in.home, stand_in.git_dir
        self.config_names = list(stand_in.config_names)
        self.overrides = overrides(self.config_names)
        self.env = environment(self.home)
        self.env["GIT_DIR"] = self.git_dir
        if location.work_tree is not None:
            self.env["GIT_WORK_TREE"] = location.work_tree
        inside = location.work_tree is not None and (
            location.start == location.work_tree
            or location.start.startswith(location.work_tree.rstrip(os.sep) + os.sep)
        )
        self.cwd = location.start if inside else self.home

    def argv(self, args: tuple[str, ...] | list[str]) -> list[str]:
        return [
            self.git,
            "--no-pager",
            "--no-optional-locks",
            "--no-replace-objects",
            *self.overrides,
            *args,
        ]

    def run(self, *args: str, data: bytes | None = None, timeout: float = TIMEOUT) -> bytes:
        """What ``git ARGS`` prints; ``GitError`` (one line) when it fails or takes longer
        than ``timeout`` seconds."""
        return run(self.argv(args), self.env, self.cwd, data, timeout, args[0])

    def stream(self, *args: str, feed: bool = False, stall: float = STALL) -> Stream:
        """``git ARGS`` started, its output to read as it comes (``feed``: with a pipe
        to write its input into)."""
        stream = start(self.argv(args), self.env, self.cwd, feed, args[0], stall)
        self._streams = [item for item in self._streams if item.process.returncode is None]
        self._streams.append(stream)
        return stream

    def close(self) -> None:
        """End every stream still running (an interrupted reader may not have), and
        remove the stand-in."""
        for stream in self._streams:
            if stream.process.returncode is None:
                stream.close()
        self._streams = []
        self._remove()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_session(path: str) -> Session:
    """A ``Session`` for the repository holding ``path`` (``GitError`` when there is none
    git can be run on; ``GitMissing`` when git is not installed)."""
    return Session(locate(path))


def git_output(root: str, *args: str, problems: list[str] | None = None) -> bytes | None:
    """What ``git ARGS`` prints in the repository holding ``root`` (run in ``root``);
    None when git is missing, finds no repository, fails or takes too long, and then,
    unless git is missing or there is no repository, ``problems`` says why."""
    try:
        with open_session(root) as session:
            return session.run(*args)
    except (GitMissing, NotARepository):
        return None
    except GitError as error:
        if problems is not None:
            problems.append(str(error))
        return None
