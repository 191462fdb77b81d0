"""Numbers on the page, in Chromium: a 4-digit number written with a pen writer's digits is
read back whole, with a box around each digit on the pad, a button per digit that shows that
digit's bars and input, and a Copy button that puts the number on the clipboard; a single
digit keeps the single-digit answer, with no boxes; a picture of a number is read as one,
its boxes on the picture."""

import io

import numpy as np
import pytest
from PIL import Image
from support import SEVEN, draw, settled_result

from tools import numbers, unipen
from tools.eval_strokes import RESULT, answered_after, draw_with_events, pad_size

pytestmark = pytest.mark.browser

WRITER = 7
NUMBER = "2406"
OPEN_GAP = 0.3  # between the digits, in digit heights: apart, as most people write
# Each box on the pad ([left, top, right, bottom], fractions of the pad) with its label.
BOXES = """() => [...document.querySelectorAll("#pad-boxes .pad-box")].map((box) => {
  const pad = document.getElementById("pad-boxes").getBoundingClientRect();
  const r = box.getBoundingClientRect();
  return {digit: box.dataset.digit, chosen: box.classList.contains("chosen"),
          box: [(r.left - pad.left) / pad.width, (r.top - pad.top) / pad.height,
                (r.right - pad.left) / pad.width, (r.bottom - pad.top) / pad.height]};
})"""
BEST_BAR = "document.querySelector('#bars li.best .bar-label')?.textContent ?? null"
CHIPS = "[...document.querySelectorAll('#number-digits .chip-digit')].map((d) => d.textContent)"


@pytest.fixture(scope="module")
def pen_digits(pendigits_file):
    return unipen.load_pendigits(pendigits_file)


def written_number(pen_digits, size: tuple[float, float]) -> numbers.WrittenNumber:
    """NUMBER in WRITER's hand, apart, on a pad of ``size`` CSS px."""
    own = numbers.digits_by_writer(pen_digits)[WRITER]
    samples = [own[int(label)][0] for label in NUMBER]
    pad = numbers.Pad(round(size[0]), round(size[1]))
    gaps = [OPEN_GAP] * (len(NUMBER) - 1)
    return numbers.write_number(samples, np.random.default_rng(4), pad, WRITER, gaps)


def test_a_number_is_read_with_its_boxes_and_digits(app, pen_digits):
    size = pad_size(app)
    number = written_number(pen_digits, size)
    result = draw_with_events(app, number.strokes)
    assert result["state"] == "number" and result["number"] == NUMBER
    assert app.inner_text("#digit") == NUMBER
    assert NUMBER in app.inner_text("#message") or result["verdict"] != "digit"
    assert app.is_visible("#copy")

    shown = app.evaluate(BOXES)
    assert [b["digit"] for b in shown] == list(NUMBER)
    truth = number.boxes / np.array([*size, *size])  # (4, 4) fractions of the pad
    for box, expected in zip(shown, truth, strict=True):
        centre = ((expected[0] + expected[2]) / 2, (expected[1] + expected[3]) / 2)
        left, top, right, bottom = box["box"]
        assert left < centre[0] < right and top < centre[1] < bottom  # around its digit
    assert [b["chosen"] for b in shown] == [True, False, False, False]

    assert app.evaluate(CHIPS) == list(NUMBER)
    assert app.evaluate(BEST_BAR) == NUMBER[0]
    app.click("#number-digits li:nth-child(3) button")
    assert app.evaluate(BEST_BAR) == NUMBER[2]
    assert [b["chosen"] for b in app.evaluate(BOXES)] == [False, False, True, False]
    assert app.get_attribute("#number-digits li:nth-child(3) button", "aria-pressed") == "true"


def test_a_number_in_the_pads_corner_is_read_where_it_is(app, pen_digits):
    """The page hands Python the part of the pad that holds ink: here its top right corner,
    the pen's edge cut off by the pad's."""
    size = pad_size(app)
    number = written_number(pen_digits, size)
    every = np.concatenate(number.strokes)  # (n, 2) CSS px
    shift = np.array([size[0] - 1 - every[:, 0].max(), 1 - every[:, 1].min()])
    result = draw_with_events(app, [stroke + shift for stroke in number.strokes])
    assert result["state"] == "number" and result["number"] == NUMBER
    shown = app.evaluate(BOXES)
    truth = (number.boxes + np.tile(shift, 2)) / np.array([*size, *size])  # (4, 4) fractions
    for box, expected in zip(shown, truth, strict=True):
        left, top, right, bottom = box["box"]
        assert min(left, top) > -0.01 and max(right, bottom) < 1.01  # on the pad
        assert left < (expected[0] + expected[2]) / 2 < right
        assert top < (expected[1] + expected[3]) / 2 < bottom


def test_copy_puts_the_number_on_the_clipboard(app, pen_digits):
    app.context.grant_permissions(["clipboard-read", "clipboard-write"])
    draw_with_events(app, written_number(pen_digits, pad_size(app)).strokes)
    app.click("#copy")
    assert app.evaluate("navigator.clipboard.readText()") == NUMBER
    assert app.inner_text("#announce") == f"Copied {NUMBER}."


def test_one_digit_keeps_the_single_digit_answer(app):
    draw(app, SEVEN)
    result = settled_result(app)
    assert result["state"] == "result" and result["digit"] == "7" and result["number"] == "7"
    assert app.evaluate(BOXES) == []
    assert app.is_hidden("#number-digits") and app.is_hidden("#copy")
    assert app.evaluate(RESULT)["digit"] == "7"


def test_a_picture_of_a_number_is_read_with_its_boxes_on_it(app, pen_digits):
    number = written_number(pen_digits, (900, 400))
    buffer = io.BytesIO()
    Image.fromarray(255 - numbers.rasterize_number(number)[..., 3]).save(buffer, "PNG")
    file = {"name": "number.png", "mimeType": "image/png", "buffer": buffer.getvalue()}
    before = app.evaluate(RESULT)["seq"]
    app.set_input_files("#upload", files=[file])
    app.wait_for_function(answered_after(before))
    result = app.evaluate(RESULT)
    assert result["state"] == "number" and result["number"] == NUMBER
    assert app.evaluate(BOXES) == []  # not on the pad
    on_picture = app.locator("#preview-boxes .pad-box")
    assert on_picture.count() == len(NUMBER)
    assert [on_picture.nth(i).get_attribute("data-digit") for i in range(4)] == list(NUMBER)
