"""Hostile settings and baselines: what reading them costs per MiB of input.

``CASES`` is collected by ``bench/hostile.py``. Each case builds one input of a target
size in a scratch folder and runs it as repolens does: the tree's settings read and
every finding matched against them, or an earlier metrics.json read and compared. An
input past repolens' bounds is refused with one line; the case returns that line, and
the refusal's cost is what is measured.

``python bench/hostile_settings.py`` measures each case on its own (time and
tracemalloc peak per MiB), until the shared harness runs them.
"""

from __future__ import annotations

import json
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from hostile_case import Case  # noqa: E402

from repolens.checks import ConfigError, Finding, Level, load_settings  # noqa: E402
from repolens.checks.config import MAX_BYTES  # noqa: E402
from repolens.render.baseline import BaselineError, compare, load_baseline  # noqa: E402
from repolens.render.summary import Summariser  # noqa: E402

__all__ = ["CASES"]

FINDINGS = 300  # findings matched against the settings, in 300 folders


def _lines_up_to(size: int, head: str, line: Callable[[int], str]) -> str:
    """``head`` then ``line(0)``, ``line(1)``... as long as the text stays within ``size``."""
    parts = [head]
    total = len(head)
    for index in range(size):
        text = line(index)
        if total + len(text) > size:
            break
        parts.append(text)
        total += len(text)
    return "".join(parts)


def _settings_tree(scratch: Path, text: str) -> Path:
    root = scratch / "tree"
    root.mkdir(parents=True, exist_ok=True)
    (root / ".repolens.toml").write_text(text, "utf-8")
    return root


def _findings() -> list[Finding]:
    return [
        Finding("PA001", Level.WARNING, f"src/part{n}/deep/m{n}.py", "m", "f")
        for n in range(FINDINGS)
    ]


def _per_file(line: Callable[[int], str]) -> Callable[[int, Path], object]:
    def build(size: int, scratch: Path) -> object:
        text = _lines_up_to(size, "[per-file-ignores]\n", line)
        return _settings_tree(scratch, text), _findings()

    return build


def _settings_only(text_of: Callable[[int], str]) -> Callable[[int, Path], object]:
    def build(size: int, scratch: Path) -> object:
        return _settings_tree(scratch, text_of(size)), _findings()

    return build


def _check_findings(built: object) -> object:
    """Read the settings and match every finding: the kept count, or the refusal."""
    root, findings = built  # type: ignore[misc]
    try:
        settings = load_settings(root)
    except ConfigError as error:
        return str(error)
    return sum(1 for item in findings if settings.keeps(item))


