"""What a rerun writes: rerun.json (versioned; schema ``schema/rerun.schema.json``),
rerun.csv (one row per notebook, every cell guarded against spreadsheet formulas),
environment.lock.txt (the resolved set) and the findings' files (findings.json,
findings.csv, findings.sarif), each atomically."""

from __future__ import annotations

import csv
import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .._version import __version__
from ..core.atomic import atomic_write
from ..core.cells import guard_cell
from ..core.findings import Finding
from ..core.records import display_path
from ..render.findings import dumps, finding_dict, sarif_document, write_findings_csv
from .environment import Environment
from .execute import Settings
from .model import CellComparison, NotebookResult, RerunResult, Verdict
from .run import Rerun, cells_ran

__all__ = [
    "CSV_COLUMNS",
    "RERUN_FILES",
    "SCHEMA_VERSION",
    "findings_json",
    "rerun_document",
    "rerun_rows",
    "summary",
    "write_rerun",
]

SCHEMA_VERSION = "1.0"
RERUN_FILES = (
    "rerun.json",
    "rerun.csv",
    "environment.lock.txt",
    "findings.json",
    "findings.csv",
    "findings.sarif",
)
CSV_COLUMNS = (
    "path",
    "verdict",
    "state",
    "kernel",
    "seconds",
    "code_cells",
    "cells_ran",
    "first_failing_cell",
    "error",
    "cause",
    "cause_detail",
    "static_finding",
    "predicted",
    "cells_differing",
    "nondeterministic_cells",
    "reason",
)


def summary(result: RerunResult) -> dict[str, Any]:
    """Counts by verdict and cause, the reproduction rate, and how many runtime failures a
    static finding predicted (the static checks' measured recall)."""
    verdicts = Counter(item.verdict.value for item in result.notebooks)
    causes = Counter(item.cause.kind.value for item in result.notebooks if item.cause)
    failed = [
        item
        for item in result.notebooks
        if item.verdict in (Verdict.FAILED, Verdict.TIMED_OUT) and item.cause is not None
    ]
    total = len(result.notebooks)
    return {
        "notebooks": total,
        "by_verdict": {verdict.value: verdicts.get(verdict.value, 0) for verdict in Verdict},
        "by_cause": dict(sorted(causes.items())),
        "reproduced": result.reproduced,
        "reproduction_rate": round(result.reproduced / total, 4) if total else None,
        "failures": len(failed),
        "failures_predicted": sum(1 for item in failed if item.cause and item.cause.predicted),
    }


def _comparison(item: CellComparison) -> dict[str, Any]:
    return {
        "cell": item.index,
        "same": item.same,
        "compared": item.compared,
        "sanitised": item.sanitised,
        "differences": [
            {"kind": d.kind.value, "saved": d.saved, "fresh": d.fresh, "detail": d.detail}
            for d in item.differences
        ],
    }


def _notebook(item: NotebookResult, kept: bool) -> dict[str, Any]:
    run = item.execution
    shown = display_path(item.path)[0]  # a name that is not UTF-8 as the reports show it
    return {
        "path": shown,
        "verdict": item.verdict.value,
        "state": run.state.value,
        "kernel": run.kernel,
        "seconds": round(run.seconds, 3),
        "reason": run.reason,
        "executed": f"notebooks/{shown}" if kept and run.fresh is not None else None,
        "cells": [
            {
                "cell": cell.index,
                "state": cell.state.value,
                "seconds": cell.seconds,
                "error": None
                if cell.error is None
                else {
                    "name": cell.error.name,
                    "value": cell.error.value,
                    "traceback": cell.error.traceback,
                },
            }
            for cell in run.cells
        ],
        "comparisons": [_comparison(c) for c in item.comparisons],
        "cause": None
        if item.cause is None
        else {
            "kind": item.cause.kind.value,
            "detail": item.cause.detail,
            "evidence": item.cause.evidence,
            "finding": item.cause.finding,
            "predicted": item.cause.predicted,
        },
        "second_state": None if item.second is None else item.second.state.value,
        "nondeterministic_cells": list(item.nondeterministic),
        "resources": {
            key: value
            for key, value in run.resources.items()
            if isinstance(value, str | int | float | bool)
        },
    }


