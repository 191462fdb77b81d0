"""A seeded generator of drawings that are not one digit, for the "not a digit" class.

Each family draws strokes as a person might on the pad; they go through the page's canvas
fit, brush and preprocessing like real digits (:func:`tools.unipen.page_image`). Blank
paper photos go through the upload path instead (``recognizer.preprocess``).

Families (:data:`TRAIN_FAMILIES` are used in training; :data:`HELD_OUT_FAMILIES` never are,
so the evaluation can measure rejection of shapes the network has not seen):

* ``scribble`` -- a smooth random curve with many turns, or back-and-forth hatching;
* ``zigzag`` -- 3 to 8 straight segments going back and forth (5 or more going down);
* ``crossing`` -- an X, a plus, a hash or a star of lines through one point;
* ``dots`` -- one to four dots;
* ``line`` -- one straight or wavy line, at least 45 degrees from the vertical (a vertical
  line is a "1");
* ``letter`` -- letters that look like no digit (A E F H K M N W X Y);
* ``several_digits`` -- two or three real pen digits side by side (from the writers given);
* ``blank_photo`` -- a photo of blank paper: tint, gradient, vignette, shadow, noise, JPEG;
* held out: ``letter_held_out`` (R V k m w, a triangle) and ``wave`` (a sine wave of 2 to 4
  periods).

Strokes are (n, 2) float32 arrays of x, y points, y up, in arbitrary units (the canvas fit
scales them). Everything depends only on the ``numpy.random.Generator`` passed in.
"""

import io
from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image, ImageFilter

from recognizer import preprocess
from tools import unipen

__all__ = [
    "HELD_OUT_FAMILIES",
    "TRAIN_FAMILIES",
    "blank_paper_jpeg",
    "blank_photo",
    "negative_images",
]

Strokes = list[np.ndarray]

# Letter skeletons in a unit box, y up: one polyline per stroke.
_LETTERS = {
    "A": [[(0, 0), (0.5, 1), (1, 0)], [(0.22, 0.42), (0.78, 0.42)]],
    "E": [[(1, 1), (0, 1), (0, 0), (1, 0)], [(0, 0.5), (0.75, 0.5)]],
    "F": [[(1, 1), (0, 1), (0, 0)], [(0, 0.5), (0.75, 0.5)]],
    "H": [[(0, 1), (0, 0)], [(1, 1), (1, 0)], [(0, 0.5), (1, 0.5)]],
    "K": [[(0, 1), (0, 0)], [(1, 1), (0, 0.45), (1, 0)]],
    "M": [[(0, 0), (0, 1), (0.5, 0.35), (1, 1), (1, 0)]],
    "N": [[(0, 0), (0, 1), (1, 0), (1, 1)]],
    "W": [[(0, 1), (0.25, 0), (0.5, 0.65), (0.75, 0), (1, 1)]],
    "X": [[(0, 1), (1, 0)], [(1, 1), (0, 0)]],
    "Y": [[(0, 1), (0.5, 0.5), (1, 1)], [(0.5, 0.5), (0.5, 0)]],
}
_HELD_OUT_LETTERS = {
    "R": [[(0, 0), (0, 1), (0.8, 1), (0.95, 0.8), (0.8, 0.55), (0, 0.55)], [(0.4, 0.55), (1, 0)]],
    "V": [[(0, 1), (0.5, 0), (1, 1)]],
    "k": [[(0, 1), (0, 0)], [(0.8, 0.65), (0, 0.3), (0.85, 0)]],
    "m": [[(0, 0), (0, 0.6), (0.5, 0.6), (0.5, 0)], [(0.5, 0.6), (1, 0.6), (1, 0)]],
    "w": [[(0, 0.6), (0.25, 0), (0.5, 0.45), (0.75, 0), (1, 0.6)]],
    "triangle": [[(0, 0), (0.5, 0.9), (1, 0), (0, 0)]],
}


def _jitter(points, rng: np.random.Generator, amount: float = 0.04) -> np.ndarray:
    """A polyline with each point moved a little: list of (x, y) -> (n, 2) float32."""
    array = np.asarray(points, dtype=np.float32)
    return array + rng.normal(0.0, amount, array.shape).astype(np.float32)


def _affine(strokes: Strokes, rng: np.random.Generator, max_rotation_deg: float = 15.0):
    """Strokes under a random rotation, shear and aspect change (about the origin)."""
    angle = np.deg2rad(rng.uniform(-max_rotation_deg, max_rotation_deg))
    cos, sin = np.cos(angle), np.sin(angle)
    shear, aspect = rng.uniform(-0.25, 0.25), rng.uniform(0.7, 1.4)
    matrix = np.array([[cos, -sin], [sin, cos]]) @ np.array([[aspect, shear], [0.0, 1.0]])
    return [(s @ matrix.T).astype(np.float32) for s in strokes]


