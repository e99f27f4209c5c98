"""Text outputs compared with tolerance: sanitised, then read as tokens.

A text is sanitised (``sanitise.py``), then read as its numbers (``1e-5``, ``-0.0``,
``nan``, ``inf``, ``1,234.5``, inside numpy and pandas reprs), its dates, and the text
between them with its whitespace left out (column widths change when numbers do). Two
texts with the same text between and numbers within the relative tolerance (default
``1e-6``, with an absolute floor of ``1e-12`` for rounding noise around zero) are the
same; a date that is the moment its side ran (``sanitise.near``) matches any date in
the other. Pure, and linear in the text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from . import images
from .model import Difference, DifferenceKind
from .sanitise import DATE, near, sanitise

__all__ = [
    "DEFAULT_TOLERANCE",
    "EXCERPT",
    "RunTimes",
    "Token",
    "Tolerance",
    "compare_text",
    "tokens",
]

DEFAULT_TOLERANCE = 1e-6
EXCERPT = 120  # characters of each side shown for a difference
MAX_TOKENS = 500_000  # past this many tokens in one output, the text is compared whole


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How far two outputs may be apart and still be the same: numbers by ``relative``
    (and ``absolute`` near zero), images by ``images.PIXEL_DELTA`` and ``PIXEL_SHARE``."""

    relative: float = DEFAULT_TOLERANCE
    absolute: float = 1e-12
    pixel_delta: int = images.PIXEL_DELTA
    pixel_share: float = images.PIXEL_SHARE


@dataclass(frozen=True, slots=True)
class RunTimes:
    """When each side ran (None when its notebook does not say): a date that is the
    moment of its side's run is no result."""

    saved: datetime | None = None
    fresh: datetime | None = None


_DEFAULT = Tolerance()
_UNKNOWN = RunTimes()


_NUMBER = (
    r"(?<![\w.])[-+]?(?:\d{1,3}(?:,\d{3})+(?:\.\d*)?(?![\d,])"
    r"|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
    r"|(?<![\w.])[-+]?(?i:nan|inf(?:inity)?)(?!\w)"
)
_TOKEN = re.compile(rf"(?P<date>{DATE.pattern})|(?P<number>{_NUMBER})")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "number" or "date"
    text: str
    start: int


def tokens(text: str) -> tuple[str, list[Token]]:
    """``text`` as its skeleton (the text between numbers and dates, whitespace left out,
    each number and date a marker) and the numbers and dates in order."""
    text = text.replace("\x00", "")
    parts: list[str] = []
    found: list[Token] = []
    last = 0
    for match in _TOKEN.finditer(text):
        parts.append(_SPACE.sub("", text[last : match.start()]))
        kind = "date" if match.group("date") is not None else "number"
        parts.append("\x00d" if kind == "date" else "\x00n")
        found.append(Token(kind, match.group(), match.start()))
        last = match.end()
    parts.append(_SPACE.sub("", text[last:]))
    return "".join(parts), found


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _close(saved: float, fresh: float, tolerance: Tolerance) -> bool:
    if math.isnan(saved) or math.isnan(fresh):
        return math.isnan(saved) and math.isnan(fresh)
    return math.isclose(saved, fresh, rel_tol=tolerance.relative, abs_tol=tolerance.absolute)


def _line_at(text: str, position: int) -> str:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    line = text[start : end if end >= 0 else len(text)].strip()
    if len(line) <= EXCERPT:
        return line
    offset = max(0, min(position - start - EXCERPT // 2, len(line) - EXCERPT))
    return line[offset : offset + EXCERPT]


def _first_difference(saved: str, fresh: str) -> tuple[str, str]:
    """The first line where the two texts part, from each."""
    saved_lines, fresh_lines = saved.splitlines(), fresh.splitlines()
    for left, right in zip(saved_lines, fresh_lines, strict=False):
        if _SPACE.sub("", left) != _SPACE.sub("", right):
            return left.strip()[:EXCERPT], right.strip()[:EXCERPT]
    if len(saved_lines) > len(fresh_lines):
        return saved_lines[len(fresh_lines)].strip()[:EXCERPT], "(nothing more)"
    if len(fresh_lines) > len(saved_lines):
        return "(nothing more)", fresh_lines[len(saved_lines)].strip()[:EXCERPT]
    return saved.strip()[:EXCERPT], fresh.strip()[:EXCERPT]


def _change(saved: float, fresh: float) -> float:
    if math.isnan(saved) or math.isnan(fresh) or math.isinf(saved) or math.isinf(fresh):
        return math.inf
    scale = max(abs(saved), abs(fresh))
    return abs(saved - fresh) / scale if scale else 0.0


def compare_text(
    saved: str,
    fresh: str,
    tolerance: Tolerance = _DEFAULT,
    sides: RunTimes = _UNKNOWN,
) -> tuple[Difference | None, bool]:
    """``(difference or None, equal only once sanitised or within tolerance)``."""
    if saved == fresh:
        return None, False
    clean_saved, clean_fresh = sanitise(saved), sanitise(fresh)
    if clean_saved == clean_fresh:
        return None, True
    skeleton_saved, found_saved = tokens(clean_saved)
    skeleton_fresh, found_fresh = tokens(clean_fresh)
    too_many = max(len(found_saved), len(found_fresh)) > MAX_TOKENS
    if too_many or skeleton_saved != skeleton_fresh:
        left, right = _first_difference(clean_saved, clean_fresh)
        return Difference(DifferenceKind.TEXT, left, right, "the text differs"), False
    beyond: list[tuple[Token, Token, float]] = []
    numbers = 0
    for left, right in zip(found_saved, found_fresh, strict=True):
        if left.kind == "date":
            if left.text != right.text and not (
                near(right.text, sides.fresh)
                and (sides.saved is None or near(left.text, sides.saved))
            ):
                beyond.append((left, right, math.inf))
            continue
        numbers += 1
        a, b = _number(left.text), _number(right.text)
        if not _close(a, b, tolerance):
            beyond.append((left, right, _change(a, b)))
    if not beyond:
        return None, True
    first_saved, first_fresh, _ = beyond[0]
    largest = max(change for _left, _right, change in beyond)
    dates = sum(1 for left, _right, _change in beyond if left.kind == "date")
    parts = []
    if len(beyond) > dates:
        parts.append(
            f"{len(beyond) - dates:,} of {numbers:,} numbers beyond {tolerance.relative:g}, "
            + (
                f"largest relative change {largest:.3g}"
                if math.isfinite(largest)
                else "some not finite"
            )
        )
    if dates:
        parts.append(f"{dates:,} date{'s' if dates != 1 else ''} changed")
    kind = DifferenceKind.NUMBER if len(beyond) > dates else DifferenceKind.TEXT
    return (
        Difference(
            kind,
            _line_at(clean_saved, first_saved.start),
            _line_at(clean_fresh, first_fresh.start),
            "; ".join(parts),
        ),
        False,
    )
