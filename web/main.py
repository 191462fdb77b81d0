"""PyScript entry point: load the network once, then recognise the canvas and uploads.

The only module that touches the browser (``js``, ``pyodide.ffi``, ``pyscript``); it imports
them only there, so CPython tests drive :class:`Recognizer` with a fake canvas. The page
controller ``app.js`` (imported through pyscript.toml ``[js_modules.main]``) owns the UI;
this module hands it two functions via ``app.connect``:

* ``recognize_canvas(canvas)`` -- reads the drawing with ``ctx.getImageData``;
* ``recognize_image(bytes)`` -- an uploaded, dropped or pasted image file.

Both return a plain JS object made from the result dict: ``{state: "result", verdict, digit,
runnerUp, confidence, probs: number[10], image: Uint8Array(784)}`` (see
:meth:`Recognizer.classify`; uploads add ``region``), ``{state: "empty"}`` or
``{state: "error", message}``. Python errors never reach the page
as tracebacks: start-up failures go to ``app.fail`` with a short message.
"""

import asyncio
import sys

import numpy as np

from recognizer import preprocess
from recognizer.network import Network, load_network
from recognizer.reader import DigitReader

IN_BROWSER = sys.platform == "emscripten"
if IN_BROWSER:  # the browser's modules exist only in the page; CPython tests import the rest
    import js
    from pyodide.ffi import JsException, create_proxy, to_js
    from pyscript.js_modules import app

__all__ = ["Recognizer", "start"]


class Recognizer:
    """Turns canvas pixels or image bytes into the page's results (plain dicts)."""

    def __init__(self, network: Network):
        self.reader = DigitReader(network)

    def classify(self, image: np.ndarray) -> dict:
        """image : (28, 28) uint8 MNIST-style -> result.

        verdict : "digit", "unsure" or "not_digit" (recognizer.decision); digit, runnerUp :
        the two most probable digits; confidence : calibrated probability of ``digit``;
        probs : the ten digits' calibrated probabilities; image : the 784 network input bytes
        """
        verdict = self.reader.read(image[None])[0]
        return {
            "state": "result",
            "verdict": verdict.kind,
            "digit": verdict.digit,
            "runnerUp": verdict.runner_up,
            "confidence": verdict.confidence,
            "probs": verdict.digit_probs.tolist(),
            "image": image.tobytes(),
        }

    def recognize_canvas(self, canvas) -> dict:
        """Read a canvas (transparent background, ink in alpha) and classify it.

        canvas : an HTMLCanvasElement, or anything with its width, height and
            getContext("2d").getImageData(x, y, w, h).data.to_bytes()
        """
        width, height = canvas.width, canvas.height
        pixels = canvas.getContext("2d").getImageData(0, 0, width, height).data
        rgba = np.frombuffer(pixels.to_bytes(), dtype=np.uint8).reshape(height, width, 4)
        image = preprocess.mnist_from_ink(preprocess.ink_from_rgba(rgba))  # (28, 28) uint8
        if image is None:
            return {"state": "empty"}
        return self.classify(image)

    def recognize_image(self, data: bytes) -> dict:
        """Classify an image file's bytes; unreadable input gives an error result. The result
        also has ``region``: [left, top, right, bottom] of the digit, fractions of the image."""
        try:
            reading = preprocess.read_image_bytes(data)
        except preprocess.ImageInputError as error:
            return {"state": "error", "message": str(error)}
        return {**self.classify(reading.digit), "region": list(reading.region)}


def _js(value: dict):
    """A result dict as a plain JS object."""
    return to_js(value, dict_converter=js.Object.fromEntries)


async def start() -> None:
    """Load the model, then hand the recognition functions to the page."""
    app.setStep("model")
    try:
        data = await app.modelBytes()
        expected_sha256 = (await app.siteInfo()).model.sha256  # recorded by the site build
    except JsException as error:  # the fetch started by app.js failed
        app.fail(f"Could not download the network weights ({error}). Check the connection.")
        return
    try:
        recognizer = Recognizer(load_network(data.to_bytes(), expected_sha256))
    except ValueError as error:  # a ModelFileError, or a calibration out of range
        app.fail(f"The network weights file is damaged: {error}")
        return
    except Exception as error:  # never leave the page waiting on a spinner
        app.fail(f"The recognizer failed to start ({type(error).__name__}: {error}).")
        return
    app.connect(
        create_proxy(lambda canvas: _js(recognizer.recognize_canvas(canvas))),
        create_proxy(lambda data: _js(recognizer.recognize_image(data.to_bytes()))),
    )


STARTUP = asyncio.ensure_future(start()) if IN_BROWSER else None  # held: not collected
