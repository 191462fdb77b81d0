"""Find the handwritten digit in a photo or a scan: white-on-black ink and where it lies.

:func:`find_ink` works on a grey image of at most a few hundred pixels a side:

1. Polarity. Dark ink on light paper (photos, scans), unless the border is dark and the
   bright part of the image (above Otsu's threshold) is both the smaller part and made of
   thin strokes, which an opening wider than a stroke removes: then light ink on a dark
   ground (screenshots, MNIST-style images). A sheet on a desk, a shadow or dim light
   leave a bright part that is large or wide.
2. Flat lighting. The paper's brightness is estimated at every pixel by a grey closing (a
   max filter, then a min filter, wider than a pen stroke), which fills the strokes in and
   follows gradients, vignettes, shadows and the paper's edge. Ink is how much darker a
   pixel is than that estimate, as a fraction of it (of at least PAPER_FLOOR of the lit
   paper's brightness, so that the noise of a dark desk is not ink). A desk, a shadow or a
   vignette has no ink under this measure, except a strip of desk narrower than the closing
   between the paper and the image's border.
3. A threshold chosen per image (Otsu's, at least MIN_INK), on that relative darkness.
4. Printed lines. Rows and columns mostly covered by "ink" from edge to edge are ruled or
   squared paper's lines (as photographed square-on), and are removed with their neighbours.
5. Connected components of the thresholded ink. What touches the image's border (such
   strips, the paper's edge) is set aside unless nothing else is left, and the threshold is
   chosen again without it. Specks and ruled or squared lines (long and thin) are set aside
   too; the digit is the largest plausible component near the middle, with the components
   close to it (a digit drawn in several strokes, or cut by a ruled line).
6. The digit's ink: its components with their soft edges, and the faint ink connected to
   them within the digit's box (hysteresis: the faint part of a stroke, the dots between
   the dashes of a broken one), down to the paper's noise.

:func:`levelled_ink` then reads each pixel relative to the darkest ink near it, so that a
faint stroke keeps its shape when the digit is cut at half its ink's darkness.

Pure NumPy and Pillow, so it runs unchanged in the page (Pyodide).
"""

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["FoundInk", "find_ink", "levelled_ink", "otsu_threshold"]

CLOSING_FRACTION = 0.12  # first closing window, as a fraction of the image's longer side
BOLD_FRACTION = 0.3  # a wider first window, for bold digits that fill much of the image
STROKE_WINDOW = 0.4  # second closing window, as a fraction of the digit's longer side
CROP_MARGIN = 0.5  # the second pass looks this far (share of the digit's size) around it
MIN_CLOSING_PX = 7
PAPER_FLOOR = 0.4  # darkness is relative to at least this share of the paper's brightness
MIN_INK = 0.16  # least relative darkness counted as ink
MIN_CONTRAST = 40 / 255  # the strongest ink must be at least this dark, relatively
NOISE_CUT = 3.0  # inside the digit, darkness below this many noise deviations is cut...
NOISE_FLOOR = 8 / 255  # ...plus this, and never more than half the threshold
THIN_SHARE = 0.5  # light ink: less than this share of the bright part survives an opening
SPECK = 0.03  # components under this share of the largest one are specks
LINE_SPAN = 0.55  # a component this long (share of the image side) ...
LINE_THICKNESS = 0.025  # ... and on average thinner than this (share of the side) is a line
LINE_FILL = 0.6  # a row or column this much covered by ink, edge to edge, is a printed line
LINE_REACH = 0.08  # ...where edge to edge means within this share of both ends
EDGE_REACH = 0.04  # soft stroke edges are kept this far (share of the digit's size) out
NEIGHBOUR_GAP = 0.35  # components within this share of the digit's size belong to it
BOX_SLACK = 0.02  # the bold pass's box holds the first one's to within this share of the side
FAINT_REACH = 0.1  # faint ink connected to the digit is kept this far (share of its size) out
LEVEL_WINDOW = 0.15  # a pixel is read relative to the darkest ink this near (share of the size)
LEVEL_FLOOR = 100  # ...or to this much ink (of 255), whichever is more
LABEL_NONE = np.iinfo(np.int32).max


