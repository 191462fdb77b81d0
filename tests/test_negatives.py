"""training.negatives: seeded, every family draws something, held-out families stay out."""

import numpy as np
import pytest

from tools import unipen
from training import negatives

FAMILIES = negatives.TRAIN_FAMILIES + negatives.HELD_OUT_FAMILIES


def pool() -> list[unipen.PenDigit]:
    """Pen-like digits of two writers: a vertical bar (writer 1) and a box (writer 2)."""
    bar = np.array([[50, 0], [55, 150]], np.float32)
    box = np.array([[0, 0], [90, 0], [90, 140], [0, 140], [0, 0]], np.float32)
    return [unipen.PenDigit(1, (bar,), 1), unipen.PenDigit(0, (box,), 2)] * 3


def test_the_same_seed_gives_the_same_negatives():
    first = negatives.negative_images(30, np.random.default_rng(5), FAMILIES, pool())
    again = negatives.negative_images(30, np.random.default_rng(5), FAMILIES, pool())
    other = negatives.negative_images(30, np.random.default_rng(6), FAMILIES, pool())
    np.testing.assert_array_equal(first[0], again[0])
    assert not np.array_equal(first[0][:5], other[0][:5])


@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_draws_ink_through_the_page_pipeline(family):
    images, family_of, refused = negatives.negative_images(
        6, np.random.default_rng(0), (family,), pool()
    )
    assert refused.shape == (1,) and len(images) + refused.sum() == 6
    assert images.dtype == np.uint8 and images.shape[1:] == (28, 28)
    assert (family_of == 0).all()
    if family != "blank_photo":  # a blank photo may be refused outright: that is a pass
        assert refused.sum() == 0 and (images.reshape(6, -1).max(axis=1) == 255).all()


def test_held_out_families_are_never_trained_on():
    assert not set(negatives.HELD_OUT_FAMILIES) & set(negatives.TRAIN_FAMILIES)


def test_several_digits_come_from_one_writer_of_the_pool():
    rng = np.random.default_rng(1)
    for _ in range(10):
        strokes = negatives.several_digits(rng, pool())
        assert 2 <= len(strokes) <= 3  # each pool digit has one stroke
        shapes = {len(s) for s in strokes}
        assert len(shapes) == 1  # bars only, or boxes only: one writer
