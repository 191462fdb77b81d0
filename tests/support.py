"""Helpers the tests share: the page's pad, waiting for it, and what a page did."""

import re

import pytest

from tools.eval_strokes import RESULT, SETTLED

__all__ = [
    "INK_PIXELS",
    "READY_TIMEOUT_MS",
    "SEVEN",
    "PageLog",
    "draw",
    "settled_result",
    "wait_ready",
]

READY_TIMEOUT_MS = 120_000  # cold start of Pyodide on a busy two-core machine


INK_PIXELS = """() => {
  const pad = document.getElementById('pad');
  const data = pad.getContext('2d').getImageData(0, 0, pad.width, pad.height).data;
  let n = 0;
  for (let i = 3; i < data.length; i += 4) n += data[i] > 0;
  return n;
}"""
SEVEN = [[(0.25, 0.2), (0.5, 0.2), (0.75, 0.2), (0.65, 0.45), (0.55, 0.65), (0.45, 0.85)]]


def draw(page, strokes, steps: int = 4) -> None:
    """Draw strokes with the mouse; points are fractions of the pad's side (the pad is
    scrolled into view first: the mouse only reaches what is on screen)."""
    pad = page.locator("#pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()

    def at(point):
        return box["x"] + point[0] * box["width"], box["y"] + point[1] * box["height"]

    for stroke in strokes:
        page.mouse.move(*at(stroke[0]))
        page.mouse.down()
        for point in stroke[1:]:
            page.mouse.move(*at(point), steps=steps)
        page.mouse.up()


def settled_result(page) -> dict:
    """Wait until the result panel shows the current drawing, then return its data-*."""
    page.wait_for_function(SETTLED)
    return page.evaluate(RESULT)


class PageLog:
    """What a page did: requests, HTTP failures, console errors and uncaught exceptions."""

    def __init__(self, origin: str):
        self.origin = origin
        self.requests: list[str] = []
        self.http_errors: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.expected: list[re.Pattern] = []  # errors a test causes on purpose (expect)

    def watch(self, page) -> None:
        """Record everything ``page`` does from now on."""
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("response", self._response)
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))

    def _response(self, response) -> None:
        if response.status >= 400:
            self.http_errors.append(f"{response.status} {response.url}")

    def off_origin(self) -> list[str]:
        """Requests to anything other than the site's own origin. data: URLs and the page's
        own blob: URLs (an uploaded file shown back, in the tab's memory) stay in the tab."""
        local = (self.origin + "/", f"blob:{self.origin}/", "data:")
        return [url for url in self.requests if not url.startswith(local)]

    def assert_clean(self) -> None:
        """Fail the test on any of :meth:`problems`."""
        problems = self.problems()
        if problems:
            pytest.fail("page misbehaved:\n" + "\n".join(problems))

    def expect(self, *patterns: str) -> None:
        """Allow the page, console and HTTP errors matching any of these regular expressions
        (a test that breaks the page on purpose names what it breaks)."""
        self.expected += [re.compile(pattern) for pattern in patterns]

    def problems(self) -> list[str]:
        """Every recorded failure: off-origin requests, and errors not expected."""
        found = [f"off-origin request: {url}" for url in self.off_origin()]
        for kind, texts in (
            ("page error", self.page_errors),
            ("console error", self.console_errors),
            ("HTTP error", self.http_errors),
        ):
            found += [
                f"{kind}: {text}"
                for text in texts
                if not any(pattern.search(text) for pattern in self.expected)
            ]
        return found


def wait_ready(page, url: str) -> None:
    """Navigate and wait for <html data-app-state> to leave "loading"; fail unless ready."""
    page.goto(url)
    page.wait_for_function(
        "document.documentElement.dataset.appState !== 'loading'", timeout=READY_TIMEOUT_MS
    )
    state = page.evaluate("document.documentElement.dataset.appState")
    assert state == "ready", page.inner_text("#banner")
