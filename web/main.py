"""The page's Python: load the network once, then recognise the pad's pixels and image
files. It runs in the page's Python worker, whose entry point ``worker.py`` hands the
functions of :class:`Worker` to the page; CPython tests call them directly.

* ``load_model(data, sha256)`` -- the model file's bytes (downloaded and counted by the
  page) and the sha256 the site build recorded -> ``{state: "ready"}`` or ``{state:
  "error", message}``;
* ``recognize_number_pixels(rgba, width, height, strokes, brush_px)`` -- the pad's
  ImageData bytes (ink in alpha) and its strokes, read as a number of one or more digits
  (``recognizer.segment``);
* ``recognize_image(data)`` -- an uploaded, dropped or pasted image file's bytes (a digit
  or a number);
* ``look_inside(image)`` -- a result's 28x28 ``image`` bytes -> what the "look inside" panel
  draws (``recognizer.inside.look_inside``), asked for only while the panel is open;
* ``load_seed(data, sha256)`` -- the original network's file, fetched by the page when the
  comparison is first switched on -> like ``load_model``;
* ``recognize_with_seed(image)`` -- a result's ``image`` bytes -> the original network's
  plain reading (``recognizer.inside.plain_reading``).

Results are plain dicts (PyScript hands them to the page as JS objects): ``{state: "result",
verdict, digit, runnerUp, confidence, probs: number[10], image: bytes(784)}`` (see
:meth:`Recognizer.classify`; uploads add ``region``), ``{state: "number", number, verdict,
confidence, digits: [...]}`` for several digits (see :meth:`Recognizer.recognize_number_pixels`),
``{state: "empty"}`` or ``{state: "error", message}``. Python errors never reach the page as
tracebacks.
"""

import numpy as np

from recognizer import inside, preprocess, segment
from recognizer.decision import Verdict
from recognizer.network import Network, load_network
from recognizer.reader import DigitReader

__all__ = ["Recognizer", "Worker"]

VERDICT_ORDER = ("not_digit", "unsure", "digit")  # a number's verdict is its weakest digit's


class Recognizer:
    """Turns pad pixels or image bytes into the page's results (plain dicts)."""

    def __init__(self, network: Network):
        self.reader = DigitReader(network)

    def classify(self, image: np.ndarray, verdict: Verdict | None = None) -> dict:
        """image : (28, 28) uint8 MNIST-style -> result, of ``verdict`` when given (else
        the reader's).

        verdict : "digit", "unsure" or "not_digit" (recognizer.decision); digit, runnerUp :
        the two most probable digits; confidence : calibrated probability of ``digit``;
        probs : the ten digits' calibrated probabilities; image : the 784 network input bytes
        """
        verdict = verdict or self.reader.read(image[None])[0]
        return {
            "state": "result",
            "verdict": verdict.kind,
            "digit": verdict.digit,
            "runnerUp": verdict.runner_up,
            "confidence": verdict.confidence,
            "probs": verdict.digit_probs.tolist(),
            "image": image.tobytes(),
        }

    def recognize_number_pixels(
        self,
        rgba: bytes,
        width: int,
        height: int,
        strokes: list | None = None,
        brush_px: float = 0.0,
    ) -> dict:
        """Read the pad's pixels as a number of one or more digits, split where the ink
        allows (``recognizer.segment.read_number``). ``rgba`` holds height * width * 4 bytes,
        row by row (an ImageData's data: transparent background, ink in alpha);
        ``strokes``: each stroke's [x, y] points, pixels, in the order drawn, if they are
        known, drawn ``brush_px`` wide: digits are then runs of strokes.

        One digit gives the whole drawing read as a single digit (:meth:`classify`), with
        ``number`` and ``digits`` added; several digits give
        ``{state: "number", number, verdict, confidence, digits}``:

        number : the digits left to right as a string, "?" for one read as not a digit
        verdict : the weakest of the digits' verdicts ("not_digit" < "unsure" < "digit")
        confidence : the product of the digits' confidences (all of them right)
        digits : per digit, left to right, ``{digit, runnerUp, confidence, verdict, probs,
            box, image}`` (as a single digit's result); box : [left, top, right, bottom] of
            its ink as fractions of ``width`` and ``height`` (the pixels handed over: the
            page hands over the part of its pad that holds ink)
        A pad without ink gives ``{state: "empty"}``.
        """
        pixels = np.frombuffer(rgba, dtype=np.uint8).reshape(height, width, 4)
        ink = preprocess.ink_from_rgba(pixels)  # (height, width) uint8
        reading = segment.read_number(self.reader, ink, strokes, brush_px)
        if len(reading.digits) <= 1:
            image = _whole_image(reading, ink)
            if image is None:
                return {"state": "empty"}
            single = self.classify(image)
            box = preprocess.ink_box(ink)
            keys = ("digit", "runnerUp", "confidence", "verdict", "probs", "image")
            digit = {key: single[key] for key in keys}
            digit["box"] = _fractions(box, width, height)
            number = "?" if single["verdict"] == "not_digit" else str(single["digit"])
            return {**single, "number": number, "digits": [digit]}
        boxes = [_fractions(found.box, width, height) for found in reading.digits]
        return self._number(reading, boxes)

    @staticmethod
    def _number(reading: segment.NumberReading, boxes: list[list[float]]) -> dict:
        """The result for a reading of several digits, each with its box (fractions)."""
        digits = [
            {
                "digit": found.verdict.digit,
                "runnerUp": found.verdict.runner_up,
                "confidence": found.verdict.confidence,
                "verdict": found.verdict.kind,
                "probs": found.verdict.digit_probs.tolist(),
                "box": box,
                "image": found.image.tobytes(),
            }
            for found, box in zip(reading.digits, boxes, strict=True)
        ]
        return {
            "state": "number",
            "number": reading.text,
            "verdict": min((d["verdict"] for d in digits), key=VERDICT_ORDER.index),
            "confidence": float(np.prod([d["confidence"] for d in digits])),
            "digits": digits,
        }

    def recognize_image(self, data: bytes) -> dict:
        """Read an image file's bytes: one digit, or, when its ink does not look like one
        digit, a number of several (the ink split as a drawing is, ``recognizer.segment``);
        unreadable input gives an error result. The result also has ``region``: [left, top,
        right, bottom] of the ink read, fractions of the image; a number's digits have their
        ``box`` as fractions of the image too."""
        try:
            reading = preprocess.read_image_bytes(data)
        except preprocess.ImageInputError as error:
            return {"state": "error", "message": str(error)}
        region = list(reading.region)
        verdict = self.reader.read_upload(reading.digit, reading.drawn_check)
        single = {**self.classify(reading.digit, verdict), "region": region}
        found = segment.split_picture(self.reader, reading.ink, single["verdict"])
        if found is None:
            return single
        left, top, right, bottom = region
        height, width = reading.ink.shape
        scale = np.array([right - left, bottom - top] * 2) / np.array([width, height] * 2)
        offset = np.array([left, top] * 2)
        boxes = [(np.array(d.box) * scale + offset).tolist() for d in found.digits]  # fractions
        return {**self._number(found, boxes), "region": region}


