"""training.calibration: temperature fit, calibration error and the page's thresholds."""

import numpy as np
import pytest

from recognizer.decision import Calibration
from training import calibration


def sampled(temperature: float, n: int = 20000, classes: int = 11, seed: int = 0):
    """Softmax outputs of random logits, with labels drawn from softmax(logits / T):
    a network exactly ``temperature`` too sharp. Returns probs (n, C) and labels (n,)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 4, (n, classes))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    true = np.exp(logits / temperature)
    true /= true.sum(axis=1, keepdims=True)
    labels = (true.cumsum(axis=1) < rng.random((n, 1))).sum(axis=1)
    return probs.astype(np.float32), np.minimum(labels, classes - 1)


@pytest.mark.parametrize("temperature", [0.7, 1.0, 2.0])
def test_fit_temperature_recovers_the_true_temperature(temperature):
    probs, labels = sampled(temperature)
    assert calibration.fit_temperature(probs, labels) == pytest.approx(temperature, rel=0.08)


def test_expected_calibration_error_is_small_when_calibrated_and_large_when_not():
    probs, labels = sampled(2.0)
    raw = probs.max(axis=1), probs.argmax(axis=1) == labels
    fixed = Calibration(temperature=2.0).apply(probs)
    calibrated = fixed.max(axis=1), fixed.argmax(axis=1) == labels
    assert calibration.expected_calibration_error(*calibrated) < 0.02
    assert calibration.expected_calibration_error(*raw) > 0.1


def test_reliability_bins_count_every_sample():
    confidence = np.array([0.05, 0.15, 0.95, 1.0])
    table = calibration.reliability(confidence, np.array([True, False, True, True]))
    assert sum(table["count"]) == 4 and table["count"][-1] == 2
    assert table["accuracy"][1] == 0.0 and table["confidence"][2] is None


def test_thresholds_keep_the_digit_refusals_under_the_bound():
    probs, labels = sampled(1.0, classes=10)
    fitted = calibration.choose_thresholds(probs, labels, temperature=1.0)
    best = probs.max(axis=1)
    refused = best < fitted.reject_below
    assert refused.mean() <= calibration.MAX_DIGIT_REJECT
    assert (best < fitted.reject_below + 0.01).mean() > calibration.MAX_DIGIT_REJECT  # largest
    assert 0.0 < fitted.reject_below <= fitted.sure_at <= 1.0
    sure = ~refused & (best >= fitted.sure_at)
    right = probs.argmax(axis=1) == labels
    assert right[sure].mean() >= calibration.SURE_ACCURACY


def test_the_not_a_digit_class_alone_may_leave_no_room_for_a_threshold():
    probs, labels = sampled(1.0, classes=11)
    fitted = calibration.choose_thresholds(probs, np.minimum(labels, 9), temperature=1.0)
    assert fitted.reject_below == 0.0


def test_reliability_diagram_is_a_png(tmp_path):
    probs, labels = sampled(1.0, n=500)
    path = tmp_path / "diagram.png"
    calibration.plot_reliability(path, {"set": (probs.max(axis=1), probs.argmax(1) == labels)})
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
