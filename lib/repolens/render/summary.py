"""Pure summaries of records: totals, groups, top-N and notebook totals."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from ..core.linekinds import CODE_CATEGORIES, DATA_LANGUAGES, LineKind, Lines, line_kind
from ..core.records import FileRecord, Kind, LineCounts, State
from ..core.times import time_in_range
from ..scanning.filetypes import CATEGORIES

__all__ = [
    "CODE_CATEGORIES",
    "DATA_LANGUAGES",
    "PROBLEM_STATES",
    "Group",
    "NotebookTotals",
    "Summariser",
    "Summary",
    "as_summary",
    "summarise",
]

UNKNOWN_LANGUAGE = "(unknown)"
_EPOCH_DATE = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class Group:
    """Files, bytes and counted lines of a set of files."""

    files: int
    size_bytes: int
    counts: LineCounts  # the engine's split of every line it counted, whatever the file
    physical_lines: int  # lines of files counted physically only (too_large)
    kinds: Lines = field(default_factory=Lines)  # the same lines by kind (``core.linekinds``)

    @property
    def lines(self) -> int:
        return self.counts.lines + self.physical_lines

    @property
    def code_lines(self) -> int:
        """Lines of code: of code files and notebooks' code cells, never rows of data."""
        return self.kinds.code


@dataclass(frozen=True, slots=True)
class NotebookTotals:
    notebooks: int  # readable notebooks
    invalid: int  # notebooks that did not parse
    cells: int
    code_cells: int
    markdown_cells: int
    outputs: int
    output_bytes: int
    image_outputs: int
    image_bytes: int
    error_cells: int
    with_errors: int  # notebooks holding at least one error output
    out_of_order: int  # notebooks executed out of order
    kernels: dict[str, int]


@dataclass(frozen=True, slots=True)
class Summary:
    files: Group  # every regular file
    records: int  # every record: files, links, special files, unlistable folders
    by_category: dict[str, Group]  # in CATEGORIES order, empty categories left out
    by_language: dict[str, Group]  # text files, most lines of code first
    by_state: dict[str, int]
    by_extension: dict[str, int]  # files per extension ("" for none)
    largest: tuple[FileRecord, ...]
    most_lines: tuple[FileRecord, ...]
    notebooks: NotebookTotals
    binary_files: int
    top: int
    notebook_files: tuple[FileRecord, ...] = ()  # every readable notebook, by path
    modified_by_day: dict[str, int] = field(default_factory=dict)  # files last modified that day
    problem_records: tuple[
        FileRecord, ...
    ] = ()  # first PROBLEMS_KEPT of each problem state, by state
    files_by_kind: dict[str, int] = field(default_factory=dict)  # counted files by line kind
    counted_notebooks: int = 0  # notebooks whose lines were counted

    @property
    def problem_counts(self) -> tuple[int, int]:
        """(unreadable or invalid records, links, special files and texts too large)."""
        states = self.by_state
        bad = states.get("unreadable", 0) + states.get("invalid", 0)
        other = states.get("symlink", 0) + states.get("special", 0) + states.get("too_large", 0)
        return bad, other

    @property
    def total_files(self) -> int:
        return self.files.files

    @property
    def total_lines(self) -> int:
        return self.files.lines

    @property
    def total_size_bytes(self) -> int:
        return self.files.size_bytes

    @property
    def average_lines_per_file(self) -> float:
        return self.total_lines / self.total_files if self.total_files else 0.0

    @property
    def average_file_size_bytes(self) -> float:
        return self.total_size_bytes / self.total_files if self.total_files else 0.0

    @property
    def code_lines(self) -> int:
        """Lines of code in code files and notebook cells: never rows of data."""
        return self.files.kinds.code

    @property
    def data_rows(self) -> int:
        """Non-blank lines of data files (CSV rows, log lines, ...)."""
        return self.files.kinds.data

    @property
    def code_files(self) -> int:
        """Files whose lines are code: source files (markup left out) and notebooks."""
        return self.files_by_kind.get(LineKind.CODE.value, 0)

    @property
    def source_files(self) -> int:
        """Code files that are not notebooks."""
        return self.code_files - self.counted_notebooks

    @property
    def code_languages(self) -> dict[str, Group]:
        """The languages that hold lines of code (``by_language`` without data, markup,
        text and configuration), most code first."""
        found = {n: g for n, g in self.by_language.items() if g.kinds.code_lines}
        return dict(sorted(found.items(), key=lambda item: (-item[1].kinds.code, item[0])))

    @property
    def problems(self) -> int:
        """Records that could not be analysed as they should: unreadable or invalid."""
        return self.by_state.get(State.UNREADABLE, 0) + self.by_state.get(State.INVALID, 0)