@dataclass(frozen=True)
class FoundInk:
    """The digit's ink, white on black, and where it was found.

    ink : (H, W) uint8, 0 outside the digit, 255 for its darkest ink
    box : (top, left, bottom, right) of the digit, pixels of the analysed image (exclusive end)
    contrast : how much darker than the paper the darkest ink is (the 99.9th percentile of
        the relative darkness, 0..1): near 1 for a pen on white paper, under half for the
        marks that blank paper shows
    """

    ink: np.ndarray
    box: tuple[int, int, int, int]
    contrast: float


def find_ink(grey: np.ndarray) -> FoundInk | None:
    """The digit in a grey image, or None when nothing in it looks like ink.

    A first pass with a closing of CLOSING_FRACTION of the image finds roughly where the
    digit is (or one of BOLD_FRACTION, when that finds more of the same digit); a second
    pass looks again around it with a closing wide enough for the
    digit's thickest strokes (STROKE_WINDOW of its size), so bold digits that fill much of
    the image are not read as hollow outlines.
    grey : (H, W) uint8
    """
    grey = np.asarray(grey, dtype=np.float32)  # (H, W)
    window = _odd(CLOSING_FRACTION * max(grey.shape))
    if _light_on_dark(grey, window):  # make it dark ink on light
        grey = 255.0 - grey
    first = _find(grey, window)
    if first is None:
        return None
    bold = _find(grey, _odd(BOLD_FRACTION * max(grey.shape)))
    slack = BOX_SLACK * max(grey.shape)
    if bold is not None and _contains(bold.box, first.box, slack):
        first = bold  # the same digit, more of it: its strokes are wider than the first window
    top, left, bottom, right = first.box
    size = max(bottom - top, right - left)
    wider = _odd(STROKE_WINDOW * size)
    if wider <= window:
        return first
    margin = int(CROP_MARGIN * size)
    y0, x0 = max(0, top - margin), max(0, left - margin)
    y1, x1 = min(grey.shape[0], bottom + margin), min(grey.shape[1], right + margin)
    second = _find(grey[y0:y1, x0:x1], wider)
    if second is None:
        return first
    ink = np.zeros(grey.shape, np.uint8)  # (H, W)
    ink[y0:y1, x0:x1] = second.ink
    top, left, bottom, right = second.box
    return FoundInk(ink, (top + y0, left + x0, bottom + y0, right + x0), second.contrast)


def _contains(outer: tuple[int, ...], inner: tuple[int, ...], slack: float) -> bool:
    """True when box ``outer`` (top, left, bottom, right) holds box ``inner`` to within
    ``slack`` pixels on each side (a soft stroke's edge moves with the threshold)."""
    return (
        outer[0] <= inner[0] + slack
        and outer[1] <= inner[1] + slack
        and outer[2] >= inner[2] - slack
        and outer[3] >= inner[3] - slack
    )


def _odd(size: float) -> int:
    """A filter window: odd, at least MIN_CLOSING_PX."""
    return max(MIN_CLOSING_PX, int(size) | 1)


