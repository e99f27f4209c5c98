"""Progress with an end: what a long command does, how far it is and how long is left; one
line updated in place on a terminal, a line every few seconds anywhere else, nothing with
-q; a notebook's kernel reports through a file the command follows."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest

from repolens.core.progress import ProgressFile, ProgressLine, follow, progress_text
from repolens.scanning.estimate import count_entries

from .conftest import SAMPLE, make_tree


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("phase", "done", "total", "elapsed", "estimated", "expected"),
    [
        (
            "scan",
            12_000,
            78_579,
            4.0,
            False,
            "scan 12,000/78,579 entries (15%), 4 s, about 22 s left",
        ),
        ("scan", 500, 1000, 0.4, True, "scan 500/~1,000 entries (50%), 0 s"),
        ("history", 10, 10, 75.0, False, "history 10/10 commits (100%), 1 min 15 s"),
        ("notebook", 3, 24, 2.0, False, "notebook 3/24 cells (12%), 2 s, about 14 s left"),
        (
            "portfolio",
            1,
            4,
            30.0,
            False,
            "portfolio 1/4 repositories (25%), 30 s, about 1 min 30 s left",
        ),
        ("scan", 77, None, 3.0, False, "scan 77 entries, 3 s"),
        ("scan", 90, 80, 3.0, True, "scan 90/~90 entries (100%), 3 s"),  # an estimate short
    ],
)
def test_progress_reads_as_words(phase, done, total, elapsed, estimated, expected) -> None:  # type: ignore[no-untyped-def]
    assert progress_text(phase, done, total, elapsed, estimated) == expected


def test_a_terminal_gets_one_line_updated_in_place_and_cleared() -> None:
    stream = _Terminal()
    line = ProgressLine(stream, delay=0.0)
    line.estimate("scan", 100)
    line("scan", 40, None)
    time.sleep(0.11)
    line("scan", 100, 100)
    line.close()
    text = stream.getvalue()
    assert "\n" not in text and text.count("\r") == 4  # two updates, then cleared
    assert "[#########" in text and "40/~100 entries (40%)" in text and "100/100 entries" in text
    assert text.endswith("\r")


def test_a_log_gets_a_line_every_few_seconds_even_when_a_step_stalls() -> None:
    stream = io.StringIO()
    line = ProgressLine(stream, tty=False, every=0.2)
    line("scan", 10, 1000)  # before the first interval: nothing yet
    assert stream.getvalue() == ""
    time.sleep(0.25)
    line("scan", 20, 1000)
    time.sleep(0.7)  # no news for a while: the log still hears where the run is
    line.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) >= 3, lines
    assert all(text.startswith("repolens: scan 20/1,000 entries (2%)") for text in lines[1:])
    assert "\r" not in stream.getvalue()


def test_a_kernel_reports_through_a_file_the_command_follows(tmp_path: Path) -> None:
    seen: list[tuple[str, int, int | None]] = []

    class Collect:
        def __call__(self, phase: str, done: int, total: int | None) -> None:
            seen.append((phase, done, total))

        def estimate(self, phase: str, total: int) -> None:
            seen.append((phase, total, -1))

    path = str(tmp_path / "progress")
    follower = follow(path, Collect())
    kernel = ProgressFile(path)
    kernel.estimate("scan", 50)
    kernel("scan", 10, None)
    kernel("scan", 50, 50)
    with open(path, "a") as handle:
        handle.write("not json\n[1, 2\n")  # a torn or foreign line is passed over
    follower.stop()
    assert seen == [("scan", 50, -1), ("scan", 10, None), ("scan", 50, 50)]


def test_the_estimate_counts_what_the_scan_records(tmp_path: Path) -> None:
    root = make_tree(tmp_path, {f"d{i}/f{j}.txt": "x\n" for i in range(5) for j in range(7)})
    os.symlink("d0", root / "link")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("x")
    assert count_entries(str(root)) == 36  # 35 files and one link; .git is not entered
    from repolens import scan

    assert count_entries(str(SAMPLE)) >= len(scan(SAMPLE).records)


@pytest.mark.slow
def test_report_relays_the_kernels_scan_and_its_cells(tmp_path: Path) -> None:
    from repolens.render.reporting import find_notebook, run_report

    stream = io.StringIO()
    progress = ProgressLine(stream, tty=False, every=0.0)
    run_report(str(SAMPLE), tmp_path / "out", notebook=find_notebook(), progress=progress)
    progress.close()
    text = stream.getvalue()
    from repolens import scan

    entries = len(scan(SAMPLE).records)
    assert f"repolens: scan {entries}/{entries} entries (100%)" in text, text
    assert "repolens: notebook 24/24 cells (100%)" in text or "cells (100%)" in text, text
