"""Read a number: split the pad's ink into digits, left to right, and read each one.

The page hands Python the pixels of the part of its pad that holds ink and the strokes
(each one's points, in the order drawn); a picture has pixels alone. The search runs on the
ink's box, so where the drawing lies changes nothing. The digits are found with NumPy and
Pillow only (there is no SciPy in the page).

**With strokes.** People write a number digit by digit, so a digit is a run of strokes drawn
one after another. The ink is reduced as in step 1 below; each stroke's pixels are the ink
under its path (drawn with the pen's width; where two strokes cross, both have the pixel), so
a digit written across its neighbour is read with its own strokes' ink alone. Every run of
up to :data:`STROKE_RUN` consecutive strokes no wider than a digit (:data:`MAX_WIDTH`) is a
candidate; candidates are read and chosen by dynamic programming as in step 4, where each
digit must end further right than the digit written before it (a 4's second stroke, which
ends inside its first, is no digit of its own); they are then cut out of the
full-resolution ink and read there (step 6); a drawing that is all one digit is read whole.
Digits side by side hardly overlap: when two chosen digits overlap across more than
:data:`STROKE_OVERLAP` of their joint width (a scribble of several strokes), when a chosen
digit reads as no digit (a 5's flag on its own), or when no stroke has ink, the pixels
decide instead, as follows.

**From pixels** (a picture, or strokes that do not part into digits side by side):

1. **A working copy.** The ink is reduced by block means so the drawing is about
   :data:`WORK_HEIGHT` pixels high (:func:`reduce_ink`); the search runs on it.
2. **Connected components** (8-connected) of its ink, from its horizontal runs: runs that
   touch in neighbouring rows are joined by a vectorised union-find (:func:`components`).
   The digit height is the median height of the tall ones.
3. **Pieces.** Each component is a piece; specks (much smaller than a digit, or than two
   pen widths: the pen's width is estimated from the ink's area and outline) join the piece
   whose columns they lie in, or are dropped. Pieces are ordered by their centre.
4. **Digits.** A digit is a run of consecutive pieces: one, or several that overlap or
   touch (a 4, 5 or 7 drawn in two strokes, a crossed 7). Every candidate run is read by
   the page's reader, through :func:`~recognizer.preprocess.mnist_from_ink` as a single
   digit is (each set of pixels made into an image once, the new ones read in one batch;
   the reader remembers the images it read at earlier pen-ups,
   :class:`~recognizer.reader.DigitReader`), and dynamic programming keeps the split
   whose digits are together most probable: the sum of the log of each digit's calibrated
   confidence (the "not a digit" class takes its share from it), less a penalty for a
   digit much shorter than the number's others or much wider than a digit.
5. **Touching digits.** A component read with little confidence, or wider than a digit
   usually is, may hold several digits: it is cut into vertical slices every
   :data:`GRID` digit heights and step 4 runs again, the slices now pieces, each cut
   costing :data:`CUT_COST`; the classifier decides whether and where it splits. (Not a
   component barely taller than the pen, a dot, nor one wider than :data:`MAX_CHAIN`
   digits, a line or a zigzag: those are read whole.) When the strokes are known, no cut
   divides a stroke, except close to its ends, where a neighbour may touch it: digits are
   written in strokes of their own, and a scribble drawn in one stroke stays one thing,
   read whole. This time only the candidates that may lie on the
   best split are read: a candidate scores at most its penalties (a confidence is at most
   1), so batch by batch the most hopeful unread candidates are read, until no split
   through an unread one can score as well as the best split of read ones. The split
   chosen is the one reading them all would choose.
6. **The digits** chosen are cut out of the full-resolution ink and read there, as the page
   reads a single digit; a drawing that is all one digit is read whole, exactly as a single
   digit is.

Coordinates are pixels: x (column) to the right, y (row) down; boxes are (left, top, right,
bottom), right and bottom exclusive.
"""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike
from PIL import Image, ImageDraw

from . import preprocess
from .decision import N_DIGITS, Verdict, decide
from .network import Network
from .reader import DigitReader

__all__ = [
    "Components",
    "FoundDigit",
    "NumberReading",
    "components",
    "read_number",
    "reduce_ink",
    "split_digits",
    "split_picture",
]

