"""Git as data: every git command repolens runs goes through this module, so that
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
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import shutil
import signal
import stat as stat_module
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from .. import safeio

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

TIMEOUT = 120.0  # seconds a one-shot command may take
STALL = 120.0  # seconds a stream may give nothing while git spends no CPU time
_CONFIG_BYTES = 1 << 20  # a repository configuration larger than this is not read
_SMALL_BYTES = 64 << 10  # HEAD, commondir, a ".git" file
_REF_ENTRIES = 100_000  # loose refs checked before git runs; past that the limits guard
_ERROR_BYTES = 64 << 10  # of git's error output, kept for the message
_NULL = os.devnull
_DROPPED_EXTENSIONS = frozenset({"partialclone", "worktreeconfig"})  # fetches, more config


class GitError(Exception):
    """git could not answer, or was not run: one line saying why."""


class GitMissing(GitError):
    """git is not installed."""


class NotARepository(GitError):
    """No git repository holds the path."""


@dataclass(frozen=True, slots=True)
class Guard:
    """A configuration key git's documentation says names a program (as the
    documentation writes it), and what keeps it from running: ``value`` is given on
    git's command line (for a key with a ``<name>`` or ``*`` part, once for each name
    the repository's configuration uses); None when no value can stand in, and ``why``
    says what does."""

    key: str
    value: str | None
    why: str = ""


_NOT_RUN = "never run by repolens, which asks git only to read"
_STAND_IN = "the repository's configuration is never given to git (stand-in git folder)"

PROGRAM_KEYS: tuple[Guard, ...] = (
    Guard("core.fsmonitor", "false", "read with the index: a hook or the daemon"),
    Guard("core.hooksPath", _NULL, "a folder that holds no hook"),
    Guard("core.sshCommand", ""),
    Guard("core.askPass", ""),
    Guard("core.editor", ":", "git's own no-op editor"),
    Guard("core.pager", "cat", "git runs no pager for 'cat'"),
    Guard("core.gitProxy", "none", "the documented 'no proxy'"),
    Guard("core.alternateRefsCommand", ""),
    Guard("sequence.editor", ":"),
    Guard("pager.<cmd>", "false"),
    Guard("alias.*", None, "an alias runs only when asked for by its name; " + _NOT_RUN),
    Guard("alias.*.command", None, "as alias.*"),
    Guard("browser.<tool>.cmd", ""),
    Guard("browser.<tool>.path", ""),
    Guard("help.browser", ""),
    Guard("web.browser", ""),
    Guard("instaweb.browser", ""),
    Guard("instaweb.httpd", ""),
    Guard("man.viewer", ""),
    Guard("man.<tool>.cmd", ""),
    Guard("man.<tool>.path", ""),
    Guard("credential.helper", "", "an empty value clears the list of helpers"),
    Guard("credential.<url>.helper", ""),
    Guard("diff.external", ""),
    Guard("diff.<driver>.command", ""),
    Guard("diff.<driver>.textconv", ""),
    Guard("diff.tool", ""),
    Guard("diff.guitool", ""),
    Guard("difftool.<tool>.cmd", ""),
    Guard("difftool.<tool>.path", ""),
    Guard("merge.tool", ""),
    Guard("merge.guitool", ""),
    Guard("mergetool.<tool>.cmd", ""),
    Guard("mergetool.<tool>.path", ""),
    Guard("merge.<driver>.driver", ""),
    Guard("filter.<driver>.clean", ""),
    Guard("filter.<driver>.smudge", ""),
    Guard("filter.<driver>.process", ""),
    Guard("gpg.program", _NULL, "not a program: nothing can run"),
    Guard("gpg.openpgp.program", _NULL),
    Guard("gpg.x509.program", _NULL),
    Guard("gpg.ssh.program", _NULL),
    Guard("gpg.<format>.program", _NULL),
    Guard("gpg.ssh.defaultKeyCommand", ""),
    Guard("log.showSignature", "false", "signatures would be checked by gpg.program"),
    Guard("merge.verifySignatures", "false"),
    Guard("gc.auto", "0", "no automatic gc (and no pre-auto-gc hook)"),
    Guard("gc.recentObjectsHook", ""),
    Guard("maintenance.auto", "false"),
    Guard("guitool.<name>.cmd", ""),
    Guard("hook.<friendly-name>.command", ""),
    Guard("hook.<friendly-name>.event", "", "an empty value clears the hook's events"),
    Guard("imap.tunnel", ""),
    Guard("interactive.diffFilter", ""),
    Guard("protocol.allow", "never", "no transport at all"),
    Guard("protocol.<name>.allow", "never"),
    Guard("protocol.ext.allow", "never"),
    Guard("protocol.file.allow", "never"),
    Guard("receive.procReceiveRefs", ""),
    Guard("remote.<name>.uploadpack", ""),
    Guard("remote.<name>.receivepack", ""),
    Guard("remote.<name>.vcs", ""),
    Guard("remote.<name>.proxy", ""),
    Guard("http.proxy", ""),
    Guard("url.<base>.insteadOf", None, "rewrites addresses only, and no transport is allowed"),
    Guard("sendemail.sendmailCmd", ""),
    Guard("sendemail.smtpServer", ""),
    Guard("sendemail.toCmd", ""),
    Guard("sendemail.ccCmd", ""),
    Guard("sendemail.headerCmd", ""),
    Guard("sendemail.<identity>.<config>", None, "git send-email is " + _NOT_RUN),
    Guard("submodule.<name>.update", "none"),
    Guard("tar.<format>.command", ""),
    Guard("trailer.<key-alias>.cmd", ""),
    Guard("trailer.<key-alias>.command", ""),
    Guard("uploadpack.packObjectsHook", ""),
    Guard("include.path", None, _STAND_IN + ", so it includes nothing"),
    Guard("includeIf.<condition>.path", None, _STAND_IN + ", so it includes nothing"),
)
"""Every key of ``DOCUMENTED_PROGRAM_KEYS``, and a few more that reach a program only
through another (a transport, a signature check), with what keeps it from running."""

DOCUMENTED_PROGRAM_KEYS: frozenset[str] = frozenset(
    {
        # git-config(1) of git 2.39 and of git's documentation to 2.5x: each names a
        # program, a shell command, a hook, a helper, a pager, an editor or a browser
        "alias.*",
        "alias.*.command",
        "browser.<tool>.cmd",
        "browser.<tool>.path",
        "core.alternateRefsCommand",
        "core.askPass",
        "core.editor",
        "core.fsmonitor",
        "core.gitProxy",
        "core.hooksPath",
        "core.pager",
        "core.sshCommand",
        "credential.helper",
        "credential.<url>.helper",
        "diff.<driver>.command",
        "diff.<driver>.textconv",
        "diff.external",
        "diff.guitool",
        "diff.tool",
        "difftool.<tool>.cmd",
        "difftool.<tool>.path",
        "filter.<driver>.clean",
        "filter.<driver>.process",
        "filter.<driver>.smudge",
        "gc.recentObjectsHook",
        "gpg.<format>.program",
        "gpg.program",
        "gpg.ssh.defaultKeyCommand",
        "guitool.<name>.cmd",
        "help.browser",
        "hook.<friendly-name>.command",
        "hook.<friendly-name>.event",
        "imap.tunnel",
        "include.path",
        "includeIf.<condition>.path",
        "instaweb.browser",
        "instaweb.httpd",
        "interactive.diffFilter",
        "man.<tool>.cmd",
        "man.<tool>.path",
        "man.viewer",
        "merge.<driver>.driver",
        "merge.guitool",
        "merge.tool",
        "mergetool.<tool>.cmd",
        "mergetool.<tool>.path",
        "pager.<cmd>",
        "protocol.<name>.allow",
        "protocol.allow",
        "receive.procReceiveRefs",
        "remote.<name>.proxy",
        "remote.<name>.receivepack",
        "remote.<name>.uploadpack",
        "remote.<name>.vcs",
        "sendemail.<identity>.<config>",
        "sendemail.ccCmd",
        "sendemail.headerCmd",
        "sendemail.sendmailCmd",
        "sendemail.smtpServer",
        "sendemail.toCmd",
        "sequence.editor",
        "submodule.<name>.update",
        "tar.<format>.command",
        "trailer.<key-alias>.cmd",
        "trailer.<key-alias>.command",
        "uploadpack.packObjectsHook",
        "url.<base>.insteadOf",
        "web.browser",
        "http.proxy",
    }
)

SAFETY_OVERRIDES: tuple[tuple[str, str], ...] = (
    # Not programs, but what keeps git to reading, and reading what the repository
    # records: no files named by configuration, no rewriting of what is shown.
    ("core.attributesFile", _NULL),
    ("core.excludesFile", _NULL),
    ("core.untrackedCache", "false"),
    ("core.useReplaceRefs", "false"),
    ("feature.manyFiles", "false"),
    ("gc.autoDetach", "false"),
    ("submodule.recurse", "false"),
    ("log.mailmap", "false"),
    ("mailmap.file", _NULL),
    ("mailmap.blob", ""),
    ("log.follow", "false"),
    ("diff.relative", "false"),
    ("diff.orderFile", _NULL),
    ("i18n.logOutputEncoding", "UTF-8"),
    ("color.ui", "never"),
    ("fetch.writeCommitGraph", "false"),
)


def _wildcard(key: str) -> re.Pattern[str] | None:
    """The names a key with a ``<name>`` or ``*`` part stands for, as a pattern of the
    names git lists (section and variable in lower case); None for a plain key."""
    parts = re.split(r"(<[^>]+>|\*)", key)
    if len(parts) == 1:
        return None
    pattern = "".join("(.+)" if index % 2 else re.escape(part) for index, part in enumerate(parts))
    return re.compile(pattern, re.IGNORECASE | re.DOTALL)


_WILDCARDS = tuple(
    (pattern, guard.value)
    for guard in PROGRAM_KEYS
    if guard.value is not None and (pattern := _wildcard(guard.key)) is not None
)


def overrides(names: Iterable[str] = ()) -> list[str]:
    """git's ``-c`` arguments: every plain key of ``PROGRAM_KEYS`` and
    ``SAFETY_OVERRIDES``, then each of ``names`` (keys the repository's configuration
    sets) that a key with a ``<name>`` part stands for. A name git could not take on
    its command line (holding ``=``, a newline or NUL) is left out: git never reads the
    repository's configuration anyway."""
    pairs = [(guard.key, guard.value) for guard in PROGRAM_KEYS if guard.value is not None]
    pairs = [(key, value) for key, value in pairs if _wildcard(key) is None]
    pairs += SAFETY_OVERRIDES
    seen = {key.lower() for key, _value in pairs}
    for name in names:
        if any(char in name for char in "=\n\0") or name.lower() in seen:
            continue
        for pattern, value in _WILDCARDS:
            if value is not None and pattern.fullmatch(name):
                pairs.append((name, value))
                seen.add(name.lower())
                break
    out: list[str] = []
    for key, value in pairs:
        out += ["-c", f"{key}={value}"]
    return out


