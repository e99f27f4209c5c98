"""Where a notebook's code runs: a sandbox, and the command line that starts the runner in it.

One plan (``Plan``: the repository shown read-only, the environment's folders shown
read-only, a size-limited scratch folder, the limits, an unprivileged user) is rendered
for each kind:

- ``bwrap`` (bubblewrap): new network, PID, IPC and UTS namespaces, a root of its own made
  of ``/usr`` and the few host paths the interpreter needs, all read-only; the scratch
  folder a tmpfs of ``Limits.disk`` bytes more than the repository; ``/proc`` and ``/dev``
  of its own; no host environment variable. Run as root, bubblewrap mounts and then
  ``setpriv`` drops to an unprivileged uid with no capabilities and no new privileges
  (RLIMIT_NPROC holds for that uid, it would not for root); run as a user, bubblewrap
  keeps that user's uid in a user namespace. Memory is RLIMIT_AS, processes RLIMIT_NPROC,
  file size RLIMIT_FSIZE, all set by ``prlimit`` before bubblewrap starts.
- ``podman`` / ``docker``: the same mounts on an image that holds only the links of the
  host's root (imported once, never pulled), ``--network none``, ``--read-only``, no
  capabilities, ``no-new-privileges``, cgroup memory and pids limits, the same uid, the
  container's logs off (a notebook printing a gigabyte fills no disk).
- ``none``: no isolation but the scratch copy, the empty environment, the limits prlimit
  sets and the timeouts; for a place that is a sandbox already (a Kubernetes pod with
  egress denied) and for a user who passes it knowingly.

Time is the host's: the executor kills the sandbox (its process group, or the container
by name) past the notebook's time.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

__all__ = [
    "ENGINES",
    "SANDBOXES",
    "Limits",
    "Plan",
    "SandboxUnavailable",
    "available",
    "choose",
    "command_line",
    "kill_command",
    "sandbox_uid",
]

SANDBOXES = ("auto", "podman", "docker", "bwrap", "none")
ENGINES = ("podman", "docker")
SOURCE = "/repolens/source"  # the repository, read-only, inside a sandbox
RUNNER = "/repolens/runner.py"
SCRATCH = "/scratch"
ROOT_IMAGE = "localhost/repolens-rerun-root"
HOST_FILES = (  # what the interpreter and common libraries read from /etc, if present
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/alternatives",
    "/etc/fonts",
    "/etc/localtime",
    "/etc/mime.types",
)
UID_BASE = 1_700_000  # sandbox users: no account of the host has these
INSTALL_HINT = (
    "no sandbox is available: install bubblewrap (apt-get install bubblewrap) or podman, "
    "or pass --sandbox none to run the repository's code without isolation, knowingly"
)


class SandboxUnavailable(Exception):
    """The sandbox asked for cannot run here: exit 2, one line."""


@dataclass(frozen=True, slots=True)
class Limits:
    memory: int = 8 << 30  # bytes of address space (bwrap, none) or of cgroup memory
    processes: int = 256  # processes and threads of the sandbox's user
    disk: int = 1 << 30  # scratch bytes beyond the repository's copy (and a quarter for /tmp)
    file_size: int = 1 << 30  # the largest file a notebook may write
    open_files: int = 1024


@dataclass(frozen=True, slots=True)
class Plan:
    """What one run of the runner gets, whatever the sandbox."""

    repository: str  # host folder, shown read-only
    python: str  # the environment's interpreter (same path inside)
    folders: tuple[str, ...]  # the environment's host folders, read-only at the same path
    runner: str  # host path of runner.py
    config: dict[str, Any]  # for the runner (its paths are filled in per sandbox)
    scratch: str = ""  # the host scratch folder (``none`` only)
    uid: int = UID_BASE
    repository_bytes: int = 0
    limits: Limits = field(default_factory=Limits)
    name: str = "repolens-rerun"  # the container's name (podman, docker)


def sandbox_uid(slot: int) -> int:
    """A uid of its own for each notebook running at once in this process: RLIMIT_NPROC
    counts per uid, so one notebook's processes never use another's budget."""
    return UID_BASE + (os.getpid() % 10_000) * 64 + slot % 64


def _environment(plan: Plan, home: str, tmp: str) -> dict[str, str]:
    bin_folder = os.path.dirname(plan.python)
    return {
        "HOME": home,
        "TMPDIR": tmp,
        "PATH": f"{bin_folder}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "USER": "repolens",
        "LOGNAME": "repolens",
        "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1",
        "JUPYTER_PLATFORM_DIRS": "1",
    }


def _config(plan: Plan, source: str, scratch: str) -> str:
    return json.dumps({**plan.config, "source": source, "scratch": scratch})


def _prlimit(limits: Limits, processes: int | None) -> list[str]:
    found = shutil.which("prlimit")
    if found is None:
        return []
    line = [
        found,
        f"--as={limits.memory}",
        f"--fsize={limits.file_size}",
        "--core=0",
        f"--nofile={limits.open_files}",
    ]
    if processes is not None:
        line.append(f"--nproc={processes}")
    return [*line, "--"]


def _root_links() -> list[tuple[str, str]]:
    """The host's top-level links (/bin -> usr/bin on a merged /usr), to make the same."""
    links = []
    for name in sorted(os.listdir("/")):
        path = "/" + name
        if os.path.islink(path) and os.path.realpath(path).startswith("/usr/"):
            links.append((os.readlink(path), path))
    return links


