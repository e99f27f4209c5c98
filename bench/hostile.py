"""The hostile benchmark (``make bench-hostile``): every case of every ``bench/hostile_*.py``
at full size, its time and memory per MiB of input, as a table in bench/RESULTS.md.

Cases are data: each module lists ``CASES`` of ``hostile_case.Case``. Each case runs in a
process of its own for each size, so one case's memory is not another's: the input is
built, then ``run`` is timed (CPU seconds of the process, so other work on the machine
counts little) and run again under ``tracemalloc`` for its peak of Python memory; the
growth of the process's peak RSS during the first run (the peak reset through
/proc/self/clear_refs once the input is built) catches memory outside Python's heap (RE2,
zlib). A case that takes longer than ``--timeout`` is cut and reported so. The table
replaces the "## Hostile inputs" section of the results (or is added at their end); the
rest of the file is kept.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
HEADING = "## Hostile inputs: time and memory per MiB"
TARGET_SECONDS = 1.0  # per MiB of input
TARGET_MEMORY = 50.0  # MiB per MiB of input
MIB = 1 << 20


def case_modules() -> list[str]:
    """The modules that list cases: ``bench/hostile_*.py`` but the case type's own."""
    return sorted(path.stem for path in HERE.glob("hostile_*.py") if path.stem != "hostile_case")


def cases(module: str) -> list[Any]:
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    return list(importlib.import_module(module).CASES)


def size_of(built: Any, target: int) -> int:
    """Bytes of a built input, where its shape tells: content, a file, a record and its
    content, strings to match; else the size it was built for."""
    if isinstance(built, bytes | bytearray | str):
        if isinstance(built, str) and len(built) < 4096 and os.path.isfile(built):
            return os.path.getsize(built)
        return len(built)
    if isinstance(built, os.PathLike) and os.path.isfile(built):
        return os.path.getsize(built)
    for attribute in ("size_bytes", "size"):
        value = getattr(built, attribute, None)
        if isinstance(value, int):
            return value
    if isinstance(built, tuple | list) and built:
        first = size_of(built[0], -1)
        if hasattr(built[0], "size_bytes") and first >= 0:
            return first  # a record and its content: the record says how big
        sizes = [size_of(item, -1) for item in built]
        if all(size >= 0 for size in sizes):
            return sum(sizes)
    return target


def _status(field: str) -> int | None:
    """A size (bytes) from /proc/self/status (VmRSS, VmHWM), or None where there is none."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _reset_peak() -> int:
    """Reset the process's peak RSS to its current RSS (Linux: /proc/self/clear_refs), so
    the peak that follows belongs to what runs next; return the RSS now (bytes)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return _status("VmRSS") or 0


def _peak() -> int:
    found = _status("VmHWM")
    return found if found is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(module: str, name: str, size: int) -> dict[str, Any]:
    """Build one case's input at ``size`` and measure ``run`` on it (in this process)."""
    case = next(item for item in cases(module) if item.name == name)
    with tempfile.TemporaryDirectory(prefix="repolens-hostile-") as scratch:
        built = case.build(size, Path(scratch))
        gc.collect()
        before = _reset_peak()
        started = time.process_time()
        case.run(built)
        seconds = time.process_time() - started
        grown = max(0, _peak() - before)
        gc.collect()
        tracemalloc.start()
        tracemalloc.reset_peak()
        case.run(built)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        actual = size_of(built, size)
    return {"bytes": actual, "seconds": seconds, "heap": peak, "rss": grown}


def measure_apart(module: str, name: str, size: int, timeout: float) -> dict[str, Any]:
    """``measure`` in a child process, cut at ``timeout`` seconds."""
    command = [sys.executable, str(Path(__file__)), "--child", module, name, str(size)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"bytes": size, "timeout": timeout}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"bytes": size, "error": last[:200]}
    return json.loads(done.stdout)


def _accepted(module: str, name: str, cap: int, timeout: float) -> dict[str, Any]:
    """``measure_apart`` at the largest size accepted: at ``cap``, or a little under when the
    case's builder overshoots its target (its input would be refused)."""
    run = measure_apart(module, name, cap, timeout)
    if run["bytes"] > cap:
        run = measure_apart(module, name, int(cap * cap / run["bytes"] * 0.98), timeout)
    return run


