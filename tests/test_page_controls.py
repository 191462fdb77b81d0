"""The controls with a mouse, a pen and a keyboard: Undo, Redo and Clear (and when they
can do nothing), what a screen reader is told, a click that leaves a dot, a palm beside
the pen, the upload button from the keyboard, and the keyboard hint."""

import pytest
from support import INK_PIXELS, SEVEN, draw

pytestmark = pytest.mark.browser

EDITS = ("undo", "redo", "clear")
ONE = [[(0.5, 0.15), (0.5, 0.5), (0.5, 0.85)]]


@pytest.fixture
def desktop(app):
    """The shared desktop page, reset for the test (conftest's ``app``)."""
    return app


def possible(page) -> set[str]:
    """The edits whose buttons are not marked disabled."""
    return {name for name in EDITS if page.get_attribute(f"#{name}", "aria-disabled") == "false"}


def ink(page) -> int:
    """Ink pixels once the pad has drawn its latest state."""
    page.evaluate("new Promise((resolve) => requestAnimationFrame(resolve))")
    return page.evaluate(INK_PIXELS)


def test_ready_is_announced(started_app):
    assert started_app.text_content("#status") == "Ready: draw a digit."
    assert started_app.get_attribute("#status", "role") == "status"


def test_edits_are_disabled_when_they_would_change_nothing(desktop):
    assert possible(desktop) == set()  # an empty pad, nothing undone
    desktop.keyboard.press("Control+z")  # changes nothing either
    assert possible(desktop) == set() and ink(desktop) == 0
    draw(desktop, SEVEN)
    assert possible(desktop) == {"undo", "clear"}
    desktop.click("#undo")
    assert possible(desktop) == {"redo"} and ink(desktop) == 0
    desktop.click("#redo")
    assert possible(desktop) == {"undo", "clear"} and ink(desktop) > 0
    desktop.click("#clear")
    assert possible(desktop) == {"undo"}  # Undo brings the cleared drawing back
    desktop.click("#undo")
    assert possible(desktop) == {"undo", "redo", "clear"}
    draw(desktop, ONE)  # a new stroke: what was undone is gone for good
    assert possible(desktop) == {"undo", "clear"}


def test_redo_with_the_keys_restores_strokes_and_the_clear(desktop):
    desktop.keyboard.press("Escape")
    draw(desktop, SEVEN + ONE)
    two_strokes = ink(desktop)
    desktop.keyboard.press("Control+z")
    one_stroke = ink(desktop)
    assert 0 < one_stroke < two_strokes
    desktop.keyboard.press("Control+Shift+z")
    assert ink(desktop) == two_strokes
    desktop.keyboard.press("Escape")
    assert ink(desktop) == 0
    desktop.keyboard.press("Control+z")  # the cleared drawing comes back
    assert ink(desktop) == two_strokes
    desktop.keyboard.press("Control+y")  # and is cleared again
    assert ink(desktop) == 0
    desktop.keyboard.press("Control+z")
    assert ink(desktop) == two_strokes


def test_clearing_is_announced_with_the_way_back(desktop):
    draw(desktop, SEVEN)
    desktop.click("#clear")
    said = desktop.text_content("#status")
    assert said.strip() == "Pad cleared. Undo brings the drawing back."
    draw(desktop, SEVEN)
    desktop.keyboard.press("Escape")
    said_again = desktop.text_content("#status")
    assert said_again.strip() == said.strip()
    assert said_again != said  # the region's text changed: the same words are said again


def test_a_click_without_moving_leaves_a_dot(desktop):
    desktop.keyboard.press("Escape")
    box = desktop.locator("#pad").bounding_box()
    brush = desktop.evaluate("fetch('./site.json').then((r) => r.json())")["page"]
    radius = brush["brushFraction"] * desktop.evaluate("document.getElementById('pad').height") / 2
    desktop.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert ink(desktop) >= 3 * radius**2  # a disc of the pen's width (pi r^2)
    desktop.click("#undo")  # the dot is the stroke that Undo takes back
    assert ink(desktop) == 0


# Draws a pen stroke down the pad with synthetic PointerEvents; with ``palm``, a touch
# lands on the pad after the pen and moves across it until the pen lifts.
PEN_AND_PALM = """(palm) => {
  const pad = document.getElementById("pad");
  const box = pad.getBoundingClientRect();
  const fire = (type, pointerType, pointerId, x, y) => pad.dispatchEvent(new PointerEvent(type, {
    bubbles: true, cancelable: true, pointerId, pointerType, isPrimary: true, button: 0,
    buttons: type === "pointerup" ? 0 : 1,
    clientX: box.left + x * box.width, clientY: box.top + y * box.height,
  }));
  fire("pointerdown", "pen", 2, 0.5, 0.2);
  if (palm) fire("pointerdown", "touch", 3, 0.8, 0.8);
  for (let i = 1; i <= 10; i++) {
    fire("pointermove", "pen", 2, 0.5, 0.2 + 0.06 * i);
    if (palm) fire("pointermove", "touch", 3, 0.8 - 0.05 * i, 0.8);
  }
  fire("pointerup", "pen", 2, 0.5, 0.8);
  if (palm) fire("pointerup", "touch", 3, 0.3, 0.8);
}"""


def test_a_palm_on_the_pad_while_a_pen_draws_is_ignored(desktop):
    desktop.keyboard.press("Escape")
    desktop.evaluate(PEN_AND_PALM, False)
    pen_alone = ink(desktop)
    desktop.keyboard.press("Escape")
    desktop.evaluate(PEN_AND_PALM, True)
    assert ink(desktop) == pen_alone > 0
    desktop.click("#undo")  # one stroke: the pen's
    assert ink(desktop) == 0


@pytest.mark.parametrize("key", ["Enter", "Space"])
def test_the_upload_button_opens_the_file_picker_from_the_keyboard(desktop, key):
    desktop.focus("#upload-button")
    with desktop.expect_file_chooser(timeout=5_000) as chooser:
        desktop.keyboard.press(key)
    assert chooser.value.element.get_attribute("id") == "upload"
    chooser.value.set_files([])  # closes the picker: one that is open ignores the next click


def test_the_keyboard_hint_is_shown_with_a_mouse_and_keyboard(desktop):
    hint = desktop.locator(".hint")
    assert hint.is_visible()
    assert "Ctrl+Z" in hint.inner_text() and "Ctrl+Shift+Z" in hint.inner_text()
