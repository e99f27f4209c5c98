"""Text from a tree made safe to show: on a terminal (``printable``) and inside JSON that
a terminal shows (``printable_json``)."""

from __future__ import annotations

import unicodedata

__all__ = ["printable", "printable_json"]

_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
"""Categories a terminal does not show as themselves: controls (C0, DEL, C1), format
characters (bidi controls U+202A-202E and U+2066-2069, marks U+200E/200F and U+061C,
zero-width characters, U+FEFF...), lone surrogates, and the line and paragraph separators."""


def _shown(char: str) -> str:
    code = ord(char)
    if char == "\t" or unicodedata.category(char) not in _HIDDEN:
        return char
    if code < 0x100:
        return f"\\x{code:02x}"
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (os.fsdecode's escape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def printable(text: str) -> str:
    """Text for a terminal: every character a terminal would act on or hide is shown as
    an escape, so a file name can neither steer the terminal (escape sequences, carriage
    returns, line breaks) nor disguise itself (U+202E shows ``\\u202egpj.py``, never
    ``yp.jpg``). Controls and the bytes of a name that were not UTF-8 read ``\\xNN``;
    format characters and separators ``\\uNNNN``. Tabs stay."""
    if text.isprintable():
        return text
    return "".join(_shown(char) for char in text)


def _json_escape(char: str) -> str:
    if unicodedata.category(char) not in _HIDDEN:
        return char
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON writes a character past U+FFFF as its UTF-16 pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def printable_json(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with every character that
    ``printable`` escapes written as a JSON escape: the same document, safe to show on a
    terminal. JSON's own line breaks and indentation stay."""
    return "\n".join(
        line if line.isprintable() else "".join(_json_escape(char) for char in line)
        for line in text.split("\n")
    )