def environment(home: str) -> dict[str, str]:
    """The environment git runs in: built, not inherited (``PATH`` and ``TMPDIR`` are
    kept), with ``home`` an empty folder for ``HOME`` and ``XDG_CONFIG_HOME``."""
    env = {
        name: os.environ[name] for name in ("PATH", "TMPDIR", "SYSTEMROOT") if name in os.environ
    }
    env.update(
        {
            "HOME": home,
            "XDG_CONFIG_HOME": home,
            "LC_ALL": "C",
            "LANG": "C",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_SYSTEM": _NULL,
            "GIT_CONFIG_GLOBAL": _NULL,
            "GIT_ATTR_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ASKPASS": "",
            "SSH_ASKPASS": "",
            "GIT_PAGER": "cat",
            "PAGER": "cat",
            "GIT_EDITOR": ":",
            "EDITOR": ":",
            "VISUAL": ":",
            "GIT_NO_REPLACE_OBJECTS": "1",
            "GIT_OPTIONAL_LOCKS": "0",
            "GIT_NO_LAZY_FETCH": "1",
            "GIT_PROTOCOL_FROM_USER": "0",
            "GIT_ALLOW_PROTOCOL": "",
        }
    )
    return env


@dataclass(frozen=True, slots=True)
class Location:
    """Where a repository's parts are, found by reading the folders as data."""

    git_dir: str  # absolute, links resolved
    common_dir: str  # where its objects and refs are: the git dir, or what commondir names
    work_tree: str | None  # None: a bare repository
    start: str  # the folder asked about, links resolved


