"""One notebook through the sandbox: start the runner, follow its lines, stop it past its
time or its output cap, and make an ``Execution`` of what came back.

Everything the runner sends is untrusted (the notebook's code shares its user): the
channel is read up to ``Settings.notebook_cap`` plus a margin and parsed line by line;
the executed notebook is written to ``DIR/notebooks/<path>`` and read back through the
safe reader with the same cap. Past ``notebook_timeout`` plus a grace the sandbox is
killed (its process group; a container by name), and the cells the runner had reported
keep their states.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..core import safeio
from ..core.atomic import atomic_write
from .environment import Environment
from .model import CellError, CellRun, CellState, Execution, ExecutionState
from .sandbox import Limits, Plan, command_line, kill_command

__all__ = [
    "RUNNER",
    "Settings",
    "execute_notebook",
    "kernel_for",
    "repository_bytes",
]

RUNNER = str(Path(__file__).with_name("runner.py"))
MARGIN = 4 << 20  # channel bytes beyond the notebook's cap (events, cell states)
STDERR_KEPT = 16 << 10
Event = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class Settings:
    cell_timeout: float = 600.0
    notebook_timeout: float = 3600.0
    output_cap: int = 1 << 20  # bytes of outputs per cell
    notebook_cap: int = 64 << 20  # bytes of the executed notebook
    grace: float = 20.0  # the runner's own deadline comes first; the kill after this
    limits: Limits = field(default_factory=Limits)


def kernel_for(metadata: Any) -> tuple[str, str]:
    """The kernel to run a notebook with, from its metadata: ("python3", "") for a Python
    notebook (whatever its kernelspec's name: the environment's kernel is the one that
    exists), ("", why) for another language."""
    metadata = metadata if isinstance(metadata, dict) else {}
    spec = metadata.get("kernelspec") if isinstance(metadata.get("kernelspec"), dict) else {}
    info = metadata.get("language_info")
    language = str(spec.get("language") or (info or {}).get("name") or "").lower()
    name = str(spec.get("name") or "")
    if language in ("", "python", "python3") and (language or not name or "py" in name.lower()):
        return "python3", ""
    return "", f"kernel not available: {name or 'unnamed'} ({language or 'unknown language'})"


def repository_bytes(root: str) -> int:
    """Bytes the scratch copy takes (regular files, .git left out, as the runner copies)."""
    total = 0
    for folder, folders, files in os.walk(root):
        folders[:] = [name for name in folders if name != ".git"]
        for name in files:
            try:
                st = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            total += st.st_size if (st.st_mode & 0o170000) == 0o100000 else 0
    return total


class _Channel:
    """Reads the runner's lines, at most ``cap`` bytes in all."""

    def __init__(self, stream: Any, cap: int, on_event: Event) -> None:
        self.stream, self.cap, self.on_event = stream, cap, on_event
        self.done: dict[str, Any] | None = None
        self.cells: dict[int, dict[str, Any]] = {}
        self.running: int | None = None
        self.over = False
        self.read = 0
        self.thread = threading.Thread(target=self._follow, daemon=True)
        self.thread.start()

    def _follow(self) -> None:
        while True:
            line = self.stream.readline(self.cap - self.read + 1)
            if not line:
                return
            self.read += len(line)
            if self.read > self.cap:
                self.over = True
                return
            try:
                event = json.loads(line)
            except (ValueError, RecursionError):
                continue
            if not isinstance(event, dict):
                continue
            kind = event.get("event")
            if kind == "done":
                self.done = event
            elif kind == "cell" and isinstance(event.get("index"), int):
                if event.get("state") == "running":
                    self.running = event["index"]
                else:
                    self.cells[event["index"]] = event
                    self.running = None
            self.on_event(str(kind), event)


def _drain(stream: Any, kept: deque[bytes]) -> None:
    size = 0
    while True:
        chunk = stream.read(65536)
        if not chunk:
            return
        kept.append(chunk)
        size += len(chunk)
        while size > STDERR_KEPT and len(kept) > 1:
            size -= len(kept.popleft())


def _cell(entry: dict[str, Any]) -> CellRun:
    try:
        state = CellState(str(entry.get("state")))
    except ValueError:
        state = CellState.FAILED
    error = entry.get("error") if isinstance(entry.get("error"), dict) else None
    seconds = entry.get("seconds")
    return CellRun(
        int(entry["index"]),
        state,
        float(seconds) if isinstance(seconds, int | float) else None,
        CellError(
            str(error.get("name", ""))[:200],
            str(error.get("value", ""))[:2000],
            str(error.get("traceback", ""))[:4000],
        )
        if error
        else None,
    )


def _cells_after_kill(channel: _Channel, code_cells: tuple[int, ...]) -> tuple[CellRun, ...]:
    cells = []
    stopped = False
    for index in code_cells:
        if index in channel.cells and not stopped:
            cells.append(_cell(channel.cells[index]))
        elif index == channel.running and not stopped:
            cells.append(CellRun(index, CellState.TIMED_OUT))
            stopped = True
        else:
            cells.append(CellRun(index, CellState.NOT_REACHED))
            stopped = True
    return tuple(cells)


_INTERRUPTED = "the rerun was interrupted"


