"""What a file's lines are: the one definition of "lines of code" every report uses.

Lines of code are the lines of code files and of notebooks' code cells, split by the
counting engine into code, comment and blank. Every other counted line is named for
what it is: rows of data (CSV, logs, JSON), lines of markup (HTML, XML, SVG, CSS),
lines of text (Markdown, plain text, papers) and lines of configuration (YAML, TOML,
INI). A file's kind of lines comes from its category (``scanning/filetypes.toml``) and,
inside the code category, from its language: an ``.html`` page is markup even where
the table files it with code.

The scan's summary, metrics.json, the printed summaries, the report, the history, the
portfolio, the charts and the sentences all count through ``split_lines`` and name the
kinds with ``KIND_NAMES``, so no number anywhere calls a row of data code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .records import LineCounts

__all__ = [
    "CODE_CATEGORIES",
    "CONFIG_LANGUAGES",
    "DATA_LANGUAGES",
    "KIND_NAMES",
    "MARKUP_LANGUAGES",
    "TEXT_LANGUAGES",
    "LineKind",
    "Lines",
    "is_code",
    "line_kind",
    "other_lines",
    "split_lines",
]


class LineKind(StrEnum):
    CODE = "code"
    DATA = "data"
    MARKUP = "markup"
    TEXT = "text"
    CONFIG = "config"


KIND_NAMES = {
    LineKind.CODE: "lines of code",
    LineKind.DATA: "rows of data",
    LineKind.MARKUP: "lines of markup",
    LineKind.TEXT: "lines of text",
    LineKind.CONFIG: "lines of configuration",
}
"""How reports name each kind of line, as people read it."""

CODE_CATEGORIES = frozenset({"code", "notebook"})
"""The categories whose lines can be code (a notebook's code cells always are)."""

DATA_LANGUAGES = frozenset({"CSV", "TSV", "JSON Lines", "JSON", "Data", "Log", "HEX", "Intel HEX"})
MARKUP_LANGUAGES = frozenset(
    {
        "HTML",
        "XML",
        "SVG",
        "XSL",
        "XAML",
        "CSS",
        "Sass",
        "LESS",
        "PostCSS",
        "Stylus",
        "Handlebars",
        "Mustache",
        "Liquid",
        "Pug",
        "Hamlet",
        "Cassius",
        "Lucius",
        "Twig",
        "Tera",
        "FreeMarker",
        "Apache Velocity",
        "Dust.js",
    }
)
TEXT_LANGUAGES = frozenset(
    {"Markdown", "ReStructuredText", "TeX", "AsciiDoc", "Org", "Plain Text", "Unreal Markdown"}
)
CONFIG_LANGUAGES = frozenset({"YAML", "TOML", "INI"})

_BY_LANGUAGE = (
    (DATA_LANGUAGES, LineKind.DATA),
    (MARKUP_LANGUAGES, LineKind.MARKUP),
    (TEXT_LANGUAGES, LineKind.TEXT),
    (CONFIG_LANGUAGES, LineKind.CONFIG),
)
_BY_CATEGORY = {
    "data": LineKind.DATA,
    "config": LineKind.CONFIG,
    "docs": LineKind.TEXT,
    "image": LineKind.MARKUP,  # the text images: SVG, XBM
}


def line_kind(category: str, language: str | None) -> LineKind:
    """What the lines of a file of ``category`` in ``language`` are."""
    if category == "notebook":
        return LineKind.CODE
    if category == "code":
        for languages, kind in _BY_LANGUAGE:
            if language in languages:
                return kind
        return LineKind.CODE
    return _BY_CATEGORY.get(category, LineKind.TEXT)


def is_code(category: str, language: str | None) -> bool:
    """Whether a file's lines are lines of code."""
    return line_kind(category, language) is LineKind.CODE


@dataclass(frozen=True, slots=True)
class Lines:
    """Counted lines by what they are. ``code``, ``comment`` and ``blank`` are the lines of
    code files and notebooks (a notebook's Markdown lines are its comments); the other
    kinds count their non-blank lines, their blank ones are ``other_blank``. The fields
    add up to every line the engine split."""

    code: int = 0
    comment: int = 0
    blank: int = 0
    data: int = 0  # rows of data
    markup: int = 0
    text: int = 0
    config: int = 0
    other_blank: int = 0

    @property
    def lines(self) -> int:
        return (
            self.code
            + self.comment
            + self.blank
            + self.data
            + self.markup
            + self.text
            + self.config
            + self.other_blank
        )

    @property
    def code_lines(self) -> int:
        """Lines of code, comment and blank together: every line of the code files."""
        return self.code + self.comment + self.blank

    @property
    def blank_lines(self) -> int:
        """Blank lines of every kind."""
        return self.blank + self.other_blank

    def of(self, kind: LineKind) -> int:
        """The non-blank lines of ``kind`` (for code: code and comment lines)."""
        if kind is LineKind.CODE:
            return self.code + self.comment
        return int(getattr(self, kind.value))

    def __add__(self, other: Lines) -> Lines:
        return Lines(
            self.code + other.code,
            self.comment + other.comment,
            self.blank + other.blank,
            self.data + other.data,
            self.markup + other.markup,
            self.text + other.text,
            self.config + other.config,
            self.other_blank + other.other_blank,
        )


def split_lines(category: str, language: str | None, counts: LineCounts) -> Lines:
    """A file's counted lines (the engine's code/comment/blank) by what they are."""
    kind = line_kind(category, language)
    if kind is LineKind.CODE:
        return Lines(code=counts.code, comment=counts.comment, blank=counts.blank)
    content = counts.code + counts.comment
    if kind is LineKind.DATA:
        return Lines(data=content, other_blank=counts.blank)
    if kind is LineKind.MARKUP:
        return Lines(markup=content, other_blank=counts.blank)
    if kind is LineKind.CONFIG:
        return Lines(config=content, other_blank=counts.blank)
    return Lines(text=content, other_blank=counts.blank)


def other_lines(kinds: Lines) -> list[tuple[str, int]]:
    """The counted lines that are not code, each named for what it is (``KIND_NAMES``),
    leaving out kinds with none: ``[("rows of data", 12000), ("lines of text", 40)]``."""
    return [
        (KIND_NAMES[kind], kinds.of(kind))
        for kind in (LineKind.DATA, LineKind.MARKUP, LineKind.TEXT, LineKind.CONFIG)
        if kinds.of(kind)
    ]
