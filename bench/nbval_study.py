"""repolens rerun's comparison against nbval's on real notebooks (``make bench-nbval``).

Each repository of ``STUDY`` (clones under ``--repos``, by default the benchmark's clones
folder: ``$REPOLENS_BENCH_REPOS``, as ``bench/checks`` uses it) is
rerun by ``repolens rerun`` in bubblewrap with this interpreter's packages
(``--env current``: one repository declares no environment, the other pins 2016 releases
that have no wheels for this Python). Then, on the SAME executions, every code cell that
ran in the fresh run and had a saved run is judged twice:

- by nbval's own comparison (``nbval.plugin.IPyNbCell.compare_outputs`` of PyPI ``nbval``,
  called with its defaults: no sanitiser file, images not compared, streams coalesced as
  nbval does);
- by ``repolens.rerun.compare.compare_notebook`` (default tolerance 1e-6, built-in
  sanitisers, images by pixels); cells with an image are counted apart, since nbval
  judges them only by their text stand-in.

A second nbval execution would be a different run (other timings, other random draws) and
blur the agreement, hence one execution judged by both. The table gives the agreement, the
share of nbval's "differs" that repolens calls the same (sanitisable noise or numbers
within the tolerance) and each repository's reproduction rate; it replaces the
"## repolens rerun: nbval and real notebooks" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

HERE = Path(__file__).resolve().parent
HEADING = "## repolens rerun: nbval and real notebooks"

# (clone folder under --repos, notebook globs); every notebook of a repository when empty
STUDY: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("jrjohansson+scientific-python-lectures", ()),
    (
        "jakevdp+PythonDataScienceHandbook",
        ("notebooks/02.*.ipynb", "notebooks/03.*.ipynb", "notebooks/04.0[1-5]*.ipynb"),
    ),
)
# notebooks that pytest --nbval also runs itself, to check that its comparison called here
# fails the same cells as nbval's own run (deterministic notebooks, no image)
VALIDATE = (
    "jakevdp+PythonDataScienceHandbook",
    (
        "notebooks/02.09-Structured-Data-NumPy.ipynb",
        "notebooks/03.02-Data-Indexing-and-Selection.ipynb",
        "notebooks/03.03-Operations-in-Pandas.ipynb",
    ),
)
NBVAL_SKIP = ("NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP", "NBVAL_RAISES_EXCEPTION")


@dataclass(frozen=True, slots=True)
class CellJudgement:
    notebook: str
    cell: int
    nbval_same: bool
    ours_same: bool
    has_image: bool  # an image on either side: nbval compares only its text stand-in
    sanitised: bool  # repolens found it equal only once sanitised


def rerun(repository: Path, globs: tuple[str, ...], out: Path, jobs: int) -> int:
    command = [
        sys.executable, "-m", "repolens", "rerun", str(repository), "-o", str(out),
        "--env", "current", "--sandbox", "bwrap", "--jobs", str(jobs),
        "--timeout-cell", "60", "--timeout-notebook", "300", "--fail-on", "never", "-q",
    ]  # fmt: skip
    if globs:
        command += ["--notebooks", *globs]
    return subprocess.run(command, check=False, env=os.environ.copy()).returncode


def nbval_same(saved: list[Any], fresh: list[Any]) -> bool:
    """nbval 0.11's verdict on one cell, from its own comparison code."""
    import nbformat
    from nbval import plugin

    class Parent:
        skip_compare = (
            "metadata", "traceback", "prompt_number", "output_type", "name",
            "execution_count", "application/vnd.jupyter.widget-view+json",
            "image/png", "image/jpeg",
        )  # fmt: skip  # nbval's defaults without --nbdime
        sanitize_patterns = MappingProxyType({})  # no sanitiser file

    class Cell:
        parent = Parent()
        colors = plugin.nocolors
        sanitize = plugin.IPyNbCell.sanitize
        compare_outputs = plugin.IPyNbCell.compare_outputs

        def format_output_compare(self, *_args: Any) -> None:
            return None

    def nodes(outputs: list[Any]) -> list[Any]:
        # as nbval reads a notebook: nbformat's reader joins multi-line strings
        cell = {"cell_type": "code", "metadata": {}, "source": "", "outputs": outputs}
        notebook = nbformat.v4.nbjson.reads(
            json.dumps({**nbformat.v4.new_notebook(), "cells": [cell]})
        )
        return plugin.coalesce_streams(notebook.cells[0].outputs)

    return bool(Cell().compare_outputs(nodes(fresh), nodes(saved)))