def _find(grey: np.ndarray, window: int) -> FoundInk | None:
    """Steps 2 to 5 of the module's docstring on dark-ink-on-light grey (H, W) float32."""
    closing = _min_filter(_max_filter(grey, window), window)  # (H, W)
    floor = max(1.0, PAPER_FLOOR * float(np.percentile(closing, 95)))  # dark desks stay dark
    darkness = np.clip((closing - grey) / np.maximum(closing, floor), 0.0, 1.0)  # (H, W)
    top = float(np.percentile(darkness, 99.9))
    if top < MIN_CONTRAST:
        return None
    threshold = max(MIN_INK, otsu_threshold(darkness))
    printed = _printed_lines(darkness >= threshold)  # (H, W) bool
    labels, count = connected_components((darkness >= threshold) & ~printed)
    border = _touching_border(labels)  # (H, W) bool
    if border.any() and not border[labels != LABEL_NONE].all():
        inside = np.where(border | printed, 0.0, darkness)  # without what touches the border
        threshold = max(MIN_INK, otsu_threshold(inside))
        labels, count = connected_components((darkness >= threshold) & ~printed)
    chosen = _digit_components(labels, count, darkness.shape)
    if chosen is None:
        return None
    mask = np.isin(labels, chosen)  # (H, W)
    strong_box = _mask_box(mask)
    size = max(strong_box[2] - strong_box[0], strong_box[3] - strong_box[1])
    reach = 2 * max(1, round(EDGE_REACH * size)) + 1  # the strokes' soft edges, kept
    noise = 1.4826 * float(np.median(np.abs(darkness - np.median(darkness))))  # sigma
    low = min(threshold / 2, NOISE_CUT * noise + NOISE_FLOOR)  # faint edges of strokes stay
    faint = darkness > low  # (H, W)
    mask = (_max_filter(mask.astype(np.float32), reach) > 0) & faint
    mask |= _connected_faint_ink(faint & ~printed, mask, strong_box)
    strength = np.clip((darkness - low) / max(top - low, 1e-6), 0.0, 1.0)  # (H, W)
    ink = np.rint(strength * mask * 255.0).astype(np.uint8)
    return FoundInk(ink, _mask_box(mask), top)


def _mask_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) of a (H, W) bool mask's True pixels (exclusive ends);
    the mask holds at least one."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def _connected_faint_ink(faint: np.ndarray, kept: np.ndarray, box: tuple[int, ...]) -> np.ndarray:
    """The components of ``faint`` (H, W) bool that touch ``kept`` (H, W) bool and lie within
    FAINT_REACH of the digit's size around its ``box`` (top, left, bottom, right): (H, W) bool.
    A shadow or a stain that touches the digit but reaches beyond it is left out. Components
    are followed only that far, plus a ring of one pixel: one that reaches the ring goes on
    beyond."""
    height, width = faint.shape
    margin = FAINT_REACH * max(box[2] - box[0], box[3] - box[1])
    first_row, end_row = max(0, math.ceil(box[0] - margin)), min(height, int(box[2] + margin))
    first_col, end_col = max(0, math.ceil(box[1] - margin)), min(width, int(box[3] + margin))
    y0, x0 = max(0, first_row - 1), max(0, first_col - 1)
    y1, x1 = min(height, end_row + 1), min(width, end_col + 1)
    labels, _ = connected_components(faint[y0:y1, x0:x1])  # (h, w)
    labelled = labels != LABEL_NONE
    ring = labelled.copy()
    ring[first_row - y0 : end_row - y0, first_col - x0 : end_col - x0] = False
    touching = np.setdiff1d(labels[kept[y0:y1, x0:x1] & labelled], labels[ring])
    out = np.zeros(faint.shape, bool)
    out[y0:y1, x0:x1] = np.isin(labels, touching)
    return out


def levelled_ink(found: FoundInk) -> np.ndarray:
    """The found ink with each pixel relative to the darkest ink within LEVEL_WINDOW of the
    digit's size (and to at least LEVEL_FLOOR), so that a faint stroke away from dark ones
    reads as dark as they do. (H, W) uint8 -> (H, W) uint8, 255 for the darkest ink near."""
    top, left, bottom, right = found.box
    ink = found.ink.astype(np.float32)  # (H, W)
    nearby = _max_filter(ink, _odd(max(bottom - top, right - left) * LEVEL_WINDOW))  # (H, W)
    return np.clip(ink * (255.0 / np.maximum(nearby, LEVEL_FLOOR)), 0, 255).astype(np.uint8)


