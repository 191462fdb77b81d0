"""tools.numbers: seeded handwritten numbers made of one writer's pen digits."""

import numpy as np
import pytest

from tools import numbers, unipen


@pytest.fixture(scope="module")
def digits(pendigits_file):
    return unipen.load_pendigits(pendigits_file)


def test_the_same_seed_gives_the_same_numbers(digits):
    first = numbers.generate_numbers(digits, 12, seed=5)
    again = numbers.generate_numbers(digits, 12, seed=5)
    other = numbers.generate_numbers(digits, 12, seed=6)
    assert [n.text for n in first] == [n.text for n in again]
    for a, b in zip(first, again, strict=True):
        assert a.writer == b.writer and a.strokes_per_digit == b.strokes_per_digit
        for stroke_a, stroke_b in zip(a.strokes, b.strokes, strict=True):
            np.testing.assert_array_equal(stroke_a, stroke_b)
    assert [n.text for n in first] != [n.text for n in other]


def test_numbers_are_one_writers_digits_left_to_right_on_the_pad(digits):
    writers = [2, 17]
    table = numbers.digits_by_writer(digits)
    for number in numbers.generate_numbers(digits, 40, seed=1, writers=writers):
        pad = number.pad
        assert number.writer in writers
        assert 2 <= len(number.text) <= 8 and number.text.isdigit()
        assert len(number.strokes_per_digit) == len(number.text) == len(number.boxes)
        assert sum(number.strokes_per_digit) == len(number.strokes)
        every = np.concatenate(number.strokes)  # (n, 2) x, y pad pixels
        assert (every >= 0).all() and (every[:, 0] <= pad.width).all()
        assert (every[:, 1] <= pad.height).all()
        assert (np.diff(number.boxes[:, 0]) > 0).all()  # left to right
        # each digit's strokes are one of the writer's samples of that label, placed
        start = 0
        for label, count in zip(number.text, number.strokes_per_digit, strict=True):
            placed = [len(stroke) for stroke in number.strokes[start : start + count]]
            samples = table[number.writer][int(label)]
            assert placed in [[len(stroke) for stroke in d.strokes] for d in samples]
            start += count


def test_some_neighbours_touch_and_sizes_vary(digits):
    overlaps, heights = [], []
    for number in numbers.generate_numbers(digits, 60, seed=2):
        boxes = number.boxes  # (D, 4)
        overlaps += (boxes[1:, 0] - boxes[:-1, 2]).tolist()  # ink gap to the previous digit
        heights.append(boxes[:, 3] - boxes[:, 1])
    overlaps = np.array(overlaps)
    assert 0.1 < np.mean(overlaps <= 0) < 0.5  # some touch or overlap, most do not
    spread = [np.ptp(h) / np.median(h) for h in heights if len(h) > 2]
    assert np.median(spread) > 0.05


def test_gaps_can_be_given(digits):
    table = numbers.digits_by_writer(digits)
    samples = [table[4][3][0], table[4][8][0]]
    rng = np.random.default_rng(0)
    number = numbers.write_number(samples, rng, numbers.PADS["square"], 4, gaps=[-0.05])
    left, right = number.boxes
    height = np.median(number.boxes[:, 3] - number.boxes[:, 1])
    assert right[0] - left[2] == pytest.approx(-0.05 * height, rel=0.2)


def test_a_number_is_drawn_with_the_pages_pen(digits):
    number = numbers.generate_numbers(digits, 1, seed=3, pad=numbers.PADS["square"])[0]
    rgba = numbers.rasterize_number(number)
    assert rgba.shape == (560, 560, 4) and rgba.dtype == np.uint8
    ink = rgba[..., 3] > 0
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    left, top = number.boxes[:, :2].min(axis=0)
    right, bottom = number.boxes[:, 2:].max(axis=0)
    assert abs(cols[0] - left) <= 2 and abs(cols[-1] + 1 - right) <= 2
    assert abs(rows[0] - top) <= 2 and abs(rows[-1] + 1 - bottom) <= 2
    wide = numbers.rasterize_number(numbers.generate_numbers(digits, 1, seed=3)[0])
    assert wide.shape == (560, 1680, 4)


def test_too_many_digits_for_the_pad_are_refused(digits):
    table = numbers.digits_by_writer(digits)
    samples = [table[1][8][0]] * 40
    with pytest.raises(ValueError, match="do not fit"):
        numbers.write_number(samples, np.random.default_rng(0), numbers.Pad(200, 200), 1)