def _smooth_curve(controls: np.ndarray, per_segment: int = 8) -> np.ndarray:
    """A Catmull-Rom curve through control points: (k, 2) -> (m, 2) float32."""
    padded = np.concatenate([controls[:1], controls, controls[-1:]])  # (k + 2, 2)
    t = np.linspace(0.0, 1.0, per_segment, endpoint=False)[:, None]  # (s, 1)
    pieces = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1 : i + 3]
        pieces.append(
            0.5
            * (
                2 * p1
                + (p2 - p0) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                + (3 * p1 - p0 - 3 * p2 + p3) * t**3
            )
        )
    pieces.append(controls[-1:])
    return np.concatenate(pieces).astype(np.float32)


def scribble(rng: np.random.Generator) -> Strokes:
    if rng.random() < 0.3:  # hatching: back and forth along a slanted band
        count = rng.integers(4, 10)
        xs = np.where(np.arange(count) % 2 == 0, 0.0, 1.0)
        ys = np.linspace(0.0, rng.uniform(0.4, 1.0), count)
        return [_jitter(np.stack([xs, ys], axis=1), rng, 0.06)]
    controls = rng.uniform(0.0, 1.0, (rng.integers(6, 12), 2)).astype(np.float32)
    return [_smooth_curve(controls)]


def zigzag(rng: np.random.Generator) -> Strokes:
    down = rng.random() < 0.4  # going down; fewer turns would make a pointed "3"
    count = rng.integers(6 if down else 4, 10)  # points: 3 (5 going down) to 8 segments
    along = np.linspace(0.0, 1.0, count)
    across = np.where(np.arange(count) % 2 == 0, 0.0, rng.uniform(0.3, 1.0))
    points = np.stack([along, across], axis=1)
    if down:
        points = points[:, ::-1]
    return _affine([_jitter(points, rng, 0.04)], rng, 20.0)


def crossing(rng: np.random.Generator) -> Strokes:
    kind = rng.integers(0, 4)
    if kind == 0:  # X
        strokes = [[(0, 0), (1, 1)], [(0, 1), (1, 0)]]
    elif kind == 1:  # plus
        strokes = [[(0.5, 0), (0.5, 1)], [(0, 0.5), (1, 0.5)]]
    elif kind == 2:  # hash
        strokes = [
            [(0.33, 0), (0.33, 1)],
            [(0.67, 0), (0.67, 1)],
            [(0, 0.33), (1, 0.33)],
            [(0, 0.67), (1, 0.67)],
        ]
    else:  # star of 3 or 4 lines
        angles = np.linspace(0, np.pi, rng.integers(3, 5), endpoint=False) + rng.uniform(0, 1)
        strokes = [
            [
                (0.5 - 0.5 * np.cos(a), 0.5 - 0.5 * np.sin(a)),
                (0.5 + 0.5 * np.cos(a), 0.5 + 0.5 * np.sin(a)),
            ]
            for a in angles
        ]
    return _affine([_jitter(s, rng, 0.04) for s in strokes], rng)


def dots(rng: np.random.Generator) -> Strokes:
    centres = rng.uniform(0.0, 1.0, (rng.integers(1, 5), 2)).astype(np.float32)
    return [centre[None] for centre in centres]  # (1, 2) each: a tap


def line(rng: np.random.Generator) -> Strokes:
    angle = np.deg2rad(rng.uniform(-45.0, 45.0))  # from the horizontal
    along = np.linspace(0.0, 1.0, 12)[:, None]
    points = along * np.array([np.cos(angle), np.sin(angle)])  # (12, 2)
    if rng.random() < 0.4:  # wavy
        normal = np.array([-np.sin(angle), np.cos(angle)])
        points = points + normal * (0.06 * np.sin(along * rng.uniform(4, 10)))
    return [_jitter(points, rng, 0.01)]


def _letter_from(table: dict, rng: np.random.Generator) -> Strokes:
    name = list(table)[rng.integers(len(table))]
    return _affine([_jitter(s, rng, 0.035) for s in table[name]], rng)


def letter(rng: np.random.Generator) -> Strokes:
    return _letter_from(_LETTERS, rng)


def letter_held_out(rng: np.random.Generator) -> Strokes:
    return _letter_from(_HELD_OUT_LETTERS, rng)


def wave(rng: np.random.Generator) -> Strokes:
    x = np.linspace(0.0, 1.0, 40)
    y = rng.uniform(0.1, 0.3) * np.sin(2 * np.pi * rng.uniform(2.0, 4.0) * x + rng.uniform(0, 6))
    return _affine([_jitter(np.stack([x, y], axis=1), rng, 0.01)], rng)


