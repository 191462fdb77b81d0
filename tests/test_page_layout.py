"""The page on phones, drawn on with a finger: the answer stays in view while drawing,
nothing moves when loading ends, drawing neither scrolls nor zooms, a tap leaves a dot,
a pinch draws nothing, keyboard hints are left out, and a 320 px phone gets the whole
page in its width with a pad drawn at the screen's resolution.

Touches go through Chromium's own input pipeline (CDP Input.dispatchTouchEvent), so the
page's touch-action and the browser's scrolling take part as they do on a phone.
"""

import itertools

import pytest
from support import INK_PIXELS, PHONES, SharedPage

pytestmark = pytest.mark.browser

PAD_BOX = "document.getElementById('pad').getBoundingClientRect().toJSON()"
# Whether an element is wholly inside the viewport (to a pixel: scrolling is in whole pixels).
IN_VIEW = """(selector) => {
  const box = document.querySelector(selector).getBoundingClientRect();
  return box.height > 0 && box.top > -1 && box.bottom < innerHeight + 1
    && box.left > -1 && box.right < innerWidth + 1;
}"""
VIEW = "({x: scrollX, y: scrollY, scale: visualViewport.scale})"
SHOWS_RESULT = "document.getElementById('result').dataset.state === 'result'"


class Finger:
    """Touches on the page through CDP, in viewport CSS pixels; the fingers down are given
    in order, each keeping its place (its touch id) from one event to the next."""

    def __init__(self, page):
        self.page = page
        self.cdp = page.context.new_cdp_session(page)

    def on_pad(self, x: float, y: float) -> tuple[float, float]:
        """The viewport point at fractions (x, y) of the pad's side."""
        box = self.page.locator("#pad").bounding_box()
        return box["x"] + x * box["width"], box["y"] + y * box["height"]

    def touch(self, kind: str, *points: tuple[float, float]) -> None:
        """touchStart, touchMove or touchEnd, with these fingers down afterwards."""
        touches = [{"x": x, "y": y, "id": finger} for finger, (x, y) in enumerate(points)]
        self.cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touches})

    def draw(self, kind: str, *fractions: tuple[float, float]) -> None:
        """As touch(), with each finger at fractions of the pad's side."""
        self.touch(kind, *(self.on_pad(x, y) for x, y in fractions))

    def tap(self, x: float, y: float) -> None:
        self.draw("touchStart", (x, y))
        self.touch("touchEnd")


@pytest.fixture(scope="module", params=list(PHONES))
def phone_page(request, phone_pages) -> SharedPage:
    """The page of one phone, that the module's tests take turns on."""
    return phone_pages[request.param]


@pytest.fixture
def phone(request, phone_page, page_log):
    """The phone page, loaded and ready, reset for the test; its errors fail the test."""
    yield from phone_page.turn(request, page_log)


@pytest.fixture
def finger(phone):
    """A finger on the ready phone page, whose pad starts empty and wholly in view."""
    phone.keyboard.press("Escape")
    phone.evaluate("document.getElementById('pad').scrollIntoView({block: 'nearest'})")
    return Finger(phone)


def test_nothing_moves_when_loading_ends(phone):
    phone.evaluate("new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)))")
    assert phone.evaluate("window.__padBeforeReady") == phone.evaluate(PAD_BOX)
    assert phone.evaluate("window.__shift") == 0


def test_the_answer_stays_in_view_while_drawing(phone, finger):
    assert phone.evaluate(IN_VIEW, "#pad")
    view = phone.evaluate(VIEW)
    stroke = [(0.5, 0.15 + 0.035 * i) for i in range(21)]  # a 1, top to bottom
    finger.draw("touchStart", stroke[0])
    for point in stroke[1:12]:
        finger.draw("touchMove", point)
    phone.wait_for_function(SHOWS_RESULT)  # a live answer, the finger still down
    assert phone.evaluate(IN_VIEW, "#digit") and phone.evaluate(IN_VIEW, "#message")
    for point in stroke[12:]:
        finger.draw("touchMove", point)
    assert phone.evaluate(IN_VIEW, "#digit") and phone.evaluate(IN_VIEW, "#message")
    finger.touch("touchEnd")
    assert phone.evaluate(VIEW) == view  # drawing neither scrolled nor zoomed the page
    assert phone.evaluate("window.__shift") == 0  # nor moved anything


