"""Benchmark repolens against scc, tokei, cloc and pygount; write bench/RESULTS.md.

Trees: (a) this interpreter's standard library (copied without site-packages),
(b) the Linux kernel source from Debian's linux-source-6.1, (c) a generated
ML project with 50,000 small images beside code, notebooks and CSVs. Every tool
runs on the same tree in the same session; the page cache is warmed first, so
"cold" means "without repolens' own cache", not "from disk".

(d) one folder of 100,000 small text files.

With REPOLENS_COMPILED_PYTHON naming a Python whose repolens came from the compiled wheel
(REPOLENS_MYPYC=1, scripts/wheel-smoke.sh), each tree also times "repolens compiled" cold
and warm in the same run, beside the pure source.

Usage: python bench/run.py [--runs N] [--trees stdlib,linux,ml,...,portfolio] [--timeout S]

(e) `repolens history` on psf/requests: see bench/history.py.
(f) `repolens portfolio` on 200 generated repositories: see bench/portfolio.py.
Data goes to $REPOLENS_BENCH_DATA (default /var/tmp/repolens-bench).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = Path(os.environ.get("REPOLENS_BENCH_DATA", "/var/tmp/repolens-bench"))
KERNEL_TARBALL = Path("/usr/src/linux-source-6.1.tar.xz")
TOKEI = (
    "import sys\nfrom pytokei import Config, Languages\n"
    "languages = Languages()\nlanguages.get_statistics([sys.argv[1]], [], Config())\n"
    "total = languages.total()\nprint(total.code, total.comments, total.blanks, "
    "sum(len(lang.reports) for lang in languages.get_languages().values()))\n"
)


@dataclass
class Run:
    seconds: list[float] = field(default_factory=list)
    peak_kib: list[int] = field(default_factory=list)
    timed_out: float | None = None
    failed: str | None = None
    output: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None

    @property
    def peak_mib(self) -> float | None:
        return max(self.peak_kib) / 1024 if self.peak_kib else None


GNU_TIME = "/usr/bin/time"


def measure(command: list[str], timeout: float) -> tuple[float, int, str] | str:
    """Run once; (wall seconds, peak RSS KiB, stdout), or 'timeout', or an error text.

    Peak RSS comes from GNU time where it exists: a child forked from this (large)
    process would otherwise count the parent's pages until it execs.
    """
    timed = os.path.exists(GNU_TIME)
    if timed:
        command = [GNU_TIME, "-f", "RSS_KIB %M", *command]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                os.wait4(process.pid, 0)
                return "timeout"
            time.sleep(0.005)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        errors = err.read().decode(errors="replace")
        if process.returncode != 0:
            return f"exit {process.returncode}: {errors[-300:]}"
        peak = usage.ru_maxrss
        if timed:
            peak = int(errors.rsplit("RSS_KIB ", 1)[1].split()[0])
        return elapsed, peak, out.read().decode(errors="replace")


def bench(command: list[str], runs: int, timeout: float) -> Run:
    result = Run()
    for _ in range(runs):
        outcome = measure(command, timeout)
        if outcome == "timeout":
            result.timed_out = timeout
            return result
        if isinstance(outcome, str):
            result.failed = outcome
            return result
        seconds, peak, output = outcome
        result.seconds.append(seconds)
        result.peak_kib.append(peak)
        result.output = output
    return result


# --- trees ---------------------------------------------------------------------------


def stdlib_tree() -> Path:
    target = DATA / "stdlib"
    if not target.exists():
        source = Path(sysconfig.get_paths()["stdlib"])
        ignore = shutil.ignore_patterns("site-packages", "__pycache__", "*.pyc")
        shutil.copytree(source, target, ignore=ignore, symlinks=True)
    return target


def linux_tree() -> Path | None:
    target = DATA / "linux-source-6.1"
    if not target.exists():
        if not KERNEL_TARBALL.exists():
            print(
                f"skipping the kernel: {KERNEL_TARBALL} is missing "
                "(apt-get install linux-source-6.1)",
                file=sys.stderr,
            )
            return None
        print("extracting the kernel source ...", file=sys.stderr)
        with tarfile.open(KERNEL_TARBALL) as archive:
            archive.extractall(DATA, filter="tar")
    return target


def _generated(name: str, fill: Callable[[Path], None]) -> Path:
    """``DATA/name``, made once by ``fill`` into a temporary folder renamed when complete."""
    target = DATA / name
    if target.exists():
        return target
    building = target.with_suffix(".tmp")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    fill(building)
    building.rename(target)
    return target


def flat_tree(files: int = 100_000) -> Path:
    """One folder of many small text files: the walk, the records and the reports dominate."""

    def fill(building: Path) -> None:
        for index in range(files):
            (building / f"frame_{index:06d}.txt").write_text(f"{index},0.5,0.9\n")

    return _generated(f"flat-{files}", fill)


def ml_tree(images: int = 50_000) -> Path:
    """A behavioural-cloning-shaped project: many frames, a few scripts, notebooks, logs."""

    def fill(building: Path) -> None:
        png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 2
        for index in range(images):
            folder = building / "data" / "IMG" / f"{index // 5000:02d}"
            if index % 5000 == 0:
                folder.mkdir(parents=True)
            (folder / f"center_{index:06d}.png").write_bytes(png + index.to_bytes(4, "big"))
        code = "import numpy as np\n\n# steering model\ndef f(x):\n    return np.tanh(x)\n" * 20
        for index in range(40):
            path = building / "src" / f"module_{index:02d}.py"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(code)
        cell = {
            "cell_type": "code",
            "source": ["x = 1\n", "print(x)\n"],
            "execution_count": 1,
            "metadata": {},
            "outputs": [{"output_type": "stream", "name": "stdout", "text": ["1\n"]}],
        }
        notebook = {
            "cells": [cell] * 30,
            "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        for index in range(12):
            path = building / "notebooks" / f"{index:02d}_step.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(notebook, indent=1))
        rows = "".join(f"IMG/center_{i:06d}.png,{(i % 50) / 100},0.9,0,30\n" for i in range(images))
        (building / "data").mkdir(exist_ok=True)
        (building / "data" / "driving_log.csv").write_text(
            "center,steering,throttle,brake,speed\n" + rows
        )
        (building / "model.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(1 << 20))

    return _generated(f"ml-{images}", fill)


def million_tree(frames: int = 1_000_000) -> Path:
    """The ML project at a million files: camera frames in folders of 1,000 (the shape of a
    day of driving at 10 frames a second), a driving log of a million rows, code, notebooks."""

    def fill(building: Path) -> None:
        png = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
        for index in range(frames - 54):  # the 54 other files come from ml_tree(0)
            folder = building / "data" / "IMG" / f"{index // 1000:04d}"
            if index % 1000 == 0:
                folder.mkdir(parents=True)
            descriptor = os.open(folder / f"center_{index:07d}.png", os.O_WRONLY | os.O_CREAT)
            os.write(descriptor, png + index.to_bytes(4, "big"))
            os.close(descriptor)
        small = ml_tree(0)
        for path in small.rglob("*"):
            if path.is_file() and "IMG" not in path.parts:
                target = building / path.relative_to(small)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
        with open(building / "data" / "driving_log.csv", "w") as log:
            log.write("center,steering,throttle,brake,speed\n")
            for index in range(frames - 54):
                log.write(f"IMG/center_{index:07d}.png,{(index % 50) / 100},0.9,0,30\n")

    return _generated(f"million-{frames}", fill)


# --- tools ---------------------------------------------------------------------------


def tools(tree: Path, out: Path, cache: Path) -> dict[str, list[str]]:
    python = sys.executable
    repolens = [python, "-m", "repolens", "scan", str(tree), "-o", str(out), "-q"]
    checks = [python, "-m", "repolens", "check", str(tree), "-o", str(out.with_name("checked"))]
    before = os.environ.get("REPOLENS_BEFORE")  # a Python with an earlier repolens installed
    earlier = {}
    if before:
        scan = [before, "-m", "repolens", "scan", str(tree), "-o", str(out) + "-before", "-q"]
        earlier = {
            "repolens before (cold)": [*scan, "--no-cache"],
            "repolens before (warm)": [*scan, "--cache-dir", str(cache) + "-before"],
        }
    # A Python whose repolens came from the compiled wheel (REPOLENS_MYPYC=1), timed in the
    # same run as the pure source: what the compiled modules buy on each tree.
    compiled_python = os.environ.get("REPOLENS_COMPILED_PYTHON")
    compiled = {}
    if compiled_python:
        scan = [compiled_python, "-m", "repolens", "scan", str(tree), "-o", str(out), "-q"]
        compiled = {
            "repolens compiled (cold)": [*scan, "--no-cache"],
            "repolens compiled (warm)": [*scan, "--cache-dir", str(cache) + "-compiled"],
        }
    return {
        **earlier,
        "repolens (cold)": [*repolens, "--no-cache"],
        "repolens (warm)": [*repolens, "--cache-dir", str(cache)],
        **compiled,
        "repolens check": [*checks, "-q", "--fail-on", "never"],
        "scc": [shutil.which("scc") or "scc", "--no-gitignore", "--format", "json", str(tree)],
        "tokei": [python, "-c", TOKEI, str(tree)],
        "cloc": [shutil.which("cloc") or "cloc", "--json", "--quiet", str(tree)],
        "pygount": [shutil.which("pygount") or "pygount", "--format", "summary", str(tree)],
    }


def counts(tool: str, output: str, out: Path) -> dict[str, int] | None:
    """Files, code, comment and blank lines as each tool reports them."""
    try:
        if tool.startswith("repolens"):
            summary = json.loads((out / "metrics.json").read_text())["summary"]
            return {
                "files": summary["total_files"],
                "code": summary["code_lines"],
                "comment": summary["comment_lines"],
                "blank": summary["blank_lines"],
            }
        if tool == "scc":
            languages = json.loads(output)
            return {
                "files": sum(item["Count"] for item in languages),
                "code": sum(item["Code"] for item in languages),
                "comment": sum(item["Comment"] for item in languages),
                "blank": sum(item["Blank"] for item in languages),
            }
        if tool == "tokei":
            code, comment, blank, files = map(int, output.split())
            return {"files": files, "code": code, "comment": comment, "blank": blank}
        if tool == "cloc":
            total = json.loads(output)["SUM"]
            return {
                "files": total["nFiles"],
                "code": total["code"],
                "comment": total["comment"],
                "blank": total["blank"],
            }
    except (ValueError, KeyError, OSError):
        return None
    return None


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, "
        f"{memory:.0f} GiB, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def versions() -> str:
    parts = []
    for name, command in (
        ("scc", ["scc", "--version"]),
        ("cloc", ["cloc", "--version"]),
        ("pygount", ["pygount", "--version"]),
    ):
        try:
            text = subprocess.run(command, capture_output=True, text=True, timeout=30).stdout
            parts.append(f"{name} {text.strip().split()[-1]}")
        except (OSError, subprocess.SubprocessError, IndexError):
            parts.append(f"{name} missing")
    import pytokei

    from repolens import __version__

    return ", ".join([f"repolens {__version__}", f"pytokei {pytokei.__version__}", *parts])


def fmt_seconds(run: Run) -> str:
    if run.failed:
        return "failed"
    if run.timed_out:
        return f"did not finish in {run.timed_out:.0f} s"
    return f"{run.median:.2f} s"


def report_section(runs: int, timeout: float) -> list[str]:
    """`make report` on the bundled sample, end to end (kernel start included)."""
    with tempfile.TemporaryDirectory() as scratch:
        command = ["make", "-C", str(HERE.parent), "report", f"OUT={scratch}/sample"]
        run = bench(command, runs, timeout)
    return [
        "",
        "## make report on the bundled sample",
        "",
        f"End to end (papermill with kernel start, then nbconvert to HTML): median "
        f"{fmt_seconds(run)} of {runs} runs, peak RSS {run.peak_mib or 0:.0f} MiB "
        "(the largest process; the kernel runs in its own). Target: under 15 s.",
    ]


NOTES_MARKER = "<!-- notes: kept when the benchmark rewrites this file -->"


def _by_heading(text: str) -> tuple[list[str], dict[str, list[str]]]:
    """The lines before the first "## " heading, and each "## " section's lines by heading."""
    head: list[str] = []
    parts: dict[str, list[str]] = {}
    current = head
    for line in text.splitlines():
        if line.startswith("## "):
            current = parts.setdefault(line, [])
        current.append(line)
    return head, parts


