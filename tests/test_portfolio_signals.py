"""Stopping a portfolio: Ctrl-C (SIGINT to the process group, as a terminal sends it) and
SIGTERM (to the process alone, as Kubernetes sends it) end every worker and whatever the
workers started, exit 130 or 143, keep the rows already written and present no partial
folder as analysed. A worker that dies takes only its own repository with it.

The command runs in a session of its own, so that every process it leaves behind can be
found (its session id stays). Repositories named ``slow*`` run a real child process
(``sleep``, standing in for a git that takes its time) before their analysis; the others
are analysed at once. Linux only: processes are read from /proc."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from repolens.portfolio.rows import valid_row

from .conftest import make_tree, python_env

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads processes from /proc"
)

FAST = ("fast1", "fast2", "fast3")  # analysed at once: 1 file each
SLOW = ("slow1", "slow2", "slow3", "slow4")  # held by a `sleep 120` child first
DRIVER = """
import signal, subprocess, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # as a terminal starts a program
from repolens.portfolio import run
real = run._checked
def held(repository, output, folder):
    if repository.name.startswith("slow"):
        subprocess.run(["sleep", "120"], check=False)
    return real(repository, output, folder)
run._checked = held
from repolens.cli import main
sys.exit(main(sys.argv[1:]))
"""
PATIENCE = 60.0  # seconds: far beyond what any step here needs, even on a loaded machine


def _processes(session: int) -> list[tuple[int, str, str]]:
    """(pid, state, command) of the live processes of ``session`` (zombies are ended
    processes waiting for a parent that reaps: not counted)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        state, sid = fields[0], int(fields[3])
        if sid == session and state not in ("Z", "X"):
            found.append((int(entry), state, command.decode(errors="replace")))
    return found


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, f"waited {PATIENCE:.0f} s for {what}"
        time.sleep(0.05)


@pytest.fixture
def portfolio(tmp_path: Path) -> tuple[Path, Path, Path]:
    for name in (*FAST, *SLOW):
        make_tree(tmp_path / "repos" / name, {"m.py": f"{name} = 1\n"})
    (tmp_path / "list.txt").write_text("".join(f"repos/{n}\n" for n in (*FAST, *SLOW)))
    (tmp_path / "driver.py").write_text(DRIVER)
    return tmp_path / "list.txt", tmp_path / "out", tmp_path / "driver.py"


def _start(portfolio: tuple[Path, Path, Path], jobs: int) -> subprocess.Popen[str]:
    listing, out, driver = portfolio
    command = [sys.executable, str(driver), "portfolio", str(listing), "-o", str(out)]
    return subprocess.Popen(
        [*command, "--jobs", str(jobs), "--run-id", "stopped"],
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=python_env(),
    )


def _rows(out: Path) -> dict[str, dict]:
    return {path.parent.name: json.loads(path.read_text()) for path in out.glob("*/row.json")}


def _sleeping(session: int) -> int:
    return sum(1 for _pid, _state, command in _processes(session) if command.startswith("sleep"))


def _mid_run(process: subprocess.Popen[str], out: Path, sleeping: int) -> None:
    """Wait until the fast repositories are done and ``sleeping`` slow ones are held."""
    _until(lambda: len(_rows(out)) >= len(FAST), "the fast repositories' rows")
    _until(lambda: _sleeping(process.pid) >= sleeping, "the slow repositories to start")
    assert process.poll() is None


def _ended(process: subprocess.Popen[str], *codes: int) -> str:
    """The process exits with one of ``codes`` in time and leaves no live process behind."""
    try:
        _out, err = process.communicate(timeout=PATIENCE)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise AssertionError("the portfolio did not end after the signal") from None
    assert process.returncode in codes, err
    _until(lambda: not _processes(process.pid), "no process of the session to remain")
    return err


def _rows_intact(out: Path) -> None:
    """The fast rows are whole rows of this run; no slow folder holds a row."""
    rows = _rows(out)
    assert set(rows) == set(FAST)
    for row in rows.values():
        assert valid_row(row).run_id == "stopped" and row["status"] == "ok"
    leftovers = [path.name for path in out.rglob("*.tmp")]
    assert not leftovers  # no half-written file presented under a real name either