def _light_on_dark(grey: np.ndarray, window: int) -> bool:
    """True for light ink on a dark ground (see the module's step 1). grey : (H, W) float32."""
    border = np.concatenate([grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]])
    if np.median(border) >= 128:
        return False
    bright = (grey > otsu_threshold(grey / 255.0) * 255.0).astype(np.float32)  # (H, W)
    if bright.mean() >= 0.5:
        return False
    wide = _max_filter(_min_filter(bright, window), window)  # opening: wide bright regions
    return float((wide * bright).sum()) < THIN_SHARE * float(bright.sum())


def _printed_lines(mask: np.ndarray) -> np.ndarray:
    """Rows and columns more than LINE_FILL covered from edge to edge (within LINE_REACH of
    both ends), with their neighbours: (H, W) bool."""

    def lines(along: np.ndarray) -> np.ndarray:  # (n, m) -> (n,) float32, 1 on a line
        m = along.shape[1]
        first = along.argmax(axis=1)
        last = m - 1 - along[:, ::-1].argmax(axis=1)
        reach = int(LINE_REACH * m)
        full = (along.mean(axis=1) > LINE_FILL) & (first <= reach) & (last >= m - 1 - reach)
        return _max_filter(full.astype(np.float32)[:, None], 3, axis=0)[:, 0]

    rows, cols = lines(mask), lines(mask.T)  # (H,), (W,)
    return (rows[:, None] > 0) | (cols[None, :] > 0)  # (H, W)


def _touching_border(labels: np.ndarray) -> np.ndarray:
    """Pixels of the components that touch the image's border: (H, W) int32 -> (H, W) bool."""
    edge = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    return np.isin(labels, np.unique(edge[edge != LABEL_NONE]))


