"""Helpers the tests share: the page's pad, waiting for it, what a page did, and a started
page that tests take turns on."""

import re
import warnings

import pytest

from tools.eval_strokes import RESULT, SETTLED

__all__ = [
    "FAILED",
    "INK_PIXELS",
    "PHONES",
    "READY_TIMEOUT_MS",
    "RECORD_SHIFTS",
    "RECORD_VIOLATIONS",
    "SEVEN",
    "STATE_JS",
    "PageLog",
    "SharedPage",
    "draw",
    "ended_ready",
    "record_into",
    "settled_result",
    "wait_ready",
]

READY_TIMEOUT_MS = 120_000  # cold start of Pyodide on a busy two-core machine

# CSS pixels: iPhone SE, iPhone 13 (visible area in Safari), Pixel 7 in landscape, and
# iPhone SE in landscape (the pad is taller than what is left below the heading there).
PHONES = {
    "320x568": {"width": 320, "height": 568},
    "390x664": {"width": 390, "height": 664},
    "915x412": {"width": 915, "height": 412},
    "568x320": {"width": 568, "height": 320},
}
# Sums every layout shift from the first paint on (window.__shift), and keeps the pad's
# box as it was when the page left "loading" (window.__padBeforeReady), read before the
# browser lays out the ready state.
RECORD_SHIFTS = """
window.__shift = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__shift += entry.value;
}).observe({ type: "layout-shift", buffered: true });
addEventListener("DOMContentLoaded", () => {
  const root = document.documentElement;
  const box = () => document.getElementById("pad").getBoundingClientRect().toJSON();
  let last = box();
  new MutationObserver(() => {
    if (root.dataset.appState === "loading") return;
    window.__padBeforeReady = last;
  }).observe(root, { attributes: true, attributeFilter: ["data-app-state"] });
  const watch = () => {
    if (root.dataset.appState !== "loading") return;
    last = box();
    requestAnimationFrame(watch);
  };
  watch();
});
"""


INK_PIXELS = """() => {
  const pad = document.getElementById('pad');
  const data = pad.getContext('2d').getImageData(0, 0, pad.width, pad.height).data;
  let n = 0;
  for (let i = 3; i < data.length; i += 4) n += data[i] > 0;
  return n;
}"""
SEVEN = [[(0.25, 0.2), (0.5, 0.2), (0.75, 0.2), (0.65, 0.45), (0.55, 0.65), (0.45, 0.85)]]


