"""Images compared by pixels: one pixel changed is within tolerance, a shifted curve is
not, another size or another picture differs, and no image costs more than its limit."""

from __future__ import annotations

import base64
import io
import struct
import time
import zlib

import matplotlib
import pytest
from PIL import Image

from repolens.rerun.compare import compare_bundles
from repolens.rerun.images import (
    HASH_BITS,
    HASH_GAP,
    MAX_PIXELS,
    PIXEL_DELTA,
    PIXEL_SHARE,
    compare_images,
    decode,
    difference_hash,
)
from repolens.rerun.model import DifferenceKind

matplotlib.use("Agg")


def chart(phase: float = 0.0, size: tuple[float, float] = (6.4, 4.8)) -> bytes:
    """A 640 x 480 line chart (at 100 dpi) of sin(x + phase)."""
    import matplotlib.pyplot as plt
    import numpy as np

    figure, axes = plt.subplots(figsize=size, dpi=100)
    x = np.linspace(0, 10, 400)
    axes.plot(x, np.sin(x + phase))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def retouched(data: bytes, pixels: list[tuple[int, int]]) -> bytes:
    image = Image.open(io.BytesIO(data)).convert("RGBA")
    for point in pixels:
        image.putpixel(point, (255, 0, 0, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` and holds almost no pixel data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def saved() -> bytes:
    return chart()


def test_the_same_bytes_are_the_same_image(saved: bytes) -> None:
    assert compare_images(saved, saved).same


def test_one_pixel_changed_is_within_tolerance(saved: bytes) -> None:
    outcome = compare_images(saved, retouched(saved, [(320, 240)]))
    assert outcome.same
    assert outcome.detail == "1 of 307,200 pixels changed (0.000%)"


def test_a_shifted_curve_differs(saved: bytes) -> None:
    outcome = compare_images(saved, chart(phase=0.3))
    assert not outcome.same
    assert outcome.changed > 0.001  # the threshold, with a margin measured here
    assert outcome.detail.endswith("pixels changed (" + f"{outcome.changed:.3%})")


def test_a_curve_shifted_a_little_still_differs(saved: bytes) -> None:
    assert not compare_images(saved, chart(phase=0.05)).same


def test_another_size_differs_without_a_pixel_count(saved: bytes) -> None:
    outcome = compare_images(saved, chart(size=(6.4, 5.0)))
    assert not outcome.same and outcome.detail == "another size: 640×480 saved, 640×500 fresh"


def test_another_picture_is_told_by_the_hash_first(saved: bytes) -> None:
    stripes = Image.new("L", (640, 480), 255)
    for column in range(0, 640, 142):  # a black band in every other ninth of the width
        stripes.paste(0, (column, 0, column + 71, 480))
    buffer = io.BytesIO()
    stripes.save(buffer, format="PNG")
    outcome = compare_images(saved, buffer.getvalue())
    assert not outcome.same and outcome.detail.startswith("another picture")


def test_a_brighter_copy_is_the_same_picture_to_the_hash_not_to_the_pixels() -> None:
    """dHash ignores a uniform change of brightness; the pixels do not."""
    dark, light = io.BytesIO(), io.BytesIO()
    Image.new("RGB", (64, 48), (40, 40, 40)).save(dark, format="PNG")
    Image.new("RGB", (64, 48), (200, 200, 200)).save(light, format="PNG")
    first, second = Image.open(dark), Image.open(light)
    assert difference_hash(first) == difference_hash(second) == (0,) * 64
    outcome = compare_images(dark.getvalue(), light.getvalue())
    assert not outcome.same and outcome.detail.startswith("3,072 of 3,072 pixels")


def test_the_hash_gap_is_the_bound_an_edit_within_tolerance_cannot_pass() -> None:
    assert HASH_GAP >= 2 * (PIXEL_DELTA + 255 * 72 * PIXEL_SHARE) + 2  # + rounding


def test_an_edit_within_tolerance_moves_no_hash_gradient_past_the_gap(saved: bytes) -> None:
    """300 pixels (0.1 %) painted in one spot: still the same picture to the hash."""
    spot = [(300 + dx, 200 + dy) for dx in range(20) for dy in range(15)]
    edited = Image.open(io.BytesIO(retouched(saved, spot))).convert("RGB")
    original = Image.open(io.BytesIO(saved)).convert("RGB")
    gaps = [
        abs(a - b) for a, b in zip(difference_hash(original), difference_hash(edited), strict=True)
    ]
    assert sum(gap > HASH_GAP for gap in gaps) <= 2 < HASH_BITS


def test_a_transparent_image_is_compared_on_white() -> None:
    transparent, white = io.BytesIO(), io.BytesIO()
    Image.new("RGBA", (50, 50), (0, 0, 0, 0)).save(transparent, format="PNG")
    Image.new("RGB", (50, 50), (255, 255, 255)).save(white, format="PNG")
    assert compare_images(transparent.getvalue(), white.getvalue()).same


@pytest.mark.parametrize(
    "broken",
    [b"not an image", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b""],
)
def test_what_is_not_an_image_differs_without_raising(saved: bytes, broken: bytes) -> None:
    outcome = compare_images(saved, broken)
    assert not outcome.same and outcome.detail.startswith("not comparable by pixels")


def test_a_truncated_image_differs_without_raising(saved: bytes) -> None:
    outcome = compare_images(saved, saved[: len(saved) // 2])
    assert not outcome.same


@pytest.mark.parametrize(
    ("width", "height"), [(7_000, 6_000), (100_000, 100_000)], ids=["over-our-limit", "a-bomb"]
)
def test_an_image_declaring_too_many_pixels_is_never_decoded(width: int, height: int) -> None:
    assert width * height > MAX_PIXELS
    started = time.perf_counter()
    outcome = compare_images(png_header(width, height), png_header(width, height + 1))
    assert time.perf_counter() - started < 5
    assert not outcome.same and outcome.detail.startswith("not comparable by pixels")


def test_our_own_limit_is_what_refuses_a_large_image() -> None:
    outcome = compare_images(png_header(7_000, 6_000), png_header(7_000, 6_000) + b"x")
    assert outcome.detail == "not comparable by pixels (ValueError)"


def test_bundles_compare_png_by_pixels(saved: bytes) -> None:
    first = {"image/png": base64.b64encode(saved).decode(), "text/plain": "<Figure>"}
    same = {
        "image/png": base64.b64encode(retouched(saved, [(1, 1)])).decode(),
        "text/plain": "<Figure>",
    }
    shifted = {"image/png": base64.b64encode(chart(phase=0.3)).decode(), "text/plain": "<Figure>"}
    assert compare_bundles(first, same) == (None, True)
    difference, _ = compare_bundles(first, shifted)
    assert difference is not None and difference.kind is DifferenceKind.IMAGE


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("aGVsbG8=", b"hello"),
        (["aGVs\n", "bG8=\n"], b"hello"),
        ("not base64!", None),
        (42, None),
    ],
)
def test_payloads_decode_from_nbformat_strings_and_lists(
    payload: object, expected: bytes | None
) -> None:
    assert decode(payload) == expected
