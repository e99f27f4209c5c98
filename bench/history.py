"""The history benchmark: `repolens history` on psf/requests against scc's timeline and
wily, in the same run. Imported by bench/run.py (``--trees history``).

The repository comes from $REPOLENS_BENCH_REQUESTS (a clone with its full history,
default /var/tmp/real/requests) and is cloned again under the bench data folder with one
extra commit on top, so "one new commit" is measured exactly: each timed run starts
from a copy of the cache that a run on the commit before left.
wily (with its defaults: the last 50 revisions) runs from $REPOLENS_BENCH_WILY
(default /var/tmp/wily-venv/bin/wily) when it is installed there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SOURCE = Path(os.environ.get("REPOLENS_BENCH_REQUESTS", "/var/tmp/real/requests"))
WILY = Path(os.environ.get("REPOLENS_BENCH_WILY", "/var/tmp/wily-venv/bin/wily"))


def _git(repo: Path, *args: str) -> str:
    environment = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.org",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.org",
    }
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=environment
    ).stdout.strip()


def _repository(data: Path) -> Path | None:
    """A full clone of requests with one commit more than its source."""
    if not (SOURCE / ".git").exists():
        return None
    repo = data / "history" / "requests"
    if not repo.exists():
        repo.parent.mkdir(parents=True, exist_ok=True)
        _git(repo.parent, "clone", "-q", "--no-local", str(SOURCE), str(repo))
        with open(repo / "NEW_FILE.py", "w") as handle:
            handle.write("print('one new commit')\n")
        _git(repo, "add", "NEW_FILE.py")
        _git(repo, "commit", "-q", "--no-gpg-sign", "-m", "one new commit")
    return repo


def history_section(
    data: Path,
    runs: int,
    timeout: float,
    bench: Callable[[list[str], int, float], Any],
    fmt_seconds: Callable[[Any], str],
) -> list[str]:
    repo = _repository(data)
    heading = ["", "## History of psf/requests (`repolens history`)", ""]
    if repo is None:
        return [*heading, f"Not measured: no clone of psf/requests at {SOURCE}."]
    python = sys.executable
    first_parent = int(_git(repo, "rev-list", "--count", "--first-parent", "HEAD"))
    every = int(_git(repo, "rev-list", "--count", "HEAD"))
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "out"
        base_cache, cache = Path(scratch) / "cache-before", Path(scratch) / "cache"
        history = [python, "-m", "repolens", "history", str(repo), "-o", str(out), "-q"]
        subprocess.run([*history, "--rev", "HEAD~1", "--cache-dir", str(base_cache)], check=True)
        again = f"rm -rf '{cache}' && cp -a '{base_cache}' '{cache}' && exec " + " ".join(
            f"'{part}'" for part in [*history, "--cache-dir", str(cache)]
        )
        wily_repo = Path(scratch) / "wily-requests"
        commands: dict[str, list[str]] = {
            "repolens history (cold)": [*history, "--no-cache"],
            "repolens history (one new commit)": ["sh", "-c", again],
            "scc --timeline --depth 0": [
                shutil.which("scc") or "scc",
                "--timeline",
                "--depth",
                "0",
                str(repo),
            ],
        }
        if WILY.exists():
            _git(Path(scratch), "clone", "-q", str(repo), str(wily_repo))
            commands["wily build (defaults)"] = [
                "sh",
                "-c",
                f"rm -rf '{scratch}/wily-cache' && exec '{WILY}' -p '{wily_repo}' "
                f"-c '{scratch}/wily-cache' build '{wily_repo}/src' >/dev/null 2>&1",
            ]
        results = {}
        for name, command in commands.items():
            print(f"history: {name} ...", file=sys.stderr, flush=True)
            slow = name.startswith("wily")
            results[name] = bench(command, 1 if slow else runs, timeout)
        document = json.loads((out / "history.json").read_text())
    covered = {
        "repolens history (cold)": f"{first_parent:,} (every first-parent commit)",
        "repolens history (one new commit)": "1 new + the same line from the cache",
        "scc --timeline --depth 0": f"{every:,} commits, bucketed into 60 slots",
        "wily build (defaults)": "the last 50 revisions, Python files of src/",
    }
    cold = results["repolens history (cold)"]
    lines = [
        *heading,
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, same machine. "
        f"A clone with {every:,} commits, {first_parent:,} on the first-parent line of HEAD, "
        f"{document['blobs']:,} distinct blobs (content and name) on that line. Median of "
        f"{runs} runs (wily once). Targets: every commit in <= 0.5x scc's time, peak RSS "
        "<= 256 MiB, a re-run after one new commit <= 1 s.",
        "",
        "| tool | commits covered | median wall | peak RSS | repolens cold / tool |",
        "|---|---|---:|---:|---:|",
    ]
    for name, run in results.items():
        peak = f"{run.peak_mib:.0f} MiB" if run.peak_mib else "-"
        ratio = "-"
        if not name.startswith("repolens") and run.median and cold.median:
            ratio = f"{cold.median / run.median:.2f}x"
        lines.append(f"| {name} | {covered[name]} | {fmt_seconds(run)} | {peak} | {ratio} |")
    return lines
