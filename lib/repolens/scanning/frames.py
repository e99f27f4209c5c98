"""Length-prefixed frames: a 4-byte big-endian length, then that many bytes.

The cache file is a sequence of frames, and so is what the scan and the engine's
process say to each other; both read and write them here."""

from __future__ import annotations

import struct
from typing import IO

__all__ = ["CutFrame", "read_frame", "write_frame"]

_LENGTH = struct.Struct(">I")


class CutFrame(ValueError):
    """A stream that ends inside a frame, or a frame longer than the reader allows."""


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(_LENGTH.pack(len(payload)) + payload)


def read_frame(stream: IO[bytes], limit: int) -> bytes | None:
    """The next frame's bytes; None where the stream ends between frames; ``CutFrame``
    when it ends inside one or the frame is over ``limit`` bytes."""
    length = stream.read(_LENGTH.size)
    if not length:
        return None
    if len(length) < _LENGTH.size:
        raise CutFrame("the stream ends inside a frame")
    (size,) = _LENGTH.unpack(length)
    if size > limit:
        raise CutFrame(f"a frame of {size} bytes")
    payload = stream.read(size)
    if len(payload) < size:
        raise CutFrame("the stream ends inside a frame")
    return payload
