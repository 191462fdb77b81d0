"""Real pen digits for training and for writer-independent evaluation.

The UCI pendigits strokes (30 writers) are drawn through the page's own canvas fit,
brush and preprocessing (:func:`tools.unipen.page_image`), so the network learns from
exactly what the page shows it.

* :func:`training_images` -- several renderings per digit, each with a small random
  affine change of the strokes and a random size on the pad. The page's brush is a
  fixed fraction of the pad, so a digit drawn small has thick strokes relative to its
  size and one drawn large has thin ones: varying the size on the pad covers the range
  of pen widths a mouse, a finger or a stylus gives.
* :func:`page_images` -- one rendering per digit the way the page evaluation replays
  it (digit spanning 70 % of the pad), for evaluation.
* :func:`writer_folds` -- a k-fold split by writer: no writer is on both sides.
"""

from collections.abc import Sequence

import numpy as np

from tools import unipen

__all__ = [
    "MARGIN_RANGE",
    "RENDER_SIDE_PX",
    "affine_strokes",
    "page_images",
    "training_images",
    "writer_folds",
]

RENDER_SIDE_PX = 280  # the pad at devicePixelRatio 1 (280 CSS px); half the cost of 560
MARGIN_RANGE = (0.03, 0.36)  # empty border per side: the digit spans 94 % .. 28 % of the pad
MAX_ROTATION_DEG = 10.0  # stroke-level distortions of the training renderings
MAX_SHEAR = 0.25
ASPECT_RANGE = (0.8, 1.2)


def writer_folds(writers: Sequence[int], k: int, seed: int = 0) -> list[np.ndarray]:
    """Split the distinct writers into ``k`` disjoint held-out groups, sizes within one.

    writers : each sample's writer number (repeats allowed)
    returns : k sorted int arrays of writer numbers; together they hold every writer once
    Raises ValueError unless 2 <= k <= the number of writers.
    """
    distinct = np.unique(np.asarray(writers))
    if not 2 <= k <= len(distinct):
        raise ValueError(f"need 2 <= k <= {len(distinct)} writers, got k={k}")
    order = np.random.default_rng(seed).permutation(distinct)
    return [np.sort(order[i::k]) for i in range(k)]


def affine_strokes(
    strokes: Sequence[np.ndarray], rng: np.random.Generator
) -> tuple[np.ndarray, ...]:
    """The strokes under one random rotation, shear and aspect change about their centre.

    strokes : (n, 2) tablet points, y up -> same layout, float32
    """
    angle = np.deg2rad(rng.uniform(-MAX_ROTATION_DEG, MAX_ROTATION_DEG))
    shear = rng.uniform(-MAX_SHEAR, MAX_SHEAR)
    aspect = rng.uniform(*ASPECT_RANGE)
    cos, sin = np.cos(angle), np.sin(angle)
    matrix = np.array([[cos, -sin], [sin, cos]]) @ np.array([[aspect, shear], [0.0, 1.0]])
    centre = np.concatenate(strokes).mean(axis=0)  # (2,)
    return tuple(((s - centre) @ matrix.T).astype(np.float32) for s in strokes)  # (n, 2)


def training_images(
    digits: Sequence[unipen.PenDigit], variants: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``variants`` distorted renderings of each digit, variant-major.

    returns : images (variants * N, 28, 28) uint8 and labels (variants * N,) int64;
        row ``v * N + i`` is digit i's v-th rendering
    """
    images = np.zeros((variants, len(digits), 28, 28), np.uint8)  # (V, N, 28, 28)
    for v in range(variants):
        for i, digit in enumerate(digits):
            margin = rng.uniform(*MARGIN_RANGE)
            strokes = affine_strokes(digit.strokes, rng)
            image = unipen.page_image(strokes, RENDER_SIDE_PX, margin_fraction=margin)
            if image is not None:
                images[v, i] = image
    labels = np.tile([digit.label for digit in digits], variants).astype(np.int64)
    return images.reshape(-1, 28, 28), labels


def page_images(digits: Sequence[unipen.PenDigit]) -> np.ndarray:
    """Each digit as the page's network receives it in the replay evaluation.

    returns : (N, 28, 28) uint8
    """
    images = np.zeros((len(digits), 28, 28), np.uint8)  # (N, 28, 28)
    for i, digit in enumerate(digits):
        image = unipen.page_image(digit.strokes)  # the 560 px pad of the replay
        if image is not None:
            images[i] = image
    return images
