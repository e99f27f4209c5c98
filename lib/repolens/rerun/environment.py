"""The Python environment notebooks run in: built with uv from what the repository
declares (``declared``), that plus what the EN002 check says is missing (``inferred``),
or the running interpreter (``current``).

A built environment is a virtual environment in a cache folder keyed by the hash of the
requirements read from the specification, the extras repolens adds (ipykernel and
nbclient, which run inside the sandbox) and the Python version; a second rerun with an
unchanged specification reuses it. Builds take a file lock, so two reruns never build the
same key at once, and mark the folder complete only at the end. uv installs wheels only
(``--no-build``): a requirement with no wheel for this Python is reported, never built,
because building a source distribution runs its code on the host. uv runs with
``--no-config`` in the cache folder, so nothing in the repository configures it.
A build that fails is a value (``Environment.problem``), never an exception.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import site
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .specs import Specification

__all__ = [
    "ENVIRONMENTS",
    "EXTRAS",
    "Environment",
    "build_environment",
    "current_environment",
    "environment_key",
    "failure_summary",
    "find_uv",
    "uv_available",
]

ENVIRONMENTS = ("declared", "inferred", "current")
EXTRAS = ("ipykernel", "nbclient")  # what runs inside the sandbox with the notebook
FORMAT = 1  # bump when the cache's layout changes
BUILD_SECONDS = 1800
MESSAGE_LINES = 6


@dataclass(frozen=True, slots=True)
class Environment:
    """An interpreter to run notebooks with, and the folders the sandbox must show it."""

    mode: str  # declared, inferred, current
    python: str  # the interpreter, the same path inside the sandbox as outside
    folders: tuple[str, ...] = ()  # host folders it needs, shown read-only
    lock: str = ""  # the resolved set, one requirement a line (environment.lock.txt)
    requested: tuple[str, ...] = ()  # what was asked of uv
    problem: str = ""  # why it could not be built (then nothing runs)
    failed_requirement: str = ""  # the requirement the resolver names, when it names one
    reused: bool = False  # found complete in the cache
    seconds: float = 0.0  # the build's own time (0 when reused)
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ready(self) -> bool:
        return not self.problem


def find_uv() -> list[str] | None:
    """The uv command: its PyPI package's binary, else ``uv`` on PATH."""
    try:
        from uv import find_uv_bin  # type: ignore[import-not-found]

        return [find_uv_bin()]
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        return [found] if found else None


def uv_available() -> bool:
    return find_uv() is not None


def python_identity(python: str = sys.executable) -> str:
    """What makes two interpreters interchangeable for a cache: version and place."""
    return f"{sys.implementation.name}-{sys.version.split()[0]}-{os.path.realpath(python)}"


def environment_key(requested: Sequence[str], python: str = sys.executable) -> str:
    text = json.dumps(
        {"format": FORMAT, "requested": list(requested), "python": python_identity(python)}
    )
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def failure_summary(message: str, requested: Sequence[str]) -> tuple[str, str]:
    """The resolver's message cut to a few lines, and the requirement it names."""
    lines = [line.rstrip() for line in message.splitlines() if line.strip()]
    interesting = [
        line
        for line in lines
        if not line.lstrip().startswith(("Using ", "Resolved ", "Prepared ", "Audited "))
    ]
    short = "\n".join((interesting or lines)[:MESSAGE_LINES])
    lowered = message.lower()
    named = ""
    for requirement in requested:
        name = requirement.split(";")[0]
        for stop in "[=<>!~ ":
            name = name.split(stop)[0]
        if name and name.lower() in lowered:
            named = requirement
            break
    return short, named


def _base_prefix(venv: Path) -> str:
    """The interpreter's installation a virtual environment points at (pyvenv.cfg's home)."""
    try:
        text = (venv / "pyvenv.cfg").read_text("utf-8")
    except OSError:
        return ""
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "home":
            return str(Path(value.strip()).resolve().parent)
    return ""


