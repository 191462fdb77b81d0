"""The built page in headless Chromium: start-up, drawing, live results, controls, uploads,
failure handling, and no traffic off the page's own origin."""

import json
import re

import pytest
from support import INK_PIXELS, SEVEN, draw, settled_result

from recognizer import preprocess
from recognizer.decision import Verdict
from recognizer.network import load_network
from recognizer.reader import DigitReader
from tools import synthetic_photos
from tools.eval_strokes import RESULT, answered_after
from training.mnist import read_test_set

pytestmark = pytest.mark.browser

ONE = [[(0.5, 0.15), (0.5, 0.35), (0.5, 0.55), (0.5, 0.85)]]
SEVEN_BAR = [[(0.36, 0.52), (0.74, 0.52)]]  # crosses SEVEN: one digit of two strokes
ZIGZAG = [[(0.12 + 0.08 * i, 0.35 if i % 2 else 0.6) for i in range(10)]]
CROSSING = [[(0.2, 0.2), (0.8, 0.8)], [(0.8, 0.2), (0.2, 0.8)], [(0.5, 0.12), (0.5, 0.88)]]
# Drops a file of ``size`` zero bytes on the page.
DROP_ZEROS = """(size) => {
  const dataTransfer = new DataTransfer();
  dataTransfer.items.add(new File([new Uint8Array(size)], "big.png", {type: "image/png"}));
  const options = {dataTransfer, bubbles: true, cancelable: true};
  document.getElementById("pad").dispatchEvent(new DragEvent("drop", options));
}"""


@pytest.fixture(scope="module")
def network(weights_dir):
    """The page's network, loaded under CPython."""
    return load_network(weights_dir / "default.npz")


def cpython_verdict(network, image_bytes: bytes) -> Verdict:
    """The page's upload pipeline, run under CPython."""
    image = preprocess.mnist_from_image_bytes(image_bytes)  # (28, 28) uint8
    return DigitReader(network).read(image[None])[0]


def test_ready_with_all_assets_from_the_own_origin(started_app, start_log, site_url):
    assert started_app.locator("#loading").is_hidden()
    assert started_app.locator("#banner").is_hidden()
    assert start_log.off_origin() == []
    loaded = [url.removeprefix(site_url) for url in start_log.requests]
    assert "pyodide/pyodide.asm.wasm" in loaded
    assert any(re.fullmatch(r"pyodide/numpy-.*\.whl", url) for url in loaded)
    assert "model/default.npz" in loaded
    assert not [url for url in loaded if "micropip" in url]  # packages load without it


def test_empty_canvas_shows_a_prompt(app):
    result = app.evaluate(RESULT)
    assert result["state"] == "empty"
    assert "digit" not in result
    assert "Draw" in app.inner_text("#message")
    assert app.inner_text("#digit") == ""


def test_prediction_updates_live_while_drawing(app):
    box = app.locator("#pad").bounding_box()
    app.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.15 * box["height"])
    app.mouse.down()
    app.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.6 * box["height"], steps=10)
    # A prediction arrives while the pointer is still down.
    app.wait_for_function("document.getElementById('result').dataset.state === 'result'")
    live = app.evaluate(RESULT)
    app.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.85 * box["height"], steps=10)
    app.mouse.up()
    final = settled_result(app)
    assert int(final["seq"]) > int(live["seq"])
    assert int(final["version"]) > int(live["version"])
    assert final["digit"] == "1"
    assert app.inner_text("#announce").startswith("That looks like a 1")


@pytest.mark.parametrize("strokes", [ZIGZAG, CROSSING], ids=["zigzag", "crossing"])
def test_a_scribble_is_not_taken_for_a_digit(app, strokes):
    app.keyboard.press("Escape")
    draw(app, strokes)
    result = settled_result(app)
    assert result["state"] == "result" and result["verdict"] == "not_digit"
    assert "digit" not in result and "confidence" not in result
    assert app.inner_text("#message").startswith("That doesn't look like one digit")
    assert app.inner_text("#digit") == "?"
    assert "That doesn't look like one digit" in app.inner_text("#announce")


def test_digits_drawn_with_the_mouse(app):
    for strokes, digit in ((SEVEN, "7"), (ONE, "1")):
        app.keyboard.press("Escape")
        draw(app, strokes)
        result = settled_result(app)
        assert result["state"] == "result"
        assert result["digit"] == digit
        assert 0.0 < float(result["confidence"]) <= 1.0
        bars = app.locator("#bars li")
        assert bars.count() == 10
        assert "best" in (bars.nth(int(digit)).get_attribute("class") or "")