def _is_directory(path: str) -> bool:
    try:
        return stat_module.S_ISDIR(os.stat(path).st_mode)
    except OSError:
        return False


def _common_dir(folder: str) -> str | None:
    """The folder holding a git dir's objects and refs, when ``folder`` is a git dir:
    a ``HEAD`` (file or link), and ``objects`` and ``refs`` folders (in the folder its
    ``commondir`` names, for a linked work tree's)."""
    try:
        head = os.lstat(os.path.join(folder, "HEAD")).st_mode
    except OSError:
        return None
    if not (stat_module.S_ISREG(head) or stat_module.S_ISLNK(head)):
        return None
    common = folder
    try:
        named = safeio.read_small_file(os.path.join(folder, "commondir"), _SMALL_BYTES)
    except FileNotFoundError:
        pass
    except OSError:
        return None
    else:
        text = os.fsdecode(named).strip()
        common = os.path.realpath(os.path.join(folder, text))
    if _is_directory(os.path.join(common, "objects")) and _is_directory(
        os.path.join(common, "refs")
    ):
        return common
    return None


def _git_file(path: str) -> str | None:
    """The folder a ``.git`` file names (``gitdir: PATH``), resolved; None when it names none."""
    try:
        text = os.fsdecode(safeio.read_small_file(path, _SMALL_BYTES))
    except OSError:
        return None
    if not text.startswith("gitdir:"):
        return None
    target = text[len("gitdir:") :].strip()
    return os.path.realpath(os.path.join(os.path.dirname(path), target)) if target else None


