"""The page's Python handler (web/main.py) under CPython, with a fake canvas."""

import io

import main
import numpy as np
import pytest
from PIL import Image
from support import SEVEN

from recognizer.network import load_network
from tools import unipen


class FakeCanvas:
    """The part of an HTMLCanvasElement the handler uses, holding (H, W, 4) uint8 RGBA."""

    def __init__(self, rgba: np.ndarray):
        self.height, self.width = rgba.shape[:2]
        self._rgba = rgba
        self.reads: list[tuple[int, int, int, int]] = []

    def getContext(self, kind):
        assert kind == "2d"
        return self

    def getImageData(self, x, y, width, height):
        self.reads.append((x, y, width, height))
        data = self._rgba[y : y + height, x : x + width].tobytes()
        return type("ImageData", (), {"data": type("Data", (), {"to_bytes": lambda _: data})()})


@pytest.fixture(scope="module")
def recognizer(weights_dir):
    return main.Recognizer(load_network(weights_dir / "default.npz"))


def seven_canvas(side: int = 280) -> np.ndarray:
    """The page's pad with the conftest "7" drawn by its brush: (side, side, 4) uint8."""
    strokes = [np.array(stroke, np.float32) * side for stroke in SEVEN]  # canvas px
    return unipen.rasterize(strokes, side, unipen.BRUSH_FRACTION * side)


def test_module_imports_without_a_browser():
    assert not main.IN_BROWSER and main.STARTUP is None


def test_empty_canvas_is_empty(recognizer):
    canvas = FakeCanvas(np.zeros((300, 200, 4), np.uint8))
    assert recognizer.recognize_canvas(canvas) == {"state": "empty"}
    assert canvas.reads == [(0, 0, 200, 300)]  # the whole canvas, read once


def test_drawn_seven_is_read(recognizer):
    result = recognizer.recognize_canvas(FakeCanvas(seven_canvas()))
    assert result["state"] == "result" and result["verdict"] == "digit"
    assert result["digit"] == 7 and result["runnerUp"] != 7
    assert len(result["probs"]) == 10 and abs(sum(result["probs"]) - 1) < 0.02
    assert 0.5 < result["confidence"] <= 1 and len(result["image"]) == 784


def test_upload_gives_a_region_and_bad_bytes_a_message(recognizer):
    ink = seven_canvas()[..., 3]
    buffer = io.BytesIO()
    Image.fromarray(255 - ink).save(buffer, "PNG")  # dark ink on white paper
    result = recognizer.recognize_image(buffer.getvalue())
    assert result["digit"] == 7
    left, top, right, bottom = result["region"]
    assert 0 <= left < right <= 1 and 0 <= top < bottom <= 1
    refused = recognizer.recognize_image(b"not an image at all")
    assert refused["state"] == "error" and "not an image" in refused["message"]
