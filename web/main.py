"""PyScript entry point: load the network once, then recognise the canvas and uploads.

The only module that touches the browser (``js``, ``pyodide.ffi``, ``pyscript``). The page
controller ``app.js`` (imported through pyscript.toml ``[js_modules.main]``) owns the UI;
this module hands it two functions via ``app.connect``:

* ``recognize_canvas(canvas)`` -- reads the drawing with ``ctx.getImageData``;
* ``recognize_image(bytes)`` -- an uploaded, dropped or pasted image file.

Both return a plain JS object: ``{state: "result", verdict, digit, runnerUp, confidence,
probs: number[10], image: Uint8Array(784)}`` (see :meth:`Recognizer.classify`),
``{state: "empty"}`` or ``{state: "error", message}``. Python errors never reach the page
as tracebacks: start-up failures go to ``app.fail`` with a short message.
"""

import asyncio

import js
import numpy as np
from pyodide.ffi import JsException, create_proxy, to_js
from pyscript.js_modules import app

from recognizer import preprocess
from recognizer.network import Network, load_network
from recognizer.reader import DigitReader

__all__ = ["Recognizer", "start", "startup"]


def _js(value: dict):
    """A Python dict as a plain JS object."""
    return to_js(value, dict_converter=js.Object.fromEntries)


class Recognizer:
    """Turns canvas pixels or image bytes into the page's result objects."""

    def __init__(self, network: Network):
        self.reader = DigitReader(network)

    def classify(self, image: np.ndarray):
        """image : (28, 28) uint8 MNIST-style -> result object.

        verdict : "digit", "unsure" or "not_digit" (recognizer.decision); digit, runnerUp :
        the two most probable digits; confidence : calibrated probability of ``digit``;
        probs : the ten digits' calibrated probabilities; image : the 784 network input bytes
        """
        verdict = self.reader.read(image[None])[0]
        return _js(
            {
                "state": "result",
                "verdict": verdict.kind,
                "digit": verdict.digit,
                "runnerUp": verdict.runner_up,
                "confidence": verdict.confidence,
                "probs": verdict.digit_probs.tolist(),
                "image": image.tobytes(),
            }
        )

    def recognize_canvas(self, canvas):
        """Read the canvas (transparent background, ink in alpha) and classify it."""
        width, height = canvas.width, canvas.height
        pixels = canvas.getContext("2d").getImageData(0, 0, width, height).data
        rgba = np.frombuffer(pixels.to_bytes(), dtype=np.uint8).reshape(height, width, 4)
        image = preprocess.mnist_from_ink(preprocess.ink_from_rgba(rgba))  # (28, 28) uint8
        if image is None:
            return _js({"state": "empty"})
        return self.classify(image)

    def recognize_image(self, data):
        """Classify an image file's bytes; unreadable input gives an error result. The result
        also has ``region``: [left, top, right, bottom] of the digit, fractions of the image."""
        try:
            reading = preprocess.read_image_bytes(data.to_bytes())
        except preprocess.ImageInputError as error:
            return _js({"state": "error", "message": str(error)})
        result = self.classify(reading.digit)
        result.region = to_js(list(reading.region))
        return result


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
    app.connect(create_proxy(recognizer.recognize_canvas), create_proxy(recognizer.recognize_image))


startup = asyncio.ensure_future(start())  # held so the task is not garbage-collected