def locate(path: str) -> Location:
    """The repository holding ``path``: the nearest folder at or above it with a ``.git``
    folder or ``.git`` file (a work tree), or that is a git folder itself (a bare
    repository). A ``.git`` that is a symbolic link is not followed. ``NotARepository``
    when there is none, or when ``path`` is inside a work tree's git folder."""
    start = os.path.realpath(path)
    current = start
    while True:
        dot = os.path.join(current, ".git")
        try:
            mode = os.lstat(dot).st_mode
        except OSError:
            mode = 0
        git_dir = None
        if stat_module.S_ISDIR(mode):
            git_dir = dot
        elif stat_module.S_ISREG(mode):
            git_dir = _git_file(dot)
        if git_dir is not None and (common := _common_dir(git_dir)) is not None:
            return Location(os.path.realpath(git_dir), common, current, start)
        if (common := _common_dir(current)) is not None:
            inside = current != start or os.path.basename(current) == ".git"
            if inside:
                raise NotARepository(f"{path}: inside git's own folder, not a work tree")
            return Location(current, common, None, start)
        parent = os.path.dirname(current)
        if parent == current:
            raise NotARepository(f"{path}: not a git repository")
        current = parent


def _regular_or_absent(path: str, shown: str) -> bool:
    """Whether ``path`` exists (as a regular file, links followed); ``GitError`` when it
    is anything else, which git would open and wait on or read for ever."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return False
    except OSError as error:
        raise GitError(f"{shown} cannot be read ({error.strerror}): git not run") from None
    if not stat_module.S_ISREG(mode):
        raise GitError(f"{shown}: {safeio.NotRegularFile(mode).strerror}: git not run")
    return True


def _check_folder(folder: str, shown: str, limit: int) -> None:
    """Every entry below ``folder`` is a folder or a regular file (at most ``limit``
    entries are looked at)."""
    seen = 0
    pending = [folder]
    while pending and seen < limit:
        current = pending.pop()
        try:
            entries = list(os.scandir(current))
        except FileNotFoundError:
            continue
        except OSError as error:
            raise GitError(f"{shown} cannot be listed ({error.strerror}): git not run") from None
        for entry in entries:
            seen += 1
            if entry.is_dir(follow_symlinks=False):
                pending.append(entry.path)
            else:
                _regular_or_absent(entry.path, f"{shown}/{os.path.relpath(entry.path, folder)}")


def _read_config(data: bytes, session_folder: str, home: str) -> list[tuple[str, str | None]]:
    """The entries of a configuration file's text as git parses it (no includes), run
    where no repository can be found."""
    git = shutil.which("git")
    if git is None:
        raise GitMissing("git is not installed")
    env = environment(home)
    env["GIT_CEILING_DIRECTORIES"] = session_folder
    out = _communicate(
        [git, "--no-pager", "config", "--no-includes", "--file", "-", "--list", "-z"],
        env,
        home,
        data,
        TIMEOUT,
        "config",
    )
    entries: list[tuple[str, str | None]] = []
    for item in out.split(b"\0"):
        if item:
            key, newline, value = os.fsdecode(item).partition("\n")
            entries.append((key, value if newline else None))
    return entries


_TOKEN = re.compile(r"[A-Za-z0-9._-]{1,64}")


def _stand_in_config(entries: list[tuple[str, str | None]], bare: bool) -> str:
    """The configuration of the stand-in git folder: the repository's format version and
    extensions (but those that fetch or read more configuration), and ``core.bare``."""
    version = "0"
    extensions: dict[str, str] = {}
    for key, value in entries:
        lowered = key.lower()
        if lowered == "core.repositoryformatversion":
            if value is None or not value.strip().isdigit() or len(value) > 9:
                raise GitError(f"core.repositoryformatversion {value!r} is not a number")
            version = value.strip()
        elif lowered.startswith("extensions.") and value is not None:
            name = lowered[len("extensions.") :]
            if name in _DROPPED_EXTENSIONS:
                continue
            if not (_TOKEN.fullmatch(name) and _TOKEN.fullmatch(value.strip())):
                raise GitError(f"extensions.{name[:40]!r} cannot be read")
            extensions[name] = value.strip()
    lines = [
        "[core]",
        f"\trepositoryformatversion = {version}",
        f"\tbare = {'true' if bare else 'false'}",
    ]
    if extensions:
        lines.append("[extensions]")
        lines += [f"\t{name} = {value}" for name, value in sorted(extensions.items())]
    return "\n".join(lines) + "\n"


def _head(git_dir: str) -> bytes:
    """What ``HEAD`` says, to copy: a symbolic ref or an object id."""
    path = os.path.join(git_dir, "HEAD")
    if os.path.islink(path):
        target = os.readlink(path)
        if not target.startswith("refs/") or "\n" in target:
            raise GitError("HEAD is a link outside refs/: git not run")
        return f"ref: {target}\n".encode()
    try:
        data = safeio.read_small_file(path, _SMALL_BYTES)
    except OSError as error:
        raise GitError(f"HEAD cannot be read ({error.strerror or error}): git not run") from None
    if not re.fullmatch(rb"(ref: refs/[^\0\n]+|[0-9a-f]{40}|[0-9a-f]{64})\s*", data):
        raise GitError("HEAD is not a ref or an object id: git not run")
    return data


def _kill(process: subprocess.Popen[bytes]) -> None:
    """End a git process and whatever it started (its own process group), and reap it."""
    if process.poll() is None:
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        process.kill()
    process.wait()


def _spawn(argv: list[str], env: dict[str, str], cwd: str, stdin: int) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: killed whole
            close_fds=True,
        )
    except OSError as error:
        raise GitError(f"git could not be started: {error.strerror or error}") from None


def _communicate(
    argv: list[str], env: dict[str, str], cwd: str, data: bytes | None, timeout: float, name: str
) -> bytes:
    process = _spawn(argv, env, cwd, subprocess.PIPE if data is not None else subprocess.DEVNULL)
    try:
        out, err = process.communicate(data, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(process)
        raise GitError(f"git {name} took longer than {timeout:.0f} s: stopped") from None
    except BaseException:
        _kill(process)
        raise
    if process.returncode != 0:
        raise GitError(f"git {name} failed: {_first_line(err)}")
    return out


def _first_line(error: bytes) -> str:
    """The first line git wrote to its error output, shortened."""
    lines = error.decode("utf-8", "replace").strip().splitlines()
    return lines[0][:300] if lines else "no message"


def _cpu_ticks(pid: int) -> int | None:
    """CPU time a process has used so far (clock ticks); None where /proc cannot say."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


