"""The page's Python worker module (web/main.py) under CPython: the functions it exports."""

import hashlib
import io

import main
import numpy as np
import pytest
from PIL import Image
from support import SEVEN

from recognizer import preprocess
from recognizer.network import load_network
from tools import numbers, unipen


@pytest.fixture(scope="module")
def recognizer(weights_dir):
    return main.Recognizer(load_network(weights_dir / "default.npz"))


def seven_canvas(side: int = 280) -> np.ndarray:
    """The page's pad with the conftest "7" drawn by its brush: (side, side, 4) uint8."""
    strokes = [np.array(stroke, np.float32) * side for stroke in SEVEN]  # canvas px
    return unipen.rasterize(strokes, side, unipen.BRUSH_FRACTION * side)


def test_empty_pixels_are_empty(recognizer):
    assert recognizer.recognize_number_pixels(bytes(300 * 200 * 4), 200, 300) == {"state": "empty"}


def test_pixels_are_read_row_by_row(recognizer):
    rgba = seven_canvas()[:, :200]  # (280, 200, 4): not square, so width and height matter
    result = recognizer.recognize_number_pixels(rgba.tobytes(), 200, 280)
    assert result["digit"] == 7
    with pytest.raises(ValueError):
        recognizer.recognize_number_pixels(rgba.tobytes(), 280, 280)


def test_drawn_seven_is_read(recognizer):
    rgba = seven_canvas()
    result = recognizer.recognize_number_pixels(rgba.tobytes(), rgba.shape[1], rgba.shape[0])
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


def test_a_photo_of_a_number_gives_the_number_and_its_boxes(recognizer, pendigits_file):
    own = numbers.digits_by_writer(unipen.load_pendigits(pendigits_file))[7]
    pad = numbers.Pad(900, 400)
    written = numbers.write_number(
        [own[d][0] for d in (2, 4, 0, 6)], np.random.default_rng(4), pad, 7, [0.3, 0.3, 0.3]
    )
    ink = numbers.rasterize_number(written)[..., 3]
    buffer = io.BytesIO()
    Image.fromarray(255 - ink).save(buffer, "JPEG", quality=85)  # dark ink on white paper
    result = recognizer.recognize_image(buffer.getvalue())
    assert result["state"] == "number" and result["number"] == "2406"
    left, top, right, bottom = result["region"]
    for digit, truth in zip(result["digits"], written.boxes, strict=True):
        box_left, box_top, box_right, box_bottom = digit["box"]  # fractions of the image
        assert left <= box_left < box_right <= right + 1e-6
        assert top <= box_top < box_bottom <= bottom + 1e-6
        centre = (truth[0] + truth[2]) / 2 / pad.width
        assert box_left < centre < box_right


def test_the_worker_loads_the_model_once_checked(weights_dir):
    worker = main.Worker()
    data = (weights_dir / "default.npz").read_bytes()
    assert worker.load_model(data, hashlib.sha256(data).hexdigest()) == {"state": "ready"}
    rgba = seven_canvas()
    assert worker.recognize_number_pixels(rgba.tobytes(), 280, 280)["digit"] == 7


def test_the_worker_refuses_damaged_weights_with_a_message(weights_dir):
    data = (weights_dir / "default.npz").read_bytes()
    answer = main.Worker().load_model(data, "0" * 64)
    assert answer["state"] == "error" and "damaged" in answer["message"]
    answer = main.Worker().load_model(b"PK\x03\x04 not a zip", hashlib.sha256(b"x").hexdigest())
    assert answer["state"] == "error" and answer["message"].startswith("The network weights")


def loaded_worker(weights_dir) -> main.Worker:
    worker = main.Worker()
    data = (weights_dir / "default.npz").read_bytes()
    assert worker.load_model(data, hashlib.sha256(data).hexdigest()) == {"state": "ready"}
    return worker


def test_recognition_carries_no_look_inside(weights_dir):
    """A closed panel costs nothing: the recognition's answer holds no layers or maps."""
    rgba = seven_canvas()
    result = loaded_worker(weights_dir).recognize_number_pixels(rgba.tobytes(), 280, 280)
    single = {"state", "verdict", "digit", "runnerUp", "confidence", "probs", "image"}
    assert set(result) == single | {"number", "digits"}
    assert set(result["digits"][0]) == single - {"state"} | {"box"}


