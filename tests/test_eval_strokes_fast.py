"""The in-process pen-stroke evaluator: rasterisation like the page's pad, then the network."""

import numpy as np

from recognizer import preprocess
from tools import unipen
from tools.eval_strokes_fast import evaluate_in_process
from tools.unipen import rasterize


def test_rasterize_draws_round_strokes_in_alpha():
    rgba = rasterize([np.array([[20, 50], [80, 50]], np.float32)], 100, 10)
    alpha = rgba[..., 3]
    assert rgba.shape == (100, 100, 4) and rgba.dtype == np.uint8
    assert alpha[50, 50] == 255 and alpha[50, 16] == 255  # round cap beyond the end point
    assert alpha[30, 50] == 0 and alpha[50, 10] == 0
    ink = preprocess.ink_from_rgba(rgba)
    assert ink.shape == (100, 100)


def test_single_point_stroke_is_a_dot():
    alpha = rasterize([np.array([[50, 50]], np.float32)], 100, 10)[..., 3]
    assert alpha[50, 50] == 255 and alpha.astype(bool).sum() < 120


def test_pen_digits_are_mostly_recognised(pendigits_file, weights_dir):
    digits = unipen.load_pendigits(pendigits_file)
    sample = [digits[i] for i in np.random.default_rng(1).permutation(len(digits))[:200]]
    evaluation = evaluate_in_process(sample, weights_dir / "default.npz", unipen.BRUSH_FRACTION)
    assert evaluation.labels.size == 200
    assert evaluation.accuracy > 0.9
