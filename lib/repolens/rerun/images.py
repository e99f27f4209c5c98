"""Two images compared by their pixels, within a tolerance.

The steps, cheapest first:

1. The same bytes: the same image.
2. The sizes (read from the headers, nothing decoded): another size differs.
3. A perceptual hash as a first filter: a difference hash (dHash: the 8 x 8 gradients
   between neighbours of a 9 x 8 grey thumbnail) of each image. A gradient counts as
   another only when the two differ by more than ``HASH_GAP`` grey levels, a bound no
   pair within tolerance can pass: every pixel within ``PIXEL_DELTA`` and at most
   ``PIXEL_SHARE`` of them (18 levels of a thumbnail cell, a 72nd of the image) beyond
   moves a cell by 51 levels and a gradient by 102 at most. More than ``HASH_BITS``
   such gradients of 64 means another picture, and no pixel is counted.
4. Pixels: both images flattened onto white, a pixel is changed when one of its channels
   moved by more than ``PIXEL_DELTA`` (of 255); the images differ when more than
   ``PIXEL_SHARE`` of the pixels changed.

The thresholds tell a retouched image from a changed one, as measured on a 640 x 480
matplotlib line chart (tests/test_rerun_images.py): one pixel changed (1 of 307,200) is
within tolerance; the curve shifted by a phase of 0.01 changes 2,595 pixels (0.85 %),
by 0.3 changes 6,695 (2.2 %), both well past 0.1 %. Anti-aliasing that moves an edge by
a few grey levels changes no pixel at all (``PIXEL_DELTA``). Images larger than
``MAX_PIXELS`` are compared by their bytes only: no image costs more than that to decode.
"""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass
from typing import Any

__all__ = [
    "HASH_BITS",
    "HASH_GAP",
    "MAX_PIXELS",
    "PIXEL_DELTA",
    "PIXEL_SHARE",
    "ImageOutcome",
    "compare_images",
    "decode",
    "difference_hash",
]

PIXEL_DELTA = 32
"""A pixel changed when a channel (red, green, blue, on white) moved by more than this."""
PIXEL_SHARE = 0.001
"""The images differ when more than this share of their pixels changed (0.1 %)."""
HASH_GAP = 104
"""Two thumbnails' gradients this many grey levels apart, or fewer, may be the same
picture within tolerance (2 x (``PIXEL_DELTA`` + 255 x 72 x ``PIXEL_SHARE``), rounded up)."""
HASH_BITS = 12
"""More gradients apart than this (of 64): another picture."""
MAX_PIXELS = 40_000_000
"""Larger images are compared by their bytes, never decoded."""


@dataclass(frozen=True, slots=True)
class ImageOutcome:
    same: bool
    detail: str = ""
    changed: float = 0.0  # the share of pixels changed, where counted


def decode(payload: Any) -> bytes | None:
    """An output's base64 image payload (a string or nbformat's list of lines) as bytes;
    None when it is not base64."""
    if isinstance(payload, list):
        payload = "".join(item for item in payload if isinstance(item, str))
    if not isinstance(payload, str):
        return None
    try:
        return base64.b64decode("".join(payload.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def _open(data: bytes) -> Any:
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ValueError(f"{width}×{height} is larger than {MAX_PIXELS:,} pixels")
    return image


def _flat(image: Any) -> Any:
    """The image as RGB on white (transparent pixels are white)."""
    from PIL import Image

    rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")


def difference_hash(image: Any) -> tuple[int, ...]:
    """dHash of an image, with its sizes: the 64 gradients (right minus left neighbour,
    in grey levels) of its 9 x 8 grey thumbnail. Their signs are the classic hash."""
    from PIL import Image

    small = image.convert("L").resize((9, 8), Image.Resampling.BOX)
    values = small.tobytes()
    return tuple(
        values[row * 9 + column + 1] - values[row * 9 + column]
        for row in range(8)
        for column in range(8)
    )


def _hash_distance(first: Any, second: Any) -> int:
    """How many of the 64 gradients are more than ``HASH_GAP`` apart."""
    return sum(
        1
        for a, b in zip(difference_hash(first), difference_hash(second), strict=True)
        if abs(a - b) > HASH_GAP
    )


def _changed_pixels(first: Any, second: Any, delta: int) -> int:
    from PIL import ImageChops

    difference = ImageChops.difference(first, second)
    red, green, blue = difference.split()
    largest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    histogram = largest.histogram()
    return sum(histogram[delta + 1 :])


def compare_images(
    saved: bytes,
    fresh: bytes,
    delta: int = PIXEL_DELTA,
    share: float = PIXEL_SHARE,
) -> ImageOutcome:
    """Whether ``fresh`` shows what ``saved`` shows, within ``delta`` per channel and
    ``share`` of the pixels; the detail says how they differ."""
    if saved == fresh:
        return ImageOutcome(True)
    try:
        first, second = _open(saved), _open(fresh)
    except Exception as error:  # Pillow raises many kinds on bad data
        return ImageOutcome(False, f"not comparable by pixels ({type(error).__name__})")
    if first.size != second.size:
        (w1, h1), (w2, h2) = first.size, second.size
        return ImageOutcome(False, f"another size: {w1}×{h1} saved, {w2}×{h2} fresh", 1.0)
    try:
        first, second = _flat(first), _flat(second)
        distance = _hash_distance(first, second)
        if distance > HASH_BITS:
            return ImageOutcome(
                False, f"another picture: {distance} of 64 hash gradients differ", 1.0
            )
        changed = _changed_pixels(first, second, delta)
    except Exception as error:  # a truncated or corrupt image decodes lazily
        return ImageOutcome(False, f"not comparable by pixels ({type(error).__name__})")
    width, height = first.size
    ratio = changed / max(1, width * height)
    detail = f"{changed:,} of {width * height:,} pixels changed ({ratio:.3%})"
    return ImageOutcome(ratio <= share, detail, ratio)
