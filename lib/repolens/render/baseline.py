"""Since last time: what changed against an earlier metrics.json of the same tree.

Files, bytes and lines of code by category, and findings new and fixed (a finding is the
same when its check, path, cell and evidence are: ``Finding.identity``).

The earlier report is the user's file, but it may come from anywhere: it is read through
the safe reader (a regular file of at most ``MAX_BYTES``) and decoded with msgspec into
just the fields the comparison uses (``summary.by_category``, ``findings``,
``timestamp``), checked for type and range as they are decoded, so a document of any size
or shape costs about its own size in memory and ends in one ``BaselineError`` line, never
in a failure inside the report notebook."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any

import msgspec

from ..core import safeio
from ..core.findings import Finding
from ..core.linekinds import CODE_CATEGORIES
from .summary import Summary

__all__ = [
    "MAX_BYTES",
    "MAX_CATEGORIES",
    "Baseline",
    "BaselineError",
    "Change",
    "Comparison",
    "compare",
    "load_baseline",
]

MAX_BYTES = 512 << 20  # a metrics.json of about 700,000 files
MAX_CATEGORIES = 100
Count = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
"""A number of files, bytes or lines: whole, not negative, within 64 bits."""


class BaselineError(ValueError):
    """The earlier report cannot be used: one line says why."""


@dataclass(frozen=True, slots=True)
class Group:
    """A category's numbers in the earlier report."""

    files: Count = 0
    size_bytes: Count = 0
    code_lines: Count = 0


@dataclass(frozen=True, slots=True)
class EarlierSummary:
    by_category: Annotated[dict[str, Group], msgspec.Meta(max_length=MAX_CATEGORIES)]


@dataclass(frozen=True, slots=True)
class EarlierFinding:
    check: str = ""
    path: str = ""
    cell: Count | None = None  # 1-based, as findings.json writes it
    evidence: str = ""
    message: str = ""

    @property
    def identity(self) -> str:
        """As ``Finding.identity`` reads for the same finding."""
        cell = "" if self.cell is None else self.cell
        return f"{self.check}:{self.path}:{cell}:{self.evidence}"


@dataclass(frozen=True, slots=True)
class Baseline:
    """What the comparison reads of an earlier metrics.json."""

    summary: EarlierSummary
    timestamp: str | None = None
    findings: list[EarlierFinding] | None = field(default=None)
    schema_version: Annotated[str, msgspec.Meta(max_length=40)] = ""

    def code_lines(self, category: str, group: Group) -> int:
        """Lines of code of a category then: a report before 2.0.0 counted rows of data,
        markup and text as code lines of their categories; only code and notebooks held
        code then as now."""
        if category in CODE_CATEGORIES or self.schema_version.split(".")[0] not in ("", "0", "1"):
            return group.code_lines
        return 0


_DECODER = msgspec.json.Decoder(Baseline)


@dataclass(frozen=True, slots=True)
class Change:
    name: str  # a category, or "total"
    files: tuple[int, int]  # before, now
    size_bytes: tuple[int, int]
    code_lines: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Comparison:
    then: str  # the earlier report's timestamp
    changes: tuple[Change, ...]  # categories that changed, then the total
    new: tuple[Finding, ...]
    fixed: tuple[dict[str, Any], ...]  # findings of the earlier report that are gone
    had_findings: bool  # whether the earlier report carried findings at all


def load_baseline(path: str | Path) -> Baseline:
    """An earlier metrics.json; ``BaselineError`` (one line) when it is missing, too large,
    not JSON or not one, or holds a number out of range."""
    where = str(path)
    try:
        data = safeio.read_small_file(where, MAX_BYTES, follow=True)  # the user's own file
    except FileNotFoundError:
        raise BaselineError(f"{where}: no such file") from None
    except OSError as error:
        raise BaselineError(f"{where}: cannot be read: {error.strerror or error}") from None
    try:
        baseline = _DECODER.decode(data)
    except msgspec.ValidationError as error:
        raise BaselineError(f"{where}: not a repolens metrics.json: {_one_line(error)}") from None
    except (msgspec.DecodeError, RecursionError) as error:
        raise BaselineError(f"{where}: not JSON: {_one_line(error)}") from None
    return baseline


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 200 else text[:197] + "..."


def compare(summary: Summary, findings: Sequence[Finding], baseline: Baseline) -> Comparison:
    before = baseline.summary.by_category
    names = [*summary.by_category, *(name for name in before if name not in summary.by_category)]
    changes = []
    totals = [0, 0, 0, 0, 0, 0]
    for name in names:
        now = summary.by_category.get(name)
        old = before.get(name, Group())
        change = Change(
            name,
            (old.files, 0 if now is None else now.files),
            (old.size_bytes, 0 if now is None else now.size_bytes),
            (baseline.code_lines(name, old), 0 if now is None else now.kinds.code),
        )
        for index, pair in enumerate((change.files, change.size_bytes, change.code_lines)):
            totals[2 * index] += pair[0]
            totals[2 * index + 1] += pair[1]
        if any(pair[0] != pair[1] for pair in (change.files, change.size_bytes, change.code_lines)):
            changes.append(change)
    changes.append(
        Change("total", (totals[0], totals[1]), (totals[2], totals[3]), (totals[4], totals[5]))
    )
    had = baseline.findings is not None
    old_keys = {item.identity: item for item in baseline.findings or ()}
    now_keys = {item.identity: item for item in findings}
    new = tuple(item for key, item in now_keys.items() if key not in old_keys) if had else ()
    fixed = tuple(asdict(item) for key, item in old_keys.items() if key not in now_keys)
    return Comparison(baseline.timestamp or "an earlier run", tuple(changes), new, fixed, had)
