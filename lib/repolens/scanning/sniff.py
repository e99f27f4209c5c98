"""What a file's first bytes say: text or binary, which encoding, which format.

The ladder, in order: a byte-order mark; a known binary signature; a NUL byte
(binary); UTF-8 (ASCII when no byte is above 127); Windows-1252; Latin-1 when
few control characters appear; binary otherwise.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
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

# (offset, signature, format, category, check): content that proves what a file is.
# A signature away from offset 0, or a short one, proves nothing alone: ``check``
# must also accept the head (RIFF at 0 for WebP/WAV/AVI, a whole ID3 header, ...).
_Check = Callable[[bytes], bool] | None


def _riff(head: bytes) -> bool:
    return head.startswith(b"RIFF") and len(head) >= 12


def _id3(head: bytes) -> bool:
    """An ID3v2 header: "ID3", version 2-4, revision, flags, four 7-bit size bytes."""
    return (
        len(head) >= 10
        and head[3] in (2, 3, 4)
        and head[4] < 0xFF
        and all(byte < 0x80 for byte in head[6:10])
    )


def _ftyp(head: bytes) -> bool:
    """An ISO media box: a plausible big-endian size, then "ftyp" and a printable brand."""
    size = int.from_bytes(head[:4], "big")
    return 8 <= size <= 4096 and len(head) >= 12 and all(32 <= b < 127 for b in head[8:12])


def _bzip2(head: bytes) -> bool:
    return len(head) >= 4 and 0x31 <= head[3] <= 0x39  # block size "1".."9"


def _gzip(head: bytes) -> bool:
    return len(head) >= 3 and head[2] == 8  # deflate, the only method defined


_SIGNATURES: tuple[tuple[int, bytes, str, str, _Check], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "PNG", "image", None),
    (0, b"\xff\xd8\xff", "JPEG", "image", None),
    (0, b"GIF87a", "GIF", "image", None),
    (0, b"GIF89a", "GIF", "image", None),
    (0, b"II*\x00", "TIFF", "image", None),
    (0, b"MM\x00*", "TIFF", "image", None),
    (8, b"WEBP", "WebP", "image", _riff),
    (8, b"WAVE", "WAV", "media", _riff),
    (8, b"AVI ", "AVI", "media", _riff),
    (4, b"ftyp", "MP4", "media", _ftyp),
    (0, b"ID3", "MP3", "media", _id3),
    (0, b"OggS\x00", "Ogg", "media", None),
    (0, b"fLaC", "FLAC", "media", None),
    (0, b"%PDF-", "PDF", "docs", None),
    (0, b"\x89HDF\r\n\x1a\n", "HDF5", "data", None),
    (0, b"\x93NUMPY", "NumPy", "data", None),
    (0, b"PAR1", "Parquet", "data", None),
    (0, b"SQLite format 3\x00", "SQLite", "data", None),
    (0, b"\x80\x02", "pickle", "model", None),
    (0, b"\x80\x03", "pickle", "model", None),
    (0, b"\x80\x04\x95", "pickle", "model", None),
    (0, b"\x80\x05\x95", "pickle", "model", None),
    (0, b"PK\x03\x04", "ZIP", "archive", None),
    (0, b"\x1f\x8b", "gzip", "archive", _gzip),
    (0, b"BZh", "bzip2", "archive", _bzip2),
    (0, b"\xfd7zXZ\x00", "xz", "archive", None),
    (0, b"7z\xbc\xaf\x27\x1c", "7z", "archive", None),
    (0, b"(\xb5/\xfd", "zstd", "archive", None),
    (0, b"\x7fELF", "ELF", "other", None),
    (0, b"\x00\x05\x16\x07", "AppleDouble", "other", None),
    (0, b"\x00\x05\x16\x00", "AppleDouble", "other", None),
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


_Signature = tuple[int, bytes, str, str, _Check]


def _index(signatures: tuple[_Signature, ...]) -> dict[int, tuple[_Signature, ...]]:
    """Signatures by the byte they start with (offset-0 ones) or by -1 (others)."""
    index: dict[int, list[_Signature]] = {}
    for item in signatures:
        key = item[1][0] if item[0] == 0 else -1
        index.setdefault(key, []).append(item)
    return {key: tuple(items) for key, items in index.items()}


_BY_FIRST_BYTE = _index(_SIGNATURES)
_NO_SIGNATURES: tuple[_Signature, ...] = ()


def _signature(head: bytes) -> tuple[str, str] | None:
    if not head:
        return None
    for offset, magic, fmt, category, check in _BY_FIRST_BYTE.get(
        head[0], _NO_SIGNATURES
    ) + _BY_FIRST_BYTE.get(-1, _NO_SIGNATURES):
        if head.startswith(magic, offset) and (check is None or check(head)):
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
    for bom, marked in _BOMS:
        if head.startswith(bom):
            return Sniff(False, marked, None, None, False)
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
