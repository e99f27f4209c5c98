"""A chart as a page shows it: one ``<picture>`` holding two drawings of the same figure,
one laid out for a wide window and one for a phone, so its words stay readable at any
width (a 960-pixel drawing squeezed into a 390-pixel phone shows 4-pixel labels).

The phone drawing is the same figure drawn narrower: every text at least ``MIN_POINTS``,
long tick labels cut from the left, the figure re-laid. Each ``<img>`` says how large its
smallest text is in its own pixels (``data-text-px``), so a browser test can tell the
size a reader sees. Everything is base64 PNG inside the page (``img-src data:``).
"""

from __future__ import annotations

import base64
import io
from html import escape

from matplotlib.figure import Figure
from matplotlib.text import Text

__all__ = ["MIN_POINTS", "NARROW_BELOW", "NARROW_INCHES", "picture_html"]

NARROW_INCHES = 4.4
"""The phone drawing's width: its text of ``MIN_POINTS`` shows at over 9 pixels in a
390-pixel window."""
MIN_POINTS = 9.5
NARROW_BELOW = 700
"""Windows narrower than this (CSS pixels) get the phone drawing."""
_DPI = 110
_LABEL = 26  # characters a tick label keeps on a phone


def _png(figure: Figure) -> tuple[str, float]:
    """The figure as base64 PNG (tight), and its smallest visible text in pixels."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, bbox_inches="tight")
    sizes = [
        text.get_fontsize()
        for text in figure.findobj(Text)
        if text.get_visible() and text.get_text().strip()
    ]
    smallest = min(sizes, default=10.0) * _DPI / 72
    return base64.b64encode(buffer.getvalue()).decode("ascii"), smallest


def _cut(label: str) -> str:
    return label if len(label) <= _LABEL else "…" + label[-(_LABEL - 1) :]


def _narrow(figure: Figure) -> list[tuple[object, ...]]:
    """Lay ``figure`` out for a phone; what to undo afterwards."""
    undo: list[tuple[object, ...]] = [("size", tuple(figure.get_size_inches()))]
    height = figure.get_size_inches()[1]
    figure.set_size_inches(NARROW_INCHES, max(2.8, height * 0.92))
    figure.canvas.draw()
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis):
            labels = [tick.get_text() for tick in axis.get_ticklabels()]
            if any(len(label) > _LABEL for label in labels):
                undo.append(("ticks", axis, axis.get_ticklocs(), labels))
                axis.set_ticks(axis.get_ticklocs(), [_cut(label) for label in labels])
        for which in ("x", "y"):
            ax.tick_params(axis=which, labelsize=max(MIN_POINTS, _tick_size(ax, which)))
        for text in ax.texts:  # labels beside bars: parts on lines of their own
            folded = _fold(text.get_text())
            if folded != text.get_text():
                undo.append(("text", text, text.get_text()))
                text.set_text(folded)
        legend = ax.get_legend()
        if legend is not None and len(legend.get_texts()) > 2:
            undo.append(("legend", ax, legend))
            handles, labels = ax.get_legend_handles_labels()
            ax.legend(
                handles,
                labels,
                loc="upper left",
                bbox_to_anchor=(0.0, -0.16),
                ncol=2,
                frameon=False,
            )
    for text in figure.findobj(Text):
        if text.get_fontsize() < MIN_POINTS:
            undo.append(("font", text, text.get_fontsize()))
            text.set_fontsize(MIN_POINTS)
    _fit(figure)
    return undo


def _fold(label: str, width: int = 22) -> str:
    """A label of parts joined by " · " on lines of about ``width`` characters."""
    parts = label.split(" · ")
    if len(label) <= width or len(parts) == 1:
        return label
    lines = [parts[0]]
    for part in parts[1:]:
        if len(lines[-1]) + 3 + len(part) <= width:
            lines[-1] += " · " + part
        else:
            lines.append(part)
    return "\n".join(lines)


def _fit(figure: Figure) -> None:
    """Narrow the figure until its drawing, labels beyond the axes included, is about
    ``NARROW_INCHES`` wide (text keeps its size; the axes give way)."""
    renderer = figure.canvas.get_renderer()
    for _ in range(3):
        width, height = figure.get_size_inches()
        drawn = figure.get_tightbbox(renderer).width
        if drawn <= NARROW_INCHES * 1.02:
            return
        figure.set_size_inches(max(2.4, width - (drawn - NARROW_INCHES)), height)
        figure.canvas.draw()


def _tick_size(ax: object, which: str) -> float:
    axis = ax.xaxis if which == "x" else ax.yaxis  # type: ignore[attr-defined]
    labels = axis.get_ticklabels()
    return float(labels[0].get_fontsize()) if labels else MIN_POINTS


def _restore(figure: Figure, undo: list[tuple[object, ...]]) -> None:
    for item in reversed(undo):
        if item[0] == "size":
            figure.set_size_inches(*item[1])  # type: ignore[misc]
        elif item[0] == "text":
            item[1].set_text(item[2])  # type: ignore[attr-defined]
        elif item[0] == "legend":
            item[1].legend_ = item[2]  # type: ignore[attr-defined]
        elif item[0] == "ticks":
            _kind, axis, locations, labels = item
            axis.set_ticks(locations, labels)  # type: ignore[attr-defined]
        else:
            _kind, text, size = item
            text.set_fontsize(size)  # type: ignore[attr-defined]


def picture_html(figure: Figure, alt: str) -> str:
    """The figure as a ``<picture>``: the phone drawing below ``NARROW_BELOW`` pixels, the
    wide one above; ``alt`` (escaped) on the image. The figure is left as it was."""
    wide, wide_px = _png(figure)
    undo = _narrow(figure)
    try:
        narrow, narrow_px = _png(figure)
    finally:
        _restore(figure, undo)
    return (
        '<picture class="repolens-chart">'
        f'<source media="(max-width: {NARROW_BELOW}px)" srcset="data:image/png;base64,{narrow}">'
        f'<img src="data:image/png;base64,{wide}" alt="{escape(alt)}" '
        f'data-text-px="{wide_px:.1f}" data-narrow-text-px="{narrow_px:.1f}">'
        "</picture>"
    )