def validate(repository: Path, judged: list[CellJudgement], paths: tuple[str, ...]) -> str:
    """pytest --nbval on copies of ``paths``: the cells it fails against the cells the
    comparison called here fails, as a sentence."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        for path in paths:
            shutil.copy(repository / path, folder)
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rf", "--nbval",
             "--nbval-current-env", *(Path(path).name for path in paths)],
            cwd=folder, capture_output=True, text=True, check=False,
        )  # fmt: skip
    real = {
        line.split(" - ")[0].removeprefix("FAILED ").strip()
        for line in done.stdout.splitlines()
        if line.startswith("FAILED ")
    }
    emulated, judged_here = set(), set()
    for cell in judged:
        if cell.notebook not in paths:
            continue
        cells = json.loads((repository / cell.notebook).read_text())["cells"]
        code = sum(1 for item in cells[: cell.cell] if item.get("cell_type") == "code")
        key = f"{Path(cell.notebook).name}::Cell {code}"
        judged_here.add(key)
        if not cell.nbval_same:
            emulated.add(key)
    verdict = "the same cells" if real == emulated else f"{len(real ^ emulated)} cells apart"
    return (
        f"Check of the method: `pytest --nbval` running {len(paths)} deterministic notebooks "
        f"itself fails {len(real)} cells; its comparison called on repolens' executions fails "
        f"{len(emulated)} of the {len(judged_here)} judged there: {verdict}."
    )


def _has_image(outputs: list[Any]) -> bool:
    return any(
        isinstance(output, dict)
        and any(str(kind).startswith("image/") for kind in output.get("data") or {})
        for output in outputs
    )


def judge(repository: Path, out: Path) -> tuple[list[CellJudgement], dict[str, Any]]:
    from repolens.rerun.compare import compare_notebook

    document = json.loads((out / "rerun.json").read_text())
    judged: list[CellJudgement] = []
    for item in document["notebooks"]:
        executed = out / "notebooks" / item["path"]
        if not executed.is_file():
            continue
        saved = json.loads((repository / item["path"]).read_text())
        fresh = json.loads(executed.read_text())
        ran = {cell["cell"] for cell in item["cells"] if cell["state"] == "ran"}
        saved_cells, fresh_cells = saved["cells"], fresh["cells"]
        for comparison in compare_notebook(saved, fresh):
            cell = saved_cells[comparison.index]
            source = "".join(cell.get("source") or "")
            if comparison.index not in ran or any(mark in source for mark in NBVAL_SKIP):
                continue
            if comparison.index >= len(fresh_cells):
                continue
            fresh_outputs = fresh_cells[comparison.index].get("outputs", [])
            judged.append(
                CellJudgement(
                    item["path"],
                    comparison.index,
                    nbval_same(cell.get("outputs", []), fresh_outputs),
                    comparison.same,
                    _has_image(cell.get("outputs", [])) or _has_image(fresh_outputs),
                    comparison.sanitised > 0,
                )
            )
    return judged, document


def tally(document: dict[str, Any], judged: list[CellJudgement]) -> Counter[str]:
    """One repository's counts: verdicts of its notebooks; text cells (no image on either
    side, where nbval's comparison applies) by both verdicts; image cells apart."""
    verdicts = Counter(item["verdict"] for item in document["notebooks"])
    text = [cell for cell in judged if not cell.has_image]
    images = [cell for cell in judged if cell.has_image]
    return Counter(
        notebooks=len(document["notebooks"]),
        reproduced=verdicts["reproduced"],
        no_code=sum(
            1
            for item in document["notebooks"]
            if item["verdict"] == "reproduced" and not item["cells"]
        ),
        differ=verdicts["ran, results differ"],
        failed=verdicts["failed"],
        timed_out=verdicts["timed out"],
        cells=len(text),
        agree=sum(1 for cell in text if cell.nbval_same == cell.ours_same),
        nbval_differs=sum(1 for cell in text if not cell.nbval_same),
        noise=sum(1 for cell in text if not cell.nbval_same and cell.ours_same),
        sanitised=sum(
            1 for cell in text if not cell.nbval_same and cell.ours_same and cell.sanitised
        ),
        ours_only=sum(1 for cell in text if cell.nbval_same and not cell.ours_same),
        images=len(images),
        images_nbval_differ=sum(1 for cell in images if not cell.nbval_same),
        images_differ=sum(1 for cell in images if not cell.ours_same),
    )