def test_the_worker_looks_inside_the_answer_it_gave(weights_dir):
    worker = loaded_worker(weights_dir)
    rgba = seven_canvas()
    result = worker.recognize_number_pixels(rgba.tobytes(), 280, 280)
    looked = worker.look_inside(result["image"])
    assert looked["state"] == "result"
    assert set(looked) == {"state", "layers", "kernels", "scores", "classes", "sensitivity"}
    assert looked["sensitivity"]["top"]["class"] == result["digit"] == 7
    assert looked["layers"][0]["name"] == "conv1"
    assert all(isinstance(layer["values"], bytes) for layer in looked["layers"])
    with pytest.raises(ValueError):
        worker.look_inside(bytes(100))


def test_the_original_network_loads_checked_and_reads_the_same_image(weights_dir):
    worker = loaded_worker(weights_dir)
    image = worker.recognize_number_pixels(seven_canvas().tobytes(), 280, 280)["image"]
    assert worker.recognize_with_seed(image) == {
        "state": "error",
        "message": "The original network is not loaded.",
    }
    data = (weights_dir / "seed.npz").read_bytes()
    refused = worker.load_seed(data, "0" * 64)
    assert refused["state"] == "error" and "checksum mismatch" in refused["message"]
    assert worker.load_seed(data, hashlib.sha256(data).hexdigest()) == {"state": "ready"}
    reading = worker.recognize_with_seed(image)
    assert reading["state"] == "result" and reading["digit"] == 7
    assert len(reading["probs"]) == 10 and 0.5 < reading["confidence"] <= 1
    # The page's own network is still the one that recognises.
    assert worker.recognize_number_pixels(seven_canvas().tobytes(), 280, 280)["digit"] == 7
    assert len(worker.look_inside(image)["scores"]) == 11


def number_pad(strokes, width: int = 560, height: int = 280) -> np.ndarray:
    """Strokes given as fractions of the pad's height drawn by the page's pen:
    (height, width, 4) uint8."""
    pixels = [np.array(stroke, np.float32) * height for stroke in strokes]
    return unipen.rasterize(pixels, width, unipen.BRUSH_FRACTION * height, height)


@pytest.mark.parametrize("strokes_known", [False, True], ids=["pixels", "strokes"])
def test_a_number_gives_its_digits_and_boxes(recognizer, strokes_known):
    one = [(0.3, 0.2), (0.3, 0.8)]
    seven = [[(x + 0.55, y) for x, y in stroke] for stroke in SEVEN]
    zero = [(1.55, 0.2), (1.35, 0.35), (1.35, 0.65), (1.55, 0.8), (1.75, 0.65), (1.75, 0.35),
            (1.55, 0.2)]  # fmt: skip
    rgba = number_pad([one, *seven, zero], width=560)
    points = [[[x * 280, y * 280] for x, y in stroke] for stroke in [one, *seven, zero]]
    strokes = (points, unipen.BRUSH_FRACTION * 280) if strokes_known else ()  # as the page
    result = recognizer.recognize_number_pixels(rgba.tobytes(), 560, 280, *strokes)
    assert result["state"] == "number" and result["number"] == "170"
    assert result["verdict"] in ("digit", "unsure")
    digits = result["digits"]
    assert [d["digit"] for d in digits] == [1, 7, 0]
    assert result["confidence"] == pytest.approx(np.prod([d["confidence"] for d in digits]))
    lefts = [d["box"][0] for d in digits]
    assert lefts == sorted(lefts)
    for digit in digits:
        left, top, right, bottom = digit["box"]
        assert 0 <= left < right <= 1 and 0 <= top < bottom <= 1
        assert digit["verdict"] in ("digit", "unsure") and len(digit["image"]) == 784
        assert digit["runnerUp"] != digit["digit"]
        assert len(digit["probs"]) == 10 and digit["confidence"] == max(digit["probs"])


def test_one_digit_keeps_the_single_digit_result(recognizer):
    rgba = seven_canvas()
    single = recognizer.classify(preprocess.mnist_from_ink(rgba[..., 3]))  # the whole pad
    result = recognizer.recognize_number_pixels(rgba.tobytes(), 280, 280)
    assert {k: v for k, v in result.items() if k not in ("number", "digits")} == single
    assert result["number"] == "7"
    (digit,) = result["digits"]
    assert digit["digit"] == 7 and digit["image"] == single["image"]
    assert digit["probs"] == single["probs"]
    assert 0.2 < digit["box"][0] < digit["box"][2] < 0.8


def test_an_empty_pad_is_an_empty_number(recognizer):
    assert recognizer.recognize_number_pixels(bytes(560 * 280 * 4), 560, 280) == {"state": "empty"}


def test_the_worker_reads_numbers(weights_dir):
    worker = main.Worker()
    data = (weights_dir / "default.npz").read_bytes()
    worker.load_model(data, hashlib.sha256(data).hexdigest())
    rgba = seven_canvas()
    assert worker.recognize_number_pixels(rgba.tobytes(), 280, 280)["number"] == "7"
