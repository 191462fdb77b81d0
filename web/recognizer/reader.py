"""The page's whole reading of MNIST-style images: rotated views, calibration, verdict.

The page (``main.py``), the in-process pen evaluator and the benchmark all read digits
through :class:`DigitReader`, so they measure what the page shows.
"""

from dataclasses import replace

import numpy as np

from . import rotations
from .decision import Calibration, Verdict, decide
from .network import Network

__all__ = ["MEMO_IMAGES", "DigitReader"]

MEMO_IMAGES = 1024  # images whose probabilities a reader keeps (about 1 MB)


class DigitReader:
    """A network with the calibration stored in its file.

    The reader keeps the view-averaged probabilities of the last MEMO_IMAGES images it
    read, by their pixels: the page reads the whole pad at every pen-up, and the digits
    drawn before come back as the same 28x28 images (``recognizer.segment``), which are not
    run through the network again. ``network`` is not to be replaced once read from;
    ``calibration`` may be (it is applied after the memo).
    Raises ValueError (from :meth:`Calibration.from_meta`) for a calibration out of range.
    """

    def __init__(self, network: Network):
        self.network = network
        self.calibration = Calibration.from_meta(network.meta)
        self._memo: dict[bytes, np.ndarray] = {}  # pixels -> (C,) float32, oldest first

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """Calibrated, view-averaged probabilities.

        images : (N, 28, 28) uint8 MNIST-style -> (N, C) float32, rows summing to 1
        """
        images = np.asarray(images, np.uint8)
        keys = [image.tobytes() for image in images]
        new = {key: i for i, key in enumerate(keys) if key not in self._memo}  # key -> row
        if new:
            fresh = rotations.mean_probabilities(self.network, images[list(new.values())])
            self._memo.update(zip(new, fresh, strict=True))  # (M, C) rows
        rows = [self._recall(key) for key in keys]
        while len(self._memo) > MEMO_IMAGES:
            del self._memo[next(iter(self._memo))]  # the least recently read
        return self.calibration.apply(np.stack(rows))  # (N, C)

    def forget(self) -> None:
        """Drop the memo: the next reading of any image runs the network (for timing)."""
        self._memo.clear()

    def read(self, images: np.ndarray) -> list[Verdict]:
        """What the page says about each image: (N, 28, 28) uint8 -> N verdicts."""
        return [decide(row, self.calibration) for row in self.probabilities(images)]

    def read_upload(self, digit: np.ndarray, drawn_digit: np.ndarray | None) -> Verdict:
        """What the page says about an uploaded image's digit, (28, 28) uint8, read as it is
        or, for faint ink, two ways (``recognizer.preprocess.ImageReading``): the verdict on
        ``digit``, but not a digit when ``drawn_digit`` is given and reads as none (the
        network learned photos of blank paper through the drawing's softer reduction)."""
        if drawn_digit is None:
            return self.read(digit[None])[0]
        verdict, drawn = self.read(np.stack([digit, drawn_digit]))
        return replace(verdict, kind="not_digit") if drawn.kind == "not_digit" else verdict

    def _recall(self, key: bytes) -> np.ndarray:
        """A remembered row, now the most recently read."""
        row = self._memo.pop(key)
        self._memo[key] = row
        return row
