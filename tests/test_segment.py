"""recognizer.segment: a drawing split into digits, left to right, and read as a number."""

from collections import deque

import numpy as np
import pytest

from recognizer import preprocess, segment
from recognizer.network import load_network
from recognizer.reader import DigitReader
from tools import numbers, unipen

SIDE = 280  # the page's pad at devicePixelRatio 1
# Digits in two strokes, as fractions of the pad's side
CROSSED_SEVEN = [[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)], [(0.36, 0.52), (0.74, 0.52)]]
FOUR = [[(0.45, 0.15), (0.25, 0.6), (0.72, 0.6)], [(0.6, 0.3), (0.6, 0.85)]]
FIVE_BAR_APART = [
    [(0.33, 0.24), (0.3, 0.48), (0.5, 0.43), (0.66, 0.52), (0.68, 0.68), (0.58, 0.8), (0.3, 0.8)],
    [(0.36, 0.13), (0.7, 0.13)],
]
SEVEN_BAR_APART = [[(0.28, 0.15), (0.72, 0.15)], [(0.74, 0.25), (0.45, 0.85)]]
SHAPES = {  # name: (the digit, its strokes)
    "crossed 7": ("7", CROSSED_SEVEN),
    "4": ("4", FOUR),
    "5, its bar apart": ("5", FIVE_BAR_APART),
    "7, its bar apart": ("7", SEVEN_BAR_APART),
}
TOUCHING = [(5, 0, 8), (7, 2, 3), (12, 4, 6), (3, 5, 9)]  # (writer, left digit, right digit)
OVERLAPPING = [(5, 1, 4), (12, 1, 4), (9, 7, 1), (20, 9, 1)]  # one blot each, at gap -0.3


@pytest.fixture(scope="module")
def reader(weights_dir):
    return DigitReader(load_network(weights_dir / "default.npz"))


@pytest.fixture(scope="module")
def by_writer(pendigits_file):
    return numbers.digits_by_writer(unipen.load_pendigits(pendigits_file))


def drawn(strokes, width: int = SIDE, height: int = SIDE) -> np.ndarray:
    """Ink of strokes given as fractions of the pad's height: (height, width) uint8."""
    pixels = [np.array(stroke, np.float32) * height for stroke in strokes]
    return unipen.rasterize(pixels, width, unipen.BRUSH_FRACTION * height, height)[..., 3]


def pen(strokes, height: int = SIDE) -> tuple[list[np.ndarray], float]:
    """The strokes as the page gives them: each one's (n, 2) points in ``drawn``'s pixels,
    and the pen's width."""
    pixels = [np.array(stroke, np.float32) * height for stroke in strokes]
    return pixels, unipen.BRUSH_FRACTION * height


def components_by_search(mask: np.ndarray) -> np.ndarray:
    """The slow, obvious twin of segment.components: breadth-first flood fill, 8-connected,
    components numbered by their first pixel in row order. (H, W) bool -> (H, W) int32."""
    labels = np.zeros(mask.shape, np.int32)
    count = 0
    for y, x in zip(*np.nonzero(mask), strict=True):
        if labels[y, x]:
            continue
        count += 1
        labels[y, x] = count
        queue = deque([(y, x)])
        while queue:
            cy, cx = queue.popleft()
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    ny, nx = cy + dy, cx + dx
                    inside = 0 <= ny < mask.shape[0] and 0 <= nx < mask.shape[1]
                    if inside and mask[ny, nx] and not labels[ny, nx]:
                        labels[ny, nx] = count
                        queue.append((ny, nx))
    return labels


@pytest.mark.parametrize("seed", range(6))
def test_components_match_a_flood_fill(seed):
    rng = np.random.default_rng(seed)
    mask = rng.random((40, 57)) < [0.1, 0.3, 0.45, 0.55, 0.6, 0.9][seed]  # percolating or not
    found = segment.components(mask)
    np.testing.assert_array_equal(found.labels, components_by_search(mask))
    for k, (left, top, right, bottom) in enumerate(found.boxes):
        ys, xs = np.nonzero(found.labels == k + 1)
        assert (left, top, right, bottom) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
        assert found.areas[k] == ys.size