def several_digits(rng: np.random.Generator, pool: Sequence[unipen.PenDigit]) -> Strokes:
    """Two or three pen digits of one writer side by side, a random gap or overlap apart."""
    writer = pool[rng.integers(len(pool))].writer
    same_writer = [d for d in pool if d.writer == writer]
    strokes: Strokes = []
    left = 0.0
    for _ in range(rng.integers(2, 4)):
        digit = same_writer[rng.integers(len(same_writer))]
        every = np.concatenate(digit.strokes)  # (total, 2)
        low, high = every.min(axis=0), every.max(axis=0)
        height = max(float(high[1] - low[1]), 1.0)
        shift = np.array([left - low[0], rng.uniform(-0.1, 0.1) * height - low[1]])
        strokes += [(s + shift).astype(np.float32) for s in digit.strokes]
        left += float(high[0] - low[0]) + rng.uniform(-0.05, 0.3) * height
    return strokes


STROKE_FAMILIES: dict[str, Callable[[np.random.Generator], Strokes]] = {
    "scribble": scribble,
    "zigzag": zigzag,
    "crossing": crossing,
    "dots": dots,
    "line": line,
    "letter": letter,
    "letter_held_out": letter_held_out,
    "wave": wave,
}
TRAIN_FAMILIES = (
    "scribble",
    "zigzag",
    "crossing",
    "dots",
    "line",
    "letter",
    "several_digits",
    "blank_photo",
)
HELD_OUT_FAMILIES = ("letter_held_out", "wave")


def blank_photo(rng: np.random.Generator) -> np.ndarray | None:
    """A JPEG photo of blank paper through the upload path: its 28x28 image reduced as a
    drawing is (the page reads both that and the area-averaged one, and refuses what either
    calls no digit), or None when the upload path already finds no digit in it."""
    try:
        return preprocess.drawn_from_image_bytes(blank_paper_jpeg(rng))
    except preprocess.ImageInputError:
        return None


def blank_paper_jpeg(rng: np.random.Generator) -> bytes:
    """A JPEG photo of blank paper: tint, gradient, vignette, sometimes a shadow, noise."""
    height, width = rng.integers(120, 360, 2)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    yy, xx = yy / height - 0.5, xx / width - 0.5  # (H, W) each, -0.5..0.5
    paper = rng.uniform(160, 245)
    slope = rng.uniform(-60, 60, 2)
    page = paper + slope[0] * yy + slope[1] * xx - rng.uniform(0, 90) * (yy**2 + xx**2)
    if rng.random() < 0.4:  # a soft shadow over one side
        angle = rng.uniform(0, 2 * np.pi)
        side = np.cos(angle) * xx + np.sin(angle) * yy - rng.uniform(-0.3, 0.3)
        page -= rng.uniform(20, 80) / (1 + np.exp(-side * rng.uniform(10, 60)))
    page += rng.normal(0, rng.uniform(1, 8), page.shape)
    tint = rng.uniform(0.9, 1.0, 3)
    rgb = np.clip(page[..., None] * tint, 0, 255).astype(np.uint8)  # (H, W, 3)
    photo = Image.fromarray(rgb).filter(ImageFilter.GaussianBlur(rng.uniform(0, 1.5)))
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=int(rng.integers(50, 95)))
    return buffer.getvalue()


def negative_images(
    count: int,
    rng: np.random.Generator,
    families: Sequence[str] = TRAIN_FAMILIES,
    digit_pool: Sequence[unipen.PenDigit] = (),
) -> tuple[np.ndarray, np.ndarray, int]:
    """``count`` negatives, families in turn, through the page's pipeline.

    digit_pool : pen digits for ``several_digits`` (required when that family is listed)
    returns : images (M, 28, 28) uint8, their family index into ``families`` (M,), and
        per family how many were already refused by preprocessing (a blank pad, or "no
        digit found" on upload): (len(families),) int; M + refused.sum() == count
    """
    images, family_of = [], []
    refused = np.zeros(len(families), np.int64)
    for i in range(count):
        index = i % len(families)
        name = families[index]
        if name == "blank_photo":
            image = blank_photo(rng)
        else:
            if name == "several_digits":
                strokes = several_digits(rng, digit_pool)
            else:
                strokes = STROKE_FAMILIES[name](rng)
            margin = rng.uniform(0.05, 0.3)
            image = unipen.page_image(strokes, unipen.CANVAS_SIDE_PX // 2, margin_fraction=margin)
        if image is None:
            refused[index] += 1
            continue
        images.append(image)
        family_of.append(index)
    stacked = np.stack(images) if images else np.zeros((0, 28, 28), np.uint8)
    return stacked, np.asarray(family_of, np.int64), refused
