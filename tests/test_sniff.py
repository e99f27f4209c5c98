"""Content sniffing: text or binary, encoding, format."""

from __future__ import annotations

import codecs

import pytest

from repolens.scanning.sniff import SNIFF_BYTES, sniff


@pytest.mark.parametrize(
    ("head", "binary", "encoding", "fmt", "category"),
    [
        (b"print('hi')\n", False, "ascii", None, None),
        ("café\n".encode(), False, "utf-8", None, None),
        (codecs.BOM_UTF8 + b"x\n", False, "utf-8-sig", None, None),
        (codecs.BOM_UTF16_LE + "hi\n".encode("utf-16-le"), False, "utf-16", None, None),
        ("naïve\n".encode("cp1252"), False, "cp1252", None, None),
        (b"\x81\x8d text", False, "latin-1", None, None),
        (b"abc\x00def", True, None, None, None),
        (bytes(range(1, 8)) * 10, True, None, None, None),
        (b"\x89PNG\r\n\x1a\n" + bytes(20), True, None, "PNG", "image"),
        (b"\xff\xd8\xff\xe0" + bytes(20), True, None, "JPEG", "image"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", True, None, "WebP", "image"),
        (b"\x00\x00\x00\x18ftypmp42", True, None, "MP4", "media"),
        (b"\x89HDF\r\n\x1a\n" + bytes(8), True, None, "HDF5", "data"),
        (b"\x93NUMPY\x01\x00", True, None, "NumPy", "data"),
        (b"\x80\x04\x95\x10\x00", True, None, "pickle", "model"),
        (b"PK\x03\x04" + bytes(10), True, None, "ZIP", "archive"),
        (b"\x1f\x8b\x08\x00", True, None, "gzip", "archive"),
        (b"%PDF-1.7\n", True, None, "PDF", "docs"),
        (b"\x7fELF\x02\x01", True, None, "ELF", "other"),
        (
            b"version https://git-lfs.github.com/spec/v1\noid sha256:ab\n",
            False,
            "ascii",
            "Git LFS pointer",
            None,
        ),
    ],
    ids=lambda value: value[:12].hex() if isinstance(value, bytes) else None,
)
def test_sniff_table(
    head: bytes, binary: bool, encoding: str | None, fmt: str | None, category: str | None
) -> None:
    found = sniff(head, complete=True)
    assert (found.is_binary, found.encoding, found.format, found.category) == (
        binary,
        encoding,
        fmt,
        category,
    )


def test_shebang_marks_a_script() -> None:
    assert sniff(b"#!/usr/bin/env python\nprint(1)\n").shebang
    assert not sniff(b"print(1)\n").shebang


def test_utf8_cut_mid_character_at_the_buffer_end_is_still_utf8() -> None:
    text = ("é" * SNIFF_BYTES).encode()[: SNIFF_BYTES - 1]  # ends inside a character
    assert sniff(text, complete=False).encoding == "utf-8"
    assert sniff(text, complete=True).encoding != "utf-8"
