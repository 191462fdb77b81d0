"""Real pen trajectories replayed through the page give the right digits."""

import numpy as np
import pytest

from tools import unipen
from tools.eval_strokes import draw_with_events, draw_with_mouse, evaluate

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PER_DIGIT = 3  # the first three samples of every digit in the file


@pytest.fixture(scope="module")
def pen_sample(pendigits_file) -> list[unipen.PenDigit]:
    digits = unipen.load_pendigits(pendigits_file)
    return [d for label in range(10) for d in [x for x in digits if x.label == label][:PER_DIGIT]]


def test_pen_digits_replayed_with_pointer_events(app, pen_sample):
    result = evaluate(app, pen_sample, draw=draw_with_events)
    assert result.labels.tolist() == [d.label for d in pen_sample]
    assert result.accuracy >= 0.9, result.predictions.tolist()


def every_other_point(page, strokes) -> dict:
    """draw_with_mouse through every other point of each stroke (and its last): the mouse
    replays point by point, one round trip each."""
    return draw_with_mouse(page, [np.concatenate([s[:-1:2], s[-1:]]) for s in strokes])


def test_pen_digits_drawn_with_the_mouse(app, pen_sample):
    sample = pen_sample[::PER_DIGIT]  # one per digit
    result = evaluate(app, sample, draw=every_other_point)
    assert np.sum(result.labels == result.predictions) >= 9