def draw(page, strokes, steps: int = 4) -> None:
    """Draw strokes with the mouse; points are fractions of a square as high as the pad, in
    its middle, as a person draws one digit on it (the pad is scrolled into view first: the
    mouse only reaches what is on screen)."""
    pad = page.locator("#pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    side = box["height"]
    left = box["x"] + (box["width"] - side) / 2

    def at(point):
        return left + point[0] * side, box["y"] + point[1] * side

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
        record_into(page, lambda: self)

    def take_over(self, other: "PageLog") -> None:
        """Add what ``other`` recorded to this record."""
        self.requests += other.requests
        self.http_errors += other.http_errors
        self.console_errors += other.console_errors
        self.page_errors += other.page_errors

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


def record_into(page, current_log) -> None:
    """Record everything ``page`` does from now on into ``current_log()`` (a page that tests
    take turns on records into the running test's log)."""

    def response(response) -> None:
        if response.status >= 400:
            current_log().http_errors.append(f"{response.status} {response.url}")

    def console(message) -> None:
        if message.type == "error":
            current_log().console_errors.append(message.text)

    page.on("request", lambda request: current_log().requests.append(request.url))
    page.on("response", response)
    page.on("console", console)
    page.on("pageerror", lambda error: current_log().page_errors.append(str(error)))


def wait_ready(page, url: str) -> None:
    """Navigate and wait for <html data-app-state> to leave "loading"; fail unless ready."""
    page.goto(url)
    ended_ready(page)


def ended_ready(page) -> None:
    """Wait for the page's start (<html data-app-state> leaves "loading"); fail unless ready."""
    page.wait_for_function(
        "document.documentElement.dataset.appState !== 'loading'", timeout=READY_TIMEOUT_MS
    )
    state = page.evaluate("document.documentElement.dataset.appState")
    assert state == "ready", page.inner_text("#banner")


# Records every CSP violation from the first script on (init scripts are not subject to CSP).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
addEventListener("securitypolicyviolation", (e) =>
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}`));
"""

FAILED = pytest.StashKey[bool]()  # set on a test's item by conftest when any phase failed

# Returns a used page to what a new one shows, with what the page's own controls and pointer
# handlers do: the page keeps no other state a test can see. An upload's answer (or error) and
# its preview give way to the answer to a drawing (a dot, drawn and answered); Undo is pressed
# until there is nothing left to undo; then a stroke that a second finger takes back (a pinch)
# empties the redo list and leaves nothing to undo. Resolves once #result shows the empty pad,
# and the pad is drawn.
RESET_JS = """async () => {
  const byId = (id) => document.getElementById(id);
  const pad = byId("pad");
  const result = byId("result");
  const possible = (name) => byId(name).getAttribute("aria-disabled") === "false";
  const answered = () => new Promise((resolve, reject) => {
    const start = performance.now();
    const poll = () => {
      if (result.dataset.version === pad.dataset.version && !result.hasAttribute("aria-busy")) {
        requestAnimationFrame(() => resolve());
      } else if (performance.now() - start > 10000) {
        reject(new Error("#result never showed the pad's latest state"));
      } else setTimeout(poll, 5);
    };
    poll();
  });
  const touch = (type, pointerId, isPrimary) => {
    const box = pad.getBoundingClientRect();
    pad.dispatchEvent(new PointerEvent(type, {
      bubbles: true, cancelable: true, pointerId, pointerType: "touch", isPrimary, button: 0,
      buttons: type === "pointerup" ? 0 : 1,
      clientX: box.left + box.width / 2, clientY: box.top + box.height / 2,
    }));
  };
  document.activeElement?.blur();
  scrollTo(0, 0);
  await answered();
  if (!byId("upload-preview").hidden || result.dataset.state !== "empty") {
    touch("pointerdown", 901, true);
    touch("pointerup", 901, true);
    await answered();
  }
  for (let n = 0; possible("undo") && n < 100000; n++) byId("undo").click();
  if (possible("redo")) {
    touch("pointerdown", 902, true);
    touch("pointerdown", 903, false);
    touch("pointerup", 903, false);
    touch("pointerup", 902, true);
  }
  await answered();
}"""
# What a test sees of the page's state without changing it (compared with a new page's).
STATE_JS = f"""() => {{
  const byId = (id) => document.getElementById(id);
  const result = byId("result");
  return {{
    appState: document.documentElement.dataset.appState,
    possible: ["undo", "redo", "clear"].filter(
      (name) => byId(name).getAttribute("aria-disabled") !== "true"),
    result: result.dataset.state,
    busy: result.hasAttribute("aria-busy"),
    digit: byId("digit").textContent,
    message: byId("message").textContent,
    uploadShown: !byId("upload-preview").hidden,
    insideOpen: byId("inside-toggle").getAttribute("aria-expanded"),
    originalOn: byId("original-switch").getAttribute("aria-checked"),
    ink: ({INK_PIXELS})(),
    scroll: [scrollX, scrollY],
    focus: document.activeElement.tagName + "#" + document.activeElement.id,
  }};
}}"""


class SharedPage:
    """One ready page that tests take turns on, instead of a cold start (seconds) each.

    :meth:`take` hands the page to a test as good as new: reset (RESET_JS; its viewport,
    scroll and focus as at the start; no routes), and recording into the test's own PageLog,
    so that each test still fails on its own page errors, console errors, HTTP errors and
    requests off the site's origin. A page that cannot be reset, or that a failed test used,
    is closed, and the next test gets a newly started one.
    """

    def __init__(self, browser, url: str, *, init_script: str | None = None, **context_options):
        from playwright.sync_api import Error

        self.playwright_error = Error
        self.browser = browser
        self.url = url
        self.init_script = init_script
        self.context_options = context_options
        self.origin = url.rstrip("/")
        self.log = PageLog(self.origin)  # what the page does while no test holds it
        self.context = None
        self.page = None
        self.viewport = None
        self.new_state = None  # STATE_JS on the page once it was ready

    def take(self, log: PageLog):
        """The page, ready and reset, recording into ``log`` (which also gets what the page
        did since the last test gave it back)."""
        log.take_over(self.log)
        self.log = log
        try:
            if self.new_state is not None:
                left = self.reset()
                if left:
                    warnings.warn(f"a new page replaces the shared one: {left}", stacklevel=1)
                    self._close()
            if self.new_state is None:
                self.start()
                ended_ready(self.page)
                self.viewport = self.page.viewport_size
                self.new_state = self.page.evaluate(STATE_JS)
        except BaseException:
            self._close()
            raise
        return self.page

    def give_back(self, spoiled: bool) -> None:
        """The test is over; a ``spoiled`` page (its test failed) is closed."""
        if self.page is not None and not spoiled:
            try:
                self.page.evaluate("() => new Promise((resolve) => setTimeout(resolve))")
            except self.playwright_error:
                spoiled = True
        if spoiled:
            self._close()
        self.log = PageLog(self.origin)

    def close(self) -> None:
        """Close the page; fail on what it did wrong since the last test gave it back."""
        self._close()
        self.log.assert_clean()

    def start(self) -> None:
        """Open the page and go to the site, without waiting for the start to end (the first
        :meth:`take` waits): pages started one after another start side by side."""
        if self.page is not None:
            return
        try:
            self.context = self.browser.new_context(**self.context_options)
            if self.init_script:
                self.context.add_init_script(self.init_script)
            self.page = self.context.new_page()
            record_into(self.page, lambda: self.log)
            # File pickers are caught from now on (turning that on takes a moment; a picker
            # opened before it is done would open for real and never be seen).
            self.page.on("filechooser", lambda chooser: None)
            self.page.goto(self.url, wait_until="commit")
        except BaseException:
            self._close()
            raise

    def reset(self) -> str:
        """Reset the page; what differs from the new page's state afterwards ("" when nothing)."""
        page = self.page
        if page.is_closed():
            return "it was closed"
        if page.url != self.url:
            return f"it went to {page.url}"
        try:
            page.unroute_all()
            if page.viewport_size != self.viewport:
                page.set_viewport_size(self.viewport)
            page.evaluate(RESET_JS)
            state = page.evaluate(STATE_JS)
        except self.playwright_error as error:
            return str(error).splitlines()[0]
        return ", ".join(
            f"{key} {state[key]!r}, not {new!r}"
            for key, new in self.new_state.items()
            if state[key] != new
        )

    def _close(self) -> None:
        context = self.context
        self.context = self.page = self.viewport = self.new_state = None
        if context is not None:
            context.close()

    def turn(self, request, log: PageLog):
        """Generator for a function-scoped fixture: yields the page for ``request``'s test,
        then gives it back and fails the test on anything ``log`` holds."""
        page = self.take(log)
        yield page
        self.give_back(spoiled=request.node.stash.get(FAILED, False) or bool(log.problems()))
        log.assert_clean()