def _nested(size: int) -> str:
    depth = max((size - 20) // 2, 1)
    return "select = " + "[" * depth + "]" * depth + "\n"


def _dotted(size: int) -> str:
    parts = 31  # one under the bound: the costliest key tomllib is still given
    return _lines_up_to(size, "", lambda n: f"k{n}" + ".a" * (parts - 1) + " = 1\n")


def _tables(size: int) -> str:
    return _lines_up_to(size, "", lambda n: f"[t{n}]\nk = 1\n")


def _baseline(size: int, scratch: Path) -> object:
    """A metrics.json of about ``size`` bytes: a few categories, findings (a quarter of
    the bytes) and the file_metrics the comparison never reads."""
    path = scratch / "metrics.json"
    finding = {
        "check": "PA001",
        "level": "warning",
        "path": "src/m0.py",
        "cell": None,
        "line": 1,
        "message": "hard-coded absolute path",
        "evidence": "/home/alice/data",
        "fix": "build it from the project root",
    }
    item = {
        "file_path": "src/module_0.py",
        "size_bytes": 1234,
        "line_count": 10,
        "category": "code",
        "language": "Python",
        "state": "ok",
    }
    per_finding = len(json.dumps(finding)) + 2
    per_item = len(json.dumps(item)) + 2
    findings = max(size // 4 // per_finding, 1)
    items = max((size - findings * per_finding) // per_item, 1)
    with path.open("w") as handle:
        handle.write('{"timestamp": "then", "summary": {"by_category": ')
        handle.write(json.dumps({name: {"files": 1} for name in ("code", "data", "docs")}))
        handle.write('}, "findings": [')
        handle.write(
            ", ".join(json.dumps(dict(finding, path=f"src/m{n}.py")) for n in range(findings))
        )
        handle.write('], "file_metrics": [')
        handle.write(
            ", ".join(json.dumps(dict(item, file_path=f"src/f{n}.py")) for n in range(items))
        )
        handle.write("]}")
    return path


def _categories(size: int, scratch: Path) -> object:
    """A metrics.json of about ``size`` bytes that is all categories (a table row each)."""
    path = scratch / "metrics.json"
    entry = len(json.dumps({"c0000000": {"files": 1}})) + 2
    count = max(size // entry, 1)
    categories = ", ".join(f'"c{n:07d}": {{"files": 1}}' for n in range(count))
    path.write_text(f'{{"summary": {{"by_category": {{{categories}}}}}}}')
    return path


def _compare(built: object) -> object:
    try:
        baseline = load_baseline(built)  # type: ignore[arg-type]
    except BaselineError as error:
        return str(error)
    return len(compare(Summariser().summary(), (), baseline).fixed)


CASES = [
    Case(
        "per-file-ignores 'lN/*.py' x 300 findings",
        "settings: per-file-ignores",
        _per_file(lambda n: f'"l{n}/*.py" = ["PA001"]\n'),
        _check_findings,
        cap=MAX_BYTES,
    ),
    Case(
        "per-file-ignores '*xN' (no literal to skip on) x 300 findings",
        "settings: per-file-ignores",
        _per_file(lambda n: f'"*x{n}" = ["PA001"]\n'),
        _check_findings,
        cap=MAX_BYTES,
    ),
    Case(
        "per-file-ignores each with other checks x 300 findings",
        "settings: per-file-ignores",
        _per_file(lambda n: f'"l{n}/*.py" = ["{("PA001", "NB", "SE", "FI001")[n % 4]}"]\n'),
        _check_findings,
        cap=MAX_BYTES,
    ),
    Case(
        "settings: arrays nested to the size",
        "settings: TOML",
        _settings_only(_nested),
        _check_findings,
        cap=MAX_BYTES,
    ),
    Case(
        "settings: dotted keys of 31 parts",
        "settings: TOML",
        _settings_only(_dotted),
        _check_findings,
        cap=MAX_BYTES,
    ),
    Case(
        "settings: a table per line",
        "settings: TOML",
        _settings_only(_tables),
        _check_findings,
        cap=MAX_BYTES,
    ),
    Case("baseline: findings and file_metrics", "report --baseline", _baseline, _compare),
    Case("baseline: a category per entry", "report --baseline", _categories, _compare),
]


def _measure(case: Case, size: int, scratch: Path) -> str:
    """One row: the time of a run, then the tracemalloc peak of another (tracing slows
    Python's own work, the regular-expression compiler most, several times over)."""
    built = case.build(size, scratch)
    started = time.perf_counter()
    outcome = case.run(built)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    case.run(built)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    mib = size / (1 << 20)
    shown = outcome if isinstance(outcome, int) else f"refused: {str(outcome)[-50:]}"
    return (
        f"| {case.name} | {mib:g} MiB | {elapsed:.2f} s | {elapsed / mib:.2f} s "
        f"| {peak / (1 << 20) / mib:.1f} MiB | {shown} |"
    )


def main() -> None:
    import tempfile

    print("| case | input | time | per MiB | traced peak per MiB | outcome |")
    print("|---|---|---|---|---|---|")
    for case in CASES:
        sizes = (1 << 20, 8 << 20, 32 << 20) if "baseline" in case.name else (256 << 10, 1 << 20)
        for size in sizes:
            with tempfile.TemporaryDirectory() as scratch:
                print(_measure(case, size, Path(scratch)), flush=True)


if __name__ == "__main__":
    main()
