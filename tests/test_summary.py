"""Summaries are pure functions of the records."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from repolens import FileRecord, Kind, LineCounts, State, summarise
from repolens.scanning.filetypes import CATEGORIES, file_types

ONE_EACH = LineCounts(1, 1, 1)


def record(
    path: str,
    size: int = 10,
    category: str = "code",
    language: str | None = "Python",
    counts: LineCounts | None = ONE_EACH,
    kind: Kind = Kind.FILE,
    state: State = State.OK,
    lines: int | None = None,
) -> FileRecord:
    return FileRecord(
        path=path,
        extension=file_types().extension(path.rsplit("/", 1)[-1]),
        kind=kind,
        category=category,
        language=language,
        size_bytes=size,
        modified_ns=0,
        changed_ns=0,
        birth_ns=None,
        is_binary=counts is None and lines is None,
        encoding=None,
        lines=lines if lines is not None else (counts.lines if counts else None),
        counts=counts,
        state=state,
        reason="" if state is State.OK else "why",
    )


def test_totals_groups_and_rankings() -> None:
    records = [
        record("a.py", 100, counts=LineCounts(10, 2, 3)),
        record("b.py", 50, counts=LineCounts(5, 0, 0)),
        record("img.png", 1000, "image", None, None, state=State.BINARY),
        record("big.csv", 400, "data", "CSV", None, state=State.TOO_LARGE, lines=99),
        record("link", 7, "other", None, None, kind=Kind.SYMLINK, state=State.SYMLINK),
    ]
    summary = summarise(records, top=2)
    assert summary.total_files == 4 and summary.records == 5  # the link is no file
    assert summary.total_size_bytes == 1550
    assert summary.total_lines == 15 + 5 + 99
    assert summary.files.counts == LineCounts(15, 2, 3)
    assert list(summary.by_category) == ["code", "data", "image"]
    assert summary.by_category["code"].counts == LineCounts(15, 2, 3)
    assert [r.path for r in summary.largest] == ["img.png", "big.csv"]
    assert [r.path for r in summary.most_lines] == ["big.csv", "a.py"]
    assert summary.by_state == {"ok": 2, "binary": 1, "too_large": 1, "symlink": 1}
    assert summary.binary_files == 1
    assert summary.by_extension == {".csv": 1, ".png": 1, ".py": 2}
    assert summary.average_lines_per_file == pytest.approx(119 / 4)


def test_ties_are_broken_by_path() -> None:
    records = [record(name, 5) for name in ("c", "a", "b")]
    assert [r.path for r in summarise(records).largest] == ["a", "b", "c"]


def test_nothing_summarises_to_zeros() -> None:
    summary = summarise([])
    assert (summary.total_files, summary.total_lines, summary.average_lines_per_file) == (0, 0, 0)
    assert summary.largest == () and summary.by_category == {}


def test_negative_top_is_refused() -> None:
    with pytest.raises(ValueError):
        summarise([], top=-1)


RECORDS = st.lists(
    st.builds(
        record,
        path=st.text(alphabet="abcdef/.", min_size=1, max_size=10),
        size=st.integers(0, 10**9),
        category=st.sampled_from(CATEGORIES),
        language=st.sampled_from(["Python", "C", None]),
        counts=st.one_of(
            st.none(),
            st.builds(LineCounts, st.integers(0, 99), st.integers(0, 99), st.integers(0, 99)),
        ),
    ),
    max_size=30,
)


@given(RECORDS, st.integers(0, 5))
def test_groups_add_up_to_the_totals(records: list[FileRecord], top: int) -> None:
    summary = summarise(records, top=top)
    assert sum(g.files for g in summary.by_category.values()) == summary.total_files
    assert sum(g.size_bytes for g in summary.by_category.values()) == summary.total_size_bytes
    assert sum(g.lines for g in summary.by_language.values()) == summary.total_lines
    assert sum(summary.by_state.values()) == summary.records
    assert len(summary.largest) <= top
    sizes = [r.size_bytes for r in summary.largest]
    assert sizes == sorted(sizes, reverse=True)
    counts = summary.files.counts
    assert counts.code + counts.comment + counts.blank == counts.lines
