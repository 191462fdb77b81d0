"""From the network's probabilities to what the page says: calibrated confidence, and
"a digit", "not sure" or "not one digit".

A network's softmax is over-confident on writers it has never seen. :class:`Calibration`
holds what was fitted on held-out writers (``training.calibration``) and stored in the
model file's ``meta["calibration"]``:

* ``temperature`` -- probabilities become ``p ** (1 / T)``, renormalised: temperature
  scaling (Guo et al. 2017) applied to the log of the view-averaged probabilities;
* ``reject_below`` -- a drawing whose best digit has less calibrated probability than this
  is not taken for a digit;
* ``sure_at`` -- the least calibrated probability the page calls sure; below it the page
  says "not sure" and names the runner-up.

Networks with an eleventh class (index :data:`NOT_A_DIGIT`) were also trained on
scribbles, letters and other non-digits; a drawing whose most probable class is that one
is not a digit either.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["NOT_A_DIGIT", "N_DIGITS", "Calibration", "Verdict", "decide"]

N_DIGITS = 10
NOT_A_DIGIT = 10  # index of the "not a digit" class, where the network has one


@dataclass(frozen=True)
class Calibration:
    """Fitted on held-out writers; the defaults leave probabilities unchanged.

    temperature : > 0; reject_below, sure_at : probabilities in [0, 1]
    """

    temperature: float = 1.0
    reject_below: float = 0.0
    sure_at: float = 0.6

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> "Calibration":
        """The model file's ``meta["calibration"]``, or the defaults when it has none.

        Raises ValueError for a non-positive temperature or a threshold outside [0, 1].
        """
        fields = meta.get("calibration") or {}
        calibration = cls(
            **{
                k: float(fields[k])
                for k in ("temperature", "reject_below", "sure_at")
                if k in fields
            }
        )
        if not calibration.temperature > 0:
            raise ValueError(f"temperature must be > 0, got {calibration.temperature}")
        if not (0 <= calibration.reject_below <= 1 and 0 <= calibration.sure_at <= 1):
            raise ValueError("calibration thresholds must lie in [0, 1]")
        return calibration

    def apply(self, probs: np.ndarray) -> np.ndarray:
        """Temperature-scaled probabilities.

        probs : (N, C) float32, rows summing to 1 -> (N, C) float32, rows summing to 1
        """
        logs = np.log(np.maximum(probs, np.float32(1e-12))) / np.float32(self.temperature)
        logs -= logs.max(axis=1, keepdims=True)  # (N, C), for a stable exp
        scaled = np.exp(logs)
        return (scaled / scaled.sum(axis=1, keepdims=True)).astype(np.float32)


@dataclass(frozen=True)
class Verdict:
    """What the page says about one drawing.

    kind : "digit" (sure), "unsure" (best guess and runner-up) or "not_digit"
    digit, runner_up : the two most probable digits, 0..9
    confidence : calibrated probability of ``digit``
    digit_probs : (10,) float32 calibrated probability of each digit (with a "not a digit"
        class they sum to less than 1)
    """

    kind: str
    digit: int
    runner_up: int
    confidence: float
    digit_probs: np.ndarray


def decide(calibrated: np.ndarray, calibration: Calibration) -> Verdict:
    """Decide on one drawing from its calibrated probabilities.

    calibrated : (10,) or (11,) float32, the output of :meth:`Calibration.apply` for one row
    """
    digit_probs = np.asarray(calibrated[:N_DIGITS], dtype=np.float32)  # (10,)
    runner_up, digit = (int(i) for i in np.argsort(digit_probs)[-2:])
    confidence = float(digit_probs[digit])
    rejected = len(calibrated) > N_DIGITS and calibrated[NOT_A_DIGIT] > confidence
    if rejected or confidence < calibration.reject_below:
        kind = "not_digit"
    elif confidence < calibration.sure_at:
        kind = "unsure"
    else:
        kind = "digit"
    return Verdict(kind, digit, runner_up, confidence, digit_probs)