def test_undo_and_clear_with_buttons_and_keys(app):
    draw(app, SEVEN + SEVEN_BAR)
    assert settled_result(app)["state"] == "result"
    two_strokes = app.evaluate(INK_PIXELS)

    app.click("#undo")
    assert settled_result(app)["state"] == "result"
    one_stroke = app.evaluate(INK_PIXELS)
    assert 0 < one_stroke < two_strokes

    app.keyboard.press("Control+z")
    assert settled_result(app)["state"] == "empty"
    assert app.evaluate(INK_PIXELS) == 0

    draw(app, ONE)
    assert settled_result(app)["state"] == "result"
    app.keyboard.press("Escape")
    assert settled_result(app)["state"] == "empty"
    assert app.evaluate(INK_PIXELS) == 0

    draw(app, ONE)
    assert settled_result(app)["state"] == "result"
    app.click("#clear")
    assert settled_result(app)["state"] == "empty"
    assert app.evaluate(INK_PIXELS) == 0


def test_controls_are_reachable_by_keyboard(app):
    reached = []
    for _ in range(12):
        app.keyboard.press("Tab")
        reached.append(app.evaluate("document.activeElement.id"))
    assert {"undo", "redo", "clear", "upload-button"} <= set(reached)


def test_upload_of_a_digit_image_matches_the_python_pipeline(app, network, mnist_dir):
    images, labels = read_test_set(mnist_dir, 3)
    correct = 0
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        data = synthetic_photos.mnist_scan_png(image)
        expected = cpython_verdict(network, data)
        before = int(app.evaluate(RESULT)["seq"])
        upload = {"name": f"digit{index}.png", "mimeType": "image/png", "buffer": data}
        app.set_input_files("#upload", files=[upload])
        app.wait_for_function(answered_after(before))
        result = app.evaluate(RESULT)
        assert result["state"] == "result"
        assert result["verdict"] == expected.kind != "not_digit"
        assert int(result["digit"]) == expected.digit
        assert float(result["confidence"]) == pytest.approx(expected.confidence, abs=1e-3)
        correct += int(result["digit"]) == label
    assert correct >= 2


def test_a_non_image_upload_shows_the_message_and_the_page_keeps_working(app):
    data = b"these are not the pixels you are looking for"
    with pytest.raises(preprocess.ImageInputError) as expected:
        preprocess.mnist_from_image_bytes(data)
    app.set_input_files(
        "#upload", files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": data}]
    )
    app.wait_for_function("document.getElementById('result').dataset.state === 'error'")
    assert app.inner_text("#message") == str(expected.value)
    draw(app, ONE)
    assert settled_result(app)["digit"] == "1"


def test_an_empty_upload_is_refused(app):
    with pytest.raises(preprocess.ImageInputError) as expected:
        preprocess.mnist_from_image_bytes(b"")
    app.set_input_files(
        "#upload", files=[{"name": "empty.png", "mimeType": "image/png", "buffer": b""}]
    )
    app.wait_for_function("document.getElementById('result').dataset.state === 'error'")
    assert app.inner_text("#message") == str(expected.value)


def test_a_file_over_the_upload_limit_is_refused_unread(app):
    """The limit comes from site.json, written by the build from the Python preprocessing."""
    size = preprocess.MAX_IMAGE_BYTES + 2**20
    app.evaluate(DROP_ZEROS, size)
    app.wait_for_function("document.getElementById('result').dataset.state === 'error'")
    assert app.inner_text("#message") == (
        f"That file is too large ({size // 2**20} MB). "
        f"Please use an image under {preprocess.MAX_IMAGE_BYTES // 2**20} MB."
    )


@pytest.mark.parametrize("asset", ["**/pyodide.asm.wasm", "**/model/default.npz"])
def test_a_failed_asset_shows_the_error_banner(new_page, page_log, site_url, asset):
    page_log.expect("Failed to load resource: net::ERR_FAILED", "^Failed to fetch$")  # the abort
    page = new_page()
    page.context.route(asset, lambda route: route.abort())  # the service worker fetches too
    page.goto(site_url)
    page.wait_for_function("document.documentElement.dataset.appState === 'error'")
    assert page.locator("#banner").is_visible()
    assert page.locator("#loading").is_hidden()
    message = page.inner_text("#banner-text")
    assert message
    assert "Traceback" not in message


def test_how_it_works_quotes_the_model_card(app, weights_dir):
    card_path = weights_dir / "default.json"
    if not card_path.is_file():
        pytest.skip("no model card beside the weights")
    card = json.loads(card_path.read_text())
    app.wait_for_function("!document.getElementById('model-facts').hidden")
    facts = app.inner_text("#model-facts")
    assert (
        f"{card['evaluation']['mnist_test']['accuracy'] * 100:.2f} % of the 10,000 MNIST" in facts
    )
    unseen = card["evaluation"]["writer_independent"]["accuracy_mean_over_folds"]
    assert f"{unseen * 100:.2f} % of pen digits by writers it had never seen" in facts
    assert f"{card['parameters']:,}" in facts
