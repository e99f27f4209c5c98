"""The hostile benchmark measures a case that declares a cap at the largest accepted size too.

A case whose input is refused over a cap (settings over 1 MiB) would otherwise show only
the refusal's cost at 2 and 8 MiB. Here ``measure_apart`` is replaced by a model of such a
case: refused inputs cost nothing, accepted ones 0.5 s per MiB; the row must show the
accepted cost, and a builder that overshoots its target is measured again a little under
the cap."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
MIB = 1 << 20


@pytest.fixture()
def hostile(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module("hostile")


def _model(calls: list[int], cap: int, overshoot: float) -> Any:
    """A ``measure_apart`` for a case refused over ``cap`` whose builder makes
    ``overshoot`` times its target."""

    def measure_apart(module: str, name: str, size: int, timeout: float) -> dict[str, Any]:
        calls.append(size)
        built = int(size * overshoot)
        seconds = 0.0 if built > cap else 0.5 * built / MIB
        return {"bytes": built, "seconds": seconds, "heap": built // 4, "rss": 0}

    return measure_apart


def _cells(text: str) -> list[str]:
    return [cell.strip() for cell in text.strip("|").split(" | ")]


@pytest.mark.parametrize("overshoot", [1.0, 1.1], ids=["exact", "overshooting builder"])
def test_a_capped_case_is_measured_at_its_cap(
    hostile: Any, monkeypatch: pytest.MonkeyPatch, overshoot: float
) -> None:
    case_type = importlib.import_module("hostile_case").Case
    calls: list[int] = []
    monkeypatch.setattr(hostile, "measure_apart", _model(calls, MIB, overshoot))
    case = case_type("capped", "settings: TOML", lambda size, scratch: b"", len, cap=MIB)
    text, within = hostile.row("unused", case, [2 * MIB, 8 * MIB], 10.0)
    cells = _cells(text)
    assert calls[:2] == [2 * MIB, 8 * MIB]
    accepted = calls[-1] * overshoot
    assert accepted <= MIB and accepted > 0.9 * MIB  # the largest accepted input
    assert len(calls) == (3 if overshoot == 1.0 else 4)
    assert "refused over 1 MiB" in cells[2]
    assert cells[4] == "0.50 s"  # time per MiB: the accepted input's, not the refusal's 0.00
    assert within


def test_an_uncapped_case_is_measured_at_the_sizes_only(
    hostile: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_type = importlib.import_module("hostile_case").Case
    calls: list[int] = []
    monkeypatch.setattr(hostile, "measure_apart", _model(calls, 64 * MIB, 1.0))
    case = case_type("plain", "gitignore *", lambda size, scratch: b"", len)
    text, _ = hostile.row("unused", case, [2 * MIB, 8 * MIB], 10.0)
    assert calls == [2 * MIB, 8 * MIB]
    assert "refused" not in text
