"""UNIPEN parsing and the canvas fit shared by the evaluators."""

import numpy as np
import pytest

from tools.unipen import UnipenError, fit_to_canvas, load_pendigits, parse_unipen

SAMPLE = """.COMMENT header
.SEGMENT DIGIT    0 ? "8"
.COMMENT 8 12  224
.PEN_DOWN
 100  400
 200  300
.PEN_UP
.DT 100
.PEN_DOWN
 150  350
.PEN_UP
.SEGMENT DIGIT    1 ? "1"
.PEN_DOWN
 10  0
 10  90
.PEN_UP
"""


def test_parses_labels_strokes_and_writers():
    eight, one = parse_unipen(SAMPLE)
    assert (eight.label, eight.writer, len(eight.strokes)) == (8, 12, 2)
    np.testing.assert_array_equal(eight.strokes[0], [[100, 400], [200, 300]])
    assert eight.strokes[0].dtype == np.float32
    assert (one.label, one.writer) == (1, None)


@pytest.mark.parametrize(
    "text, message",
    [
        (" 1 2\n", "unexpected data"),
        ('.SEGMENT DIGIT 0 ? "3"\n.PEN_DOWN\n 1 2\n', "not closed"),
        ('.SEGMENT DIGIT 0 ? "3"\n.PEN_UP\n', ".PEN_UP without a stroke"),
        ('.SEGMENT DIGIT 0 ? "3"\n.PEN_DOWN\n 1 x\n.PEN_UP\n', "bad point"),
        ('.SEGMENT DIGIT 0 ? "3"\n.SEGMENT DIGIT 1 ? "4"\n', "has no strokes"),
        ('.SEGMENT WORD 0 ? "hello"\n', "not a digit segment"),
    ],
)
def test_malformed_text_names_the_line(text, message):
    with pytest.raises(UnipenError, match=message):
        parse_unipen(text)


def test_fit_flips_y_centres_and_keeps_the_margin():
    (stroke,) = fit_to_canvas([np.array([[10, 0], [10, 90]], np.float32)], 100, 0.1)
    # y up on the tablet -> y down on the canvas: the first point (y=0) is the lowest.
    np.testing.assert_allclose(stroke, [[50, 90], [50, 10]], atol=1e-4)


def test_fit_keeps_aspect_and_handles_a_single_point():
    wide = fit_to_canvas([np.array([[0, 0], [200, 50]], np.float32)], 560, 0.15)[0]
    extent = wide.max(axis=0) - wide.min(axis=0)
    np.testing.assert_allclose(extent, [560 * 0.7, 560 * 0.7 / 4], rtol=1e-5)
    (dot,) = fit_to_canvas([np.array([[3, 4]], np.float32)], 560)
    np.testing.assert_allclose(dot, [[280, 280]])
    with pytest.raises(ValueError):
        fit_to_canvas([], 560)


def test_real_pen_file(pendigits_file):
    digits = load_pendigits(pendigits_file)
    assert len(digits) == 7494
    assert {d.label for d in digits} == set(range(10))
    assert len({d.writer for d in digits}) == 30
