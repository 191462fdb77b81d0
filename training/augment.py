"""Random distortions of MNIST digits, so the network also reads digits drawn on a canvas.

:func:`add_pen_strokes` first adds the strokes that many writers draw and MNIST's
mostly American digits lack: the long lead-in stroke (flag) of a "1" and the crossbar of
a "7". Then, per image
(:func:`augment`): a stroke-width change (grey dilation or erosion), then one resampling that
combines a random affine map (rotation, anisotropic scale, shear, shift, all about the
image centre) with a smooth elastic displacement field. Vectorised over the batch with
NumPy and ``scipy.ndimage``; deterministic for a given ``numpy.random.Generator`` state.
"""

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

__all__ = ["AugmentConfig", "add_pen_strokes", "augment"]

CHUNK = 8192  # images resampled at once; bounds the temporary memory to ~100 MB


@dataclass(frozen=True)
class AugmentConfig:
    """Distortion ranges; each random value is drawn uniformly from +-max or the range.

    max_rotation_deg : rotation, degrees
    scale_range : (low, high) size factor, drawn separately for x and y
    max_shear : horizontal shear, as the tangent of the shear angle
    max_shift_px : translation along each axis, pixels
    elastic_px : standard deviation of the elastic displacement, pixels
    elastic_sigma_px : smoothness (Gaussian sigma) of the elastic field, pixels
    p_dilate, p_erode : probability of a 2x2 grey dilation (thicker) / erosion (thinner)
    p_flag_one : share of the ones given a flag by :func:`add_pen_strokes`
    flag_length_px : (low, high) flag length, pixels
    flag_angle_deg : (low, high) flag angle below the horizontal, degrees
    p_cross_seven : share of the sevens given a crossbar
    crossbar_length_px : (low, high) crossbar length, pixels
    crossbar_height : (low, high) crossbar row, as a fraction of the ink's height from its top
    crossbar_tilt_deg : crossbar angle to the horizontal, degrees
    """

    max_rotation_deg: float = 12.0
    scale_range: tuple[float, float] = (0.9, 1.1)
    max_shear: float = 0.2
    max_shift_px: float = 2.0
    elastic_px: float = 0.7
    elastic_sigma_px: float = 4.0
    p_dilate: float = 0.15
    p_erode: float = 0.3
    p_flag_one: float = 0.6
    flag_length_px: tuple[float, float] = (7.0, 15.0)
    flag_angle_deg: tuple[float, float] = (20.0, 60.0)
    p_cross_seven: float = 0.3
    crossbar_length_px: tuple[float, float] = (6.0, 12.0)
    crossbar_height: tuple[float, float] = (0.4, 0.65)
    crossbar_tilt_deg: float = 12.0


def augment(images: np.ndarray, rng: np.random.Generator, config: AugmentConfig) -> np.ndarray:
    """Return a randomly distorted copy of a batch.

    images : (N, H, W) uint8, white on black
    rng : source of all randomness (same state -> same output)
    returns : (N, H, W) uint8
    """
    out = np.empty_like(images)
    widths = _stroke_width(images, rng, config)  # (N, H, W) uint8
    for start in range(0, len(images), CHUNK):
        batch = widths[start : start + CHUNK].astype(np.float32)  # (n, H, W)
        rows, cols = _sample_coordinates(batch.shape, rng, config)  # 2 x (n, H, W)
        warped = _bilinear(batch, rows, cols)  # (n, H, W)
        out[start : start + CHUNK] = np.clip(np.rint(warped), 0, 255).astype(np.uint8)
    return out


