"""Uploads in the page: a photo shows its thumbnail and region, blank paper gives no digit,
the drawing survives an upload (Undo brings it back), and files drop anywhere."""

import numpy as np
import pytest
from support import INK_PIXELS, SEVEN, draw

from recognizer import preprocess
from recognizer.network import load_network
from recognizer.reader import DigitReader
from tools import synthetic_photos, unipen
from tools.eval_strokes import RESULT, answered_after
from tools.upload_files import png_header_only
from training import negatives

pytestmark = pytest.mark.browser

DROP_JS = """async ({bytes, name, target}) => {
  const file = new File([new Uint8Array(bytes)], name, {type: "image/jpeg"});
  const dataTransfer = new DataTransfer();
  dataTransfer.items.add(file);
  const element = document.querySelector(target);
  const options = {dataTransfer, bubbles: true, cancelable: true};
  element.dispatchEvent(new DragEvent("dragover", options));
  element.dispatchEvent(new DragEvent("drop", options));
}"""


def upload(page, data: bytes, name: str = "photo.jpg") -> dict:
    """Upload a file and return #result's data-* once the page has shown its answer."""
    before = int(page.evaluate(RESULT)["seq"])
    page.set_input_files(
        "#upload", files=[{"name": name, "mimeType": "image/jpeg", "buffer": data}]
    )
    page.wait_for_function(answered_after(before))
    return page.evaluate(RESULT)


@pytest.fixture(scope="module")
def photo(pendigits_file) -> synthetic_photos.Photo:
    """A photo of a pen digit on ruled paper that the CPython pipeline reads right."""
    digits = unipen.load_pendigits(pendigits_file)
    return synthetic_photos.make_photo(
        digits[3], digits[3].label, "ruled", np.random.default_rng(4)
    )


def test_a_photo_shows_its_thumbnail_with_the_region_and_the_digit(app, photo, weights_dir):
    expected = preprocess.read_image_bytes(photo.jpeg)
    verdict = DigitReader(load_network(weights_dir / "default.npz")).read(expected.digit[None])[0]
    result = upload(app, photo.jpeg)
    assert result["state"] == "result" and int(result["digit"]) == verdict.digit == photo.label
    assert app.locator("#upload-preview").is_visible()
    assert app.evaluate("document.getElementById('preview-image').complete")
    image = app.locator("#preview-image").bounding_box()
    region = app.locator("#preview-region").bounding_box()
    left, top, right, bottom = expected.region
    assert region["x"] == pytest.approx(image["x"] + left * image["width"], abs=2)
    assert region["y"] == pytest.approx(image["y"] + top * image["height"], abs=2)
    assert region["width"] == pytest.approx((right - left) * image["width"], abs=3)
    assert region["height"] == pytest.approx((bottom - top) * image["height"], abs=3)


def test_blank_paper_gets_no_digit(app):
    rng = np.random.default_rng(1)
    jpeg = negatives.blank_paper_jpeg(rng)
    with pytest.raises(preprocess.ImageInputError, match="No digit found"):
        preprocess.read_image_bytes(jpeg)
    result = upload(app, jpeg, "blank.jpg")
    assert result["state"] == "error" and "digit" not in result
    assert app.inner_text("#message") == "No digit found in the image."


def test_the_drawing_survives_an_upload_and_undo_brings_it_back(app, photo):
    app.keyboard.press("Escape")
    draw(app, SEVEN)
    app.wait_for_function("document.getElementById('result').dataset.digit === '7'")
    drawn = app.evaluate(INK_PIXELS)
    upload(app, photo.jpeg)
    assert app.evaluate(INK_PIXELS) == 0  # the pad is cleared for the image's answer
    app.click("#undo")
    app.wait_for_function("document.getElementById('result').dataset.digit === '7'")
    assert app.evaluate(INK_PIXELS) == drawn
    assert app.locator("#upload-preview").is_hidden()  # the answer is the drawing's again


def test_a_file_dropped_anywhere_is_read(app, photo):
    before = int(app.evaluate(RESULT)["seq"])
    app.evaluate(DROP_JS, {"bytes": list(photo.jpeg), "name": "dropped.jpg", "target": ".about"})
    app.wait_for_function(answered_after(before))
    assert int(app.evaluate(RESULT)["digit"]) == photo.label


def test_a_file_of_another_kind_is_refused_with_the_formats_named(app):
    result = upload(app, b"II*\x00 not really a TIFF", "scan.tif")
    assert result["state"] == "error"
    assert app.inner_text("#message") == (
        "The file is not an image this page can read (PNG, JPEG, WebP, GIF or BMP)."
    )


def test_a_huge_image_is_refused_with_its_limit_in_numbers(app):
    # 25 megapixels of PNG, above the decoding limit; the header's claim is checked before
    # any decoding.
    result = upload(app, png_header_only(5000, 5000), "huge.png")
    assert result["state"] == "error"
    message = app.inner_text("#message")
    assert message.startswith("The image is too large") and "16 for other formats" in message
