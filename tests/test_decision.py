"""recognizer.decision and recognizer.reader: calibration and the page's verdicts."""

import numpy as np
import pytest

from recognizer.decision import NOT_A_DIGIT, Calibration, decide


def probs_of(*pairs, classes=11) -> np.ndarray:
    """A (classes,) float32 probability vector from (index, value) pairs, rest spread evenly."""
    row = np.zeros(classes, np.float32)
    for index, value in pairs:
        row[index] = value
    rest = [i for i in range(classes) if i not in dict(pairs)]
    row[rest] = (1.0 - row.sum()) / len(rest)
    return row


def test_temperature_one_leaves_probabilities_unchanged():
    probs = np.random.default_rng(0).dirichlet(np.ones(11), 5).astype(np.float32)  # (5, 11)
    np.testing.assert_allclose(Calibration().apply(probs), probs, atol=1e-6)


def test_temperature_is_softmax_of_scaled_log_probabilities():
    logits = np.random.default_rng(1).normal(0, 3, (4, 10))  # (4, 10)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = np.exp(logits / 2.5) / np.exp(logits / 2.5).sum(axis=1, keepdims=True)
    scaled = Calibration(temperature=2.5).apply(probs.astype(np.float32))
    np.testing.assert_allclose(scaled, expected, atol=1e-6)
    assert scaled.dtype == np.float32
    # A temperature above one lowers the top probability, below one raises it.
    assert (scaled.max(axis=1) < probs.max(axis=1)).all()
    assert (Calibration(temperature=0.5).apply(probs).max(axis=1) > probs.max(axis=1)).all()


def test_from_meta_reads_the_fields_and_defaults():
    assert Calibration.from_meta({}) == Calibration()
    assert Calibration.from_meta({"calibration": None}) == Calibration()
    meta = {"calibration": {"temperature": 1.7, "reject_below": 0.3, "sure_at": 0.8}}
    assert Calibration.from_meta(meta) == Calibration(1.7, 0.3, 0.8)


@pytest.mark.parametrize(
    "fields",
    [{"temperature": 0.0}, {"temperature": -1}, {"reject_below": 1.5}, {"sure_at": -0.1}],
)
def test_from_meta_refuses_values_out_of_range(fields):
    with pytest.raises(ValueError):
        Calibration.from_meta({"calibration": fields})


CALIBRATION = Calibration(temperature=1.0, reject_below=0.3, sure_at=0.8)


def test_a_confident_digit_is_a_digit():
    verdict = decide(probs_of((7, 0.95), (1, 0.02)), CALIBRATION)
    assert (verdict.kind, verdict.digit, verdict.runner_up) == ("digit", 7, 1)
    assert verdict.confidence == pytest.approx(0.95)
    assert verdict.digit_probs.shape == (10,)


def test_a_middling_digit_is_unsure_and_names_the_runner_up():
    verdict = decide(probs_of((3, 0.6), (5, 0.3)), CALIBRATION)
    assert (verdict.kind, verdict.digit, verdict.runner_up) == ("unsure", 3, 5)


def test_the_not_a_digit_class_wins_when_it_is_most_probable():
    verdict = decide(probs_of((NOT_A_DIGIT, 0.5), (4, 0.45)), CALIBRATION)
    assert verdict.kind == "not_digit"


def test_a_weak_best_digit_is_not_a_digit_even_without_the_class():
    ten = probs_of((2, 0.25), (8, 0.2), classes=10)
    assert decide(ten, CALIBRATION).kind == "not_digit"
    assert decide(ten, Calibration()).kind == "unsure"  # no threshold: only unsure