def add_pen_strokes(
    images: np.ndarray, labels: np.ndarray, rng: np.random.Generator, config: AugmentConfig
) -> np.ndarray:
    """Add the extra strokes many writers draw and MNIST mostly lacks: a flag on a share
    of the ones (from the top of the digit down and to the left) and a crossbar on a share
    of the sevens (across the stem, a little below the middle). Anti-aliased, about as
    wide as a typical MNIST stroke; each only adds ink.

    images : (N, H, W) uint8; labels : (N,) ints
    returns : (N, H, W) uint8 copy
    """
    out = images.copy()
    h, w = images.shape[1:]
    draw = rng.random(len(labels))
    ones = np.flatnonzero((labels == 1) & (draw < config.p_flag_one))
    sevens = np.flatnonzero((labels == 7) & (draw < config.p_cross_seven))
    for chosen, segments in ((ones, _flag), (sevens, _crossbar)):
        ink = images[chosen] > 127  # (n, H, W)
        start, end = segments(ink, rng, config)  # 2 x (n, 2) row, col
        half_width = rng.uniform(0.8, 1.4, len(chosen))
        out[chosen] = np.maximum(out[chosen], _draw_segments((h, w), start, end, half_width))
    return out


def _flag(ink: np.ndarray, rng: np.random.Generator, config: AugmentConfig):
    """Flag ends (row, col): from the middle of the top row of ink, down to the left.

    ink : (n, H, W) bool -> start, end : (n, 2) float32
    """
    n = len(ink)
    length = rng.uniform(*config.flag_length_px, n)
    angle = np.deg2rad(rng.uniform(*config.flag_angle_deg, n))
    top = ink.any(axis=2).argmax(axis=1)  # (n,) first row with ink
    start = np.stack([top, _ink_centre_col(ink, top)], axis=1).astype(np.float32)  # (n, 2)
    end = start + np.stack([np.sin(angle), -np.cos(angle)], axis=1) * length[:, None]
    return start, end.astype(np.float32)


def _crossbar(ink: np.ndarray, rng: np.random.Generator, config: AugmentConfig):
    """Crossbar ends (row, col): centred on the ink of a row part-way down the digit,
    nearly horizontal.

    ink : (n, H, W) bool -> start, end : (n, 2) float32
    """
    n = len(ink)
    rows_with_ink = ink.any(axis=2)  # (n, H)
    top = rows_with_ink.argmax(axis=1)  # (n,)
    bottom = ink.shape[1] - 1 - rows_with_ink[:, ::-1].argmax(axis=1)  # (n,)
    row = np.rint(top + rng.uniform(*config.crossbar_height, n) * (bottom - top)).astype(int)
    centre = np.stack([row, _ink_centre_col(ink, row)], axis=1).astype(np.float32)  # (n, 2)
    half_length = rng.uniform(*config.crossbar_length_px, n) / 2
    tilt = np.deg2rad(rng.uniform(-config.crossbar_tilt_deg, config.crossbar_tilt_deg, n))
    half = np.stack([-np.sin(tilt), np.cos(tilt)], axis=1) * half_length[:, None]  # (n, 2)
    return centre - half, centre + half


