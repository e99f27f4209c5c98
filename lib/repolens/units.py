"""Sizes for people: bytes as B, KB, MB, GB (powers of 1024)."""

from __future__ import annotations

__all__ = ["human_bytes"]


def human_bytes(size: float, _position: object = None) -> str:
    """1536 -> '1.5 KB'. The second argument lets it serve as a matplotlib tick formatter."""
    for unit in ("B", "KB", "MB", "GB"):
        if abs(size) < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"