def current_environment() -> Environment:
    """The running interpreter, with the site folders it reads."""
    folders = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}
    for extra in (*site.getsitepackages(), site.getusersitepackages()):
        if os.path.isdir(extra):
            folders.add(os.path.realpath(extra))
    missing = [name for name in EXTRAS if not _importable(name)]
    problem = (
        f"the running interpreter lacks {', '.join(missing)} (pip install ipykernel nbclient)"
        if missing
        else ""
    )
    return Environment(
        "current", sys.executable, tuple(sorted(_outermost(folders))), problem=problem
    )


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _outermost(folders: set[str]) -> set[str]:
    """Folders not inside another of the set."""
    ordered = sorted(folders)
    kept: list[str] = []
    for folder in ordered:
        if not any(folder.startswith(parent.rstrip("/") + "/") for parent in kept):
            kept.append(folder)
    return set(kept)


def _run(command: list[str], cwd: Path, seconds: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=seconds,
        check=False,
    )


def _built(mode: str, venv: Path, requested: tuple[str, ...], reused: bool) -> Environment:
    lock = (venv.parent / "environment.lock.txt").read_text("utf-8")
    base = _base_prefix(venv)
    folders = tuple(sorted(_outermost({str(venv), *([base] if base else [])})))
    return Environment(mode, str(venv / "bin" / "python"), folders, lock, requested, reused=reused)


def build_environment(
    mode: str,
    specification: Specification,
    cache: Path,
    added: Sequence[str] = (),
    python: str = sys.executable,
) -> Environment:
    """The environment for ``mode`` (declared or inferred): reused from ``cache`` when the
    same requirements were built for the same Python, else built now with uv."""
    requested = tuple(dict.fromkeys((*specification.installed, *added, *EXTRAS)))
    notes = tuple(specification.notes) + tuple(
        f"{item.source}: {item.text} left out: {item.reason}" for item in specification.left_out
    )
    uv = find_uv()
    if uv is None:
        return Environment(
            mode, "", requested=requested, notes=notes,
            problem="uv is not installed (pip install 'repolens[rerun]')",
        )  # fmt: skip
    key = environment_key(requested, python)
    home = cache / "rerun" / "environments" / key
    venv = home / "venv"
    home.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(home.parent / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (home / "complete").is_file():
            return _with_notes(_built(mode, venv, requested, True), notes)
        shutil.rmtree(venv, ignore_errors=True)
        (home / "requirements.in").write_text("".join(f"{item}\n" for item in requested))
        steps = (
            [*uv, "venv", "--no-config", "--quiet", "--python", python, str(venv)],
            [
                *uv, "pip", "install", "--no-config", "--no-build", "--python",
                str(venv / "bin" / "python"), "-r", str(home / "requirements.in"),
            ],
        )  # fmt: skip
        for step in steps:
            try:
                done = _run(step, home, BUILD_SECONDS)
            except subprocess.TimeoutExpired:
                return _failed(mode, requested, notes, f"uv ran past {BUILD_SECONDS} s", started)
            if done.returncode != 0:
                return _failed(mode, requested, notes, done.stderr or done.stdout, started)
        frozen = _run(
            [*uv, "pip", "freeze", "--no-config", "--python", str(venv / "bin" / "python")],
            home,
            120,
        )
        if frozen.returncode != 0:
            return _failed(mode, requested, notes, frozen.stderr, started)
        (home / "environment.lock.txt").write_text(frozen.stdout)
        (home / "complete").write_text(key + "\n")
    built = _built(mode, venv, requested, False)
    return _with_notes(
        Environment(
            built.mode, built.python, built.folders, built.lock, built.requested,
            seconds=time.monotonic() - started,
        ),
        notes,
    )  # fmt: skip


def _with_notes(environment: Environment, notes: tuple[str, ...]) -> Environment:
    from dataclasses import replace

    return replace(environment, notes=notes)


def _failed(
    mode: str, requested: tuple[str, ...], notes: tuple[str, ...], message: str, started: float
) -> Environment:
    short, named = failure_summary(message, requested[: -len(EXTRAS)] or requested)
    return Environment(
        mode,
        "",
        requested=requested,
        problem=short or "the environment could not be built",
        failed_requirement=named,
        seconds=time.monotonic() - started,
        notes=notes,
    )