_KIND_SLOT = {kind: index for index, kind in enumerate(LineKind)}


class _Tally:
    """A group being added up (files, bytes, lines, and lines by kind)."""

    __slots__ = ("blank", "code", "comment", "files", "kinds", "physical", "size")

    def __init__(self) -> None:
        self.files = self.size = self.physical = 0
        self.code = self.comment = self.blank = 0
        # per kind (LineKind order): [code or non-blank lines, comment, blank]
        self.kinds = [[0, 0, 0] for _ in LineKind]

    def add(self, record: FileRecord, kind: LineKind) -> None:
        self.files += 1
        self.size += record.size_bytes
        counts = record.counts
        if counts is not None:
            self.code += counts.code
            self.comment += counts.comment
            self.blank += counts.blank
            slot = self.kinds[_KIND_SLOT[kind]]
            slot[0] += counts.code
            slot[1] += counts.comment
            slot[2] += counts.blank
        elif record.lines is not None:
            self.physical += record.lines

    def group(self) -> Group:
        code, data, markup, text, config = self.kinds
        kinds = Lines(
            code=code[0],
            comment=code[1],
            blank=code[2],
            data=data[0] + data[1],
            markup=markup[0] + markup[1],
            text=text[0] + text[1],
            config=config[0] + config[1],
            other_blank=data[2] + markup[2] + text[2] + config[2],
        )
        return Group(
            self.files,
            self.size,
            LineCounts(self.code, self.comment, self.blank),
            self.physical,
            kinds,
        )


class _Last(str):
    """A path that ranks lower the later it sorts (ties in a top-N go to the first path)."""

    __slots__ = ()

    def __lt__(self, other: str) -> bool:
        return str.__gt__(self, other)


class _TopN:
    """The ``top`` records with the largest value (> 0), ties to the first path."""

    __slots__ = ("heap", "seen", "top")

    def __init__(self, top: int) -> None:
        self.top = top
        self.seen = 0  # breaks ties between records of one path (never in a scan)
        self.heap: list[tuple[int, _Last, int, FileRecord]] = []

    def add(self, value: int, record: FileRecord) -> None:
        if value <= 0 or not self.top:
            return
        heap = self.heap
        self.seen -= 1
        if len(heap) < self.top:
            heapq.heappush(heap, (value, _Last(record.path), self.seen, record))
            return
        worst = heap[0]
        if value < worst[0] or (value == worst[0] and record.path >= worst[1]):
            return
        heapq.heapreplace(heap, (value, _Last(record.path), self.seen, record))

    def ranked(self) -> tuple[FileRecord, ...]:
        ordered = sorted(self.heap, key=lambda item: (-item[0], item[3].path, -item[2]))
        return tuple(item[3] for item in ordered)


PROBLEM_STATES = (State.UNREADABLE, State.INVALID, State.SYMLINK, State.SPECIAL, State.TOO_LARGE)
PROBLEMS_KEPT = 200
"""Records of each problem state a summary keeps by name (the first by path): the report
lists 50; files.csv has every one."""

_DAY_NS = 86_400 * 1_000_000_000


