"""Pen trajectories of handwritten digits in UNIPEN text format, and their canvas fit.

The UCI pendigits files hold, per digit::

    .SEGMENT DIGIT    0 ? "8"      a new digit; its label is the quoted character
    .COMMENT 8 12  224             label, writer number, sample number
    .PEN_DOWN                      a stroke begins
     273  323                      x y in tablet units (y points UP)
    .PEN_UP                        the stroke ends
    .DT 100                        pause between strokes, ms (ignored)

:func:`fit_to_canvas` places a digit on a square canvas the way a person draws
on the page; the in-process evaluator and the browser replay both use it, with
:data:`BRUSH_FRACTION` as the page's pen width.
"""

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from recognizer import preprocess

__all__ = [
    "BRUSH_FRACTION",
    "CANVAS_SIDE_PX",
    "MARGIN_FRACTION",
    "PenDigit",
    "UnipenError",
    "fit_to_canvas",
    "load_pendigits",
    "page_image",
    "parse_unipen",
    "rasterize",
]

CANVAS_SIDE_PX = 560  # the page's pad: 280 CSS px at devicePixelRatio 2, device pixels
MARGIN_FRACTION = 0.15  # empty border on each side: the digit spans 70 % of the canvas
BRUSH_FRACTION = 0.06  # pen width as a fraction of the canvas side (site.json gives the page it)

_SEGMENT = re.compile(r'^\.SEGMENT\s+DIGIT\s+\S+\s+\S+\s+"(\d)"\s*$')


class UnipenError(ValueError):
    """The text is not UNIPEN digit data this parser understands; names the line."""


@dataclass(frozen=True)
class PenDigit:
    """One handwritten digit.

    label : 0..9
    strokes : one (n, 2) float32 array of x, y tablet points per pen-down, y up
    writer : the writer's number from ``.COMMENT``, or None
    """

    label: int
    strokes: tuple[np.ndarray, ...]
    writer: int | None = None


def parse_unipen(text: str) -> list[PenDigit]:
    """Parse UNIPEN text into digits, in file order.

    Header keywords and ``.DT`` are skipped. Raises UnipenError for a point or a
    stroke outside a digit segment, a point outside a stroke, a malformed line, an
    unclosed stroke, or a digit without strokes.
    """
    digits: list[PenDigit] = []
    label: int | None = None
    writer: int | None = None
    strokes: list[np.ndarray] = []
    points: list[tuple[float, float]] | None = None  # the open stroke

    def close_digit(number: int) -> None:
        if label is None:
            return
        if points is not None:
            raise UnipenError(f"line {number}: stroke not closed by .PEN_UP")
        if not strokes:
            raise UnipenError(f"line {number}: digit {label!r} has no strokes")
        digits.append(PenDigit(label, tuple(strokes), writer))

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith(".SEGMENT"):
            close_digit(number)
            match = _SEGMENT.match(line)
            if match is None:
                raise UnipenError(f"line {number}: not a digit segment: {line!r}")
            label, writer, strokes, points = int(match.group(1)), None, [], None
        elif line.startswith(".COMMENT") and label is not None:
            fields = line.split()
            if len(fields) >= 3 and fields[2].isdigit():
                writer = int(fields[2])
        elif line == ".PEN_DOWN":
            if label is None or points is not None:
                raise UnipenError(f"line {number}: .PEN_DOWN outside a digit or inside a stroke")
            points = []
        elif line == ".PEN_UP":
            if not points:
                raise UnipenError(f"line {number}: .PEN_UP without a stroke with points")
            strokes.append(np.asarray(points, dtype=np.float32))  # (n, 2)
            points = None
        elif line.startswith("."):
            continue
        else:
            fields = line.split()
            if points is None or len(fields) != 2:
                raise UnipenError(f"line {number}: unexpected data {line!r}")
            try:
                points.append((float(fields[0]), float(fields[1])))
            except ValueError as error:
                raise UnipenError(f"line {number}: bad point {line!r}") from error
    close_digit(len(text.splitlines()))
    return digits