def test_components_of_nothing_and_of_diagonal_touches():
    empty = segment.components(np.zeros((5, 7), bool))
    assert empty.boxes.shape == (0, 4) and not empty.labels.any()
    diagonal = np.eye(6, dtype=bool)  # touching corner to corner only: one component
    assert len(segment.components(diagonal).areas) == 1
    apart = np.zeros((3, 5), bool)
    apart[:, [0, 2, 4]] = True  # one empty column between: three
    assert segment.components(apart).areas.tolist() == [3, 3, 3]


def test_reduce_ink_takes_block_means():
    ink = np.zeros((5, 7), np.uint8)
    ink[0, 0] = 255
    ink[4, 6] = 100
    means, marked = segment.reduce_ink(ink, 2)
    assert means.shape == marked.shape == (3, 4)
    assert means[0, 0] == 64 and means[2, 3] == 25  # 255 / 4 and 100 / 4, rounded
    assert marked.tolist() == (means > 24).tolist()


@pytest.mark.parametrize("name", list(SHAPES))
def test_a_digit_of_two_strokes_stays_one_digit(reader, name):
    label, strokes = SHAPES[name]
    reading = segment.read_number(reader, drawn(strokes))
    assert reading.text == label
    assert len(reading.digits) == 1


@pytest.mark.parametrize(("writer", "which"), [(1, 2), (7, 0), (7, 1)])
@pytest.mark.parametrize("before", [0, 1, 5])
def test_a_four_of_two_strokes_stays_one_digit_after_another(
    reader, by_writer, writer, which, before
):
    """A 4 whose second stroke, written after the first, ends left of it: the strokes are
    one digit, not a 6 and a 1 (a digit never ends left of the digit written before it)."""
    fours = [d for d in by_writer[writer][4] if len(d.strokes) == 2]
    samples = [by_writer[writer][before][0], fours[which]]
    rng = np.random.default_rng(3)
    number = numbers.write_number(samples, rng, numbers.PADS["wide"], writer, gaps=[0.15])
    ink = numbers.rasterize_number(number)[..., 3]
    reading = segment.read_number(reader, ink, number.strokes, number.pad.brush_px)
    assert reading.text == f"{before}4"


def test_separate_strokes_of_one_pen_digit_stay_one_digit(reader, by_writer):
    """Pen digits 4, 5 and 7 written in two strokes that do not touch on the pad."""
    two_parts = []
    for writer in sorted(by_writer)[:10]:
        for label in (4, 5, 7):
            for digit in by_writer[writer].get(label, []):
                canvas = unipen.fit_to_canvas(digit.strokes, SIDE)
                ink = unipen.rasterize(canvas, SIDE, unipen.BRUSH_FRACTION * SIDE)[..., 3]
                if len(digit.strokes) == 2 and len(segment.components(ink > 24).areas) == 2:
                    two_parts.append(ink)
    assert len(two_parts) >= 15
    counts = [len(segment.read_number(reader, ink).digits) for ink in two_parts]
    assert counts.count(1) >= 0.9 * len(two_parts), counts


def test_touching_drawn_digits_are_cut(reader):
    two = [(0.4, 0.3), (0.5, 0.2), (0.62, 0.25), (0.64, 0.4), (0.45, 0.78), (0.7, 0.78)]
    three = [(0.7, 0.25), (0.85, 0.2), (0.95, 0.32), (0.82, 0.48), (0.97, 0.62), (0.85, 0.8),
             (0.65, 0.74)]  # fmt: skip
    ink = drawn([two, three], width=2 * SIDE)  # the 3's ends touch the 2
    assert len(segment.components(ink > 24).areas) == 1
    assert segment.read_number(reader, ink).text == "23"


