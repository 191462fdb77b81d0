"""Handwritten numbers made of real pen digits: 2 to 8 digits by one writer, on a pad.

The UCI pen digits are single digits. :func:`write_number` lines up several of one writer's
digits the way a person writes a number: left to right, with a random gap after each digit
(some digits touch or slightly overlap their neighbour), a baseline that slopes and drifts,
and sizes that vary from digit to digit. The whole number is scaled to fit the pad, as a
person fits a number into the space they have; the pen keeps the page's width in pixels,
so a long number written small has thicker strokes for its size, as on the page.

* :func:`generate_numbers` -- a seeded list of numbers (same seed, same numbers);
* :class:`WrittenNumber` -- strokes in pad pixels, in drawing order (for replaying as
  pointer events), the number's text and each digit's box;
* :func:`rasterize_number` -- the pad's RGBA pixels, drawn with the page's brush
  (``tools.unipen.rasterize``).

Pads (:data:`PADS`): ``square`` is the page's pad today (560 device pixels a side);
``wide`` is a 3:1 pad of the same height and pen, wide enough for 8 digits at the sizes
the network was trained on.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from tools import unipen

__all__ = [
    "LENGTHS",
    "PADS",
    "Pad",
    "WrittenNumber",
    "digits_by_writer",
    "generate_numbers",
    "rasterize_number",
    "write_number",
]

LENGTHS = (2, 3, 4, 5, 6, 7, 8)  # digits per number
TOUCH_SHARE = 0.3  # share of gaps where the ink touches or nearly touches the next digit
CLOSE_GAP = (-0.12, 0.02)  # those gaps between inked extents, in digit heights
OPEN_GAP = (0.04, 0.35)  # the other gaps, in digit heights
SIZE_JITTER = (0.88, 1.12)  # each digit's height relative to the number's
MAX_SLOPE_DEG = 5.0  # the baseline's slope
DRIFT = 0.04  # the baseline's random walk per digit, in digit heights
HEIGHT_RANGE = (0.35, 0.7)  # the tallest the digits get, as a fraction of the pad's height
FILL_RANGE = (0.55, 0.92)  # at most this fraction of the pad's width is used


@dataclass(frozen=True)
class Pad:
    """A drawing pad in device pixels; the pen is ``unipen.BRUSH_FRACTION`` of its height
    (of its side, on the page's square pad)."""

    width: int
    height: int

    @property
    def brush_px(self) -> float:
        return unipen.BRUSH_FRACTION * self.height


PADS = {
    "square": Pad(unipen.CANVAS_SIDE_PX, unipen.CANVAS_SIDE_PX),
    "wide": Pad(3 * unipen.CANVAS_SIDE_PX, unipen.CANVAS_SIDE_PX),
}


@dataclass(frozen=True)
class WrittenNumber:
    """One number written on a pad.

    text : the digits, left to right ("4071")
    strokes : (n, 2) float32 arrays of x, y pad pixels (y down), in drawing order
    strokes_per_digit : how many of ``strokes`` each digit has, left to right
    boxes : (D, 4) float32 left, top, right, bottom of each digit's ink (brush included),
        pad pixels
    writer : the pen data's writer number
    pad : the pad it is written on
    """

    text: str
    strokes: tuple[np.ndarray, ...]
    strokes_per_digit: tuple[int, ...]
    boxes: np.ndarray
    writer: int
    pad: Pad


def digits_by_writer(
    digits: Iterable[unipen.PenDigit],
) -> dict[int, dict[int, list[unipen.PenDigit]]]:
    """writer -> label -> that writer's digits with that label, in file order."""
    table: dict[int, dict[int, list[unipen.PenDigit]]] = {}
    for digit in digits:
        table.setdefault(digit.writer, {}).setdefault(digit.label, []).append(digit)
    return table


def _upright_unit_height(strokes: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Tablet strokes (y up) -> y down, the top-left of their box at (0, 0), scaled to
    height 1 (or to width 2, for a digit flatter than that)."""
    flipped = [np.asarray(s, np.float64) * (1.0, -1.0) for s in strokes]  # (n, 2)
    every = np.concatenate(flipped)  # (total, 2)
    low = every.min(axis=0)
    width, height = every.max(axis=0) - low
    unit = max(height, 0.5 * width, 1e-6)
    return [(s - low) / unit for s in flipped]


def write_number(
    samples: Sequence[unipen.PenDigit],
    rng: np.random.Generator,
    pad: Pad,
    writer: int,
    gaps: Sequence[float] | None = None,
) -> WrittenNumber:
    """Lay out ``samples`` (one writer's digits, left to right) as one number on ``pad``.

    gaps : the ink gap after each digit but the last, in digit heights (negative: the
        digits' boxes overlap); None draws them (TOUCH_SHARE, CLOSE_GAP, OPEN_GAP)
    Raises ValueError when the pad is too small for that many digits at any size.
    """
    count = len(samples)
    shapes = [_upright_unit_height(d.strokes) for d in samples]  # height 1, y down
    sizes = rng.uniform(*SIZE_JITTER, count)  # (D,) in number heights
    widths = np.array([float(np.concatenate(s)[:, 0].max()) for s in shapes]) * sizes  # (D,)
    close = rng.random(count - 1) < TOUCH_SHARE
    drawn = np.where(close, rng.uniform(*CLOSE_GAP, count - 1), rng.uniform(*OPEN_GAP, count - 1))
    gaps = drawn if gaps is None else np.asarray(gaps, np.float64)  # (D - 1,)
    slope = np.tan(np.deg2rad(rng.uniform(-MAX_SLOPE_DEG, MAX_SLOPE_DEG)))
    drift = np.cumsum(rng.normal(0.0, DRIFT, count))  # (D,) in number heights
    brush = pad.brush_px
    # Ink width = height * (centreline widths + ink gaps) + count * brush: fit the pad.
    fits = (rng.uniform(*FILL_RANGE) * pad.width - count * brush) / float(widths.sum() + gaps.sum())
    height = min(rng.uniform(*HEIGHT_RANGE) * pad.height - brush, fits)  # centreline px
    pad_size = np.array([pad.width, pad.height], np.float64)
    for _ in range(8):  # shrink until the sloping, drifting line fits the pad too
        if height < 4:
            raise ValueError(f"{count} digits do not fit a {pad.width}x{pad.height} pad")
        placed, boxes = _place(shapes, sizes, widths, gaps, slope, drift, height, brush)
        extent = boxes[:, 2:].max(axis=0) - boxes[:, :2].min(axis=0)  # (2,) ink px
        if (extent <= 0.96 * pad_size).all():
            break
        height *= 0.9 * float(np.min((0.96 * pad_size - brush) / (extent - brush)))
    low = boxes[:, :2].min(axis=0)  # (2,)
    room = np.maximum(pad_size - extent, 0.0)  # (2,) free pad pixels
    offset = rng.uniform(0.1, 0.9, 2) * room - low  # (2,)
    return WrittenNumber(
        text="".join(str(d.label) for d in samples),
        strokes=tuple((s + offset).astype(np.float32) for digit in placed for s in digit),
        strokes_per_digit=tuple(len(d) for d in placed),
        boxes=(boxes + np.tile(offset, 2)).astype(np.float32),
        writer=writer,
        pad=pad,
    )


def _place(shapes, sizes, widths, gaps, slope, drift, height, brush):
    """Each digit's strokes in pixels, left to right on the baseline, and their ink boxes
    (D, 4) left, top, right, bottom; the first digit's centreline starts at x = 0."""
    advance = np.concatenate([[0.0], np.cumsum(widths[:-1] + gaps)])  # (D,) number heights
    lefts = advance * height + np.arange(len(shapes)) * brush  # (D,) centreline px
    placed, boxes = [], []
    for shape, size, left, shift in zip(shapes, sizes, lefts, drift, strict=True):
        scale = height * size
        bottom = left * slope + shift * height  # the baseline under this digit
        strokes = [s * scale + (left, bottom - scale) for s in shape]  # (n, 2) px
        every = np.concatenate(strokes)
        boxes.append([*(every.min(axis=0) - brush / 2), *(every.max(axis=0) + brush / 2)])
        placed.append(strokes)
    return placed, np.array(boxes)  # (D, 4)


def generate_numbers(
    digits: Sequence[unipen.PenDigit],
    count: int,
    seed: int,
    pad: Pad = PADS["wide"],
    lengths: Sequence[int] = LENGTHS,
    writers: Sequence[int] | None = None,
) -> list[WrittenNumber]:
    """``count`` numbers, each by one writer (drawn at random from ``writers``, default all
    of ``digits``' writers), its length uniform over ``lengths``, its digits uniform over
    0..9 and each written by a random one of the writer's samples. The same arguments give
    the same numbers."""
    rng = np.random.default_rng(seed)
    table: Mapping[int, dict[int, list[unipen.PenDigit]]] = digits_by_writer(digits)
    pool = sorted(table if writers is None else writers)
    numbers = []
    for _ in range(count):
        writer = int(rng.choice(pool))
        length = int(rng.choice(lengths))
        own = table[writer]
        labels = rng.choice(sorted(own), length)
        samples = [own[label][rng.integers(len(own[label]))] for label in labels]
        numbers.append(write_number(samples, rng, pad, writer))
    return numbers


def rasterize_number(number: WrittenNumber) -> np.ndarray:
    """The pad's pixels with the number drawn by the page's pen: (height, width, 4) uint8
    RGBA, transparent background, ink in alpha (as the page's ImageData)."""
    pad = number.pad
    return unipen.rasterize(number.strokes, pad.width, pad.brush_px, pad.height)
