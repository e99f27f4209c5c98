"""Worker processes for a portfolio: ``jobs`` of them, each taking one task after another,
and all of them ended when the run is interrupted.

Each worker leads a process group of its own, so that whatever it starts (git) ends
with it, and ends with its parent on Linux (``PR_SET_PDEATHSIG``) should the parent be
killed outright. SIGINT and SIGTERM reach a worker as ``KeyboardInterrupt`` and end it
with exit 130 without a traceback. A worker that dies takes only its task with it (the
caller hears how it ended) and another takes its place. When the parent is interrupted
(Ctrl-C, SIGTERM turned into ``KeyboardInterrupt``, any exception), ``run_each``
signals every worker's group with SIGTERM, gives them ``STOP_GRACE_SECONDS`` to end,
kills what is left with SIGKILL, reaps every worker and raises again: no process
outlives the run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any, Generic, TypeVar

__all__ = ["EXIT_INTERRUPTED", "STOP_GRACE_SECONDS", "describe_exit", "run_each"]

T = TypeVar("T")
EXIT_INTERRUPTED = 130
STOP_GRACE_SECONDS = 5.0
_STOPPING = (signal.SIGINT, signal.SIGTERM)
_PR_SET_PDEATHSIG = 1


def describe_exit(code: int | None) -> str:
    """How a worker ended, in words: ``exit 3``, ``killed by SIGKILL``."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit {code}"


def _end_with_parent() -> None:
    """Ask Linux to send SIGTERM to this process when its parent ends (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # the parent ended before the request took effect
        os._exit(EXIT_INTERRUPTED)


def _serve(target: Callable[[Any], object], connection: Connection) -> None:
    """A worker's life: its own group, the stop signals as KeyboardInterrupt, then one
    task after another until the parent sends None or goes away."""
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    _end_with_parent()
    for number in _STOPPING:
        signal.signal(number, signal.default_int_handler)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPPING)  # held by the parent at fork
    try:
        while (task := connection.recv()) is not None:
            target(task)
            connection.send(True)
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    except (EOFError, OSError):  # the parent is gone: nobody to work for
        sys.exit(EXIT_INTERRUPTED)


@contextlib.contextmanager
def _held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block ends (a worker started inside is known by
    then). A no-op off the main thread, where the signals are not delivered anyway."""
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
    except (ValueError, OSError, AttributeError):
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextlib.contextmanager
def _ignored() -> Iterator[None]:
    """SIGINT and SIGTERM ignored while the workers are stopped (a second Ctrl-C must
    not leave them running); their handlers back afterwards."""
    saved = []
    try:
        for number in _STOPPING:
            saved.append((number, signal.signal(number, signal.SIG_IGN)))
    except ValueError:  # not the main thread: nothing to ignore
        pass
    try:
        yield
    finally:
        for number, handler in saved:
            signal.signal(number, handler)


@dataclass
class _Worker(Generic[T]):
    process: BaseProcess
    connection: Connection
    task: T | None = None


def _signal_group(process: BaseProcess, number: int) -> None:
    """Send ``number`` to the worker's process group (to the worker alone when it has no
    group yet); nothing when it is gone."""
    pid = process.pid
    if pid is None:
        return
    try:
        os.killpg(pid, number)
    except (ProcessLookupError, PermissionError):  # no such group (yet): the worker alone
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, number)


def _reap(worker: _Worker[Any]) -> int:
    """End what is left of an exited worker's group (not reaped yet, so its group id is
    not reused), reap it, and return its exit code."""
    _signal_group(worker.process, signal.SIGKILL)
    worker.process.join()
    worker.connection.close()
    code = worker.process.exitcode
    return 1 if code is None else code


def _end(workers: Sequence[_Worker[Any]], grace: float, terminate: bool) -> None:
    """Wait up to ``grace`` seconds for the workers to exit (after SIGTERM to every
    worker's group when ``terminate``), SIGKILL what is left, and reap them all."""
    with _ignored():
        if terminate:
            for worker in workers:
                _signal_group(worker.process, signal.SIGTERM)
        deadline = time.monotonic() + grace
        waiting = [worker.process.sentinel for worker in workers]
        while waiting and (left := deadline - time.monotonic()) > 0:
            for sentinel in wait(waiting, timeout=left):
                waiting.remove(sentinel)  # type: ignore[arg-type]
        for worker in workers:
            _reap(worker)


def _start(context: BaseContext, target: Callable[[T], object]) -> _Worker[T]:
    ours, theirs = context.Pipe()
    with _held():
        process = context.Process(target=_serve, args=(target, theirs))
        process.start()
        if process.pid is not None:  # the worker does it too: whichever is first, no race
            with contextlib.suppress(OSError):
                os.setpgid(process.pid, process.pid)
    theirs.close()
    return _Worker(process, ours)


def run_each(
    tasks: Sequence[T],
    jobs: int,
    context: BaseContext,
    target: Callable[[T], object],
    ended: Callable[[T, int], None],
    grace: float = STOP_GRACE_SECONDS,
) -> None:
    """Run ``target(task)`` for every task in ``jobs`` worker processes; call
    ``ended(task, code)`` in this process as each ends: 0 when ``target`` returned, else
    how its worker ended (a negative code: killed by that signal). On any exception
    here, every worker is ended first."""
    pending = deque(tasks)
    workers: list[_Worker[T]] = []
    try:
        while pending or any(worker.task is not None for worker in workers):
            while pending and len(workers) < jobs:
                worker = _start(context, target)
                workers.append(worker)
            for worker in workers:
                if worker.task is None and pending:
                    worker.task = pending.popleft()
                    with contextlib.suppress(OSError):  # a dead worker shows up below
                        worker.connection.send(worker.task)
            busy = {worker.connection: worker for worker in workers if worker.task is not None}
            for connection in wait(list(busy)):
                worker = busy[connection]  # type: ignore[index]
                task = worker.task
                worker.task = None
                try:
                    connection.recv()  # type: ignore[union-attr]
                except (EOFError, OSError):  # the worker died with its task
                    workers.remove(worker)
                    ended(task, _reap(worker) or 1)  # type: ignore[arg-type]
                    continue
                ended(task, 0)  # type: ignore[arg-type]
    except BaseException:
        _end(workers, grace, terminate=True)
        raise
    for worker in workers:  # every task done: the idle workers are told to end
        with contextlib.suppress(OSError):
            worker.connection.send(None)
    _end(workers, grace, terminate=False)
