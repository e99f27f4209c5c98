"""What a file's first bytes say: text or binary, which encoding, which format.

The ladder, in order: a byte-order mark; a known binary signature; a NUL byte
(binary); UTF-8 (ASCII when no byte is above 127); Windows-1252; Latin-1 when
few control characters appear; binary otherwise.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

__all__ = ["SNIFF_BYTES", "Sniff", "sniff"]

SNIFF_BYTES = 8192

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# (offset, signature, format, category): content that proves what a file is.
_SIGNATURES: tuple[tuple[int, bytes, str, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "PNG", "image"),
    (0, b"\xff\xd8\xff", "JPEG", "image"),
    (0, b"GIF87a", "GIF", "image"),
    (0, b"GIF89a", "GIF", "image"),
    (0, b"II*\x00", "TIFF", "image"),
    (0, b"MM\x00*", "TIFF", "image"),
    (8, b"WEBP", "WebP", "image"),
    (8, b"WAVE", "WAV", "media"),
    (8, b"AVI ", "AVI", "media"),
    (4, b"ftyp", "MP4", "media"),
    (0, b"ID3", "MP3", "media"),
    (0, b"OggS", "Ogg", "media"),
    (0, b"fLaC", "FLAC", "media"),
    (0, b"%PDF-", "PDF", "docs"),
    (0, b"\x89HDF\r\n\x1a\n", "HDF5", "data"),
    (0, b"\x93NUMPY", "NumPy", "data"),
    (0, b"PAR1", "Parquet", "data"),
    (0, b"SQLite format 3\x00", "SQLite", "data"),
    (0, b"\x80\x02", "pickle", "model"),
    (0, b"\x80\x03", "pickle", "model"),
    (0, b"\x80\x04\x95", "pickle", "model"),
    (0, b"\x80\x05\x95", "pickle", "model"),
    (0, b"PK\x03\x04", "ZIP", "archive"),
    (0, b"\x1f\x8b", "gzip", "archive"),
    (0, b"BZh", "bzip2", "archive"),
    (0, b"\xfd7zXZ\x00", "xz", "archive"),
    (0, b"7z\xbc\xaf\x27\x1c", "7z", "archive"),
    (0, b"(\xb5/\xfd", "zstd", "archive"),
    (0, b"\x7fELF", "ELF", "other"),
)

_LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"
_CONTROL = bytes(range(0, 9)) + bytes(range(14, 27)) + bytes(range(28, 32))  # not ESC


@dataclass(frozen=True, slots=True)
class Sniff:
    is_binary: bool
    encoding: str | None  # None for binary content
    format: str | None  # a recognised signature ("PNG", "ZIP", "Git LFS pointer", ...)
    category: str | None  # the category that signature proves
    shebang: bool  # starts with "#!": a script whatever its name


def _index(
    signatures: tuple[tuple[int, bytes, str, str], ...],
) -> dict[int, tuple[tuple[int, bytes, str, str], ...]]:
    """Signatures by the byte they start with (offset-0 ones) or by -1 (others)."""
    index: dict[int, list[tuple[int, bytes, str, str]]] = {}
    for item in signatures:
        key = item[1][0] if item[0] == 0 else -1
        index.setdefault(key, []).append(item)
    return {key: tuple(items) for key, items in index.items()}


_BY_FIRST_BYTE = _index(_SIGNATURES)
_NO_SIGNATURES: tuple[tuple[int, bytes, str, str], ...] = ()


def _signature(head: bytes) -> tuple[str, str] | None:
    if not head:
        return None
    for offset, magic, fmt, category in _BY_FIRST_BYTE.get(
        head[0], _NO_SIGNATURES
    ) + _BY_FIRST_BYTE.get(-1, _NO_SIGNATURES):
        if head.startswith(magic, offset):
            return fmt, category
    return None


def _text_encoding(head: bytes, complete: bool) -> str | None:
    controls = len(head) - len(head.translate(None, _CONTROL))
    if controls * 20 > len(head):  # over 5 % control characters: not text
        return None
    if head.isascii():
        return "ascii"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=complete)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def sniff(head: bytes, complete: bool = False) -> Sniff:
    """Classify content from its first bytes; ``complete`` says ``head`` is the whole file."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return Sniff(False, encoding, None, None, False)
    found = _signature(head)
    if found is not None:
        return Sniff(True, None, found[0], found[1], False)
    if b"\x00" in head:
        return Sniff(True, None, None, None, False)
    encoding = _text_encoding(head, complete)
    if encoding is None:
        return Sniff(True, None, None, None, False)
    if head.startswith(_LFS_POINTER):
        return Sniff(False, encoding, "Git LFS pointer", None, False)
    return Sniff(False, encoding, None, None, head.startswith(b"#!"))