def table(results: list[tuple[str, list[CellJudgement], dict[str, Any]]]) -> str:
    lines = [
        HEADING,
        "",
        "`python bench/nbval_study.py` (`make bench-nbval`, nbval from PyPI): real notebooks "
        "rerun by `repolens rerun --env current --sandbox bwrap` (timeouts 60 s a cell, 300 s "
        "a notebook); each code cell that ran and had a saved run is judged on the same "
        "execution by nbval 0.11's comparison (its defaults: no sanitiser file, image/png and "
        "image/jpeg skipped) and by repolens' (tolerance 1e-6, built-in sanitisers, images by "
        "pixels). Text cells have no image on either side: there nbval's comparison applies "
        "and the verdicts can be set side by side; image cells are counted apart, since nbval "
        "judges them by their text stand-in (`<Figure size 640x480 with 1 Axes>`).",
        "",
        "Why this interpreter's packages: scientific-python-lectures declares no environment; "
        "PythonDataScienceHandbook's environment.yml asks for Python 3.5 and takes its "
        "packages from `-r requirements.txt`, pinned to 2016 (numpy 1.11.1, pandas 0.18.1, "
        "matplotlib 1.5.1), which have no wheels for this Python. So both run as a reader "
        f"would today: Python {platform.python_version()}, {_versions()}.",
        "",
        "| repository | notebooks | reproduced | differ | failed | text cells | agree "
        "| nbval: differ | of which repolens: same | repolens only: differ | image cells "
        "| nbval: differ | repolens: pixels differ |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    totals: Counter[str] = Counter()
    for name, judged, document in results:
        row = tally(document, judged)
        totals.update(row)
        lines.append(_row(name, row))
    lines.append(_row("**all**", totals))
    lines += [
        "",
        "| repository | failed | causes | a static finding predicted it "
        "| stopped by the error it saved |",
        "|---|---:|---|---:|---:|",
    ]
    for name, _judged, document in results:
        summary = document["summary"]
        causes = ", ".join(f"{kind} {count}" for kind, count in sorted(summary["by_cause"].items()))
        lines.append(
            f"| {name} | {summary['failures']} | {causes} | "
            f"{summary['failures_predicted']} of {summary['failures']} | "
            f"{sum(1 for item in document['notebooks'] if raised_as_saved(item))} |"
        )
    lines += [
        "",
        f"Of nbval's {totals['nbval_differs']} differing text cells, {totals['noise']} "
        f"({_percent(totals['noise'], totals['nbval_differs'])}) are only noise for repolens: "
        f"{totals['sanitised']} equal once sanitised (timings, addresses, line ends, ...), "
        f"{totals['noise'] - totals['sanitised']} through numbers within the tolerance. "
        f"Reproduction rate: {totals['reproduced']} of {totals['notebooks']} notebooks "
        f"({_percent(totals['reproduced'], totals['notebooks'])}) with this interpreter's "
        f"packages ({totals['no_code']} of them without a code cell); "
        f"{totals['timed_out']} timed out.",
        "",
    ]
    return "\n".join(lines)


def raised_as_saved(item: dict[str, Any]) -> bool:
    """A notebook of rerun.json stopped by a cell whose outputs, its error included, are
    the ones it saved: a lesson's "this fails" cell, not a failure to reproduce."""
    failed = [cell["cell"] for cell in item["cells"] if cell["state"] == "failed"]
    return bool(failed) and any(
        comparison["cell"] == failed[0] and comparison["same"] and comparison["compared"] > 0
        for comparison in item["comparisons"]
    )


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in ("numpy", "pandas", "scipy", "matplotlib", "sympy"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"no {name}")
    return ", ".join(found)


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "n/a"


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({_percent(part, whole)})"


def _row(name: str, row: Counter[str]) -> str:
    return (
        f"| {name} | {row['notebooks']} | {row['reproduced']} | {row['differ']} | "
        f"{row['failed'] + row['timed_out']} | {row['cells']} | "
        f"{_share(row['agree'], row['cells'])} | {row['nbval_differs']} | "
        f"{_share(row['noise'], row['nbval_differs'])} | {row['ours_only']} | "
        f"{row['images']} | {row['images_nbval_differ']} | {row['images_differ']} |"
    )


def replace_section(text: str, section: str) -> str:
    start = text.find(HEADING)
    if start < 0:
        return text.rstrip("\n") + "\n\n" + section
    end = text.find("\n## ", start + len(HEADING))
    return text[:start] + section + ("" if end < 0 else text[end:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path("/tmp/repolens-nbval-study"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--reuse", action="store_true", help="judge the reruns already in --out")
    parser.add_argument("--validate", action="store_true", help="also run pytest --nbval")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args(argv)
    if args.repos is None:
        configured = os.environ.get("REPOLENS_BENCH_REPOS")
        data = Path(os.environ.get("REPOLENS_BENCH_DATA", "/var/tmp/repolens-bench"))
        args.repos = Path(configured) if configured else data / "checks" / "repos"
    try:
        import nbval  # noqa: F401
    except ImportError:
        print("nbval is not installed (pip install nbval)", file=sys.stderr)
        return 2
    results = []
    for name, globs in STUDY:
        repository, out = args.repos / name, args.out / name
        if not repository.is_dir():
            print(f"{repository}: not there; skipped", file=sys.stderr)
            continue
        if not args.reuse:
            rerun(repository, globs, out, args.jobs)
        judged, document = judge(repository, out)
        results.append((name, judged, document))
    section = table(results)
    if args.validate:
        for name, judged, _document in results:
            if name == VALIDATE[0]:
                section += "\n" + validate(args.repos / name, judged, VALIDATE[1]) + "\n"
    print(section)
    if args.write:
        path = HERE / "RESULTS.md"
        path.write_text(replace_section(path.read_text(), section))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