def _fractions(box: tuple[int, int, int, int], width: int, height: int) -> list[float]:
    """(left, top, right, bottom) pixels -> [left, top, right, bottom] fractions of the
    ``width`` x ``height`` pixels read."""
    left, top, right, bottom = box
    return [left / width, top / height, right / width, bottom / height]


def _whole_image(reading: segment.NumberReading, ink: np.ndarray) -> np.ndarray | None:
    """The whole drawing's (28, 28) uint8 image, None without ink: the one the reading
    already made when its one digit is all of the ink (ink : (H, W) uint8)."""
    if len(reading.digits) == 1:
        found = reading.digits[0]
        left, top, right, bottom = found.box
        if found.box == preprocess.ink_box(ink) and np.array_equal(
            found.ink, ink[top:bottom, left:right]
        ):
            return found.image
    return preprocess.mnist_from_ink(ink)


class Worker:
    """What the worker exports: the functions the page calls, taking and giving plain values
    (bytes, numbers, dicts). No recognition before :meth:`load_model` has succeeded, and no
    reading by the original network before :meth:`load_seed` has."""

    def __init__(self):
        self.recognizer: Recognizer | None = None
        self.seed: Network | None = None

    def load_model(self, data: bytes, sha256: str) -> dict:
        """Check and load the network; the answer says whether the page can start."""
        try:
            self.recognizer = Recognizer(load_network(data, sha256))
        except Exception as error:  # never leave the page waiting on a spinner
            return _load_failure(error)
        return {"state": "ready"}

    def recognize_number_pixels(
        self,
        rgba: bytes,
        width: int,
        height: int,
        strokes: list | None = None,
        brush_px: float = 0.0,
    ) -> dict:
        """See :meth:`Recognizer.recognize_number_pixels`."""
        return self.recognizer.recognize_number_pixels(rgba, width, height, strokes, brush_px)

    def recognize_image(self, data: bytes) -> dict:
        """See :meth:`Recognizer.recognize_image`."""
        return self.recognizer.recognize_image(data)

    def look_inside(self, image: bytes) -> dict:
        """Every layer of the page's network for a result's 28x28 ``image`` (784 bytes):
        ``{state: "result", **recognizer.inside.look_inside(...)}``."""
        network = self.recognizer.reader.network
        return {"state": "result", **inside.look_inside(network, inside.image_from_bytes(image))}

    def load_seed(self, data: bytes, sha256: str) -> dict:
        """Check and load the original network, beside the page's own."""
        try:
            self.seed = load_network(data, sha256)
        except Exception as error:
            return _load_failure(error)
        return {"state": "ready"}

    def recognize_with_seed(self, image: bytes) -> dict:
        """The original network's plain reading of a result's ``image`` (784 bytes); an
        error result before :meth:`load_seed` has succeeded."""
        if self.seed is None:
            return {"state": "error", "message": "The original network is not loaded."}
        return inside.plain_reading(self.seed, inside.image_from_bytes(image))


def _load_failure(error: Exception) -> dict:
    """Why a model file could not be loaded, worded for the page."""
    if isinstance(error, ValueError):  # a ModelFileError, or a calibration out of range
        return {"state": "error", "message": f"The network weights file is damaged: {error}"}
    message = f"The recognizer failed to start ({type(error).__name__}: {error})."
    return {"state": "error", "message": message}