def _merged_later(portfolio: tuple[Path, Path, Path]) -> dict[str, str]:
    listing, out, _driver = portfolio
    merge = ["portfolio", str(listing), "-o", str(out), "--merge", "--run-id", "stopped"]
    result = subprocess.run(
        [sys.executable, "-m", "repolens", *merge, "-q"],
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        env=python_env(),
        check=False,
    )
    assert result.returncode == 5, result.stderr
    document = json.loads((out / "portfolio.json").read_text())
    return {row["name"]: row["status"] for row in document["rows"]}


@pytest.mark.parametrize(
    ("jobs", "number", "to_group", "code"),
    [
        (2, signal.SIGINT, True, 130),  # Ctrl-C at a terminal
        (2, signal.SIGTERM, False, 143),  # Kubernetes stopping the pod
        (1, signal.SIGTERM, False, 143),  # in one process (a pod of an Indexed Job)
        (1, signal.SIGINT, True, 130),
    ],
    ids=["ctrl-c-jobs-2", "sigterm-jobs-2", "sigterm-jobs-1", "ctrl-c-jobs-1"],
)
def test_a_signal_ends_every_worker_and_keeps_the_rows_written(
    portfolio: tuple[Path, Path, Path], jobs: int, number: int, to_group: bool, code: int
) -> None:
    process = _start(portfolio, jobs)
    out = portfolio[1]
    _mid_run(process, out, sleeping=jobs)
    if to_group:
        os.killpg(process.pid, number)
    else:
        os.kill(process.pid, number)
    err = _ended(process, code)
    assert ("interrupted" if code == 130 else "terminated") in err.splitlines()[-1]
    assert "Traceback" not in err
    _rows_intact(out)
    assert not (out / "portfolio.json").exists()  # no table from half a run
    statuses = _merged_later(portfolio)
    assert [statuses[name] for name in FAST] == ["ok"] * len(FAST)
    assert [statuses[name] for name in SLOW] == ["missing"] * len(SLOW)


def test_a_second_ctrl_c_does_not_leave_workers_behind(
    portfolio: tuple[Path, Path, Path],
) -> None:
    process = _start(portfolio, 2)
    _mid_run(process, portfolio[1], sleeping=2)
    os.killpg(process.pid, signal.SIGINT)
    time.sleep(0.01)
    os.killpg(process.pid, signal.SIGINT)
    # the workers are ended either way; a second Ctrl-C after that may end the program
    # itself by SIGINT, which a shell reports as 130 too
    _ended(process, 130, -signal.SIGINT)
    _rows_intact(portfolio[1])


def test_workers_end_when_the_portfolio_is_killed_outright(
    portfolio: tuple[Path, Path, Path],
) -> None:
    process = _start(portfolio, 2)
    _mid_run(process, portfolio[1], sleeping=2)
    os.kill(process.pid, signal.SIGKILL)  # no handler runs: the workers notice by themselves
    process.communicate(timeout=PATIENCE)
    assert process.returncode == -signal.SIGKILL
    _until(lambda: not _processes(process.pid), "the workers to end with their parent")
    _rows_intact(portfolio[1])


def test_a_worker_that_dies_takes_only_its_own_repository(
    portfolio: tuple[Path, Path, Path],
) -> None:
    process = _start(portfolio, 2)
    out = portfolio[1]
    _mid_run(process, out, sleeping=2)
    workers = [
        pid
        for pid, _state, command in _processes(process.pid)
        if pid != process.pid and "driver.py" in command
    ]
    assert len(workers) == 2
    os.kill(workers[0], signal.SIGKILL)  # as the kernel's out-of-memory killer would
    _until(lambda: len(_rows(out)) > len(FAST), "the dead worker's repository's row")
    deadline = time.monotonic() + PATIENCE
    while process.poll() is None:  # the other slow repositories go on: end their sleeps
        assert time.monotonic() < deadline, "the portfolio did not go on"
        for pid, _state, command in _processes(process.pid):
            if command.startswith("sleep"):
                os.kill(pid, signal.SIGTERM)
        time.sleep(0.1)
    err = _ended(process, 5)
    document = json.loads((out / "portfolio.json").read_text())
    statuses = {row["name"]: (row["status"], row["reason"]) for row in document["rows"]}
    dead = [name for name, (status, _reason) in statuses.items() if status == "failed"]
    assert len(dead) == 1 and dead[0].startswith("slow"), statuses
    assert "its worker process ended (killed by SIGKILL)" in statuses[dead[0]][1]
    assert document["counts"]["ok"] == len(FAST) + len(SLOW) - 1
    assert "killed by SIGKILL" in err
