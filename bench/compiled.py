"""Compiled and pure Python, module by module: what mypyc buys on the per-file path.

Compiles the candidate modules of the per-file path with mypyc, in scratch copies of
``lib`` (each candidate alone, all of them, the wheel's set); then times the steps of
``bench/steps.py`` over a tree with the pure source, with every candidate compiled, and
with each candidate compiled alone (the others as Python), and a whole cold scan's CPU
time in the scan's own process with the pure source, the wheel's set and every candidate compiled.
Prints Markdown tables for bench/RESULTS.md. The wheel compiles only the modules that
pay (build_backend/compiled.txt).

Usage: python bench/compiled.py TREE [--repeat N] [--scans N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

# Candidate -> the steps of bench/steps.py whose time it decides.
CANDIDATES = {
    "repolens/scanning/walk.py": ["walk (listing, lstat, order)"],
    "repolens/scanning/build.py": ["walk fields (build)"],
    "repolens/scanning/sniff.py": ["sniff"],
    "repolens/scanning/reading.py": ["open, fstat, read head, sniff, classify (reading)"],
    "repolens/scanning/chunks.py": ["records from the engine's counts (chunks, build)"],
    "repolens/scanning/windows.py": [],
    "repolens/render/rows.py": ["files.csv rows (render.rows)"],
    "repolens/render/metrics.py": ["metrics.json items (render.metrics)"],
    "repolens/render/encoding.py": ["both rows, a window at a time (render.encoding)"],
    "repolens/core/cells.py": ["files.csv rows (render.rows)"],
    "repolens/core/times.py": ["metrics.json items (render.metrics)"],
}
# Not candidates, and why (mypyc 2.4.1):
#   scanning/counting.py  an attribute named ``_thread`` becomes C's ``__thread`` keyword
#   render/summary.py     a ``str`` subclass (ties in the top-N) cannot be a native class
#   core/records.py       frozen native classes cannot be unpickled, and have no __slots__
_SETUP = """
import os
from setuptools import setup
from mypyc.build import mypycify
setup(name="bench", ext_modules=mypycify(
    ["--ignore-missing-imports", "--follow-imports=silent", *os.environ["MODULES"].split()],
    opt_level="3"))
"""
_SCAN_CPU = """
import resource, runpy, sys
sys.argv = ["repolens", *sys.argv[1:]]
try:
    runpy.run_module("repolens", run_name="__main__")
except SystemExit:
    pass
usage = resource.getrusage(resource.RUSAGE_SELF)
print(usage.ru_utime + usage.ru_stime)
"""


def build(scratch: Path, name: str, modules: list[str]) -> Path:
    """A copy of ``lib`` in ``scratch/name`` with ``modules`` compiled (none: pure Python).
    Each set is compiled on its own: modules compiled together call each other natively."""
    lib = scratch / name
    shutil.copytree(REPO / "lib", lib, ignore=shutil.ignore_patterns("__pycache__"))
    if modules:
        setup = scratch / "setup.py"
        setup.write_text(_SETUP)
        command = [sys.executable, str(setup), "build_ext", "--inplace", "-j", "2"]
        env = {**os.environ, "MODULES": " ".join(modules)}
        subprocess.run(command, cwd=lib, env=env, check=True, capture_output=True)
        shutil.rmtree(lib / "build", ignore_errors=True)
    return lib


def steps(lib: Path, tree: str, repeat: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(lib)}
    command = [sys.executable, str(HERE / "steps.py"), tree, "--repeat", str(repeat)]
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    timed = json.loads(output.stdout)
    timed.pop("compiled")
    return timed


def scan_cpu(lib: Path, tree: str, runs: int) -> float:
    """The median CPU seconds of a cold scan's own process (the engine's apart)."""
    env = {**os.environ, "PYTHONPATH": str(lib)}
    seconds = []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(runs):
            command = [sys.executable, "-c", _SCAN_CPU, "scan", tree, "-o", out, "-q"]
            output = subprocess.run(
                [*command, "--no-cache"], env=env, check=True, capture_output=True, text=True
            )
            seconds.append(float(output.stdout.split()[-1]))
    return statistics.median(seconds)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step; the best is kept")
    parser.add_argument("--scans", type=int, default=3, help="whole scans per build")
    args = parser.parse_args()
    tree = os.path.abspath(args.tree)
    sys.path.insert(0, str(REPO))
    from setup import compiled_modules

    wheel = set(compiled_modules())

    with tempfile.TemporaryDirectory(prefix="repolens-compiled-") as folder:
        scratch = Path(folder)
        pure = build(scratch, "pure", [])
        compiled = build(scratch, "every", list(CANDIDATES))
        chosen = build(scratch, "wheel", sorted(wheel))
        base = steps(pure, tree, args.repeat)
        everything = steps(compiled, tree, args.repeat)
        print("| module | step it decides | pure | compiled alone | ratio | in the wheel |")
        print("|---|---|---:|---:|---:|---|")
        for index, (module, names) in enumerate(CANDIDATES.items()):
            if not names:
                print(f"| {module} | (whole scans only) | - | - | - | {_yes(module in wheel)} |")
                continue
            alone = steps(build(scratch, f"alone{index}", [module]), tree, args.repeat)
            for name in names:
                print(
                    f"| {module} | {name} | {base[name]:.3f} s | {alone[name]:.3f} s | "
                    f"{alone[name] / base[name]:.2f}x | {_yes(module in wheel)} |"
                )
        print()
        print("| step | pure | every candidate compiled | ratio |")
        print("|---|---:|---:|---:|")
        for name, seconds in base.items():
            print(
                f"| {name} | {seconds:.3f} s | {everything[name]:.3f} s | "
                f"{everything[name] / seconds:.2f}x |"
            )
        print()
        cpu = {
            label: scan_cpu(lib, tree, args.scans)
            for label, lib in (
                ("pure", pure),
                ("the wheel's set", chosen),
                ("every candidate", compiled),
            )
        }
        print("| cold scan, CPU of the scan's own process | median |")
        print("|---|---:|")
        for label, seconds in cpu.items():
            print(f"| {label} | {seconds:.2f} s ({seconds / cpu['pure']:.2f}x) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