def _processes_of(uid: int) -> int:
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += 1
            except OSError:
                continue
    return count


def _ancestors(paths: Sequence[str]) -> list[str]:
    """The folders above ``paths`` that bubblewrap creates to mount them, shallow first."""
    found: set[str] = set()
    for path in paths:
        parent = os.path.dirname(path)
        while parent not in ("/", "/tmp", ""):
            found.add(parent)
            parent = os.path.dirname(parent)
    return sorted(found - set(paths), key=lambda folder: (folder.count("/"), folder))


def bwrap_line(plan: Plan) -> list[str]:
    as_root = os.geteuid() == 0
    env = _environment(plan, f"{SCRATCH}/home", f"{SCRATCH}/tmp")
    processes = (
        plan.limits.processes
        if as_root
        else _processes_of(os.geteuid()) + plan.limits.processes  # the user's own count
    )
    line = [*_prlimit(plan.limits, processes), shutil.which("bwrap") or "bwrap"]
    line += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
    line += ["--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv"]
    if not as_root:
        line += ["--unshare-user"]
    for key, value in env.items():
        line += ["--setenv", key, value]
    line += ["--ro-bind", "/usr", "/usr"]
    for target, link in _root_links():
        line += ["--symlink", target, link]
    for path in HOST_FILES:
        line += ["--ro-bind-try", path, path]
    line += ["--size", str(plan.limits.disk // 4), "--tmpfs", "/tmp", "--chmod", "1777", "/tmp"]
    for folder in plan.folders:
        line += ["--ro-bind", folder, folder]
    line += ["--ro-bind", plan.repository, SOURCE, "--ro-bind", plan.runner, RUNNER]
    for folder in _ancestors((*plan.folders, SOURCE, RUNNER)):
        line += ["--chmod", "0755", folder]  # bubblewrap makes them 0700: the user must pass
    line += ["--proc", "/proc", "--dev", "/dev"]
    line += ["--size", str(plan.repository_bytes + plan.limits.disk), "--tmpfs", SCRATCH]
    line += ["--chmod", "1777", SCRATCH]
    line += ["--chdir", SCRATCH]
    if as_root:
        line += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--"]
        line += ["/usr/bin/setpriv", f"--reuid={plan.uid}", f"--regid={plan.uid}"]
        line += ["--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
    line += ["--", plan.python, RUNNER, _config(plan, SOURCE, SCRATCH)]
    return line


def root_image_tar() -> bytes:
    """An image of nothing but the host's top-level links and the mount points."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as archive:
        for folder in ("proc", "dev", "sys", "etc", "run", "repolens"):
            info = tarfile.TarInfo(folder)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            archive.addfile(info)
        for target, link in _root_links():
            info = tarfile.TarInfo(link.lstrip("/"))
            info.type, info.linkname = tarfile.SYMTYPE, target
            archive.addfile(info)
    return data.getvalue()


def image_name() -> str:
    import hashlib

    return f"{ROOT_IMAGE}:{hashlib.sha256(root_image_tar()).hexdigest()[:12]}"


def ensure_image(engine: str) -> str:
    """The root image, imported on first use (never pulled)."""
    name = image_name()
    probe = subprocess.run(
        [engine, "image", "inspect", name], capture_output=True, check=False, timeout=60
    )
    if probe.returncode != 0:
        subprocess.run(
            [engine, "import", "-", name],
            input=root_image_tar(),
            capture_output=True,
            check=True,
            timeout=120,
        )
    return name


def engine_line(engine: str, plan: Plan, image: str) -> list[str]:
    env = _environment(plan, f"{SCRATCH}/home", f"{SCRATCH}/tmp")
    limits = plan.limits
    line = [engine, "run", "--rm", "-i", "--name", plan.name, "--network", "none"]
    line += ["--user", f"{plan.uid}:{plan.uid}", "--cap-drop", "ALL"]
    line += ["--security-opt", "no-new-privileges", "--read-only", "--log-driver", "none"]
    if engine == "podman":
        line += ["--read-only-tmpfs=false"]
    line += ["--memory", str(limits.memory), "--memory-swap", str(limits.memory)]
    line += ["--pids-limit", str(limits.processes)]
    line += ["--ulimit", f"nofile={limits.open_files}:{limits.open_files}"]
    line += ["--ulimit", f"nproc={limits.processes}:{limits.processes}"]
    line += ["--ulimit", f"fsize={limits.file_size}:{limits.file_size}", "--ulimit", "core=0"]
    scratch_size = plan.repository_bytes + limits.disk
    line += ["--tmpfs", f"{SCRATCH}:rw,size={scratch_size},mode=1777,exec,notmpcopyup"]
    line += ["--tmpfs", f"/tmp:rw,size={limits.disk // 4},mode=1777,notmpcopyup"]
    line += ["-v", "/usr:/usr:ro"]
    for path in HOST_FILES:
        if os.path.exists(path):
            line += ["-v", f"{path}:{path}:ro"]
    for folder in plan.folders:
        line += ["-v", f"{folder}:{folder}:ro"]
    line += ["-v", f"{plan.repository}:{SOURCE}:ro", "-v", f"{plan.runner}:{RUNNER}:ro"]
    for key, value in env.items():
        line += ["--env", f"{key}={value}"]
    line += ["--workdir", SCRATCH, image, plan.python, RUNNER, _config(plan, SOURCE, SCRATCH)]
    return line


def none_line(plan: Plan) -> tuple[list[str], dict[str, str]]:
    """The runner on the host, in the scratch folder, with an environment of its own."""
    env = _environment(plan, f"{plan.scratch}/home", f"{plan.scratch}/tmp")
    line = [*_prlimit(plan.limits, None), plan.python, plan.runner]
    return [*line, _config(plan, plan.repository, plan.scratch)], env


def command_line(kind: str, plan: Plan) -> tuple[list[str], dict[str, str]]:
    """The command to start and the environment to start it with (the host's is never
    passed on: each sandbox gets the runner's own variables)."""
    minimal = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    if kind == "bwrap":
        return bwrap_line(plan), minimal
    if kind in ENGINES:
        return engine_line(kind, plan, ensure_image(kind)), {**minimal, **_engine_env()}
    if kind == "none":
        return none_line(plan)
    raise ValueError(kind)


def _engine_env() -> dict[str, str]:
    """What the engine's own client needs from the host (its configuration)."""
    keep = ("CONTAINERS_CONF", "CONTAINER_HOST", "DOCKER_HOST", "XDG_RUNTIME_DIR", "HOME")
    return {key: os.environ[key] for key in keep if key in os.environ}


def kill_command(kind: str, plan: Plan) -> list[str] | None:
    """How to stop a container that outlives its client (the engines); None otherwise."""
    return [kind, "rm", "-f", plan.name] if kind in ENGINES else None


def _works(line: Sequence[str]) -> bool:
    try:
        done = subprocess.run(
            list(line), capture_output=True, stdin=subprocess.DEVNULL, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@cache
def available(kind: str) -> bool:
    """Whether the sandbox can run here: the engine answers, bubblewrap starts one."""
    if kind == "none":
        return True
    if shutil.which(kind) is None:
        return False
    if kind in ENGINES:
        return _works([kind, "info"])
    probe = ["bwrap", "--unshare-net", "--unshare-pid", "--ro-bind", "/usr", "/usr"]
    for target, link in _root_links():
        probe += ["--symlink", target, link]
    if os.geteuid() != 0:
        probe += ["--unshare-user"]
    elif shutil.which("setpriv") is None:
        return False
    return _works([*probe, "--proc", "/proc", "--dev", "/dev", "/usr/bin/true"])


def choose(asked: str) -> str:
    """The sandbox to use: ``auto`` is podman or docker when usable, else bubblewrap.
    ``SandboxUnavailable`` when none is (or the one asked for is not)."""
    if asked == "auto":
        for kind in (*ENGINES, "bwrap"):
            if available(kind):
                return kind
        raise SandboxUnavailable(INSTALL_HINT)
    if not available(asked):
        raise SandboxUnavailable(f"--sandbox {asked} cannot run here; {INSTALL_HINT}")
    return asked
