"""Memory does not grow with the number of files: records stream from the walk to the
summary, the reports and the checks, and nothing holds them all.

Each run is a fresh interpreter (its own peak RSS, read from VmHWM); the trees are
folders of 1,000 small files, so what could grow is what a scan keeps per file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import PEAK_RSS_KIB, python_env

FILES_PER_FOLDER = 1000
SMALL, LARGE = 20_000, 200_000
GROWTH_LIMIT_MIB = 16  # 180,000 more records held would be hundreds of MiB


def make_files(root: Path, count: int) -> None:
    """``count`` one-line files, a tenth of them Python, in folders of 1,000."""
    for index in range(count):
        folder = root / f"d{index // FILES_PER_FOLDER:04d}"
        if index % FILES_PER_FOLDER == 0:
            folder.mkdir(parents=True)
        name = f"f{index:06d}.py" if index % 10 == 0 else f"f{index:06d}.txt"
        descriptor = os.open(folder / name, os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(descriptor, b"x = 1\n" if index % 10 == 0 else b"row\n")
        os.close(descriptor)


def peak_mib(command: list[str]) -> tuple[float, dict]:
    """Run ``repolens COMMAND`` in a fresh interpreter; its peak RSS and metrics.json."""
    code = PEAK_RSS_KIB + textwrap.dedent(
        """
        import sys
        from repolens.cli import main
        code = main(sys.argv[1:])
        print("PEAK", peak_rss_kib(), code)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *command],
        capture_output=True,
        text=True,
        env=python_env(),
        timeout=600,
    )
    line = [item for item in done.stdout.splitlines() if item.startswith("PEAK")][-1]
    _, kib, exit_code = line.split()
    assert exit_code == "0", done.stderr
    output = Path(command[command.index("-o") + 1])
    return int(kib) / 1024, json.loads((output / "metrics.json").read_text())


@pytest.mark.slow
@pytest.mark.parametrize("command", ["scan", "warm scan", "check"])
def test_memory_does_not_grow_with_the_number_of_files(tmp_path: Path, command: str) -> None:
    """``warm scan``: the second scan with a cache, every record and its rows from it."""
    peaks = {}
    for count in (SMALL, LARGE):
        root = tmp_path / f"tree-{count}"
        make_files(root, count)
        out = str(tmp_path / f"out-{count}")
        if command == "check":
            arguments = ["check", str(root), "-o", out, "-q", "--fail-on", "never"]
        elif command == "scan":
            arguments = ["scan", str(root), "-o", out, "--no-cache", "-q"]
        else:
            arguments = ["scan", str(root), "-o", out, "--cache-dir", str(tmp_path / "c"), "-q"]
            peak_mib(arguments)  # fills the cache
        peak, document = peak_mib(arguments)
        assert document["summary"]["total_files"] == count  # every file was recorded
        assert len(document["file_metrics"]) == count
        peaks[count] = peak
    growth = peaks[LARGE] - peaks[SMALL]
    assert growth < GROWTH_LIMIT_MIB, f"peak RSS {peaks}: grew {growth:.1f} MiB for 10x the files"
