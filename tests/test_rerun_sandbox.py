"""Hostile notebooks in the rerun sandbox: each attack is stopped or contained, recorded
as such, the run goes on, and nothing outside the output folder changes.

One repository holds one notebook per attack (nine notebooks, each one code cell after
the first): reach a listener on the host's loopback, write outside the scratch folder,
read a key under the host's home and the host's environment, fork without end, fill the
disk, allocate 50 GB, sleep forever, print 1 GiB. They run with ``--jobs 2`` in every
sandbox this machine has (bubblewrap; podman when it answers), with small limits so the
attacks end quickly: 2 GiB of memory, 64 MiB of disk, 5 s a cell. A last notebook that
only adds numbers proves the run went on to the end.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
from pathlib import Path

import pytest

from repolens.rerun.environment import current_environment
from repolens.rerun.execute import Settings
from repolens.rerun.model import CellState, ExecutionState, Verdict
from repolens.rerun.run import Options, rerun
from repolens.rerun.sandbox import Limits, available

from .conftest import make_tree, notebook_json

pytestmark = pytest.mark.slow

SANDBOXES = [kind for kind in ("bwrap", "podman") if available(kind)]
SECRET = "repolens-test-secret-d41d8cd98f00"


def cell(source: str, outputs: list | None = None) -> dict:
    return {
        "cell_type": "code",
        "execution_count": 1,
        "metadata": {},
        "outputs": outputs or [],
        "source": source,
    }


def attacks(port: int, home: Path, outside: Path, out: Path) -> dict[str, str]:
    """{notebook name: the code of its one cell}."""
    return {
        "network": f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=3)\n",
        "write_outside": (
            "import os\nwritten = []\n"
            f"for path in ['/repolens/source/planted', {str(outside / 'planted')!r},\n"
            f"             {str(out / 'planted')!r}, '/usr/planted', '/planted']:\n"
            "    try:\n"
            "        open(path, 'w').write('x')\n"
            "        written.append(path)\n"
            "    except OSError as error:\n"
            "        print(path, type(error).__name__)\n"
            "print('written:', written)\n"
        ),
        "read_secrets": (
            "import os\n"
            f"print(sorted(os.environ))\nprint(os.path.expanduser('~'))\n"
            f"print(open({str(home / '.ssh' / 'id_rsa')!r}).read())\n"
        ),
        "fork_bomb": (
            "import os, time\nchildren = 0\n"
            "try:\n"
            "    while True:\n"
            "        if os.fork() == 0:\n"
            "            time.sleep(600)\n"
            "            os._exit(0)\n"
            "        children += 1\n"
            "except OSError as error:\n"
            "    print('stopped after', children, 'children:', type(error).__name__)\n"
        ),
        "fill_disk": (
            "written = 0\n"
            "with open('filler', 'wb') as handle:\n"
            "    while True:\n"
            "        handle.write(b'0' * (1 << 20))\n"
            "        written += 1\n"
        ),
        "allocate_50gb": "block = bytearray(50 * 1024 ** 3)\n",
        "sleep_forever": "import time\ntime.sleep(10 ** 6)\n",
        "print_1gb": "line = 'x' * (1 << 20)\nfor _ in range(1024):\n    print(line)\n",
        "zz_still_runs": "print(sum(range(10)))\n",
    }


def tree_digest(root: Path, skip: Path) -> dict[str, str]:
    """Every path under ``root`` (but ``skip``) with a digest of its content or link."""
    found = {}
    for folder, folders, files in os.walk(root):
        if Path(folder) == skip or skip in Path(folder).parents:
            folders[:] = []
            continue
        for name in sorted(folders + files):
            path = Path(folder, name)
            if path.is_symlink():
                found[str(path)] = "link:" + os.readlink(path)
            elif path.is_file():
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                found[str(path)] = "folder"
    return found


@pytest.fixture
def listener():
    """A TCP listener on the host's loopback that counts the connections it gets."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    accepted: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            accepted.append(1)
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