def write_results(sections: list[str], path: Path) -> None:
    """Write the measured sections, keeping the sections of trees this run did not measure
    (in their place) and the hand-written notes after the marker."""
    notes = ""
    kept: dict[str, list[str]] = {}
    previous_head: list[str] = []
    if path.exists():
        previous = path.read_text()
        if NOTES_MARKER in previous:
            notes = previous[previous.index(NOTES_MARKER) :]
            previous = previous[: previous.index(NOTES_MARKER)]
        previous_head, kept = _by_heading(previous)
    head, measured = _by_heading("\n".join(sections))
    if set(kept) - set(measured):  # a partial run: the head still describes the full one
        head = previous_head
    merged = {**{name: lines for name, lines in kept.items()}, **measured}
    body = [*head]
    for lines in merged.values():
        while lines and not lines[-1].strip():
            lines = lines[:-1]
        body += [*lines, ""]
    text = "\n".join(body).rstrip("\n") + "\n"
    path.write_text(text + ("\n" + notes if notes else ""))
    print(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per fast tool")
    parser.add_argument(
        "--trees",
        default="stdlib,linux,ml,flat,report",
        help="any of stdlib, linux, ml, flat, report (make report on the sample), "
        "history (repolens history on psf/requests), portfolio (200 generated repositories); "
        "the last two are not in the default set",
    )
    parser.add_argument("--timeout", type=float, default=600, help="seconds per slow-tool run")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument(
        "--tools", default="", help="comma-separated subset of the tools to run (default: all)"
    )
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)

    trees = {"stdlib": stdlib_tree, "linux": linux_tree, "ml": ml_tree, "flat": flat_tree}
    names = {
        "stdlib": "Python standard library",
        "linux": "Linux 6.1 source",
        "ml": "ML project, 50,000 images",
        "flat": "One folder of 100,000 small files",
    }
    sections = [
        "# Benchmarks",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine()}.",
        f"Tools: {versions()}.",
        "",
        f"Median wall time of {args.runs} runs after one warm-up run (page cache warm); "
        "peak RSS is the largest of the runs. cloc and pygount run once, bounded by "
        f'{args.timeout:.0f} s. "repolens (cold)" re-reads every file (`--no-cache`) and '
        'writes metrics.json and files.csv; "repolens (warm)" re-scans the unchanged tree '
        "with its cache. Ratios are repolens (cold) / peer, and for the warm run, "
        "repolens (warm) / peer.",
    ]
    for key in [item.strip() for item in args.trees.split(",") if item.strip()]:
        if key == "report":
            sections += report_section(args.runs, args.timeout)
            write_results(sections, args.output)
            continue
        if key in ("history", "portfolio"):
            if key == "history":
                from history import history_section as section
            else:
                from portfolio import portfolio_section as section

            sections += section(DATA, args.runs, args.timeout, bench, fmt_seconds)
            write_results(sections, args.output)
            continue
        tree = trees[key]()
        if tree is None:
            continue
        files = sum(len(found) for _, _, found in os.walk(tree))
        with tempfile.TemporaryDirectory() as scratch:
            out, cache = Path(scratch) / "out", Path(scratch) / "cache"
            commands = tools(tree, out, cache)
            if args.tools:
                wanted = {item.strip() for item in args.tools.split(",")}
                commands = {
                    name: command
                    for name, command in commands.items()
                    if name in wanted or name.split(" ")[0] in wanted
                }
            results: dict[str, Run] = {}
            table_counts: dict[str, dict[str, int] | None] = {}
            for tool, command in commands.items():
                slow = tool in ("cloc", "pygount")
                if shutil.which(command[0]) is None and not command[0].endswith("python"):
                    results[tool] = Run(failed="not installed")
                    continue
                if not slow:
                    measure(command, args.timeout)  # warm-up (and the cache for the warm run)
                print(f"{key}: {tool} ...", file=sys.stderr, flush=True)
                results[tool] = bench(command, 1 if slow else args.runs, args.timeout)
                table_counts[tool] = counts(tool, results[tool].output, out)
        peers = {
            name: run
            for name, run in results.items()
            if not name.startswith("repolens") and run.median is not None
        }
        fastest = min(peers.items(), key=lambda item: item[1].median) if peers else None
        sections += [
            "",
            f"## {names[key]} ({files:,} files)",
            "",
            "| tool | median wall | peak RSS | repolens cold / tool | repolens warm / tool |",
            "|---|---:|---:|---:|---:|",
        ]
        cold = results.get("repolens (cold)")
        warm = results.get("repolens (warm)")
        for tool, run in results.items():
            peak = f"{run.peak_mib:.0f} MiB" if run.peak_mib else "-"
            ratio_cold = ratio_warm = "-"
            if tool in peers and cold and cold.median:
                ratio_cold = f"{cold.median / run.median:.2f}x"
            if tool in peers and warm and warm.median:
                ratio_warm = f"{warm.median / run.median:.2f}x"
            sections.append(
                f"| {tool} | {fmt_seconds(run)} | {peak} | {ratio_cold} | {ratio_warm} |"
            )
        if fastest:
            sections += ["", f"Fastest peer: {fastest[0]} ({fastest[1].median:.2f} s)."]
        for kind in ("cold", "warm"):
            earlier, now = (
                results.get(f"repolens before ({kind})"),
                results.get(f"repolens ({kind})"),
            )
            if earlier and now and earlier.median and now.median:
                sections += [
                    "",
                    f"Before and after, {kind}: {earlier.median:.2f} s and "
                    f"{earlier.peak_mib:.0f} MiB before, {now.median:.2f} s and "
                    f"{now.peak_mib:.0f} MiB now ({now.median / earlier.median:.2f}x the time, "
                    f"{now.peak_mib / earlier.peak_mib:.2f}x the memory).",
                ]
        for kind in ("cold", "warm"):
            pure, built = (
                results.get(f"repolens ({kind})"),
                results.get(f"repolens compiled ({kind})"),
            )
            if fastest and pure and built and pure.median and built.median:
                sections += [
                    "",
                    f"Compiled and pure, {kind}: {built.median:.2f} s compiled, "
                    f"{pure.median:.2f} s pure ({built.median / pure.median:.2f}x); "
                    f"{built.median / fastest[1].median:.2f}x the fastest peer compiled, "
                    f"{pure.median / fastest[1].median:.2f}x pure.",
                ]
        checked = results.get("repolens check")
        if checked and checked.median and cold and cold.median:
            sections += [
                "",
                f"`repolens check` (one read of every file, all checks, the reports and the "
                f"findings written) takes {checked.median:.2f} s: "
                f"{checked.median / cold.median - 1:+.0%} on the cold scan "
                f"({cold.median:.2f} s) of the same run (target: at most +25%).",
            ]
        sections += [
            "",
            "What each tool counted:",
            "",
            "| tool | files | code | comment | blank |",
            "|---|---:|---:|---:|---:|",
        ]
        for tool, numbers in table_counts.items():
            if tool.startswith("repolens before") or numbers is None:
                continue
            if tool.endswith("(warm)") or tool == "repolens check":
                continue
            sections.append(
                f"| {tool} | {numbers['files']:,} | {numbers['code']:,} | "
                f"{numbers['comment']:,} | {numbers['blank']:,} |"
            )
        write_results(sections, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