def load_pendigits(path: str | os.PathLike) -> list[PenDigit]:
    """Read and parse a UNIPEN file (e.g. pendigits-orig.tra). Raises OSError, UnipenError."""
    return parse_unipen(Path(path).read_text(encoding="ascii", errors="replace"))


def fit_to_canvas(
    strokes: Sequence[np.ndarray],
    side_px: float = CANVAS_SIDE_PX,
    margin_fraction: float = MARGIN_FRACTION,
    width_px: float | None = None,
) -> list[np.ndarray]:
    """Map tablet strokes onto a square canvas (y down), centred, with a margin.

    The y axis is flipped and the digit is scaled uniformly so its bounding box
    fits inside the canvas less ``margin_fraction * side_px`` on each side; its
    longer side then spans ``(1 - 2 margin_fraction) * side_px``. A digit that is a
    single point lands in the centre. With ``width_px``, the canvas is that wide and
    ``side_px`` high (the page's wide pad): the digit is fitted to its height, as a person
    draws one digit on it, and centred.
    strokes : (n, 2) arrays of x, y tablet points, y up
    returns : (n, 2) float32 arrays of x, y canvas pixels, y down
    Raises ValueError for no strokes or a margin outside [0, 0.5).
    """
    if not strokes:
        raise ValueError("no strokes to fit")
    if not 0.0 <= margin_fraction < 0.5:
        raise ValueError(f"margin_fraction must be in [0, 0.5), got {margin_fraction}")
    flipped = [np.asarray(s, dtype=np.float64) * (1.0, -1.0) for s in strokes]  # (n, 2) y down
    every = np.concatenate(flipped)  # (total, 2)
    low, high = every.min(axis=0), every.max(axis=0)  # (2,)
    extent = float((high - low).max())
    inner = side_px * (1.0 - 2.0 * margin_fraction)
    scale = inner / extent if extent > 0 else 1.0
    centre = np.array([side_px if width_px is None else width_px, side_px]) / 2.0  # (2,)
    offset = centre - scale * (low + high) / 2.0  # (2,)
    return [(s * scale + offset).astype(np.float32) for s in flipped]  # (n, 2)


def rasterize(
    strokes: Sequence[np.ndarray], side_px: int, brush_px: float, height_px: int | None = None
) -> np.ndarray:
    """Draw canvas-coordinate strokes as the page's pad does: (side, side, 4) uint8 RGBA,
    transparent background, opaque ink, round caps and joins ``brush_px`` wide; with
    ``height_px``, a canvas ``side_px`` wide and ``height_px`` high: (height, side, 4)."""
    size = (side_px, side_px if height_px is None else height_px)  # (width, height)
    canvas = Image.new("RGBA", size, (0, 0, 0, 0))
    pen = ImageDraw.Draw(canvas)
    radius = brush_px / 2
    for stroke in strokes:
        points = [tuple(point) for point in np.asarray(stroke, dtype=float)]
        if len(points) > 1:
            pen.line(points, fill=(0, 0, 0, 255), width=max(1, round(brush_px)), joint="curve")
        for x, y in points:  # round caps, and round joins wherever the line turns
            pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(0, 0, 0, 255))
    return np.asarray(canvas)  # (height, width, 4)


def page_image(
    strokes: Sequence[np.ndarray],
    side_px: int = CANVAS_SIDE_PX,
    brush_fraction: float = BRUSH_FRACTION,
    margin_fraction: float = MARGIN_FRACTION,
) -> np.ndarray | None:
    """The 28x28 image the page's network receives for tablet strokes drawn on its pad.

    The strokes are fitted to a pad of ``side_px`` device pixels (:func:`fit_to_canvas`),
    drawn with the page's round brush of ``brush_fraction * side_px`` pixels
    (:func:`rasterize`) and preprocessed as the page does (``recognizer.preprocess``).
    strokes : (n, 2) arrays of x, y tablet points, y up
    returns : (28, 28) uint8 white on black, or None for a blank pad
    """
    canvas = fit_to_canvas(strokes, side_px, margin_fraction)  # (n, 2) canvas px, y down
    rgba = rasterize(canvas, side_px, brush_fraction * side_px)  # (side, side, 4)
    return preprocess.mnist_from_ink(preprocess.ink_from_rgba(rgba))