@pytest.mark.skipif(not SANDBOXES, reason="neither bubblewrap nor podman can run here")
@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_every_attack_is_contained_and_the_run_goes_on(
    tmp_path: Path, sandbox: str, listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, accepted = listener
    home, outside, out = tmp_path / "home", tmp_path / "outside", tmp_path / "out"
    make_tree(home, {".ssh/id_rsa": f"-----BEGIN KEY----- {SECRET}\n"})
    outside.mkdir()
    out.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("REPOLENS_TEST_TOKEN", SECRET)
    repository = make_tree(
        tmp_path / "repository",
        {
            f"{name}.ipynb": notebook_json([cell(source)])
            for name, source in attacks(port, home, outside, out).items()
        },
    )
    before = tree_digest(tmp_path, out)
    settings = Settings(
        cell_timeout=5,
        notebook_timeout=60,
        output_cap=1 << 20,
        notebook_cap=8 << 20,
        grace=15,
        limits=Limits(memory=2 << 30, processes=128, disk=64 << 20, file_size=256 << 20),
    )
    options = Options(environment="current", sandbox=sandbox, jobs=2, settings=settings)
    environment = current_environment()
    assert environment.ready, environment.problem
    done = rerun(str(repository), options, out, tmp_path / "cache")
    results = {item.path.removesuffix(".ipynb"): item for item in done.result.notebooks}
    assert len(results) == 9  # every notebook has a result: the run went on

    def outputs(name: str) -> str:
        fresh = results[name].execution.fresh or {}
        return json.dumps([c.get("outputs") for c in fresh.get("cells", [])])

    def error(name: str) -> str:
        failure = results[name].execution.first_failure
        assert failure is not None and failure.error is not None, results[name]
        return failure.error.name

    # network: the loopback listener of the host is not reachable, and got nothing
    assert results["network"].verdict is Verdict.FAILED
    assert error("network") in ("OSError", "ConnectionRefusedError", "TimeoutError")
    assert accepted == []
    # writes outside the scratch folder: every one refused
    assert results["write_outside"].verdict is Verdict.REPRODUCED or outputs("write_outside")
    assert "written: []" in outputs("write_outside")
    # the host's home and environment are not there
    assert error("read_secrets") == "FileNotFoundError"
    assert SECRET not in outputs("read_secrets")
    assert "REPOLENS_TEST_TOKEN" not in outputs("read_secrets")
    assert "/scratch/home" in outputs("read_secrets")
    # the fork bomb stops at the process limit
    assert "stopped after" in outputs("fork_bomb")
    # the disk fills at the scratch folder's size, not the host's
    assert error("fill_disk") == "OSError"
    assert "No space left" in results["fill_disk"].execution.first_failure.error.value
    # 50 GB is not given
    assert error("allocate_50gb") in ("MemoryError", "DeadKernelError")
    # sleeping forever is stopped at the cell's time
    assert results["sleep_forever"].verdict is Verdict.TIMED_OUT
    assert results["sleep_forever"].execution.cells[0].state is CellState.TIMED_OUT
    # printing 1 GiB is capped: the kept notebook is small, and says what was dropped
    # (or the kernel, holding its buffers, meets the memory limit and dies: recorded)
    printed = results["print_1gb"].execution
    if printed.state is ExecutionState.FAILED:
        assert error("print_1gb") in ("MemoryError", "DeadKernelError")
    kept = out / "notebooks" / "print_1gb.ipynb"
    assert kept.stat().st_size < 4 << 20
    assert printed.state is not ExecutionState.COMPLETED or "were dropped" in kept.read_text()
    # and the last notebook ran as any other
    assert results["zz_still_runs"].execution.state is ExecutionState.COMPLETED
    assert "45" in outputs("zz_still_runs")
    # nothing outside the output folder changed
    assert tree_digest(tmp_path, out) == before | {
        key: value for key, value in tree_digest(tmp_path, out).items() if "/cache" in key
    }
    assert not (out / "planted").exists()