@pytest.mark.parametrize(("writer", "left", "right"), TOUCHING)
def test_touching_pen_digits_are_cut(reader, by_writer, writer, left, right):
    samples = [by_writer[writer][left][0], by_writer[writer][right][0]]
    rng = np.random.default_rng(1)
    number = numbers.write_number(samples, rng, numbers.PADS["wide"], writer, gaps=[-0.06])
    ink = numbers.rasterize_number(number)[..., 3]
    assert len(segment.components(ink > 24).areas) == 1  # one blot of ink
    for strokes in ((), (number.strokes, number.pad.brush_px)):  # pixels alone, or strokes
        reading = segment.read_number(reader, ink, *strokes)
        assert reading.text == f"{left}{right}"
        (l1, _, r1, _), (l2, _, r2, _) = (d.box for d in reading.digits)
        assert l1 < l2 and r1 < r2


@pytest.mark.parametrize(("writer", "left", "right"), OVERLAPPING)
def test_overlapping_pen_digits_part_by_their_strokes(reader, by_writer, writer, left, right):
    """A digit written across its neighbour's ink: one blot that no vertical cut parts, but
    each digit is a run of its own strokes."""
    samples = [by_writer[writer][left][0], by_writer[writer][right][0]]
    number = numbers.write_number(
        samples, np.random.default_rng(2), numbers.PADS["wide"], writer, gaps=[-0.3]
    )
    ink = numbers.rasterize_number(number)[..., 3]
    assert len(segment.components(ink > 24).areas) == 1
    reading = segment.read_number(reader, ink, number.strokes, number.pad.brush_px)
    assert reading.text == f"{left}{right}"
    (l1, _, r1, _), (l2, _, r2, _) = (d.box for d in reading.digits)
    assert l1 <= l2 and r1 < r2 and r1 > l2  # left to right (to a working pixel), overlapping


ZIGZAG = [[(0.12 + 0.08 * i, 0.35 if i % 2 else 0.6) for i in range(10)]]
CROSSING = [[(0.2, 0.2), (0.8, 0.8)], [(0.8, 0.2), (0.2, 0.8)], [(0.5, 0.12), (0.5, 0.88)]]


@pytest.mark.parametrize("strokes", [ZIGZAG, CROSSING], ids=["zigzag", "crossing"])
def test_a_scribble_whose_strokes_are_known_is_not_cut(reader, strokes):
    ink = drawn(strokes, width=3 * SIDE)
    assert len(segment.read_number(reader, ink).digits) > 1  # its pixels alone cut into digits
    (digit,) = segment.read_number(reader, ink, *pen(strokes)).digits  # known strokes: not cut
    assert digit.verdict.kind == "not_digit"


def test_one_digit_gives_one_digit(reader):
    seven = [[(0.25, 0.2), (0.5, 0.2), (0.75, 0.2), (0.65, 0.45), (0.55, 0.65), (0.45, 0.85)]]
    reading = segment.read_number(reader, drawn(seven))
    assert reading.text == "7"
    (digit,) = reading.digits
    left, top, right, bottom = digit.box
    assert digit.ink.shape == (bottom - top, right - left) and digit.image.shape == (28, 28)
    assert digit.verdict.kind == "digit" and digit.verdict.digit == 7
    # All the ink is one digit: it is read whole, exactly as a single digit is
    assert (digit.image == preprocess.mnist_from_ink(drawn(seven))).all()


@pytest.mark.parametrize(
    "strokes",
    [
        [[(1.5, 0.5)]],  # a dot
        [[(0.1, 0.5), (2.9, 0.52)]],  # a line across the pad
        [[(0.1 + 0.07 * i, 0.35 + 0.3 * (i % 2)) for i in range(40)]],  # a zigzag
    ],
    ids=["dot", "line", "zigzag"],
)
def test_a_dot_a_line_or_a_zigzag_is_not_cut_into_digits(reader, strokes):
    reading = segment.read_number(reader, drawn(strokes, width=3 * SIDE))
    assert len(reading.digits) == 1


def test_an_empty_pad_gives_no_digits(reader):
    reading = segment.read_number(reader, np.zeros((SIDE, 2 * SIDE), np.uint8))
    assert reading.digits == [] and reading.text == ""