def otsu_threshold(values: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold of values in [0, 1]: the level that best splits them in two."""
    histogram = np.bincount(
        np.clip((values.ravel() * (bins - 1)).astype(np.intp), 0, bins - 1), minlength=bins
    ).astype(np.float64)  # (bins,)
    levels = np.arange(bins, dtype=np.float64)
    weight = np.cumsum(histogram)  # pixels at or below each level
    mass = np.cumsum(histogram * levels)
    total, total_mass = weight[-1], mass[-1]
    below, above = weight, total - weight
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (total_mass * below - total * mass) ** 2 / (below * above)
    between[~np.isfinite(between)] = 0.0
    return (int(between.argmax()) + 0.5) / (bins - 1)


def _running(values: np.ndarray, window: int, axis: int, reduce) -> np.ndarray:
    """Max or min over a centred window along one axis (van Herk / Gil-Werman: O(1) per
    pixel whatever the window). Outside the image counts as the neutral element.

    values : (H, W) float32; window : odd; reduce : np.maximum or np.minimum
    """
    moved = np.moveaxis(values, axis, -1)  # (..., n)
    n, reach = moved.shape[-1], window // 2
    neutral = -np.inf if reduce is np.maximum else np.inf
    length = -(-(n + 2 * reach) // window) * window  # padded to whole blocks
    padded = np.full((*moved.shape[:-1], length), neutral, np.float32)
    padded[..., reach : reach + n] = moved
    blocks = padded.reshape(*moved.shape[:-1], length // window, window)
    forward = reduce.accumulate(blocks, axis=-1).reshape(padded.shape)  # block start..i
    backward = reduce.accumulate(blocks[..., ::-1], axis=-1)[..., ::-1].reshape(padded.shape)
    out = reduce(backward[..., :n], forward[..., window - 1 : window - 1 + n])  # (..., n)
    return np.moveaxis(out, -1, axis)


def _max_filter(values: np.ndarray, window: int, axis: int | None = None) -> np.ndarray:
    """Running max over a window x window square (or along one axis)."""
    if axis is not None:
        return _running(values, window, axis, np.maximum)
    return _running(_running(values, window, 0, np.maximum), window, 1, np.maximum)


def _min_filter(values: np.ndarray, window: int) -> np.ndarray:
    """Running min over a window x window square."""
    return _running(_running(values, window, 0, np.minimum), window, 1, np.minimum)


def connected_components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected components of a boolean image.

    mask : (H, W) bool
    returns : labels (H, W) int32, 0..count-1 on the mask and LABEL_NONE elsewhere, and count
    """
    height, width = mask.shape
    flat_mask = mask.ravel()
    labels = np.where(flat_mask, np.arange(height * width, dtype=np.int32), LABEL_NONE)
    labels = labels.reshape(height, width)  # each pixel starts as its own component
    while True:
        padded = np.pad(labels, 1, constant_values=LABEL_NONE)  # (H + 2, W + 2)
        smallest = labels.copy()
        for dy in (0, 1, 2):
            for dx in (0, 1, 2):
                np.minimum(smallest, padded[dy : dy + height, dx : dx + width], out=smallest)
        smallest = np.where(mask, smallest, LABEL_NONE)
        flat = smallest.ravel()
        jumped = np.where(flat_mask, flat[np.minimum(flat, height * width - 1)], LABEL_NONE)
        jumped = np.minimum(smallest, jumped.reshape(height, width))  # pointer jumping
        if np.array_equal(jumped, labels):
            break
        labels = jumped
    roots, dense = np.unique(labels[mask], return_inverse=True)
    out = np.full((height, width), LABEL_NONE, np.int32)
    out[mask] = dense.astype(np.int32)
    return out, len(roots)


def _digit_components(labels: np.ndarray, count: int, shape) -> list[int] | None:
    """The components that form the digit, or None when none is plausible."""
    if count == 0:
        return None
    height, width = shape
    rows, cols = np.nonzero(labels != LABEL_NONE)
    ids = labels[rows, cols]
    area = np.bincount(ids, minlength=count).astype(np.float64)  # (count,)
    top = np.full(count, height)
    left = np.full(count, width)
    bottom = np.zeros(count, np.int64)
    right = np.zeros(count, np.int64)
    np.minimum.at(top, ids, rows)
    np.minimum.at(left, ids, cols)
    np.maximum.at(bottom, ids, rows + 1)
    np.maximum.at(right, ids, cols + 1)
    box_h, box_w = bottom - top, right - left
    centre_y = np.bincount(ids, weights=rows, minlength=count) / area
    centre_x = np.bincount(ids, weights=cols, minlength=count) / area

    span = np.maximum(box_h / height, box_w / width)  # (count,) share of the image side
    thickness = area / np.maximum(np.hypot(box_h, box_w), 1.0) / max(height, width)
    line = (span >= LINE_SPAN) & (thickness <= LINE_THICKNESS)
    speck = area < SPECK * area[~line].max() if (~line).any() else np.ones(count, bool)
    touches = (top == 0) | (left == 0) | (bottom == height) | (right == width)
    candidate = ~line & ~speck
    if (candidate & ~touches).any():
        candidate &= ~touches
    if not candidate.any():
        return None
    off_centre = np.hypot((centre_y / height - 0.5), (centre_x / width - 0.5)) / np.hypot(0.5, 0.5)
    score = area * (1.0 - 0.5 * off_centre)
    score[~candidate] = -1.0
    main = int(score.argmax())

    chosen = {main}
    box = [top[main], left[main], bottom[main], right[main]]
    grown = True
    while grown:  # add the candidates near the digit's box, and grow the box
        grown = False
        gap = NEIGHBOUR_GAP * max(box[2] - box[0], box[3] - box[1])
        near = (
            candidate
            & (top < box[2] + gap)
            & (bottom > box[0] - gap)
            & (left < box[3] + gap)
            & (right > box[1] - gap)
        )
        for index in np.flatnonzero(near):
            if int(index) not in chosen:
                chosen.add(int(index))
                box = [
                    min(box[0], top[index]),
                    min(box[1], left[index]),
                    max(box[2], bottom[index]),
                    max(box[3], right[index]),
                ]
                grown = True
    return sorted(chosen)
