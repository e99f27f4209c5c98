"""Since last time: what changed against an earlier metrics.json of the same tree.

Files, bytes and lines of code by category, and findings new and fixed (a finding is the
same when its check, path, cell and evidence are: ``Finding.identity``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .checks.model import Finding
from .render.summary import Summary
from .scanning import safeio

__all__ = ["BaselineError", "Change", "Comparison", "compare", "load_baseline"]

MAX_BYTES = 1 << 30


class BaselineError(ValueError):
    """The earlier report cannot be used: one line says why."""


@dataclass(frozen=True)
class Change:
    name: str  # a category, or "total"
    files: tuple[int, int]  # before, now
    size_bytes: tuple[int, int]
    code_lines: tuple[int, int]


@dataclass(frozen=True)
class Comparison:
    then: str  # the earlier report's timestamp
    changes: tuple[Change, ...]  # categories that changed, then the total
    new: tuple[Finding, ...]
    fixed: tuple[dict[str, Any], ...]  # findings of the earlier report that are gone
    had_findings: bool  # whether the earlier report carried findings at all


def load_baseline(path: str | Path) -> dict[str, Any]:
    """An earlier metrics.json; ``BaselineError`` when it is missing or not one."""
    try:
        document = json.loads(safeio.read_small_file(str(path), MAX_BYTES))
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such file") from None
    except OSError as error:
        raise BaselineError(f"{path}: cannot be read: {error.strerror or error}") from None
    except (ValueError, RecursionError):
        raise BaselineError(f"{path}: not JSON") from None
    summary = document.get("summary") if isinstance(document, dict) else None
    if not isinstance(summary, dict) or not isinstance(summary.get("by_category"), dict):
        raise BaselineError(f"{path}: not a repolens metrics.json (no summary.by_category)")
    return document


def _count(group: object, key: str) -> int:
    value = group.get(key, 0) if isinstance(group, dict) else 0
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def compare(summary: Summary, findings: Sequence[Finding], baseline: dict[str, Any]) -> Comparison:
    before = baseline["summary"]["by_category"]
    names = [name for name in summary.by_category] + [
        name for name in before if name not in summary.by_category
    ]
    changes = []
    totals = [0, 0, 0, 0, 0, 0]
    for name in names:
        now = summary.by_category.get(name)
        old = before.get(name, {})
        change = Change(
            name,
            (_count(old, "files"), 0 if now is None else now.files),
            (_count(old, "size_bytes"), 0 if now is None else now.size_bytes),
            (_count(old, "code_lines"), 0 if now is None else now.counts.code),
        )
        for index, pair in enumerate((change.files, change.size_bytes, change.code_lines)):
            totals[2 * index] += pair[0]
            totals[2 * index + 1] += pair[1]
        if (
            change.files[0] != change.files[1]
            or change.size_bytes[0] != change.size_bytes[1]
            or (change.code_lines[0] != change.code_lines[1])
        ):
            changes.append(change)
    changes.append(
        Change(
            "total",
            (totals[0], totals[1]),
            (totals[2], totals[3]),
            (totals[4], totals[5]),
        )
    )
    earlier = baseline.get("findings")
    had = isinstance(earlier, list)
    old_keys = {}
    for item in earlier if had else []:
        if isinstance(item, dict):
            cell = item.get("cell")
            key = (
                f"{item.get('check', '')}:{item.get('path', '')}:"
                f"{'' if cell is None else cell}:{item.get('evidence', '')}"
            )
            old_keys[key] = item
    now_keys = {item.identity: item for item in findings}
    new = tuple(item for key, item in now_keys.items() if key not in old_keys) if had else ()
    fixed = tuple(item for key, item in old_keys.items() if key not in now_keys)
    return Comparison(
        str(baseline.get("timestamp", "an earlier run")), tuple(changes), new, fixed, had
    )
