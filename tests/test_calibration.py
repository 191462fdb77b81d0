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


def flat(n: int, classes: int, seed: int = 1) -> np.ndarray:
    """Probabilities with no clear winner: (n, classes) float32."""
    return np.random.default_rng(seed).dirichlet(np.full(classes, 20.0), n).astype(np.float32)


def test_the_threshold_rises_only_as_far_as_the_negatives_need():
    probs, labels = sampled(1.0, classes=10)
    negatives = flat(500, 10)  # best digit about 0.1 to 0.2
    fitted = calibration.choose_thresholds(probs, labels, negatives, temperature=1.0)
    assert calibration.refused(negatives, fitted.reject_below).mean() >= 0.95
    assert calibration.refused(negatives, fitted.reject_below - 0.01).mean() < 0.95  # smallest
    assert calibration.refused(probs, fitted.reject_below).mean() <= calibration.MAX_DIGIT_REJECT
    assert 0.0 < fitted.reject_below <= fitted.sure_at <= 1.0
    best = probs.max(axis=1)
    sure = ~calibration.refused(probs, fitted.reject_below) & (best >= fitted.sure_at)
    right = probs.argmax(axis=1) == labels
    assert right[sure].mean() >= calibration.SURE_ACCURACY


def test_the_not_a_digit_class_alone_can_be_enough():
    probs, labels = sampled(1.0, classes=11)
    negatives = np.zeros((100, 11), np.float32)
    negatives[:, 10] = 0.9
    negatives[:, :10] = 0.01
    fitted = calibration.choose_thresholds(probs, np.minimum(labels, 9), negatives, 1.0)
    assert fitted.reject_below == 0.0


def test_the_threshold_never_refuses_more_real_digits_than_the_budget():
    probs, labels = sampled(1.0, classes=10)
    confident = np.full((100, 10), 0.01, np.float32)
    confident[:, 3] = 0.91  # negatives the network takes for a 3: no threshold helps
    fitted = calibration.choose_thresholds(probs, labels, confident, temperature=1.0)
    assert calibration.refused(probs, fitted.reject_below).mean() <= calibration.MAX_DIGIT_REJECT
    above = fitted.reject_below + 0.01
    assert calibration.refused(probs, above).mean() > calibration.MAX_DIGIT_REJECT


def test_reliability_diagram_is_a_png(tmp_path):
    probs, labels = sampled(1.0, n=500)
    path = tmp_path / "diagram.png"
    calibration.plot_reliability(path, {"set": (probs.max(axis=1), probs.argmax(1) == labels)})
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