class Stream:
    """A git command whose output is read as it comes. A read that waits longer than
    ``stall`` seconds while git spends no CPU time ends the command (a FIFO or a device
    among the objects blocks git for ever): the stream then ends, and ``close`` says
    why. git's error output is drained as it comes, so git never waits on it."""

    _BLOCK = 1 << 20

    def __init__(self, process: subprocess.Popen[bytes], name: str, stall: float) -> None:
        self.process = process
        self.name = name
        self.stall = stall
        self.stalled = False
        assert process.stdout is not None and process.stderr is not None
        self._fd = process.stdout.fileno()
        self._buffer = bytearray()
        self._start = 0
        self._ended = False
        self._errors = bytearray()
        self._drain = threading.Thread(target=self._read_errors, args=(process.stderr,))
        self._drain.daemon = True
        self._drain.start()

    @property
    def stdin(self) -> IO[bytes] | None:
        return self.process.stdin

    def _read_errors(self, handle: IO[bytes]) -> None:
        with contextlib.suppress(OSError, ValueError):
            while block := handle.read1(1 << 16):  # type: ignore[attr-defined]
                if len(self._errors) < _ERROR_BYTES:
                    self._errors += block[: _ERROR_BYTES - len(self._errors)]

    def _fill(self, wanted: int) -> bool:
        """Read more of git's output into the buffer; False at its end."""
        if self._ended:
            return False
        if self._start and self._start >= len(self._buffer) // 2:
            del self._buffer[: self._start]
            self._start = 0
        waited = time.monotonic()
        ticks: int | None = None  # git's CPU time, first read when git keeps us waiting
        while True:
            ready, _, _ = select.select([self._fd], [], [], 1.0)
            if ready:
                block = os.read(self._fd, max(wanted, 1 << 16))
                if not block:
                    self._ended = True
                    return False
                self._buffer += block
                return True
            now = _cpu_ticks(self.process.pid)
            if now is not None and now != ticks:
                ticks, waited = now, time.monotonic()
            elif time.monotonic() - waited > self.stall:
                self.stalled = True
                self._ended = True
                _kill(self.process)
                return False

    def _take(self, size: int) -> bytes:
        end = min(self._start + size, len(self._buffer))
        with memoryview(self._buffer) as view:
            out = bytes(view[self._start : end])
        self._start = end
        return out

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes (fewer only at the end of the output)."""
        while len(self._buffer) - self._start < size and self._fill(size):
            pass
        return self._take(size)

    def read1(self, size: int) -> bytes:
        """Whatever is there, up to ``size`` bytes; b"" only at the end."""
        if self._start >= len(self._buffer) and not self._fill(size):
            return b""
        return self._take(size)

    def readline(self, limit: int = 4096) -> bytes:
        """One line, with its newline (at most ``limit`` bytes; b"" at the end)."""
        searched = 0  # bytes after the start known to hold no newline (_fill may move it)
        while True:
            start = self._start
            found = self._buffer.find(b"\n", start + searched, start + limit)
            if found >= 0:
                return self.read(found + 1 - start)
            searched = len(self._buffer) - start
            if searched >= limit or not self._fill(limit):
                return self.read(limit)

    def error(self) -> str:
        """What went wrong, in one line: a stall, or git's first error line."""
        if self.stalled:
            return f"git {self.name} gave nothing for {self.stall:.0f} s: stopped"
        return f"git {self.name} failed: {_first_line(bytes(self._errors))}"

    def close(self) -> int:
        """End the command (killing it when it still runs) and give its exit code."""
        process = self.process
        # git's output first: a git blocked writing then stops on a broken pipe, which
        # frees a thread blocked writing its input, so closing that cannot wait on it.
        for pipe in (process.stdout, process.stdin):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        try:
            process.wait(timeout=10 if not self._ended else 1)
        except subprocess.TimeoutExpired:
            _kill(process)
        self._drain.join(timeout=10)
        if process.stderr is not None:
            with contextlib.suppress(OSError):
                process.stderr.close()
        return process.returncode


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
        git_dir, common = location.git_dir, location.common_dir
        self.home = os.path.join(self.folder, "home")
        self.git_dir = os.path.join(self.folder, "git")
        os.mkdir(self.home)
        os.mkdir(self.git_dir)
        config_path = os.path.join(common, "config")
        try:
            config = safeio.read_small_file(config_path, _CONFIG_BYTES)
        except FileNotFoundError:
            config = b""
        except OSError as error:
            raise GitError(
                f"the repository's config cannot be read ({error.strerror or error}): git not run"
            ) from None
        try:
            entries = _read_config(config, self.folder, self.home)
        except GitMissing:
            raise
        except GitError as error:
            raise GitError(f"the repository's config: {error}") from None
        self.config_names = [key for key, _value in entries]
        with open(os.path.join(self.git_dir, "config"), "w", encoding="utf-8") as handle:
            handle.write(_stand_in_config(entries, location.work_tree is None))
        with open(os.path.join(self.git_dir, "HEAD"), "wb") as handle:
            handle.write(_head(git_dir))
        links = [
            (os.path.join(common, "objects"), "objects"),
            (os.path.join(common, "refs"), "refs"),
        ]
        for name in ("packed-refs", "shallow"):
            if _regular_or_absent(os.path.join(common, name), name):
                links.append((os.path.join(common, name), name))
        if _regular_or_absent(os.path.join(git_dir, "index"), "the index"):
            links.append((os.path.join(git_dir, "index"), "index"))
        with os.scandir(git_dir) as entries_of_git_dir:
            for entry in entries_of_git_dir:
                if entry.name.startswith("sharedindex.") and _regular_or_absent(
                    entry.path, entry.name
                ):
                    links.append((entry.path, entry.name))
        if _is_directory(os.path.join(common, "reftable")):
            links.append((os.path.join(common, "reftable"), "reftable"))
        objects = os.path.join(common, "objects")
        _regular_or_absent(os.path.join(objects, "info", "alternates"), "objects/info/alternates")
        _check_folder(os.path.join(objects, "pack"), "objects/pack", _REF_ENTRIES)
        _check_folder(os.path.join(objects, "info"), "objects/info", _REF_ENTRIES)
        _check_folder(os.path.join(common, "refs"), "refs", _REF_ENTRIES)
        for target, name in links:
            os.symlink(target, os.path.join(self.git_dir, name))
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
        return _communicate(self.argv(args), self.env, self.cwd, data, timeout, args[0])

    def stream(self, *args: str, feed: bool = False, stall: float = STALL) -> Stream:
        """``git ARGS`` started, its output to read as it comes (``feed``: with a pipe
        to write its input into)."""
        stdin = subprocess.PIPE if feed else subprocess.DEVNULL
        stream = Stream(_spawn(self.argv(args), self.env, self.cwd, stdin), args[0], stall)
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
