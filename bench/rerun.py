"""The cost of ``repolens rerun`` (``make bench-rerun``): the same notebooks run by
papermill directly and by repolens rerun in each sandbox this machine has, and the
environment's build timed apart (first build, then a second rerun that reuses it).

The notebooks are generated (``NOTEBOOKS`` of them, each a few cells of pure-Python work
of about ``--work`` seconds, saved with the outputs they give), so every run executes the
same code; papermill runs them one after another with the same interpreter and the same
kernel, each in its own folder, as repolens does. Median of ``--runs`` runs after one
warm-up. The table replaces the "## repolens rerun: cost" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADING = "## repolens rerun: cost"
NOTEBOOKS = 6


def work_cell(seconds: float, seed: int) -> str:
    """Pure-Python work of about ``seconds`` (calibrated on this machine), deterministic."""
    rounds = int(seconds * 2_000_000)
    return (
        f"total = 0\nfor i in range({rounds}):\n    total = (total * 31 + i + {seed}) % 1000003\n"
        "print(total)\n"
    )


def make_repository(root: Path, seconds: float) -> None:
    import nbformat
    from nbclient import NotebookClient

    for index in range(NOTEBOOKS):
        folder = root / f"part{index}"
        folder.mkdir(parents=True)
        notebook = nbformat.v4.new_notebook()
        notebook.metadata["kernelspec"] = {
            "name": "python3",
            "language": "python",
            "display_name": "Python 3",
        }
        notebook.cells = [
            nbformat.v4.new_markdown_cell(f"# Part {index}"),
            nbformat.v4.new_code_cell("import math\nprint(math.pi)\n"),
            nbformat.v4.new_code_cell(work_cell(seconds, index)),
        ]
        NotebookClient(notebook, kernel_name="python3").execute()  # saved with its outputs
        nbformat.write(notebook, folder / f"part{index}.ipynb")
    (root / "requirements.txt").write_text("six==1.16.0\n")


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    """The wall time of ``command``; a rerun must have reproduced every notebook (a run
    that failed fast would otherwise look cheap)."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command[:6]} failed ({done.returncode}): {done.stderr[-800:]}")
    if "rerun" in command:
        out = Path(command[command.index("-o") + 1])
        summary = json.loads((out / "rerun.json").read_text())["summary"]
        if summary["reproduced"] != NOTEBOOKS:
            raise SystemExit(f"{command[:6]} reproduced {summary['reproduced']} notebooks")
    return seconds


def papermill_all(root: Path, out: Path) -> list[str]:
    script = (
        "import pathlib, sys, papermill\n"
        "root, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])\n"
        "for path in sorted(root.rglob('*.ipynb')):\n"
        "    papermill.execute_notebook(str(path), str(out / path.name), cwd=str(path.parent),\n"
        "                               kernel_name='python3', progress_bar=False)\n"
    )
    return [sys.executable, "-c", script, str(root), str(out)]


def rerun_command(root: Path, out: Path, sandbox: str, *more: str) -> list[str]:
    return [sys.executable, "-m", "repolens", "rerun", str(root), "-o", str(out),
            "--sandbox", sandbox, "-q", *more]  # fmt: skip


def available(kind: str) -> bool:
    from repolens.rerun.sandbox import available as sandbox_available

    return sandbox_available(kind)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=float, default=2.0, help="seconds of work per notebook")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="repolens-bench-rerun-") as scratch:
        base = Path(scratch)
        root = base / "repository"
        make_repository(root, args.work)
        (base / "papermill").mkdir()
        commands = {
            "papermill, one notebook after another": papermill_all(root, base / "papermill")
        }
        for sandbox in ("none", "bwrap", "podman"):
            if sandbox == "none" or available(sandbox):
                commands[f"repolens rerun --env current --sandbox {sandbox}"] = rerun_command(
                    root, base / f"out-{sandbox}", sandbox, "--env", "current"
                )
        times: dict[str, list[float]] = {name: [] for name in commands}
        for command in commands.values():
            timed(command)  # warm-up
        for _ in range(args.runs):  # interleaved: the machine's other load falls on each alike
            for name, command in commands.items():
                times[name].append(timed(command))
        rows = [(name, statistics.median(values)) for name, values in times.items()]
        papermill = rows[0][1]
        env = {**os.environ, "REPOLENS_CACHE_DIR": str(base / "cache")}
        sandbox = "bwrap" if available("bwrap") else "none"
        first = timed(rerun_command(root, base / "declared-1", sandbox), env)
        second = timed(rerun_command(root, base / "declared-2", sandbox), env)
        one = json.loads((base / "declared-1" / "rerun.json").read_text())["environment"]
        two = json.loads((base / "declared-2" / "rerun.json").read_text())["environment"]
    lines = [
        HEADING,
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on "
        f"{platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()} (`python bench/rerun.py"
        f" --runs {args.runs} --work {args.work}`); load average {load_before:.1f} at the "
        f"start, {os.getloadavg()[0]:.1f} at the end (the machine is shared: a load above "
        f"{os.cpu_count()} slows the rows unevenly).",
        "",
        f"{NOTEBOOKS} generated notebooks of about {args.work:g} s of work each, saved with the "
        "outputs they give; median wall time of "
        f"{args.runs} runs after a warm-up, the runs of each kind taken in turn. "
        "repolens's time includes its scan and checks of "
        "the tree, the copy into the scratch folder, the comparison and every file it "
        "writes; `--jobs 1`, as papermill runs them.",
        "",
        "| run | median wall | / papermill |",
        "|---|---:|---:|",
    ]
    for name, seconds in rows:
        lines.append(f"| {name} | {seconds:.2f} s | {seconds / papermill:.2f}x |")
    lines += [
        "",
        "What a rerun adds is a cost per notebook, not per cell: a fresh interpreter in a "
        "fresh scratch folder for each notebook (papermill keeps one process and its imports "
        "for all), the executed notebook read back and compared, plus once the scan and checks "
        "of the tree. Per notebook, over papermill: "
        + ", ".join(
            f"{name.removeprefix('repolens rerun --env current ')} "
            f"{(seconds - papermill) / NOTEBOOKS:.2f} s"
            for name, seconds in rows[1:]
        )
        + ". The ratio falls toward 1 as notebooks do more work.",
        "",
        f"The declared environment (six and what runs inside: ipykernel, nbclient), sandbox "
        f"{sandbox}: the first rerun built it in {one['build_seconds']:.2f} s "
        f"(whole run {first:.2f} s, uv's own download cache warm); the second found it in "
        f"the cache (reused: {str(two['reused']).lower()}, build {two['build_seconds']:.2f} s; "
        f"whole run {second:.2f} s).",
        "",
    ]
    write_section(args.results, "\n".join(lines))
    print("\n".join(lines))


def write_section(path: Path, section: str) -> None:
    """Replace the section under ``HEADING`` (up to the next "## "), or add it at the end."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if HEADING in text:
        start = text.index(HEADING)
        end = text.find("\n## ", start + len(HEADING))
        text = text[:start] + section + ("" if end < 0 else text[end:])
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