WORK_HEIGHT = 48  # the working copy is reduced until the drawing is about this high, px
TALL = 0.45  # components at least this share of the tallest set the digit height
SPECK = 0.25  # components smaller than this many digit heights both ways are specks, ...
SPECK_PENS = 2.0  # ... and those smaller than this many pen widths (dots, ticks)
MAX_WIDTH = 1.25  # widest run of pieces tried as one digit, in digit heights
MAX_GAP = 0.05  # widest gap between the pieces of one digit, in digit heights
SHORT = 0.6  # digits shorter than this many digit heights are penalised ...
SHORT_WEIGHT = 4.0  # ... by this times the log of how much shorter they are
WIDE = 0.95  # digits wider than this many digit heights are penalised ...
WIDE_WEIGHT = 1.0  # ... by this per digit height of extra width
MIN_CONFIDENCE = 1e-6  # floor under a confidence before its log
CUT_FROM = 0.55  # components wider than this many digit heights are cut into slices ...
SURE = 0.9  # ... when read whole with less confidence than this ...
SPLIT_WIDE = 1.0  # ... or when wider than this many digit heights, ...
SLICE_PENS = 2.5  # ... if at least this many pen widths high ...
MAX_CHAIN = 4.5  # ... and at most this many digit heights wide (not a line or a zigzag)
MAX_SLICES = 20  # fewer slices than this per component
GRID = 0.15  # slices this many digit heights wide ...
MIN_PIECE = 0.12  # ... none narrower than this many digit heights ...
PEN_PIECE = 1.0  # ... nor than this many pen widths (no digit is narrower than the pen)
PEN_OUTLINE = 1.12  # the outline's estimate of the pen width falls short by this factor
CUT_COST = 0.3  # what a cut through a component costs, log-probability
STROKE_END = 0.2  # a cut crosses a stroke only this close to its end, in digit heights
STROKE_RUN = 5  # most consecutive strokes read as one digit
STROKE_OVERLAP = 0.5  # digits overlapping across more of their joint width are not side by side
STROKE_REACH = 0.2  # a stroke's pixels reach this many pen widths past its path's edge ...
MIN_REACH_PX = 1.5  # ... and this many pixels at least (the pad smooths its strokes)
MAX_STROKES = 62  # with more strokes than this, the pixels decide (one bit per stroke)
BOUND_SLACK = 1e-6  # added to a candidate's highest possible score (float rounding)
BATCH_REACH = 0.02  # a batch reads the candidates whose best split may score this near the
# most hopeful one's (its ties, up to rounding): far fewer reads than one batch of all


@dataclass(frozen=True)
class Components:
    """The 8-connected components of a mask.

    labels : (H, W) int32, 0 for background, k + 1 for the pixels of component k
    boxes : (n, 4) int64 left, top, right, bottom of each component
    areas : (n,) int64 pixels of each component
    """

    labels: np.ndarray
    boxes: np.ndarray
    areas: np.ndarray


@dataclass(frozen=True)
class FoundDigit:
    """One digit of a number.

    box : (left, top, right, bottom) of its ink, pixels of the input
    ink : (bottom - top, right - left) uint8, its ink alone (its neighbours' removed)
    image : (28, 28) uint8, what the network read (``preprocess.mnist_from_ink`` of ``ink``)
    verdict : the page's reading of ``image`` (``recognizer.decision.Verdict``)
    """

    box: tuple[int, int, int, int]
    ink: np.ndarray
    image: np.ndarray
    verdict: Verdict


@dataclass(frozen=True)
class NumberReading:
    """A drawing read as a number.

    digits : its digits, left to right (none for a drawing without ink)
    text : the digits as a string, "?" for a digit read as not a digit
    """

    digits: list[FoundDigit]
    text: str


