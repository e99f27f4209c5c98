"""git's processes: each in a process group of its own, killed whole on a timeout or an
interruption; a one-shot command has a timeout (``run``), a stream a stall limit
(``start``: no output and no CPU time)."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import threading
import time
from typing import IO

from .errors import GitError

__all__ = ["STALL", "TIMEOUT", "Stream", "run", "start"]

TIMEOUT = 120.0  # seconds a one-shot command may take
STALL = 120.0  # seconds a stream may give nothing while git spends no CPU time
_ERROR_BYTES = 64 << 10  # of git's error output, kept for the message


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


def run(
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


def start(
    argv: list[str], env: dict[str, str], cwd: str, feed: bool, name: str, stall: float
) -> Stream:
    """``argv`` started, its output to read as it comes (``feed``: with a pipe to write
    its input into)."""
    stdin = subprocess.PIPE if feed else subprocess.DEVNULL
    return Stream(_spawn(argv, env, cwd, stdin), name, stall)
