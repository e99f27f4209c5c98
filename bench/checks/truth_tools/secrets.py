"""Secret candidates (SE001, SE002) from detect-secrets and a scan of our own, for review.

A candidate is never truth by itself: each one is reviewed by reading it, and the verdict
is kept in the truth file's ``reviews`` (keyed by path, line or cell, and kind). A real
credential outside test code is SE001; a credential-shaped value in test code or test
fixtures (a test certificate, a fake token) is SE002.

Sources:
- detect-secrets 1.5 with its default plugins over every tracked text file; in notebooks
  over each cell's source and text outputs (never image payloads), placed at the cell.
- Our own scan for keys inside URLs (``/key/<value>``, ``?token=<value>``), URIs with a
  password (``scheme://user:password@host``) and literals assigned to names like password,
  passwd, secret, token, api_key (what detect-secrets' keyword plugin sees only in some
  languages), with placeholders and environment look-ups left out.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .common import is_test_path, read_notebook, read_text

__all__ = ["secret_candidates"]

_URI = re.compile(r"\b[a-z][a-z0-9+.-]{1,20}://([^\s:/@'\"]+):([^\s/@'\"]{3,})@[\w.-]+")
_ASSIGNED = re.compile(
    r"""(?i)\b([\w.]*(?:password|passwd|pwd|secret|token|api_?key|apikey|access_?key|auth_?key|webhook)[\w]*)"""
    r"""["']?\s*[:=]\s*[rbf]?["']([^"'\s]{6,})["']"""
)
_URL_KEY = re.compile(
    r"(?i)[/?&](?:key|token|api_?key|access_?token|secret|sig)[=/]([A-Za-z0-9_-]{16,})"
)
_PLACEHOLDER = re.compile(
    r"(?i)^(\*+|x+|changeme|password|secret|token|your[_-].*|<.*>|\$\{.*\}|\{.*\}|%.*|example.*|dummy.*|test.*|none|null|\.\.\.)$"
)
_SKIP_SUFFIXES = (
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".pdf",
    ".svg",
    ".ico",
    ".zip",
    ".gz",
    ".pyc",
    ".so",
    ".npy",
    ".h5",
    ".pkl",
)


def _fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def _detect_secrets(root: Path, path: str) -> Iterator[tuple[int, str, str]]:
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import default_settings

    collection = SecretsCollection(root=str(root))
    with default_settings():
        collection.scan_file(path)
    for _, secret in collection:
        yield secret.line_number, secret.type, secret.secret_value or ""


def _notebook_texts(notebook: Any) -> Iterator[tuple[int, int | None, str]]:
    """``(1-based cell, line in its source or None for an output, text)``: sources and
    text outputs, never image payloads."""
    for index, cell in enumerate(notebook.get("cells", []), 1):
        for number, line in enumerate(cell.get("source", "").split("\n"), 1):
            yield index, number, line
        for output in cell.get("outputs", []):
            texts = (
                [output.get("text", "")]
                + [
                    value
                    for mime, value in (output.get("data") or {}).items()
                    if mime.startswith("text/") or mime == "application/json"
                ]
                + list(output.get("traceback", []))
            )
            for text in texts:
                text = text if isinstance(text, str) else str(text)
                for line in text.split("\n"):
                    yield index, None, line


def _detect_secrets_notebook(notebook: Any) -> Iterator[tuple[int, int | None, str, str]]:
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import default_settings

    with default_settings():
        for cell, line, text in _notebook_texts(notebook):
            if len(text) > 2000:
                continue
            for secret in scan_line(text):
                yield cell, line, secret.type, secret.secret_value or ""


def _own(text: str) -> Iterator[tuple[int, str, str]]:
    for number, line in enumerate(text.split("\n"), 1):
        if len(line) > 2000:
            continue  # an embedded payload, not a line someone wrote
        for match in _URI.finditer(line):
            if not _PLACEHOLDER.match(match.group(2)):
                yield number, "URI with a password", match.group(2)
        for match in _URL_KEY.finditer(line):
            yield number, "key in a URL", match.group(1)
        for match in _ASSIGNED.finditer(line):
            value = match.group(2)
            if _PLACEHOLDER.match(value) or "os.environ" in line or "getenv" in line:
                continue
            yield number, f"literal assigned to {match.group(1)}", value


ENTROPY = ("Base64 High Entropy String", "Hex High Entropy String")


def secret_candidates(
    root: Path, files: list[str], entropy: Counter[str]
) -> Iterator[dict[str, Any]]:
    """Candidates to review. detect-secrets' two high-entropy plugins are only counted (in
    ``entropy``, per file): in notebooks they fire on tens of thousands of hashes, ids and
    numbers in outputs, more than anyone reviews; the other plugins are reviewed one by one."""
    for path in files:
        if path.lower().endswith(_SKIP_SUFFIXES):
            continue
        text = read_text(root, path)
        if text is None:
            continue
        found: list[tuple[int | None, int | None, str, str]] = []
        if path.endswith(".ipynb"):
            notebook = read_notebook(root, path)
            if notebook is None:
                continue
            found += _detect_secrets_notebook(notebook)
            for cell, line, text in _notebook_texts(notebook):
                found += [(cell, line, kind, value) for _, kind, value in _own(text)]
        else:
            found += [
                (None, line, kind, value) for line, kind, value in _detect_secrets(root, path)
            ]
            found += [(None, line, kind, value) for line, kind, value in _own(text)]
        seen = set()
        for cell, line, kind, value in found:
            if kind in ENTROPY:
                entropy[path] += 1
                continue
            key = (line, cell, _fingerprint(value))
            if key in seen:
                continue
            seen.add(key)
            yield {
                "path": path,
                "line": line,
                "cell": cell,
                "kind": kind,
                "value": f"{value[:4]}…({len(value)})",
                "fingerprint": _fingerprint(value),
                "test_code": is_test_path(path),
            }
