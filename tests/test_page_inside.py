"""The look-inside panel and the original network in Chromium: nothing is computed while
the panel is closed; open, it draws every layer for the current drawing, each map
enlargeable with the mouse and from the keyboard; the original network's file is fetched
only once its switch is turned on, and its answer is labelled as its own."""

import os
import re

import pytest
from support import SEVEN, draw, settled_result, wait_ready

from tools.paths import REPO_ROOT

pytestmark = pytest.mark.browser

DATA = "(id) => Object.assign({}, document.getElementById(id).dataset)"
SHOWS_THE_DRAWING = """(id) => {
  const panel = document.getElementById(id);
  return panel.dataset.state === "result" &&
    panel.dataset.version === document.getElementById("pad").dataset.version;
}"""
# Per canvas under a selector: its accessible label, and the spread (standard deviation) of
# its opaque pixels' grey levels: a blank or one-colour heatmap has none.
CANVAS_SPREAD = """(selector) => [...document.querySelectorAll(selector)].map((canvas) => {
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  let n = 0, sum = 0, squares = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] === 0) continue;
    const grey = (data[i] + data[i + 1] + data[i + 2]) / 3;
    n += 1; sum += grey; squares += grey * grey;
  }
  const mean = sum / n;
  return { label: canvas.getAttribute("aria-label"), spread: Math.sqrt(squares / n - mean * mean) };
})"""
OFFLINE_SAVED = "document.documentElement.dataset.offline === 'saved'"
ONE = [[(0.5, 0.15), (0.5, 0.85)]]
X = "\N{MULTIPLICATION SIGN}"  # as the page writes sizes


def test_closed_panel_costs_nothing_and_the_open_one_shows_every_layer(app, tmp_path):
    draw(app, SEVEN)
    assert settled_result(app)["digit"] == "7"
    closed = app.evaluate(DATA, "inside")
    assert closed["state"] == "closed" and closed["requests"] == "0"

    app.focus("#inside-toggle")
    app.keyboard.press("Enter")  # the toggle works from the keyboard
    assert app.get_attribute("#inside-toggle", "aria-expanded") == "true"
    app.wait_for_function(SHOWS_THE_DRAWING, arg="inside")
    assert app.evaluate(DATA, "inside")["requests"] == "1"
    assert "7 (" in app.inner_text("#inside-summary")

    grids = app.evaluate(CANVAS_SPREAD, "#inside-layers canvas")
    labels = [grid["label"] for grid in grids]
    assert labels[0] == f"conv1 kernels: 20 of 5{X}5"
    assert re.fullmatch(rf"conv1: 20 maps of 24{X}24; strongest: map \d+", labels[1])
    assert re.fullmatch(rf"conv3: 80 maps of 3{X}3; strongest: map \d+", labels[-1])
    assert len(grids) == 6  # the kernels, then conv1, pool, conv2, pool, conv3
    for grid in grids:
        assert grid["spread"] > 5, grid  # not blank
    why = app.evaluate(CANVAS_SPREAD, ".why canvas")
    assert why[0]["label"].startswith("Why 7, the top class: red ink raises its score")
    assert all(one["spread"] > 5 for one in why)
    scores = app.locator(".scores li")
    assert scores.count() == 11
    assert app.inner_text(".scores li.best .bar-label") == "7"
    assert app.inner_text(".scores li:last-child .bar-label") == "not a digit"

    # From the keyboard: focus a layer's maps, move, let go (Esc does not clear the pad).
    app.focus("#inside-layers canvas >> nth=1")
    app.keyboard.press("ArrowRight")
    caption = app.inner_text("#inside-lens figcaption")
    assert re.fullmatch(rf"conv1 · map \d+ of 20 · 24 {X} 24( · the strongest)?", caption)
    assert app.inner_text("#inside-live") == caption
    target = tmp_path / "look-inside.png"
    if os.environ.get("UPDATE_SCREENSHOT"):
        target = REPO_ROOT / "docs" / "look-inside.png"
    app.locator("#inside").screenshot(path=str(target))
    assert target.stat().st_size > 20_000
    app.keyboard.press("Escape")
    assert app.locator("#inside-lens").is_hidden()
    assert app.evaluate(DATA, "result")["state"] == "result"

    # With the mouse: the map under the pointer, named by its layer.
    box = app.locator("#inside-layers canvas >> nth=2").bounding_box()  # the first pooling
    app.mouse.move(box["x"] + 4, box["y"] + 4)
    assert app.inner_text("#inside-lens figcaption").startswith("max_pool2d2 · map 1 of 20")

    # While open, every new drawing is looked inside; once closed, none is.
    draw(app, ONE)
    app.wait_for_function(SHOWS_THE_DRAWING, arg="inside")
    asked = int(app.evaluate(DATA, "inside")["requests"])
    assert asked >= 2
    app.click("#inside-toggle")
    assert app.evaluate(DATA, "inside")["state"] == "closed"
    app.keyboard.press("Escape")
    draw(app, SEVEN)
    settled_result(app)
    assert int(app.evaluate(DATA, "inside")["requests"]) == asked


def test_the_original_network_is_fetched_only_when_switched_on(page, site_url):
    fetched = []  # the context's requests include the service worker's
    page.context.on("request", lambda request: fetched.append(request.url))
    wait_ready(page, site_url)
    page.wait_for_function(OFFLINE_SAVED)  # the offline copy is complete, without it
    draw(page, SEVEN)
    assert settled_result(page)["digit"] == "7"
    assert not [url for url in fetched if url.endswith("model/seed.npz")]
    assert page.evaluate(DATA, "original")["state"] == "off"
    assert page.inner_text("#original-answer") == ""
    assert re.search(r"\(2\.\d MB\)", page.inner_text("#original-switch"))

    page.focus("#original-switch")
    page.keyboard.press("Space")  # a switch, from the keyboard
    assert page.get_attribute("#original-switch", "aria-checked") == "true"
    page.wait_for_function(SHOWS_THE_DRAWING, arg="original")
    assert [url for url in fetched if url.endswith("model/seed.npz")]
    assert re.fullmatch(r"Original network: 7 \(\d+ %\)", page.inner_text("#original-answer"))
    assert page.evaluate(DATA, "original")["digit"] == "7"
    assert "not calibrated" in page.inner_text("#original-note")
    assert page.inner_text("#status") == (
        "The original network is loaded; its answer appears below the probability bars."
    )
    assert settled_result(page)["digit"] == "7"  # the page's own answer is still its network's

    page.keyboard.press("Escape")
    draw(page, ONE)
    page.wait_for_function(SHOWS_THE_DRAWING, arg="original")
    assert page.evaluate(DATA, "original")["digit"] == "1"

    page.click("#original-switch")
    assert page.evaluate(DATA, "original")["state"] == "off"
    assert page.inner_text("#original-answer") == ""
    assert page.locator("#original-note").is_hidden()


def test_a_damaged_original_network_is_refused_with_a_message(new_page, site_url):
    page = new_page(service_workers="block")  # the route below sees every request

    def tamper(route):
        body = bytearray(route.fetch().body())
        body[len(body) // 2] ^= 0xFF
        route.fulfill(status=200, body=bytes(body), content_type="application/octet-stream")

    page.route("**/model/seed.npz", tamper)
    wait_ready(page, site_url)
    draw(page, SEVEN)
    settled_result(page)
    page.click("#original-switch")
    page.wait_for_function("document.getElementById('original').dataset.state === 'error'")
    assert "checksum mismatch" in page.inner_text("#original-answer")
    assert page.get_attribute("#original-switch", "aria-checked") == "false"
    assert "Traceback" not in page.content()
