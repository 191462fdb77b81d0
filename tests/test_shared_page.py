"""The page that tests take turns on (conftest's ``app``) is handed to each test as new."""

import io

import pytest
from PIL import Image, ImageDraw
from support import SEVEN, STATE_JS, draw, settled_result

from tools.eval_strokes import answered_after

pytestmark = pytest.mark.browser


def one_png() -> bytes:
    """A dark 1 on light paper."""
    paper = Image.new("L", (120, 120), 235)
    ImageDraw.Draw(paper).line([(60, 15), (60, 105)], fill=20, width=10)
    buffer = io.BytesIO()
    paper.save(buffer, format="PNG")
    return buffer.getvalue()


def changed(page, new: dict) -> set[str]:
    """What differs in the page's state from the new page's."""
    state = page.evaluate(STATE_JS)
    return {key for key in new if state[key] != new[key]}


def test_a_used_page_is_reset_to_what_a_new_one_shows(app, desktop_page):
    new = desktop_page.new_state
    assert new["appState"] == "ready" and new["result"] == "empty"
    assert new["possible"] == [] and new["ink"] == 0 and not new["uploadShown"]

    draw(app, SEVEN)
    drawn = settled_result(app)
    upload = {"name": "one.png", "mimeType": "image/png", "buffer": one_png()}
    app.set_input_files("#upload", files=[upload])  # the pad is cleared: Undo can bring it back
    app.wait_for_function(answered_after(drawn["seq"]))
    app.set_viewport_size({"width": 700, "height": 500})
    app.evaluate("scrollTo(0, 200)")
    app.focus("#undo")
    app.route("**/site.json", lambda route: route.abort())
    shown = {"result", "digit", "message"}  # the upload's answer
    assert changed(app, new) == {"possible", *shown, "uploadShown", "scroll", "focus"}
    assert desktop_page.reset() == ""
    assert changed(app, new) == set()
    assert app.viewport_size == {"width": 1280, "height": 720}
    assert app.evaluate("fetch('./site.json').then((response) => response.ok)")  # no route

    draw(app, SEVEN + SEVEN)
    settled_result(app)
    app.click("#undo")  # something to redo, and to undo; the button keeps the focus
    assert settled_result(app)["state"] == "result"
    assert changed(app, new) == {"possible", *shown, "ink", "focus"}
    assert desktop_page.reset() == ""
    assert changed(app, new) == set()

    draw(app, SEVEN)  # and the page still reads drawings
    assert settled_result(app)["digit"] == "7"
