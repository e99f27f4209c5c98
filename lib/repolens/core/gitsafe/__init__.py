"""Git as data: every git command repolens runs goes through this package, so that
nothing a repository holds can make git run a program, wait for ever, or read a file
the repository points at.

A repository's own ``.git/config`` can name programs git runs (``core.fsmonitor`` when
the index is read, ``gpg.program`` when ``log.showSignature`` is on, hooks, filters,
diff drivers, pagers, credential helpers, ...) and can include other files. A copied
or unpacked repository carries that file (``git clone`` does not). Here:

1. git never reads the repository's configuration. Each command runs against a
   stand-in git folder (``Session``): a configuration written here (the format version
   and the extensions that say how objects and refs are stored, read from the
   repository's file as data), a copy of ``HEAD``, and links to the repository's
   objects, refs, packed refs, shallow list and index. Its hooks, ``include.path`` and
   ``includeIf`` files, ``info/`` files, ``config.worktree`` and promisor remotes are
   out of git's reach; the work tree is given explicitly, so ``core.worktree`` and a
   ``GIT_DIR`` in the user's environment redirect nothing.
2. The environment is built, not inherited (``environment``): ``PATH`` and ``TMPDIR``
   only, then no system or global configuration, an empty ``HOME``, no prompts, no
   pagers, no editors, no replace objects, no optional locks, no lazy fetch,
   ``LC_ALL=C``.
3. Every configuration key git's documentation says names a program (``PROGRAM_KEYS``)
   is overridden on the command line as well, with the keys that keep git to reading
   (``SAFETY_OVERRIDES``); a key with a ``<name>`` part is overridden once for each
   name the repository's configuration uses. git is only asked to read: no checkout,
   no textconv, no filters, no external diff, no signatures, no mailmap.
4. The files git will open are regular files (or absent) before it runs: a FIFO would
   block its ``open`` and a link to ``/dev/zero`` never ends. Each one-shot command
   has a timeout, each stream a stall limit (no output and no CPU time), and both run
   in a process group of their own, killed whole on timeout or interruption.

The package's modules, one concern each: ``keys`` (the table of program-running keys,
the overrides and the environment), ``locate`` (finding the repository), ``standin``
(the stand-in git folder), ``process`` (git's processes, timeouts and stalls) and
``session`` (the three together, for callers).
"""

from .errors import GitError, GitMissing, NotARepository
from .keys import (
    DOCUMENTED_PROGRAM_KEYS,
    PROGRAM_KEYS,
    SAFETY_OVERRIDES,
    Guard,
    environment,
    overrides,
)
from .locate import Location, locate
from .process import Stream
from .session import Session, git_output, open_session

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
