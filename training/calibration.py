"""Fit the page's calibration on held-out writers, and measure it.

* :func:`fit_temperature` -- the temperature that minimises the negative log-likelihood of
  the true classes (one parameter, Guo et al. 2017);
* :func:`choose_thresholds` -- ``reject_below`` and ``sure_at`` of
  ``recognizer.decision.Calibration`` from the held-out predictions: refuse as few real
  digits as reach the negatives target;
* :func:`reliability` and :func:`expected_calibration_error` -- how far confidence is
  from accuracy, bin by bin; :func:`plot_reliability` draws the diagram.
"""

from pathlib import Path

import numpy as np
from scipy.optimize import minimize_scalar

from recognizer.decision import N_DIGITS, Calibration

__all__ = [
    "MAX_DIGIT_REJECT",
    "SURE_ACCURACY",
    "choose_thresholds",
    "expected_calibration_error",
    "fit_temperature",
    "plot_reliability",
    "refused",
    "reliability",
]

MAX_DIGIT_REJECT = 0.004  # share of real digits the reject threshold may refuse (target 0.5 %)
NEGATIVES_REFUSED = 0.95  # share of negatives the reject threshold aims to refuse
SURE_ACCURACY = 0.995  # answers called sure must be right this often on held-out writers
BINS = 10  # equal-width confidence bins of the reliability diagram and ECE
THRESHOLD_GRID = np.round(np.arange(0.0, 1.0, 0.01), 2)  # candidate thresholds


def fit_temperature(probs: np.ndarray, labels: np.ndarray) -> float:
    """Temperature minimising the mean negative log-likelihood of ``labels``.

    probs : (N, C) float32 probabilities; labels : (N,) class indices -> T in [0.05, 20]
    """
    rows = np.arange(len(labels))

    def nll(log_t: float) -> float:
        scaled = Calibration(temperature=float(np.exp(log_t))).apply(probs)  # (N, C)
        return -float(np.mean(np.log(np.maximum(scaled[rows, labels], 1e-12))))

    result = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(result.x))


def reliability(confidence: np.ndarray, correct: np.ndarray, bins: int = BINS) -> dict:
    """Per-bin count, mean confidence and accuracy over equal-width bins of [0, 1].

    confidence : (N,) in [0, 1]; correct : (N,) bool -> lists of ``bins`` values each
    (mean confidence and accuracy are None for an empty bin)
    """
    index = np.minimum((np.asarray(confidence) * bins).astype(int), bins - 1)  # (N,)
    counts = np.bincount(index, minlength=bins)
    conf_sum = np.bincount(index, weights=confidence, minlength=bins)
    right = np.bincount(index, weights=np.asarray(correct, float), minlength=bins)
    return {
        "count": counts.tolist(),
        "confidence": [s / n if n else None for s, n in zip(conf_sum, counts, strict=True)],
        "accuracy": [r / n if n else None for r, n in zip(right, counts, strict=True)],
    }


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = BINS):
    """Sum over bins of (bin share) x |accuracy - mean confidence|; a fraction in [0, 1]."""
    table = reliability(confidence, correct, bins)
    total = max(sum(table["count"]), 1)
    return float(
        sum(
            n / total * abs(a - c)
            for n, a, c in zip(table["count"], table["accuracy"], table["confidence"], strict=True)
            if n
        )
    )


def refused(calibrated: np.ndarray, reject_below: float) -> np.ndarray:
    """Which rows the page refuses as "not a digit": the eleventh class wins, or the best
    digit is under ``reject_below``. calibrated : (N, C) -> (N,) bool"""
    best = calibrated[:, :N_DIGITS].max(axis=1)  # (N,)
    by_class = np.zeros(len(best), bool)  # (N,)
    if calibrated.shape[1] > N_DIGITS:
        by_class = calibrated[:, N_DIGITS] > best
    return by_class | (best < reject_below)


def choose_thresholds(
    digit_probs: np.ndarray,
    labels: np.ndarray,
    negative_probs: np.ndarray,
    temperature: float,
) -> Calibration:
    """The page's thresholds from held-out writers' view-averaged probabilities.

    ``reject_below`` is the smallest grid value at which NEGATIVES_REFUSED of the negatives
    are refused (0 when the "not a digit" class refuses that many alone), but never one that
    refuses more than MAX_DIGIT_REJECT of the real digits. ``sure_at`` is the smallest grid
    value at which the accepted answers at least that confident are right SURE_ACCURACY of
    the time.
    digit_probs : (N, C) raw probabilities of real digits; labels : (N,) 0..9
    negative_probs : (M, C) raw probabilities of drawings that are not one digit
    """
    scaling = Calibration(temperature=temperature)
    calibrated = scaling.apply(digit_probs)  # (N, C)
    negatives = scaling.apply(negative_probs)  # (M, C)
    reject_below = 0.0
    for threshold in THRESHOLD_GRID:
        if refused(calibrated, threshold).mean() > MAX_DIGIT_REJECT:
            break
        reject_below = float(threshold)
        if refused(negatives, threshold).mean() >= NEGATIVES_REFUSED:
            break
    best = calibrated[:, :N_DIGITS].max(axis=1)  # (N,)
    correct = calibrated[:, :N_DIGITS].argmax(axis=1) == labels
    accepted = ~refused(calibrated, reject_below)
    sure_at = 1.0
    for threshold in THRESHOLD_GRID[::-1]:
        chosen = accepted & (best >= threshold)
        if chosen.any() and correct[chosen].mean() >= SURE_ACCURACY:
            sure_at = float(threshold)
    return Calibration(temperature, reject_below, max(sure_at, reject_below))


def plot_reliability(path: Path, curves: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    """Write a reliability diagram PNG: accuracy against confidence for each named set.

    curves : name -> (confidence (N,), correct (N,) bool)
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(5, 5), dpi=120)
    axes.plot([0, 1], [0, 1], color="0.6", linestyle="--", label="perfect calibration")
    for name, (confidence, correct) in curves.items():
        table = reliability(confidence, correct)
        points = [
            (c, a)
            for c, a, n in zip(table["confidence"], table["accuracy"], table["count"], strict=True)
            if n
        ]
        ece = expected_calibration_error(confidence, correct)
        axes.plot(*zip(*points, strict=True), marker="o", label=f"{name} (ECE {ece:.1%})")
    axes.set(xlabel="confidence shown", ylabel="share right", xlim=(0, 1), ylim=(0, 1))
    axes.set_title("Reliability of the calibrated confidence")
    axes.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    pyplot.close(figure)