class Summariser:
    """Adds records up one at a time (a scan's stream) into a ``Summary``; holds only the
    totals, the top-N, the notebooks and the first records of each problem state."""

    def __init__(self, top: int = 10) -> None:
        if top < 0:
            raise ValueError("top must be zero or more")
        self.top = top
        self.records = 0
        self._files = _Tally()
        self._categories: dict[str, _Tally] = {}
        self._languages: dict[str, _Tally] = {}
        self._states: Counter[str] = Counter()
        self._extensions: Counter[str] = Counter()
        self._largest = _TopN(top)
        self._most_lines = _TopN(top)
        self._notebooks: list[FileRecord] = []
        self._invalid_notebooks = 0
        self._binary = 0
        self._days: Counter[int] = Counter()
        self._problems: dict[State, list[FileRecord]] = {state: [] for state in PROBLEM_STATES}
        self._kinds: dict[tuple[str, str | None], LineKind] = {}
        self._files_by_kind: Counter[str] = Counter()
        self._counted_notebooks = 0

    def _kind(self, record: FileRecord) -> LineKind:
        key = (record.category, record.language)
        kind = self._kinds.get(key)
        if kind is None:
            kind = self._kinds[key] = line_kind(*key)
        return kind

    def add(self, record: FileRecord) -> None:
        self.records += 1
        state = record.state
        self._states[state.value] += 1
        kept = self._problems.get(state)
        if kept is not None and len(kept) < PROBLEMS_KEPT:
            kept.append(record)
        if record.kind is not Kind.FILE:
            return
        kind = self._kind(record)
        self._files.add(record, kind)
        category = self._categories.get(record.category)
        if category is None:
            category = self._categories[record.category] = _Tally()
        category.add(record, kind)
        lines = record.lines
        if lines is not None:
            self._files_by_kind[kind.value] += 1
            if record.category == "notebook":
                self._counted_notebooks += 1
            name = record.language or UNKNOWN_LANGUAGE
            language = self._languages.get(name)
            if language is None:
                language = self._languages[name] = _Tally()
            language.add(record, kind)
            self._most_lines.add(lines, record)
        self._extensions[record.extension] += 1
        self._largest.add(record.size_bytes, record)
        if record.notebook is not None:
            self._notebooks.append(record)
        elif record.category == "notebook" and state is State.INVALID:
            self._invalid_notebooks += 1
        if record.is_binary:
            self._binary += 1
        modified = record.modified_ns
        if modified > 0 and time_in_range(modified):
            self._days[modified // _DAY_NS] += 1

    def add_window(self, records: Iterable[FileRecord]) -> None:
        """``add`` each record of a window (a scan hands them out a window at a time)."""
        add = self.add
        for record in records:
            add(record)

    def summary(self) -> Summary:
        languages = {name: tally.group() for name, tally in self._languages.items()}
        problems = [record for state in PROBLEM_STATES for record in self._problems[state]]
        return Summary(
            files=self._files.group(),
            records=self.records,
            by_category={
                name: self._categories[name].group()
                for name in CATEGORIES
                if name in self._categories
            },
            by_language=dict(
                sorted(
                    languages.items(),
                    key=lambda item: (-item[1].kinds.code, -item[1].lines, item[0]),
                )
            ),
            by_state={
                state.value: self._states[state.value]
                for state in State
                if self._states[state.value]
            },
            by_extension=dict(sorted(self._extensions.items())),
            largest=self._largest.ranked(),
            most_lines=self._most_lines.ranked(),
            notebooks=_notebooks(self._notebooks, self._invalid_notebooks),
            binary_files=self._binary,
            top=self.top,
            notebook_files=tuple(self._notebooks),
            modified_by_day={_day(day): count for day, count in sorted(self._days.items())},
            problem_records=tuple(problems),
            files_by_kind={
                kind.value: self._files_by_kind[kind.value]
                for kind in LineKind
                if self._files_by_kind[kind.value]
            },
            counted_notebooks=self._counted_notebooks,
        )


def _day(day: int) -> str:
    return (_EPOCH_DATE + timedelta(days=day)).isoformat()


def _notebooks(records: Sequence[FileRecord], invalid: int) -> NotebookTotals:
    stats = [record.notebook for record in records if record.notebook is not None]
    kernels = Counter(item.kernel or "(none)" for item in stats)
    return NotebookTotals(
        notebooks=len(stats),
        invalid=invalid,
        cells=sum(item.cells for item in stats),
        code_cells=sum(item.code_cells for item in stats),
        markdown_cells=sum(item.markdown_cells for item in stats),
        outputs=sum(item.outputs for item in stats),
        output_bytes=sum(item.output_bytes for item in stats),
        image_outputs=sum(item.image_outputs for item in stats),
        image_bytes=sum(item.image_bytes for item in stats),
        error_cells=sum(item.error_cells for item in stats),
        with_errors=sum(1 for item in stats if item.error_cells),
        out_of_order=sum(1 for item in stats if item.out_of_order),
        kernels=dict(sorted(kernels.items())),
    )


def summarise(records: Iterable[FileRecord], top: int = 10) -> Summary:
    """Totals and rankings of ``records``; only regular files count as files."""
    summariser = Summariser(top)
    for record in records:
        summariser.add(record)
    return summariser.summary()


def as_summary(value: Summary | Iterable[FileRecord]) -> Summary:
    """A summary as it is, or the summary of some records (for callers holding records)."""
    return value if isinstance(value, Summary) else summarise(value)
