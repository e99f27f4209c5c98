"""Secrets (SE001): high-precision patterns only, evidence redacted.

Fixed formats by their shape (a private key block, an AWS key id, a GitHub token, ...), and
credentials that need their context (``credentials.py``: a password in a URI, a chosen
literal assigned to a name like password or api_key, a webhook key in a URL). Code,
configuration and docs, and in notebooks the cells and their text outputs; never embedded
image payloads (base64 produces false positives in other tools).
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator

from ..core.findings import Finding
from ..core.records import FileRecord
from .credentials import credential_hits
from .source import Source, finding, is_test_path, text_of

__all__ = [
    "CATEGORIES",
    "PATTERNS",
    "check_secrets",
    "redact",
    "secret_check",
    "secret_finding",
    "secret_hits",
]

PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "a private key",
        re.compile(
            r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY( BLOCK)?-----"
        ),
    ),
    ("an AWS access key id", re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")),
    ("a GitHub token", re.compile(r"(?<![\w])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_\w{82})")),
    ("an OpenAI key", re.compile(r"(?<![\w-])sk-[A-Za-z0-9_-]{0,80}T3BlbkFJ[A-Za-z0-9_-]{10,}")),
    ("a Slack token", re.compile(r"(?<![\w-])xox[abprs]-[0-9A-Za-z-]{10,}")),
    (
        "a Slack webhook",
        re.compile(r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+"),
    ),
    ("a Google API key", re.compile(r"(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])")),
)
CATEGORIES = ("code", "notebook", "config", "docs", "other")
# Every pattern holds one of these literals: a text without any of them (nearly every
# file) is passed over with a few substring searches instead of a regular expression.
_ANCHORS = (
    "PRIVATE KEY",
    "AKIA",
    "ASIA",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "T3BlbkFJ",
    "xox",
    "hooks.slack.com",
    "AIza",
)
# All patterns in one expression: one pass over a text that has an anchor.
_ANY = re.compile(
    "|".join(f"(?P<p{index}>{pattern.pattern})" for index, (_, pattern) in enumerate(PATTERNS))
)
_TEXT_OUTPUTS = ("text/plain", "text/markdown", "application/json", "text/html", "text")


def redact(secret: str) -> str:
    """The first four characters and the length: enough to find it, useless to abuse."""
    return f"{secret[:4]}…({len(secret)} characters)"


def _texts(source: Source) -> Iterator[tuple[int | None, str, str]]:
    """``(cell, where, text)``: the file, or every cell and its text outputs."""
    if source.notebook is None:
        yield None, "", source.text
        return
    for cell in source.cells:
        yield cell.index, "", cell.source
        for output in cell.outputs:
            if output.get("output_type") == "stream":
                yield cell.index, "output", text_of(output.get("text"))
            data = output.get("data")
            if isinstance(data, dict):
                for mime in _TEXT_OUTPUTS:
                    if mime in data:
                        yield cell.index, "output", text_of(data[mime])
            for key in ("text", "traceback"):
                if key in output and output.get("output_type") != "stream":
                    yield cell.index, "output", text_of(output[key])


def _fixed_hits(text: str) -> Iterator[tuple[int, str, str]]:
    """The credentials of a fixed format: one pass of one expression, and none at all when
    no pattern's literal is there."""
    if not any(anchor in text for anchor in _ANCHORS):
        return
    for match in _ANY.finditer(text):
        yield match.start(), PATTERNS[int(match.lastgroup[1:])][0], match.group(0)  # type: ignore[index]


def secret_hits(text: str) -> Iterator[tuple[int, str, str]]:
    """``(offset, what, secret)`` of every credential in a text, in order of offset: the
    fixed formats, then those found by their context where no fixed format stands."""
    generic = (hit for hit in credential_hits(text) if _ANY.search(hit[2]) is None)
    yield from heapq.merge(_fixed_hits(text), generic)


def secret_check(path: str) -> str:
    """SE002 in test code and fixtures, SE001 elsewhere."""
    return "SE002" if is_test_path(path) else "SE001"


def secret_finding(
    check_id: str,
    path: str,
    what: str,
    secret: str,
    line: int | None,
    cell: int | None = None,
    where: str = "",
) -> Finding:
    place = ""
    if cell is not None:
        place = f" in the output of cell {cell + 1}" if where else f" in cell {cell + 1}"
    return finding(check_id, path, f"{what}{place}.", evidence=redact(secret), line=line, cell=cell)


def check_secrets(record: FileRecord, source: Source) -> Iterator[Finding]:
    if record.category not in CATEGORIES:
        return
    check_id = secret_check(record.path)
    for cell, where, text in _texts(source):
        line, position = 1, 0
        for offset, what, secret in secret_hits(text):
            line += text.count("\n", position, offset)
            position = offset
            yield secret_finding(
                check_id, record.path, what, secret, None if where else line, cell, where
            )
