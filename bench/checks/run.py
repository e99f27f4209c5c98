"""Measure repolens' checks on real repositories: precision, recall, fixes, changes.

    python bench/checks/run.py [--only owner/name ...] [--fix-sample 60] [--seed 20]
                               [--cost] [--linux DIR] [--no-write]

For every repository of manifest.toml: the pinned commit is written into a scratch work
tree (corpus.py), ``repolens check --format json`` runs on it, and its findings are
matched to the repository's truth file (truth/<owner+name>.json, built by truth_tools/
without repolens, disagreements judged by reading the code; matching rules in scoring.py).

Printed and written into bench/RESULTS.md ("Checks on real repositories"):
precision and recall per check and per family (unjudged findings counted apart), the
share of fixes that are right on a seeded sample (apply_fix.py), and the findings that
changed since the last run (last.json: check, path, cell, line per repository).
``--cost`` adds the median of 3 ``repolens check`` and ``repolens scan --no-cache`` runs
per repository; ``--linux DIR`` the same once on a Linux source tree.
Progress goes to stderr; details of the run (every unjudged finding, every miss) to
$REPOLENS_BENCH_DATA/checks/details.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from apply_fix import FixVerdict, judge_fix, run_check  # noqa: E402
from corpus import DATA, Tree, load_manifest, prepare, write_text  # noqa: E402
from scoring import (  # noqa: E402
    LINE_TOLERANCE,
    RepositoryScore,
    Score,
    changes,
    place_key,
    score,
    score_repository,
    totals,
)

__all__ = ["main", "results_section"]

RESULTS = HERE.parent / "RESULTS.md"
LAST = HERE / "last.json"
HEADING = "## Checks on real repositories"


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _timed(command: list[str], runs: int = 3) -> float:
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, check=False)
        seconds.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)}: exit {done.returncode}")
    return statistics.median(seconds)


def cost(tree: Path, runs: int = 3) -> tuple[float, float]:
    """Median seconds of ``repolens check`` and of ``repolens scan --no-cache`` (both
    writing their reports to a scratch folder)."""
    with tempfile.TemporaryDirectory() as out:
        python = [sys.executable, "-m", "repolens"]
        check = _timed(
            [*python, "check", str(tree), "-q", "--fail-on", "never", "-o", f"{out}/c"], runs
        )
        scan = _timed([*python, "scan", str(tree), "-q", "--no-cache", "-o", f"{out}/s"], runs)
    return check, scan


def _table(rows: dict[str, Score], label: str) -> list[str]:
    lines = [
        f"| {label} | right | wrong | unjudged | missed | precision | recall |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, item in rows.items():
        lines.append(
            f"| {name} | {item.right} | {item.wrong} | {item.unjudged} | {item.missed} "
            f"| {_percent(item.precision)} | {_percent(item.recall)} |"
        )
    return lines


def _fix_table(verdicts: list[tuple[dict[str, Any], FixVerdict]]) -> list[str]:
    families: dict[str, list[FixVerdict]] = {}
    for finding, verdict in verdicts:
        families.setdefault(finding["check"][:2], []).append(verdict)
    lines = [
        "| family | sampled | right | wrong | unjudged | applied | read | right share |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rows = [*sorted(families.items()), ("all", [v for _, v in verdicts])]
    for family, items in rows:
        right = sum(v.verdict == "right" for v in items)
        wrong = sum(v.verdict == "wrong" for v in items)
        share = right / (right + wrong) if right + wrong else None
        lines.append(
            f"| {family} | {len(items)} | {right} | {wrong} "
            f"| {sum(v.verdict == 'unjudged' for v in items)} "
            f"| {sum(v.how == 'applied' for v in items)} | {sum(v.how == 'read' for v in items)} "
            f"| {_percent(share)} |"
        )
    return lines


def results_section(
    trees: list[Tree],
    scores: dict[str, RepositoryScore],
    verdicts: list[tuple[dict[str, Any], FixVerdict]],
    changed: dict[str, tuple[list[str], list[str]]],
    costs: dict[str, tuple[float, float]],
    seed: int,
    notes: str = "",
) -> str:
    by_check = score(scores.values())
    lines = [
        HEADING,
        "",
        f"`make bench-checks` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
        f"{len(trees)} repositories of `bench/checks/manifest.toml`, each at its pinned commit. "
        "Truth built without repolens (`bench/checks/truth_tools/`: nbformat, tokenize, ast, "
        "deptry, detect-secrets, sha256, git), every disagreement judged by reading the code "
        "(`bench/checks/truth/*.json`). A finding matches a truth entry by check, path, cell "
        f"and line (within {LINE_TOLERANCE} lines); EN002 by module, AS003 by file pattern. "
        "Unjudged findings are counted apart, neither right nor wrong.",
        "",
        "| repository | kind | files | findings | right | wrong | unjudged | missed |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for tree in trees:
        result = scores[tree.repository.name]
        item = Score()
        for value in result.by_check().values():
            item.add(value)
        note = f" ({len(tree.missing)} files absent from the snapshot)" if tree.missing else ""
        lines.append(
            f"| {tree.repository.name} | {tree.repository.kind} | {tree.files:,}{note} "
            f"| {len(result.outcomes)} | {item.right} | {item.wrong} | {item.unjudged} "
            f"| {item.missed} |"
        )
    lines += ["", "Per family:", "", *_table(totals(by_check), "family"), ""]
    lines += ["Per check:", "", *_table(by_check, "check"), ""]
    lines += [
        f"Fixes, on a sample of {len(verdicts)} findings (seed {seed}): mechanical fixes applied "
        "literally to a scratch copy and checked again (`bench/checks/apply_fix.py`), prose "
        "fixes judged by reading (verdicts in the truth files).",
        "",
        *_fix_table(verdicts),
        "",
    ]
    if costs:
        lines += [
            "Cost: median of 3 runs of `repolens check -o DIR` and of "
            "`repolens scan --no-cache -o DIR` (the Linux tree: one run each).",
            "",
            "| tree | check | scan --no-cache | check / scan |",
            "|---|---:|---:|---:|",
        ]
        for name, (check, scan) in costs.items():
            lines.append(f"| {name} | {check:.2f} s | {scan:.2f} s | {check / scan:.2f}x |")
        lines.append("")
    total = sum(len(added) + len(removed) for added, removed in changed.values())
    lines.append(f"Findings changed since the last run: {total}.")
    if notes:
        lines += ["", notes.strip()]
    return "\n".join(lines) + "\n"


def write_section(section: str, path: Path = RESULTS) -> None:
    """Replace (or append) the section in RESULTS.md, keeping the rest of the file as is."""
    text = path.read_text("utf-8") if path.exists() else "# Benchmarks\n"
    notes_start = "<!-- checks notes -->"
    if HEADING in text:
        start = text.index(HEADING)
        end = text.find("\n## ", start + len(HEADING))
        old = text[start : len(text) if end == -1 else end + 1]
        kept = old[old.index(notes_start) :].rstrip("\n") + "\n" if notes_start in old else ""
        text = (
            text[:start]
            + section
            + (("\n" + kept) if kept else "")
            + ("" if end == -1 else "\n" + text[end + 1 :])
        )
    else:
        text = text.rstrip("\n") + "\n\n" + section
    write_text(path, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="repolens check on real repositories, scored")
    parser.add_argument("--only", action="append", default=[], help="owner/name (repeatable)")
    parser.add_argument("--scratch", type=Path, default=DATA / "checks" / "work")
    parser.add_argument("--fix-sample", type=int, default=60)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--cost", action="store_true", help="time check and a cold scan per tree")
    parser.add_argument(
        "--linux", type=Path, help="also time check and scan on this tree, once each"
    )
    parser.add_argument(
        "--no-write", action="store_true", help="write neither RESULTS.md nor last.json"
    )
    args = parser.parse_args(argv)
    trees: list[Tree] = []
    scores: dict[str, RepositoryScore] = {}
    findings: dict[str, list[dict[str, Any]]] = {}
    truths: dict[str, dict[str, Any]] = {}
    costs: dict[str, tuple[float, float]] = {}
    for repository in load_manifest():
        if args.only and repository.name not in args.only:
            continue
        _say(f"{repository.name}: preparing the work tree at {repository.commit[:12]}")
        tree = prepare(repository, args.scratch)
        trees.append(tree)
        _say(f"{repository.name}: repolens check ({tree.files:,} files)")
        found = run_check(tree.path)
        truth_file = HERE / "truth" / f"{repository.slug}.json"
        truth = json.loads(truth_file.read_text("utf-8")) if truth_file.exists() else {}
        findings[repository.name], truths[repository.name] = found, truth
        scores[repository.name] = score_repository(found, truth)
        if args.cost:
            _say(f"{repository.name}: timing check and scan, 3 runs each")
            costs[repository.name] = cost(tree.path)
    if args.linux:
        _say(f"{args.linux}: timing check and scan once each")
        costs[f"Linux ({args.linux.name})"] = cost(args.linux, runs=1)
    population = [(name, item) for name in sorted(findings) for item in findings[name]]
    sample = random.Random(args.seed).sample(population, min(args.fix_sample, len(population)))
    verdicts = []
    by_name = {tree.repository.name: tree for tree in trees}
    with tempfile.TemporaryDirectory(dir=args.scratch) as scratch:
        for number, (name, item) in enumerate(sample, 1):
            _say(f"fix {number}/{len(sample)}: {item['check']} {name} {item['path']}")
            verdict = judge_fix(
                item, by_name[name].path, truths[name], findings[name], Path(scratch)
            )
            verdicts.append((item, verdict))
    current = {name: sorted(place_key(item) for item in found) for name, found in findings.items()}
    previous = json.loads(LAST.read_text("utf-8")) if LAST.exists() else {}
    if args.only:
        previous = {name: value for name, value in previous.items() if name in current}
    changed = changes(previous, current)
    section = results_section(trees, scores, verdicts, changed, costs, args.seed)
    print(section)
    for name, (added, removed) in changed.items():
        for key in added:
            print(f"+ {name}\t{key}")
        for key in removed:
            print(f"- {name}\t{key}")
    details = {
        name: {
            "unjudged": [o.finding for o in result.outcomes if o.verdict == "unjudged"],
            "wrong": [
                {**o.finding, "reason": o.reason} for o in result.outcomes if o.verdict == "wrong"
            ],
            "missed": result.missed,
        }
        for name, result in scores.items()
    }
    details["fixes"] = [
        {**item, "verdict": v.verdict, "how": v.how, "reason": v.reason} for item, v in verdicts
    ]
    (DATA / "checks").mkdir(parents=True, exist_ok=True)
    (DATA / "checks" / "details.json").write_text(json.dumps(details, indent=1))
    if not args.no_write:
        write_section(section)
        write_text(LAST, json.dumps({**previous, **current}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
