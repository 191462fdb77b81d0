"""training.pen_data: writer folds never leak a writer; renderings match the page's."""

import numpy as np
import pytest

from tools import unipen
from training import pen_data


def test_writer_folds_are_disjoint_and_cover_every_writer():
    writers = np.repeat(np.arange(1, 31), 5)
    folds = pen_data.writer_folds(writers, 5, seed=0)
    assert [len(f) for f in folds] == [6] * 5
    every = np.concatenate(folds)
    assert sorted(every.tolist()) == list(range(1, 31))  # each writer held out exactly once
    for i, held_out in enumerate(folds):
        training = np.setdiff1d(writers, held_out)
        assert not set(held_out) & set(training)
        assert all(not set(held_out) & set(other) for j, other in enumerate(folds) if j != i)


def test_writer_folds_depend_on_the_seed_only():
    writers = [3, 1, 2, 2, 5, 4, 6, 7]
    assert [f.tolist() for f in pen_data.writer_folds(writers, 3, 1)] == [
        f.tolist() for f in pen_data.writer_folds(writers[::-1], 3, 1)
    ]


@pytest.mark.parametrize("k", [1, 8])
def test_writer_folds_refuse_impossible_counts(k):
    with pytest.raises(ValueError):
        pen_data.writer_folds([1, 2, 3, 4, 5, 6, 7], k)


def square_digit(label: int, writer: int) -> unipen.PenDigit:
    stroke = np.array([[0, 0], [100, 0], [100, 150], [0, 150], [0, 0]], np.float32)
    return unipen.PenDigit(label, (stroke,), writer)


def test_page_images_are_what_the_page_sees():
    digits = [square_digit(0, 1), square_digit(0, 2)]
    images = pen_data.page_images(digits)
    assert images.shape == (2, 28, 28) and images.dtype == np.uint8
    np.testing.assert_array_equal(images[0], unipen.page_image(digits[0].strokes))


def test_training_images_are_variant_major_and_vary():
    digits = [square_digit(0, 1), square_digit(7, 2)]
    images, labels = pen_data.training_images(digits, 3, np.random.default_rng(0))
    assert images.shape == (6, 28, 28) and labels.tolist() == [0, 7] * 3
    assert images.max() == 255
    assert not np.array_equal(images[0], images[2])  # another distortion, another size