def _environment(environment: Environment) -> dict[str, Any]:
    return {
        "mode": environment.mode,
        "python": environment.python,
        "requested": list(environment.requested),
        "problem": environment.problem,
        "failed_requirement": environment.failed_requirement,
        "reused": environment.reused,
        "build_seconds": round(environment.seconds, 3),
        "lock": "environment.lock.txt" if environment.lock else None,
        "notes": list(environment.notes),
    }


def rerun_document(
    done: Rerun, settings: Settings, tolerance: float, jobs: int, twice: bool, kept: bool
) -> dict[str, Any]:
    result = done.result
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "repolens", "version": __version__},
        "timestamp": datetime.now(UTC).isoformat(),
        "root": result.root,
        "sandbox": result.sandbox,
        "environment": _environment(done.environment),
        "settings": {
            "timeout_cell": settings.cell_timeout,
            "timeout_notebook": settings.notebook_timeout,
            "tolerance": tolerance,
            "jobs": jobs,
            "twice": twice,
            "output_cap": settings.output_cap,
            "notebook_cap": settings.notebook_cap,
        },
        "seconds": round(result.seconds, 3),
        "summary": summary(result),
        "notebooks": [_notebook(item, kept) for item in result.notebooks],
        "findings": [finding_dict(item) for item in done.findings],
    }


def _row(item: NotebookResult) -> dict[str, Any]:
    run = item.execution
    failure = run.first_failure
    differing = [c.index for c in item.comparisons if not c.same]
    return {
        "path": display_path(item.path)[0],
        "verdict": item.verdict.value,
        "state": run.state.value,
        "kernel": run.kernel,
        "seconds": round(run.seconds, 3),
        "code_cells": len(run.cells),
        "cells_ran": cells_ran(item),
        "first_failing_cell": "" if failure is None else failure.index + 1,
        "error": ""
        if failure is None or failure.error is None
        else f"{failure.error.name}: {failure.error.value}"[:300],
        "cause": "" if item.cause is None else item.cause.kind.value,
        "cause_detail": "" if item.cause is None else item.cause.detail[:300],
        "static_finding": "" if item.cause is None else item.cause.finding,
        "predicted": "" if item.cause is None else str(item.cause.predicted).lower(),
        "cells_differing": " ".join(str(index + 1) for index in differing),
        "nondeterministic_cells": " ".join(str(index + 1) for index in item.nondeterministic),
        "reason": run.reason[:300],
    }


def rerun_rows(result: RerunResult) -> list[dict[str, Any]]:
    return [_row(item) for item in result.notebooks]


def findings_json(findings: tuple[Finding, ...], root: str) -> dict[str, Any]:
    counts = Counter(item.level.value for item in findings)
    return {
        "tool": {"name": "repolens", "version": __version__},
        "root": root,
        "counts": {level: counts.get(level, 0) for level in ("error", "warning", "note")},
        "by_check": dict(sorted(Counter(item.check for item in findings).items())),
        "findings": [finding_dict(item) for item in findings],
    }


def write_rerun(folder: Path, done: Rerun, document: dict[str, Any]) -> tuple[Path, ...]:
    """Every file of ``RERUN_FILES`` into ``folder`` (the lock only when one was built)."""
    written = []
    with atomic_write(folder / "rerun.json", "w", encoding="utf-8") as out:
        out.write(dumps(document))
    written.append(folder / "rerun.json")
    with atomic_write(folder / "rerun.csv", "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rerun_rows(done.result):
            writer.writerow({key: guard_cell(value) for key, value in row.items()})
    written.append(folder / "rerun.csv")
    if done.environment.lock:
        with atomic_write(folder / "environment.lock.txt", "w", encoding="utf-8") as out:
            out.write(done.environment.lock)
        written.append(folder / "environment.lock.txt")
    findings = done.findings
    with atomic_write(folder / "findings.json", "w", encoding="utf-8") as out:
        out.write(dumps(findings_json(findings, done.result.root)))
    write_findings_csv(os.path.join(folder, "findings.csv"), findings)
    with atomic_write(folder / "findings.sarif", "w", encoding="utf-8") as out:
        out.write(dumps(sarif_document(findings, done.result.root)))
    written += [folder / "findings.json", folder / "findings.csv", folder / "findings.sarif"]
    return tuple(written)
