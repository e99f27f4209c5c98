"""Pure summaries of records: totals, groups, top-N and notebook totals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .filetypes import CATEGORIES
from .records import FileRecord, Kind, LineCounts, State

__all__ = ["CODE_CATEGORIES", "DATA_LANGUAGES", "Group", "NotebookTotals", "Summary", "summarise"]

UNKNOWN_LANGUAGE = "(unknown)"
CODE_CATEGORIES = ("code", "notebook")  # what "lines of code" counts
# Text formats whose lines are rows of data, not code, whatever category holds them.
DATA_LANGUAGES = frozenset({"CSV", "TSV", "JSON Lines", "JSON", "XML", "Data", "Log"})


@dataclass(frozen=True, slots=True)
class Group:
    """Files, bytes and counted lines of a set of files."""

    files: int
    size_bytes: int
    counts: LineCounts  # over files whose lines were split
    physical_lines: int  # lines of files counted physically only (too_large)

    @property
    def lines(self) -> int:
        return self.counts.lines + self.physical_lines


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
    by_language: dict[str, Group]  # text files, most code first
    by_state: dict[str, int]
    by_extension: dict[str, int]  # files per extension ("" for none)
    largest: tuple[FileRecord, ...]
    most_lines: tuple[FileRecord, ...]
    notebooks: NotebookTotals
    binary_files: int
    top: int

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
        return sum(
            group.counts.code for name, group in self.by_category.items() if name in CODE_CATEGORIES
        )

    @property
    def data_rows(self) -> int:
        """Non-blank lines of data files (CSV rows, log lines, ...)."""
        group = self.by_category.get("data")
        return 0 if group is None else group.counts.code

    @property
    def code_languages(self) -> dict[str, Group]:
        """``by_language`` without the data formats, most code first."""
        return {n: g for n, g in self.by_language.items() if n not in DATA_LANGUAGES}

    @property
    def problems(self) -> int:
        """Records that could not be analysed as they should: unreadable or invalid."""
        return self.by_state.get(State.UNREADABLE, 0) + self.by_state.get(State.INVALID, 0)


def _group(records: Iterable[FileRecord]) -> Group:
    files = size = physical = 0
    code = comment = blank = 0
    for record in records:
        files += 1
        size += record.size_bytes
        counts = record.counts
        if counts is not None:
            code += counts.code
            comment += counts.comment
            blank += counts.blank
        elif record.lines is not None:
            physical += record.lines
    return Group(files, size, LineCounts(code, comment, blank), physical)


def _grouped(records: Sequence[FileRecord], key: Callable[[FileRecord], str]) -> dict[str, Group]:
    buckets: dict[str, list[FileRecord]] = {}
    for record in records:
        buckets.setdefault(key(record), []).append(record)
    return {name: _group(items) for name, items in buckets.items()}


def _top(records: Sequence[FileRecord], value: Callable[[FileRecord], int], top: int):
    ranked = sorted(
        (record for record in records if value(record) > 0),
        key=lambda record: (-value(record), record.path),
    )
    return tuple(ranked[:top])


def _notebooks(records: Sequence[FileRecord]) -> NotebookTotals:
    stats = [record.notebook for record in records if record.notebook is not None]
    invalid = sum(
        1 for record in records if record.category == "notebook" and record.state is State.INVALID
    )
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


def summarise(records: Sequence[FileRecord], top: int = 10) -> Summary:
    """Totals and rankings of ``records``; only regular files count as files."""
    if top < 0:
        raise ValueError("top must be zero or more")
    files = [record for record in records if record.kind is Kind.FILE]
    categories = _grouped(files, lambda record: record.category)
    languages = _grouped(
        [record for record in files if record.lines is not None],
        lambda record: record.language or UNKNOWN_LANGUAGE,
    )
    by_state = Counter(record.state.value for record in records)
    return Summary(
        files=_group(files),
        records=len(records),
        by_category={name: categories[name] for name in CATEGORIES if name in categories},
        by_language=dict(
            sorted(
                languages.items(), key=lambda item: (-item[1].counts.code, -item[1].lines, item[0])
            )
        ),
        by_state={state.value: by_state[state.value] for state in State if by_state[state.value]},
        by_extension=dict(sorted(Counter(record.extension for record in files).items())),
        largest=_top(files, lambda record: record.size_bytes, top),
        most_lines=_top(files, lambda record: record.lines or 0, top),
        notebooks=_notebooks(files),
        binary_files=sum(1 for record in files if record.is_binary),
        top=top,
    )