def _ink_centre_col(ink: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Mean column of the ink in one row of each image: (n, H, W) bool, (n,) -> (n,)."""
    row_ink = ink[np.arange(len(ink)), rows]  # (n, W)
    cols = np.arange(ink.shape[2])
    return (row_ink * cols).sum(axis=1) / np.maximum(row_ink.sum(axis=1), 1)


def _draw_segments(
    shape: tuple[int, int], start: np.ndarray, end: np.ndarray, half_width: np.ndarray
) -> np.ndarray:
    """Anti-aliased straight strokes with round ends, one per image.

    start, end : (n, 2) row, col; half_width : (n,) pixels -> (n, H, W) uint8 coverage
    """
    h, w = shape
    grid = np.stack(np.mgrid[0:h, 0:w], axis=-1).astype(np.float32)  # (H, W, 2)
    seg = (end - start)[:, None, None, :]  # (n, 1, 1, 2)
    rel = grid[None] - start[:, None, None, :]  # (n, H, W, 2)
    t = np.clip((rel * seg).sum(-1) / np.maximum((seg * seg).sum(-1), 1e-6), 0.0, 1.0)
    distance = np.linalg.norm(rel - t[..., None] * seg, axis=-1)  # (n, H, W)
    coverage = np.clip(half_width[:, None, None] + 0.5 - distance, 0.0, 1.0)  # (n, H, W)
    return np.rint(coverage * 255.0).astype(np.uint8)


def _stroke_width(images: np.ndarray, rng: np.random.Generator, config: AugmentConfig):
    """Thicken or thin the strokes of a random subset: (N, H, W) uint8 -> same."""
    draw = rng.random(len(images))
    dilate = draw < config.p_dilate
    erode = (draw >= config.p_dilate) & (draw < config.p_dilate + config.p_erode)
    out = images.copy()
    out[dilate] = ndimage.grey_dilation(images[dilate], size=(1, 2, 2))
    out[erode] = ndimage.grey_erosion(images[erode], size=(1, 2, 2))
    return out


def _sample_coordinates(shape, rng: np.random.Generator, config: AugmentConfig):
    """Source (row, col) of every output pixel: affine map about the centre + elastic field.

    shape : (n, H, W); returns two (n, H, W) float32 arrays in input pixel units
    """
    n, h, w = shape
    angle = np.deg2rad(rng.uniform(-config.max_rotation_deg, config.max_rotation_deg, n))
    scale_y = rng.uniform(*config.scale_range, n)
    scale_x = rng.uniform(*config.scale_range, n)
    shear = rng.uniform(-config.max_shear, config.max_shear, n)
    shift = rng.uniform(-config.max_shift_px, config.max_shift_px, (2, n))
    cos, sin = np.cos(angle), np.sin(angle)
    # Inverse map (output -> input) = rotation @ shear @ diag(1/scale), one 2x2 per image.
    a00, a01 = cos / scale_y, (cos * shear - sin) / scale_x
    a10, a11 = sin / scale_y, (sin * shear + cos) / scale_x
    centre_y, centre_x = (h - 1) / 2.0, (w - 1) / 2.0
    dy = (np.arange(h, dtype=np.float32) - centre_y)[None, :, None]  # (1, H, 1)
    dx = (np.arange(w, dtype=np.float32) - centre_x)[None, None, :]  # (1, 1, W)

    def per_image(values):
        return values.astype(np.float32)[:, None, None]  # (n,) -> (n, 1, 1)

    rows = per_image(a00) * dy + per_image(a01) * dx + per_image(centre_y + shift[0])
    cols = per_image(a10) * dy + per_image(a11) * dx + per_image(centre_x + shift[1])
    # (n, H, W) each
    if config.elastic_px > 0:
        # Smoothed white noise has std 1 / (2 sqrt(pi) sigma); rescale to elastic_px.
        gain = config.elastic_px * 2.0 * np.sqrt(np.pi) * config.elastic_sigma_px
        sigma = (0, config.elastic_sigma_px, config.elastic_sigma_px)
        for coords in (rows, cols):
            noise = rng.standard_normal((n, h, w), dtype=np.float32)  # (n, H, W)
            coords += gain * ndimage.gaussian_filter(noise, sigma, mode="constant")
    return rows, cols


def _bilinear(images: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Sample images at fractional (rows, cols); zero outside the image.

    images : (n, H, W) float32; rows, cols : (n, H, W) float32 -> (n, H, W) float32
    """
    n, h, w = images.shape
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))  # (n, H+2, W+2), zero border
    # Shift into padded coordinates and clamp, so far-away samples read the zero border.
    r = np.clip(rows + 1, 0, h).astype(np.float32)
    c = np.clip(cols + 1, 0, w).astype(np.float32)
    r0, c0 = np.floor(r), np.floor(c)
    fr, fc = r - r0, c - c0
    base = (np.arange(n) * (h + 2) * (w + 2))[:, None, None]  # (n, 1, 1)
    index = base + r0.astype(np.int64) * (w + 2) + c0.astype(np.int64)  # (n, H, W)
    flat = padded.ravel()
    top = flat[index] * (1 - fc) + flat[index + 1] * fc
    bottom = flat[index + (w + 2)] * (1 - fc) + flat[index + (w + 3)] * fc
    return top * (1 - fr) + bottom * fr
