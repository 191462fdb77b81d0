"""The page's whole reading of MNIST-style images: rotated views, calibration, verdict.

The page (``main.py``), the in-process pen evaluator and the benchmark all read digits
through :class:`DigitReader`, so they measure what the page shows.
"""

import numpy as np

from . import rotations
from .decision import Calibration, Verdict, decide
from .network import Network

__all__ = ["DigitReader"]


class DigitReader:
    """A network with the calibration stored in its file.

    Raises ValueError (from :meth:`Calibration.from_meta`) for a calibration out of range.
    """

    def __init__(self, network: Network):
        self.network = network
        self.calibration = Calibration.from_meta(network.meta)

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """Calibrated, view-averaged probabilities.

        images : (N, 28, 28) uint8 MNIST-style -> (N, C) float32, rows summing to 1
        """
        return self.calibration.apply(rotations.mean_probabilities(self.network, images))

    def read(self, images: np.ndarray) -> list[Verdict]:
        """What the page says about each image: (N, 28, 28) uint8 -> N verdicts."""
        return [decide(row, self.calibration) for row in self.probabilities(images)]