def test_a_tap_leaves_a_dot_that_undo_takes_back(phone, finger):
    finger.tap(0.5, 0.5)
    phone.wait_for_function(f"({INK_PIXELS})() > 0")
    assert phone.get_attribute("#undo", "aria-disabled") == "false"
    phone.tap("#undo")
    phone.wait_for_function(f"({INK_PIXELS})() === 0")


def test_a_two_finger_pinch_draws_nothing(phone, finger):
    view = phone.evaluate(VIEW)
    finger.draw("touchStart", (0.45, 0.45))
    finger.draw("touchMove", (0.44, 0.44))
    finger.draw("touchStart", (0.44, 0.44), (0.55, 0.55))  # the second finger lands
    for step in range(1, 8):
        spread = 0.04 * step
        finger.draw("touchMove", (0.44 - spread, 0.44 - spread), (0.55 + spread, 0.55 + spread))
    finger.draw("touchEnd", (0.16, 0.16))  # one finger lifts, then the other
    finger.touch("touchEnd")
    phone.evaluate("new Promise((resolve) => requestAnimationFrame(resolve))")
    assert phone.evaluate(INK_PIXELS) == 0
    assert phone.evaluate(VIEW) == view
    assert phone.get_attribute("#clear", "aria-disabled") == "true"  # no stroke was left


def test_no_keyboard_hints_on_a_touch_phone(phone):
    assert phone.locator(".hint").is_hidden()


def test_the_page_fits_the_width_with_finger_sized_buttons(phone):
    width = phone.viewport_size["width"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= width
    for control in ("#undo", "#redo", "#clear", "#upload-button"):
        box = phone.locator(control).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        assert box["height"] >= 44


def test_a_second_finger_never_draws(phone, finger):
    """A finger rests on the page just above the pad; another one moves on the pad."""
    x, top = finger.on_pad(0.5, 0)
    resting = (x, top - 4)
    finger.touch("touchStart", resting)
    finger.touch("touchStart", resting, finger.on_pad(0.3, 0.3))
    for step in range(1, 6):
        finger.touch("touchMove", resting, finger.on_pad(0.3 + 0.08 * step, 0.3 + 0.08 * step))
    finger.touch("touchEnd")
    phone.evaluate("new Promise((resolve) => requestAnimationFrame(resolve))")
    assert phone.evaluate(INK_PIXELS) == 0


def test_the_loading_steps_are_separate_lines(phone):
    """Shown again for the check (loading is over): one step per line, apart."""
    phone.evaluate("document.getElementById('loading').hidden = false")
    try:
        names = ["Python runtime", "NumPy and Pillow", "Network weights"]
        lines = phone.inner_text(".steps").splitlines()
        starting = [name for line in lines for name in names if line.strip().startswith(name)]
        assert starting == names  # each name begins a line of its own (byte counts may follow)
        boxes = [phone.locator(".steps li").nth(i).bounding_box() for i in range(3)]
        for upper, lower in itertools.pairwise(boxes):
            assert upper["y"] + upper["height"] <= lower["y"]  # no overlap
        assert (
            phone.evaluate(
                "getComputedStyle(document.querySelector('.steps li')).listStylePosition"
            )
            == "inside"
        )  # each number is inside its own line's box, not in the margin
    finally:
        phone.evaluate("document.getElementById('loading').hidden = true")


@pytest.mark.parametrize("phone_page", ["320x568"], indirect=True)
def test_the_narrowest_phone_gets_the_page_in_its_width(phone):
    width = phone.viewport_size["width"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= width
    box = phone.locator("#pad").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert box["width"] >= 250
    backing, css, ratio = phone.evaluate(
        "(p => [p.width, p.clientWidth, devicePixelRatio])(document.getElementById('pad'))"
    )
    assert ratio == 3 and backing == round(css * ratio)  # drawn at the screen's resolution
    assert phone.evaluate("getComputedStyle(document.getElementById('pad')).touchAction") == "none"
    for control in ("#undo", "#redo", "#clear", "#upload-button"):
        control_box = phone.locator(control).bounding_box()
        assert control_box["x"] + control_box["width"] <= width
        assert control_box["height"] >= 44