def _per_mib(value: float, size: int) -> float:
    return value / max(size, 1) * MIB


def row(module: str, case: Any, sizes: list[int], timeout: float) -> tuple[str, bool]:
    """A table row: the worst time and memory per MiB of the case over the sizes."""
    cap = getattr(case, "cap", None)
    runs = [measure_apart(module, case.name, size, timeout) for size in sizes]
    if cap is not None and any(run["bytes"] > cap for run in runs):
        runs.append(_accepted(module, case.name, cap, timeout))
    failed = next((run for run in runs if "timeout" in run or "error" in run), None)
    largest = max(run["bytes"] for run in runs)
    if failed is not None:
        what = (
            f"over {failed['timeout']:.0f} s"
            if "timeout" in failed
            else f"failed: {failed['error']}"
        )
        cells = [case.name, case.exercises, f"{largest / MIB:.1f} MiB", what, "-", "-", "-", "no"]
        return "| " + " | ".join(_escape(cell) for cell in cells) + " |", False
    seconds = max(_per_mib(run["seconds"], run["bytes"]) for run in runs)
    heap = max(_per_mib(run["heap"], run["bytes"]) for run in runs) / MIB
    rss = max(_per_mib(run["rss"], run["bytes"]) for run in runs) / MIB
    slowest = max(runs, key=lambda run: run["seconds"])
    within = seconds <= TARGET_SECONDS and max(heap, rss) <= TARGET_MEMORY
    shown = f"{largest / MIB:.1f} MiB"
    if cap is not None and largest > cap:
        accepted = runs[-1]["bytes"] / MIB
        shown += f" (refused over {cap / MIB:g} MiB; measured at {accepted:.2f} MiB too)"
    cells = [
        case.name,
        case.exercises,
        shown,
        f"{slowest['seconds']:.2f} s",
        f"{seconds:.2f} s",
        f"{heap:.1f} MiB",
        f"{rss:.1f} MiB",
        "yes" if within else "no",
    ]
    return "| " + " | ".join(_escape(cell) for cell in cells) + " |", within


def _escape(cell: str) -> str:
    return cell.replace("|", "\\|").replace("`", "'")


def section(sizes: list[int], timeout: float, only: str) -> list[str]:
    lines = [
        HEADING,
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, by `make bench-hostile` "
        f"(bench/hostile.py). Each case at {', '.join(f'{size / MIB:g}' for size in sizes)} MiB "
        "in a process of its own; the worst of the sizes per MiB of input. Time is the CPU "
        "time of `run`; memory is the peak of Python's heap during `run` (tracemalloc) and "
        "the growth of the process's peak RSS (what RE2, zlib and SQLite hold too). Target: "
        f"at most {TARGET_SECONDS:g} s and {TARGET_MEMORY:g} MiB per MiB of input.",
        "",
        "| case | exercises | input | time | time per MiB | heap per MiB | RSS growth per MiB "
        "| within target |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    missed = 0
    for module in case_modules():
        for case in cases(module):
            if only and only not in case.name and only not in case.exercises:
                continue
            text, within = row(module, case, sizes, timeout)
            print(text, flush=True)
            lines.append(text)
            missed += not within
    lines += ["", f"{missed} case{'s' if missed != 1 else ''} over the target."]
    return lines


def write_section(lines: list[str], path: Path) -> None:
    """Replace the section under ``HEADING`` (up to the next "## "), or add it at the end."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    block = "\n".join(lines).rstrip("\n") + "\n"
    if HEADING in text:
        start = text.index(HEADING)
        end = text.find("\n## ", start + len(HEADING))
        rest = text[end + 1 :] if end >= 0 else ""
        text = text[:start] + block + ("\n" + rest if rest else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text, encoding="utf-8")


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        print(json.dumps(measure(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2,8", help="MiB, comma-separated (default: 2,8)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per case and size")
    parser.add_argument("--only", default="", help="cases whose name or check holds this text")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    sizes = [int(float(item) * MIB) for item in args.sizes.split(",") if item.strip()]
    lines = section(sizes, args.timeout, args.only)
    if not args.only:
        write_section(lines, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
