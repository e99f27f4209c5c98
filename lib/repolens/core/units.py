"""Sizes for people, in IEC binary units: B, KiB, MiB, GiB, TiB (powers of 1024).

One convention everywhere: prose, tables and chart axes. 176,112,081 bytes read
"168.0 MiB", never "168.0 MB" (which would mean 176.1 million bytes).
"""

from __future__ import annotations

__all__ = ["UNITS", "counted", "human_bytes"]

UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def human_bytes(size: float, _position: object = None) -> str:
    """1536 -> '1.5 KiB'. The second argument lets it serve as a matplotlib tick formatter."""
    for unit in UNITS[:-1]:
        if abs(size) < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} {UNITS[-1]}"


def counted(count: int, word: str) -> str:
    """``count`` with separators and ``word``, plural unless it is one ("1 error", "2,000
    errors")."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"