@pytest.mark.parametrize(("writer", "seed"), [(5, 0), (7, 1), (12, 2), (3, 3)])
def test_reading_the_hopeful_candidates_splits_as_reading_them_all(
    reader, by_writer, monkeypatch, writer, seed
):
    rng = np.random.default_rng(seed)
    samples = [by_writer[writer][int(label)][0] for label in rng.integers(0, 10, 4)]
    gaps = [-0.06, 0.0, -0.03]  # a chain of touching digits: components are sliced
    number = numbers.write_number(samples, rng, numbers.PADS["wide"], writer, gaps=gaps)
    ink = numbers.rasterize_number(number)[..., 3]

    def reading() -> tuple[segment.NumberReading, int]:
        """The number read by a reader that remembers nothing, and the images it read."""
        fresh, read = DigitReader(reader.network), []
        probabilities = fresh.probabilities
        fresh.probabilities = lambda images: read.append(len(images)) or probabilities(images)
        return segment.read_number(fresh, ink), sum(read)

    hopeful, hopeful_reads = reading()
    every = lambda spans, scores, bounds, count: np.flatnonzero(np.isnan(scores)).tolist()  # noqa: E731
    monkeypatch.setattr(segment, "_worth_reading", every)
    everything, all_reads = reading()
    assert hopeful.text == everything.text
    for mine, theirs in zip(hopeful.digits, everything.digits, strict=True):
        assert mine.box == theirs.box and (mine.image == theirs.image).all()
        assert mine.verdict.kind == theirs.verdict.kind
        assert (mine.verdict.digit, mine.verdict.confidence) == (
            theirs.verdict.digit, theirs.verdict.confidence)  # fmt: skip
    assert hopeful_reads < all_reads


def test_a_number_is_read_left_to_right(reader, by_writer):
    samples = [by_writer[9][label][1] for label in (3, 0, 7, 1, 5)]
    number = numbers.write_number(samples, np.random.default_rng(4), numbers.PADS["wide"], 9)
    ink = numbers.rasterize_number(number)[..., 3]
    reading = segment.read_number(reader.network, ink)  # a network works as well as a reader
    assert reading.text == "30715"
    boxes = np.array([d.box for d in reading.digits])  # (5, 4)
    assert (np.diff(boxes[:, 0]) > 0).all() and (np.diff(boxes[:, 2]) > 0).all()
    assert (boxes[:, :2] >= 0).all() and (boxes[:, 2] <= ink.shape[1]).all()
    assert (boxes[:, 3] <= ink.shape[0]).all()
    for digit, (left, _, right, _) in zip(reading.digits, number.boxes, strict=True):
        centre = (digit.box[0] + digit.box[2]) / 2
        assert left <= centre <= right  # each digit found where it was written


def test_the_part_of_the_pad_with_ink_reads_as_the_whole_pad(reader, by_writer):
    samples = [by_writer[12][label][2] for label in (4, 7, 1, 9)]
    number = numbers.write_number(samples, np.random.default_rng(8), numbers.PADS["wide"], 12)
    ink = numbers.rasterize_number(number)[..., 3]
    whole = segment.read_number(reader, ink, number.strokes, number.pad.brush_px)
    left, top, right, bottom = preprocess.ink_box(ink)
    for dx, dy in [(3, 5), (left - 7, top - 1), (left, top)]:  # what the page hands over
        part = ink[dy : bottom + 4, dx : right + 2]
        strokes = [stroke - (dx, dy) for stroke in number.strokes]
        reading = segment.read_number(reader, part, strokes, number.pad.brush_px)
        assert reading.text == whole.text == "4719"
        for mine, theirs in zip(reading.digits, whole.digits, strict=True):
            assert np.add(mine.box, (dx, dy, dx, dy)).tolist() == list(theirs.box)
            assert np.array_equal(mine.image, theirs.image)
            assert mine.verdict.confidence == theirs.verdict.confidence


def test_bad_input_is_refused(reader):
    with pytest.raises(ValueError, match="uint8"):
        segment.split_digits(np.zeros((10, 10), np.float32), reader)
    with pytest.raises(ValueError, match="uint8"):
        segment.split_digits(np.zeros((10, 10, 4), np.uint8), reader)