def reduce_ink(ink: np.ndarray, factor: int) -> tuple[np.ndarray, np.ndarray]:
    """Block-reduce ink by an integer factor, the edges padded with background.

    ink : (H, W) uint8 -> (ceil(H / f), ceil(W / f)) uint8 block means, and the same shape
    bool: the blocks whose mean is ink (above ``preprocess.INK_THRESHOLD``)
    """
    if factor == 1:
        return ink, ink > preprocess.INK_THRESHOLD
    height, width = ink.shape
    size = (-(-width // factor) * factor, -(-height // factor) * factor)  # padded (W, H)
    padded = Image.new("L", size)
    padded.paste(Image.fromarray(ink))
    means = np.asarray(padded.reduce(factor), dtype=np.uint8)  # (h, w)
    return means, means > preprocess.INK_THRESHOLD


def components(mask: np.ndarray) -> Components:
    """Label the 8-connected components of ``mask``: (H, W) bool.

    Each row's ink is taken as runs of pixels; a run joins the runs of the next row that
    touch it, sideways or diagonally, by union-find over all touching pairs at once
    (min-label hooking, then pointer jumping until every run points at its root).
    Components are numbered in the order of their first pixel, row by row.
    """
    height, width = mask.shape
    edges = np.diff(mask.astype(np.int8), axis=1, prepend=0, append=0)  # (H, W + 1)
    rows, starts = np.nonzero(edges == 1)  # (R,) each run's row and first column
    ends = np.nonzero(edges == -1)[1]  # (R,) one past each run's last column
    count = len(starts)
    labels = np.zeros(height * width, np.int32)
    if count == 0:
        return Components(labels.reshape(height, width), np.zeros((0, 4), np.int64),
                          np.zeros(0, np.int64))  # fmt: skip
    # Runs as keys row * stride + column are sorted: the runs of row r + 1 that touch run a
    # (start <= end_a and end >= start_a) are a contiguous range [first, stop).
    stride = width + 2
    below = (rows + 1) * stride  # (R,)
    first = np.searchsorted(rows * stride + ends, below + starts, side="left")  # (R,)
    stop = np.searchsorted(rows * stride + starts, below + ends, side="right")  # (R,)
    per_run = np.maximum(stop - first, 0)  # (R,)
    upper = np.repeat(np.arange(count), per_run)  # (P,) touching pairs (upper, lower)
    offsets = np.arange(len(upper)) - np.repeat(np.cumsum(per_run) - per_run, per_run)
    lower = np.repeat(first, per_run) + offsets  # (P,)

    parent = np.arange(count)  # (R,) a root for every run after each pass
    while True:
        up, low = parent[upper], parent[lower]  # (P,) each pair's roots
        if np.array_equal(up, low):
            break
        smaller = np.minimum(up, low)
        np.minimum.at(parent, up, smaller)  # each root hooks onto the least root it touches
        np.minimum.at(parent, low, smaller)
        while True:  # pointer jumping; parent[i] <= i, so it ends
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
    roots, component = np.unique(parent, return_inverse=True)  # (n,), (R,) in 0..n-1
    run_of_pixel = np.repeat(np.arange(count), ends - starts)  # ink pixels, row by row
    labels[np.flatnonzero(mask)] = component[run_of_pixel] + 1
    n = len(roots)
    boxes = np.empty((n, 4), np.int64)
    boxes[:, :2] = np.iinfo(np.int64).max
    boxes[:, 2:] = -1
    np.minimum.at(boxes[:, 0], component, starts)
    np.minimum.at(boxes[:, 1], component, rows)
    np.maximum.at(boxes[:, 2], component, ends)
    np.maximum.at(boxes[:, 3], component, rows + 1)
    areas = np.bincount(component, weights=ends - starts, minlength=n).astype(np.int64)
    return Components(labels.reshape(height, width), boxes, areas)


def split_digits(
    ink: np.ndarray,
    reader: DigitReader,
    strokes: Sequence[ArrayLike] | None = None,
    brush_px: float = 0.0,
) -> list[FoundDigit]:
    """The digits of a drawing, left to right (see the module docstring).

    ink : (H, W) uint8, 0 = background, 255 = full ink (``preprocess.ink_from_rgba``)
    reader : reads the candidate digits; its confidence chooses between splits
    strokes : each stroke's (n, 2) x, y points, pixels of ``ink``, in the order drawn, when
        they are known (the pad), drawn ``brush_px`` wide; digits are then runs of strokes
    returns : one FoundDigit per digit; none for a drawing without ink
    Raises ValueError for an array that is not 2-D uint8.
    """
    ink = np.asarray(ink)
    if ink.ndim != 2 or ink.dtype != np.uint8:
        raise ValueError(f"expected (H, W) uint8 ink, got {ink.dtype} {ink.shape}")
    inked = ink > preprocess.INK_THRESHOLD  # (H, W)
    rows = np.flatnonzero(inked.any(axis=1))
    if rows.size == 0:
        return []
    # The search runs on the ink's box, so where the drawing lies changes nothing (the
    # page hands over only the part of the pad its strokes cover).
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    cols = np.flatnonzero(inked[top:bottom].any(axis=0))
    left, right = int(cols[0]), int(cols[-1]) + 1
    paths = [np.asarray(s, np.float64).reshape(-1, 2) for s in strokes or []]  # (n, 2) each
    paths = [path - (left, top) for path in paths if len(path)]
    digits = _split(np.ascontiguousarray(ink[top:bottom, left:right]), reader, paths, brush_px)
    return [
        replace(d, box=(d.box[0] + left, d.box[1] + top, d.box[2] + left, d.box[3] + top))
        for d in digits
    ]


def _split(
    ink: np.ndarray, reader: DigitReader, paths: list[np.ndarray], brush_px: float
) -> list[FoundDigit]:
    """:func:`split_digits` on ink (H, W) uint8 trimmed to its box; paths (n, 2) x, y."""
    factor = max(1, ink.shape[0] // WORK_HEIGHT)
    work, mask = reduce_ink(ink, factor)  # (h, w) uint8, bool
    found = components(mask)
    if len(found.areas) == 0:  # ink too faint to survive the reduction: read it whole
        return _whole(ink, reader)
    extents = _stroke_extents(paths, brush_px) / factor if paths else None  # (S, 2)
    search = _Search(work, found, reader, extents, ink, factor)  # read by strokes stays read
    if 0 < len(paths) <= MAX_STROKES:
        by_strokes = _split_strokes(search, paths, brush_px)
        if by_strokes is not None:
            return by_strokes
    pieces = search.pieces(set())
    spans, scores, candidates = search.score(pieces, _spans(pieces, search.height), every=True)
    height = search.height
    doubtful = {
        pieces[i].source
        for (i, j), score, candidate in zip(spans, scores, candidates, strict=True)
        if j == i + 1
        and candidate.width > CUT_FROM * height
        and candidate.height >= SLICE_PENS * search.pen
        and (score < np.log(SURE) or candidate.width > SPLIT_WIDE * height)
        and candidate.width <= MAX_CHAIN * height
    }
    if doubtful:
        pieces = search.pieces(doubtful)
        spans, scores, candidates = search.score(pieces, _spans(pieces, height), every=False)
    chosen = [candidates[k] for k in _best_path(spans, scores, len(pieces))]
    return _read_chosen(search, chosen)


def _read_chosen(search: "_Search", chosen: list["_Candidate"]) -> list[FoundDigit]:
    """The chosen candidates of the search's working copy read as the page reads a digit:
    cut out of the full-resolution ink and read there in one batch; all the ink as one digit
    (a :class:`_Whole`) was read so already (step 6)."""
    chosen = [c for c in chosen if c.image is not None]
    if search.factor == 1 or (len(chosen) == 1 and isinstance(chosen[0], _Whole)):
        return [c.found(search.verdict(c)) for c in chosen]
    full = [c.full_size(search.ink, search.factor) for c in chosen]
    full = [c for c in full if c is not None and c.image is not None]
    if not full:
        return []
    verdicts = search.reader.read(np.stack([c.image for c in full]))
    return [c.found(v) for c, v in zip(full, verdicts, strict=True)]


def _split_strokes(
    search: "_Search", paths: list[np.ndarray], brush_px: float
) -> list[FoundDigit] | None:
    """The digits as runs of consecutive strokes (see the module docstring), left to right;
    None when no stroke has ink, two digits overlap or one reads as no digit (the pixels
    decide then).

    search : over the working copy of the drawing's ink; paths : (n, 2) x, y points of each
    stroke, pixels of the ink, drawn ``brush_px`` wide
    """
    factor = search.factor
    inked = search.found.labels > 0  # (h, w)
    covers = np.zeros(inked.shape, np.int64)  # (h, w) bit k: stroke k's path covers the pixel
    for k, path in enumerate(paths):
        own = _path_mask(path / factor, inked.shape, brush_px / factor) & inked
        covers |= own.astype(np.int64) << k
    # An atom is the set of pixels that the same strokes cover, so a crossing is shared.
    combos, atom_of_pixel = np.unique(covers[covers != 0], return_inverse=True)  # (A,), (P,)
    labels = np.zeros(inked.shape, np.int32)
    labels[covers != 0] = atom_of_pixel + 1
    search.labels, search.atoms = labels, len(combos) + 1
    pieces = []
    for k in range(len(paths)):
        atoms = np.flatnonzero((combos >> k) & 1) + 1  # the atoms stroke k covers
        if atoms.size:
            ys, xs = np.nonzero((covers >> k) & 1)
            box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
            pieces.append(_Piece(tuple(atoms.tolist()), box, k))
    if not pieces:
        return None
    runs = _stroke_runs(pieces, search.height)
    runs, scores, candidates = search.score(pieces, runs, every=False)
    path = _best_path(runs, scores, len(pieces))
    rights = [candidates[k].box[2] for k in path]
    if any(b <= a for a, b in itertools.pairwise(rights)):  # a digit inside the one before
        runs, scores, candidates = search.score(pieces, runs, every=True)
        path = _rightward_path(runs, scores, [c.box[2] for c in candidates], len(pieces))
        if path is None:
            return None
    boxes = [candidates[k].box for k in path]
    for a, b in itertools.combinations(boxes, 2):
        if _across_overlap(a, b) > STROKE_OVERLAP:
            return None
    full = _read_chosen(search, [candidates[k] for k in path])
    if any(digit.verdict.kind == "not_digit" for digit in full):
        return None  # a stroke that is no digit: part of one that the pixels may join it to
    return sorted(full, key=lambda digit: digit.box[0] + digit.box[2])


def _rightward_path(
    runs: list[tuple[int, int]], scores: np.ndarray, rights: list[int], count: int
) -> list[int] | None:
    """The best split of strokes 0..count-1 into runs in which each digit ends further right
    than the one written before it: the runs' indices, or None when there is none.
    runs : sorted (i, j); scores : (R,) float64; rights : each run's right edge"""
    best: dict[int, tuple[float, int]] = {}  # run -> best total ending with it, run before
    following: dict[int, list[int]] = {}  # stroke -> the runs that start with it
    for k, (i, _) in enumerate(runs):
        following.setdefault(i, []).append(k)
        if i == 0 and np.isfinite(scores[k]):
            best[k] = (float(scores[k]), -1)
    for k, (_, j) in enumerate(runs):  # sorted by start: a run's predecessors come first
        if k not in best:
            continue
        for m in following.get(j, []):
            total = best[k][0] + float(scores[m])
            if rights[m] > rights[k] and np.isfinite(total) and total > best.get(m, (-np.inf,))[0]:
                best[m] = (total, k)
    ends = [k for k in best if runs[k][1] == count]
    if not ends:
        return None
    path = [max(ends, key=lambda k: best[k][0])]
    while best[path[-1]][1] >= 0:
        path.append(best[path[-1]][1])
    return path[::-1]


def _stroke_runs(pieces: list["_Piece"], height: float) -> list[tuple[int, int]]:
    """The runs of consecutive strokes [i, j) read as one digit, sorted: at most STROKE_RUN
    strokes, at most MAX_WIDTH digit heights wide together."""
    runs = []
    for i in range(len(pieces)):
        left, right = pieces[i].box[0], pieces[i].box[2]
        runs.append((i, i + 1))
        for j in range(i + 1, min(len(pieces), i + STROKE_RUN)):
            left, right = min(left, pieces[j].box[0]), max(right, pieces[j].box[2])
            if right - left > MAX_WIDTH * height:
                break
            runs.append((i, j + 1))
    return runs


def _path_mask(path: np.ndarray, shape: tuple[int, int], brush_px: float) -> np.ndarray:
    """The pixels a stroke's pen covers, a little widened (STROKE_REACH, MIN_REACH_PX):
    path (n, 2) x, y pixels, drawn ``brush_px`` wide into a (h, w) = ``shape`` field ->
    (h, w) bool."""
    field = Image.new("1", (shape[1], shape[0]))
    pen = ImageDraw.Draw(field)
    radius = brush_px / 2 + max(MIN_REACH_PX, STROKE_REACH * brush_px)
    points = [(x, y) for x, y in path.tolist()]
    if len(points) > 1:
        pen.line(points, fill=1, width=max(1, round(2 * radius)))
    for x, y in points:  # round caps and joins
        pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=1)
    return np.asarray(field, dtype=bool)


def _across_overlap(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """How much two boxes (left, top, right, bottom) overlap across: the shared share of the
    columns they span together."""
    shared = min(a[2], b[2]) - max(a[0], b[0])
    return max(0, shared) / max(1, max(a[2], b[2]) - min(a[0], b[0]))


def _stroke_extents(paths: list[np.ndarray], brush_px: float) -> np.ndarray:
    """(S, 2) left, right of each stroke's ink, the pen's width included: paths (n, 2)."""
    reach = brush_px / 2
    return np.array([(p[:, 0].min() - reach, p[:, 0].max() + reach) for p in paths])


def read_number(
    network_or_reader: Network | DigitReader,
    ink: np.ndarray,
    strokes: Sequence[ArrayLike] | None = None,
    brush_px: float = 0.0,
) -> NumberReading:
    """Split ``ink`` (H, W) uint8 into digits and read them (:func:`split_digits`)."""
    reader = network_or_reader
    if not isinstance(reader, DigitReader):
        reader = DigitReader(reader)
    digits = split_digits(ink, reader, strokes, brush_px)
    text = "".join("?" if d.verdict.kind == "not_digit" else str(d.verdict.digit) for d in digits)
    return NumberReading(digits, text)


def split_picture(reader: DigitReader, ink: np.ndarray, whole: str) -> NumberReading | None:
    """The ink found in a picture (H, W) uint8 read as a number of several digits, or None
    when it is one digit: ink whose whole reading (``whole``, a ``Verdict.kind``) is a digit,
    sure or not, stays one (a picture has no strokes to say where digits part), as does ink
    that :func:`read_number` finds one digit in."""
    if whole != "not_digit":
        return None
    reading = read_number(reader, ink)
    return reading if len(reading.digits) > 1 else None


def _whole(ink: np.ndarray, reader: DigitReader) -> list[FoundDigit]:
    """The whole drawing as one digit: ink (H, W) uint8 trimmed to its box -> [] or
    [FoundDigit]."""
    image = preprocess.mnist_from_ink(ink)
    if image is None:
        return []
    return [FoundDigit((0, 0, ink.shape[1], ink.shape[0]), ink, image, reader.read(image[None])[0])]


@dataclass(frozen=True)
class _Piece:
    """Part of the drawing: the working copy's pixels labelled ``atoms``.

    box : its (left, top, right, bottom), working pixels
    source : the component it comes from
    cut : whether it was cut from the piece on its left (the same component)
    """

    atoms: tuple[int, ...]
    box: tuple[int, int, int, int]
    source: int
    cut: bool = False

    @property
    def centre(self) -> float:
        return (self.box[0] + self.box[2]) / 2


@dataclass(frozen=True)
class _Candidate:
    """A run of pieces read as one digit: its box, its mask and its ink alone (uint8, the
    box's shape); ``image`` is its 28x28 image, made when first asked for (None when no ink
    is above the threshold); ``key`` is the same for the same pixels (box and mask)."""

    box: tuple[int, int, int, int]
    mask: np.ndarray
    ink: np.ndarray

    @cached_property
    def key(self) -> bytes:
        return _pixels_key(self.box, self.mask)

    @cached_property
    def image(self) -> np.ndarray | None:
        return preprocess.mnist_from_ink(self.ink)

    @property
    def width(self) -> int:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]

    def full_size(self, ink: np.ndarray, factor: int) -> "_Candidate | None":
        """The same candidate cut out of the full-resolution ink (H, W) uint8: the ink in
        the blocks of its mask, trimmed to its box (None when none is above the threshold)."""
        left, top, right, bottom = (v * factor for v in self.box)
        bottom, right = min(bottom, ink.shape[0]), min(right, ink.shape[1])
        blocks = np.repeat(np.repeat(self.mask, factor, axis=0), factor, axis=1)  # (f bh, f bw)
        own = np.where(blocks[: bottom - top, : right - left], ink[top:bottom, left:right], 0)
        inked = own > preprocess.INK_THRESHOLD  # (bottom - top, right - left)
        ys, xs = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
        if ys.size == 0:
            return None
        own = own[ys[0] : ys[-1] + 1, xs[0] : xs[-1] + 1].astype(np.uint8)
        box = (left + int(xs[0]), top + int(ys[0]), left + int(xs[-1]) + 1, top + int(ys[-1]) + 1)
        return _Candidate(box, own > 0, own)

    def found(self, verdict: Verdict) -> FoundDigit:
        return FoundDigit(self.box, self.ink, self.image, verdict)


@dataclass(frozen=True)
class _Whole(_Candidate):
    """All of the drawing's ink as one candidate: placed in the working copy as any other,
    but its image made from the full-resolution ink (``full_box``, ``full_ink``), as the page
    makes a single digit's, so the reading that scores it is the one the page shows."""

    full_box: tuple[int, int, int, int] = (0, 0, 0, 0)
    full_ink: np.ndarray | None = None

    @cached_property
    def image(self) -> np.ndarray | None:
        return preprocess.mnist_from_ink(self.full_ink)

    def found(self, verdict: Verdict) -> FoundDigit:
        return FoundDigit(self.full_box, self.full_ink, self.image, verdict)


class _Search:
    """The working copy's components, the pieces made of them, and the candidate digits
    made and read so far (each set of pixels made into a 28x28 image once, and read once).
    The working copy is ``factor`` times smaller than the drawing's ``ink`` (trimmed to its
    box); a candidate of all the ink is a :class:`_Whole`."""

    def __init__(
        self,
        work: np.ndarray,
        found: Components,
        reader: DigitReader,
        stroke_spans: np.ndarray | None,
        ink: np.ndarray,
        factor: int,
    ):
        self.work, self.found, self.reader = work, found, reader
        self.ink, self.factor = ink, factor
        self.inked = int((found.labels > 0).sum())  # working pixels of ink
        self.stroke_spans = stroke_spans  # (S, 2) working pixels, or None
        self.pen = _pen_width(found.labels > 0)
        boxes = found.boxes
        sides = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])  # (n,)
        heights = (boxes[:, 3] - boxes[:, 1])[sides >= SPECK_PENS * self.pen]  # (m,)
        heights = heights if heights.size else boxes[:, 3] - boxes[:, 1]
        self.height = float(np.median(heights[heights >= TALL * heights.max()]))
        self.labels = found.labels
        self.atoms = len(boxes) + 1  # labels in self.labels are below this
        self.made: dict[bytes, _Candidate] = {}  # candidate key -> the candidate
        self.probs: dict[bytes, np.ndarray] = {}  # candidate key -> (C,) calibrated

    def pieces(self, cut: set[int]) -> list[_Piece]:
        """The pieces, ordered by centre: the components, those in ``cut`` sliced (their
        slices relabelled after the last component, in ``self.labels``); specks joined to
        the piece whose columns they lie in (the nearest one), or dropped."""
        boxes, height = self.found.boxes, self.height
        labels = self.found.labels.copy()  # (h, w)
        sizes = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])  # (n,)
        next_atom = len(boxes) + 1
        pieces: list[_Piece] = []
        specks = []
        for k, (left, top, right, bottom) in enumerate(boxes.tolist()):
            if sizes[k] < max(SPECK * height, SPECK_PENS * self.pen):
                specks.append(k)
                continue
            if k not in cut:
                pieces.append(_Piece((k + 1,), (left, top, right, bottom), k))
                continue
            own = labels[top:bottom, left:right] == k + 1  # (bh, bw)
            edges = [0, *self._cut_columns(left, right), right - left]
            for a, b in itertools.pairwise(edges):
                inside = np.zeros(own.shape, bool)  # (bh, bw)
                inside[:, a:b] = own[:, a:b]
                ys = np.flatnonzero(inside.any(axis=1))
                if ys.size == 0:
                    continue
                xs = np.flatnonzero(inside.any(axis=0))
                labels[top:bottom, left:right][inside] = next_atom
                box = (left + int(xs[0]), top + int(ys[0]), left + int(xs[-1]) + 1,
                       top + int(ys[-1]) + 1)  # fmt: skip
                pieces.append(_Piece((next_atom,), box, k, cut=a > 0))
                next_atom += 1
        self.labels, self.atoms = labels, next_atom
        if not pieces:  # nothing but specks: read them together
            box = (*boxes[:, :2].min(axis=0).tolist(), *boxes[:, 2:].max(axis=0).tolist())
            return [_Piece(tuple(k + 1 for k in specks), tuple(box), 0)]
        pieces.sort(key=lambda p: p.centre)
        centres = np.array([p.centre for p in pieces])  # (m,)
        for k in specks:
            left, top, right, bottom = boxes[k].tolist()
            nearest = int(np.argmin(np.abs(centres - (left + right) / 2)))
            piece = pieces[nearest]
            if piece.box[0] <= (left + right) / 2 < piece.box[2]:
                box = (min(piece.box[0], left), min(piece.box[1], top),
                       max(piece.box[2], right), max(piece.box[3], bottom))  # fmt: skip
                pieces[nearest] = _Piece((*piece.atoms, k + 1), box, piece.source, piece.cut)
        return pieces

    def _cut_columns(self, left: int, right: int) -> list[int]:
        """Columns of the vertical cuts through a component from ``left`` to ``right``
        (working pixels), counted from ``left``: every GRID digit heights (fewer than
        MAX_SLICES slices), keeping MIN_PIECE digit heights and PEN_PIECE pen widths from
        its sides, and none that divides a stroke (see :func:`split_digits`)."""
        width = right - left
        margin = max(1, round(MIN_PIECE * self.height), round(PEN_PIECE * self.pen))
        step = max(1, round(GRID * self.height), -(-(width - 2 * margin) // MAX_SLICES))
        columns = np.arange(margin, width - margin + 1, step)  # (k,)
        if self.stroke_spans is not None and len(self.stroke_spans) and columns.size:
            end = STROKE_END * self.height
            starts, stops = self.stroke_spans[:, 0] + end, self.stroke_spans[:, 1] - end  # (S,)
            at = left + columns[:, None]  # (k, 1)
            divides = ((starts < at) & (at < stops)).any(axis=1)  # (k,)
            columns = columns[~divides]
        return columns.tolist()

    def score(self, pieces: list[_Piece], spans: list[tuple[int, int]], every: bool):
        """The ``spans`` of ``pieces`` (sorted runs [i, j) worth reading as one digit), their
        candidates and scores: the log of the candidate's confidence, less its penalties
        (-inf: nothing to read).

        every : read every candidate; else only those that may lie on the best split
            (:func:`_worth_reading`), batch by batch: a candidate left unread scores -inf,
            and the best split is the one that reading them all would give.
        -> spans [(i, j)], (S,) float64, candidates
        """
        candidates = [self.candidate(pieces[i:j]) for i, j in spans]
        cuts = [pieces[i].cut for i, _ in spans]
        highest = [self._highest(c, cut) for c, cut in zip(candidates, cuts, strict=True)]
        bounds = np.full(len(spans), np.inf) if every else np.array(highest)  # (S,)
        scores = np.full(len(spans), np.nan)  # (S,) nan: not read yet
        for k, candidate in enumerate(candidates):
            if candidate.key in self.probs:  # read before
                scores[k] = self._score(candidate, cuts[k])
        while batch := _worth_reading(spans, scores, bounds, len(pieces)):
            self._read([candidates[k] for k in batch])
            for k in batch:
                scores[k] = self._score(candidates[k], cuts[k])
        scores[np.isnan(scores)] = -np.inf
        return spans, scores, candidates

    def _read(self, candidates: list[_Candidate]) -> None:
        """Read the candidates not read yet (one batch), into ``self.probs``."""
        new = {c.key: c.image for c in candidates if c.key not in self.probs}
        new = {key: image for key, image in new.items() if image is not None}
        if new:
            probs = self.reader.probabilities(np.stack(list(new.values())))  # (M, C)
            self.probs.update(zip(new, probs, strict=True))

    def _score(self, candidate: _Candidate, cut: bool) -> float:
        """A read candidate's score: the log of its confidence, less its penalties."""
        if candidate.image is None:
            return -np.inf
        confidence = float(self.probs[candidate.key][:N_DIGITS].max())
        short = min(1.0, candidate.height / (SHORT * self.height))
        wide = max(0.0, candidate.width / self.height - WIDE)
        return (
            np.log(max(confidence, MIN_CONFIDENCE))
            + SHORT_WEIGHT * np.log(short)
            - WIDE_WEIGHT * wide
            - CUT_COST * cut
        )

    def _highest(self, candidate: _Candidate, cut: bool) -> float:
        """The highest score a candidate can have, unread: its penalties (a confidence is
        at most 1), and BOUND_SLACK for float rounding."""
        short = min(1.0, candidate.height / (SHORT * self.height))
        wide = max(0.0, candidate.width / self.height - WIDE)
        penalties = SHORT_WEIGHT * np.log(short) - WIDE_WEIGHT * wide - CUT_COST * cut
        return float(penalties) + BOUND_SLACK

    def candidate(self, pieces: list[_Piece]) -> _Candidate:
        """The pieces' pixels of the working copy as one candidate; made once per set of
        pixels (the same pixels come back as other pieces after a component is sliced)."""
        left = min(p.box[0] for p in pieces)
        top = min(p.box[1] for p in pieces)
        right = max(p.box[2] for p in pieces)
        bottom = max(p.box[3] for p in pieces)
        chosen = np.zeros(self.atoms, bool)  # atom -> in this candidate
        chosen[[a for p in pieces for a in p.atoms]] = True
        mask = chosen[self.labels[top:bottom, left:right]]  # (bh, bw)
        box = (left, top, right, bottom)
        key = _pixels_key(box, mask)
        if key not in self.made:
            own = np.where(mask, self.work[top:bottom, left:right], 0).astype(np.uint8)
            if self.factor > 1 and int(mask.sum()) == self.inked:
                full_box = (0, 0, self.ink.shape[1], self.ink.shape[0])  # ink trimmed to it
                self.made[key] = _Whole(box, mask, own, full_box, self.ink)
            else:
                self.made[key] = _Candidate(box, mask, own)
        return self.made[key]

    def verdict(self, candidate: _Candidate) -> Verdict:
        return decide(self.probs[candidate.key], self.reader.calibration)


def _pixels_key(box: tuple[int, int, int, int], mask: np.ndarray) -> bytes:
    """The same pixels give the same key: a box and its (bottom - top, right - left) mask."""
    return np.array(box, np.int64).tobytes() + np.packbits(mask).tobytes()


def _pen_width(mask: np.ndarray) -> float:
    """The pen's width, pixels, from the ink's area and outline (a stroke of width w and
    length l has an area of w l and an outline about 2 l long). mask : (h, w) bool."""
    ink = mask.astype(np.int8)  # (h, w)
    across = np.abs(np.diff(ink, axis=1, prepend=0, append=0)).sum()
    down = np.abs(np.diff(ink, axis=0, prepend=0, append=0)).sum()
    return PEN_OUTLINE * 2.0 * float(ink.sum()) / max(float(across + down), 1.0)


def _spans(pieces: list[_Piece], height: float) -> list[tuple[int, int]]:
    """The runs of pieces [i, j) worth reading as one digit, sorted: each piece alone, each
    sliced component whole again, and consecutive pieces at most MAX_WIDTH digit heights
    wide with no gap of more than MAX_GAP digit heights between them."""
    spans = set()
    for i in range(len(pieces)):
        spans.add((i, i + 1))
        left, right = pieces[i].box[0], pieces[i].box[2]
        for j in range(i + 1, len(pieces)):
            piece = pieces[j]
            if piece.box[0] - right > MAX_GAP * height:
                break
            left, right = min(left, piece.box[0]), max(right, piece.box[2])
            if right - left > MAX_WIDTH * height:
                break
            spans.add((i, j + 1))
    sources = [p.source for p in pieces]
    for source in set(sources):
        first = sources.index(source)
        spans.add((first, len(sources) - sources[::-1].index(source)))
    return sorted(spans)


def _worth_reading(
    spans: list[tuple[int, int]], scores: np.ndarray, bounds: np.ndarray, count: int
) -> list[int]:
    """The next batch of spans to read: the unread ones (nan score) through which a split
    may score at least as well as the best split of read spans, counting each unread span
    at its highest possible score (``bounds``); of those, the ones within BATCH_REACH of
    the most hopeful. Empty when no unread span can be on the best split.
    spans : sorted (i, j) piece ranges; scores, bounds : (S,) float64."""
    unread = np.isnan(scores)  # (S,)
    if not unread.any():
        return []
    best_read = _totals(spans, np.where(unread, -np.inf, scores), count)[0][count]
    hopeful = np.where(unread, bounds, scores)  # (S,) each span at its highest
    ahead, behind = _totals(spans, hopeful, count)
    starts, ends = (np.array(side) for side in zip(*spans, strict=True))  # (S,) each
    through = ahead[starts] + hopeful + behind[ends]  # (S,) the best split through each span
    open_ = unread & (through >= best_read)
    if not open_.any():
        return []
    return np.flatnonzero(open_ & (through >= through[open_].max() - BATCH_REACH)).tolist()


def _totals(
    spans: list[tuple[int, int]], scores: np.ndarray, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """The best total score of spans covering pieces 0..j-1 (ahead[j]) and j..count-1
    (behind[j]): (count + 1,) float64 each, -inf where none does. spans : sorted (i, j)."""
    ahead = np.full(count + 1, -np.inf)
    ahead[0] = 0.0
    for (i, j), score in zip(spans, scores.tolist(), strict=True):  # sorted by start
        ahead[j] = max(ahead[j], ahead[i] + score)
    behind = np.full(count + 1, -np.inf)
    behind[count] = 0.0
    for (i, j), score in sorted(zip(spans, scores.tolist(), strict=True), reverse=True):
        behind[i] = max(behind[i], behind[j] + score)
    return ahead, behind


def _best_path(spans: list[tuple[int, int]], scores: np.ndarray, count: int) -> list[int]:
    """The spans that cover pieces 0..count-1 once each, in order, with the highest total
    score: their indices, left to right. spans : sorted (i, j) piece ranges."""
    best = np.full(count + 1, -np.inf)  # best[j]: the best total over pieces 0..j-1
    best[0] = 0.0
    back = np.full(count + 1, -1)
    for k, (i, j) in enumerate(spans):  # every span ending at i came before this one
        total = best[i] + scores[k]
        if back[j] < 0 or total > best[j]:
            best[j], back[j] = total, k
    path, end = [], count
    while end > 0:
        k = int(back[end])
        path.append(k)
        end = spans[k][0]
    return path[::-1]