def _kill(process: subprocess.Popen[bytes], kind: str, plan: Plan) -> None:
    stop = kill_command(kind, plan)
    if stop is not None:
        subprocess.run(stop, capture_output=True, check=False, timeout=60)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _keep_notebook(document: Any, target: Path, cap: int) -> dict[str, Any] | None:
    """Write the executed notebook under DIR/notebooks and read it back, capped."""
    if not isinstance(document, dict):
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(target, "w", encoding="utf-8") as out:
        json.dump(document, out, indent=1, ensure_ascii=False)
        out.write("\n")
    try:
        fresh = json.loads(safeio.read_small_file(str(target), cap + MARGIN))
    except (OSError, ValueError, RecursionError):
        return None
    return fresh if isinstance(fresh, dict) else None


def execute_notebook(
    root: str,
    path: str,
    code_cells: tuple[int, ...],
    kernel: str,
    environment: Environment,
    sandbox: str,
    settings: Settings,
    keep: Path | None,
    slot: int = 0,
    on_event: Event | None = None,
    stop: threading.Event | None = None,
) -> Execution:
    """Run ``path`` (relative to ``root``) in ``sandbox``; ``keep`` is where the executed
    notebook goes (None: not kept). Never raises for what the notebook does. When ``stop``
    is set (the rerun was interrupted) the sandbox is killed and the notebook is not run;
    an interrupt in this thread kills the sandbox before it goes on up."""
    from .sandbox import sandbox_uid

    if stop is not None and stop.is_set():
        return Execution(path, ExecutionState.NOT_RUN, reason=_INTERRUPTED)

    events = on_event or (lambda kind, event: None)
    scratch = tempfile.mkdtemp(prefix="repolens-rerun-") if sandbox == "none" else ""
    plan = Plan(
        repository=root,
        python=environment.python,
        folders=environment.folders,
        runner=RUNNER,
        config={
            "notebook": path,
            "kernel": kernel,
            "cell_timeout": settings.cell_timeout,
            "notebook_timeout": settings.notebook_timeout,
            "output_cap": settings.output_cap,
            "notebook_cap": settings.notebook_cap,
            "skip": [".git"],
        },
        scratch=scratch,
        uid=sandbox_uid(slot),
        repository_bytes=repository_bytes(root) if sandbox != "none" else 0,
        limits=settings.limits,
        name=f"repolens-rerun-{os.getpid()}-{slot}-{time.monotonic_ns()}",
    )
    started = time.monotonic()
    try:
        line, env = command_line(sandbox, plan)
        process = subprocess.Popen(
            line,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=scratch or "/",
            start_new_session=True,
        )
    except (OSError, subprocess.SubprocessError) as error:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
        return Execution(path, ExecutionState.NOT_RUN, reason=f"the sandbox did not start: {error}")
    channel = _Channel(process.stdout, settings.notebook_cap + MARGIN, events)
    kept: deque[bytes] = deque()
    drain = threading.Thread(target=_drain, args=(process.stderr, kept), daemon=True)
    drain.start()
    deadline = started + settings.notebook_timeout + settings.grace
    killed = ""
    try:
        while process.poll() is None:
            if stop is not None and stop.is_set():
                killed = _INTERRUPTED
            elif channel.over:
                killed = f"it sent more than {settings.notebook_cap + MARGIN} bytes"
            elif time.monotonic() > deadline:
                killed = f"it ran past {settings.notebook_timeout:g} s"
            if killed:
                _kill(process, sandbox, plan)
                break
            time.sleep(0.05)
    except BaseException:  # an interrupt: the sandbox must not outlive the rerun
        _kill(process, sandbox, plan)
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
        raise
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        _kill(process, sandbox, plan)
        process.wait()
    channel.thread.join(timeout=10)
    drain.join(timeout=10)
    if scratch:
        shutil.rmtree(scratch, ignore_errors=True)
    seconds = time.monotonic() - started
    stderr = b"".join(kept).decode("utf-8", "replace")
    resources: dict[str, Any] = {"exit": process.returncode, "stderr": stderr[-2000:]}
    done = channel.done
    if done is None or killed:
        if killed and killed != _INTERRUPTED:
            resources["killed"] = "time" if "ran past" in killed else "output"
        state = (
            ExecutionState.TIMED_OUT
            if "ran past" in killed
            else ExecutionState.FAILED
            if killed and killed != _INTERRUPTED
            else ExecutionState.NOT_RUN
        )
        cells = _cells_after_kill(channel, code_cells)
        last = stderr.strip().splitlines()[-1:] if stderr.strip() else []
        reason = f"stopped: {killed}" if killed else "the sandbox ended without a result"
        if not killed and last:
            reason += f": {last[0][:300]}"
        return Execution(path, state, cells, None, kernel, seconds, reason, resources)
    try:
        state = ExecutionState(str(done.get("state")))
    except ValueError:
        state = ExecutionState.FAILED
    cells = tuple(
        _cell(entry)
        for entry in done.get("cells") or []
        if isinstance(entry, dict) and isinstance(entry.get("index"), int)
    )
    if done.get("outputs_removed"):
        resources["outputs_removed"] = True
    fresh = None
    if keep is not None and done.get("notebook") is not None:
        fresh = _keep_notebook(done.get("notebook"), keep, settings.notebook_cap)
    elif done.get("notebook") is not None and isinstance(done["notebook"], dict):
        fresh = done["notebook"]
    return replace(
        Execution(path, state, cells, fresh, kernel, seconds, str(done.get("reason") or "")),
        resources=resources,
    )
