"""Shared pytest fixtures."""

import os
from pathlib import Path

import pytest

from tools.eval_strokes import CHROMIUM_ARGS, RESULT, SETTLED

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """Folder with the four MNIST .gz files: $MNIST_DIR, else ../shared/data/mnist.

    Skips the test when the folder is absent (tests never download MNIST).
    """
    path = Path(os.environ.get("MNIST_DIR") or REPO_ROOT.parent / "shared" / "data" / "mnist")
    if not (path / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"MNIST not found in {path} (set MNIST_DIR)")
    return path


# ---- the built site, served, and a browser -------------------------------------------


# ---- drawing on the page's pad ------------------------------------------------------

INK_PIXELS = """() => {
  const pad = document.getElementById('pad');
  const data = pad.getContext('2d').getImageData(0, 0, pad.width, pad.height).data;
  let n = 0;
  for (let i = 3; i < data.length; i += 4) n += data[i] > 0;
  return n;
}"""
SEVEN = [[(0.25, 0.2), (0.5, 0.2), (0.75, 0.2), (0.65, 0.45), (0.55, 0.65), (0.45, 0.85)]]


def draw(page, strokes, steps: int = 4) -> None:
    """Draw strokes with the mouse; points are fractions of the pad's side."""
    box = page.locator("#pad").bounding_box()

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


READY_TIMEOUT_MS = 120_000  # cold start of Pyodide on a busy two-core machine


def _unavailable(message: str):
    """Skip, or fail when REQUIRE_SHARED_DATA is set (CI must not skip silently)."""
    if os.environ.get("REQUIRE_SHARED_DATA"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pyodide_wheels() -> Path:
    """Folder with the Pyodide wheels: $PYODIDE_WHEELS, else ../shared/pyodide."""
    path = Path(os.environ.get("PYODIDE_WHEELS") or REPO_ROOT.parent / "shared" / "pyodide")
    if not any(path.glob("numpy-*.whl")):
        _unavailable(f"Pyodide wheels not found in {path} (set PYODIDE_WHEELS)")
    return path


@pytest.fixture(scope="session")
def pendigits_file() -> Path:
    """UNIPEN pen trajectories: $PENDIGITS_FILE, else ../shared/data/pendigits/."""
    default = REPO_ROOT.parent / "shared" / "data" / "pendigits" / "pendigits-orig.tra"
    path = Path(os.environ.get("PENDIGITS_FILE") or default)
    if not path.is_file():
        _unavailable(f"pen data not found at {path} (set PENDIGITS_FILE)")
    return path


@pytest.fixture(scope="session")
def weights_dir() -> Path:
    """Folder of weight presets the page is built with: $WEIGHTS_DIR, else weights/."""
    path = Path(os.environ.get("WEIGHTS_DIR") or REPO_ROOT / "weights")
    if not (path / "default.npz").is_file():
        _unavailable(f"{path}/default.npz is missing (python build_weights.py)")
    return path


@pytest.fixture(scope="session")
def built_site(tmp_path_factory, pyodide_wheels, weights_dir) -> Path:
    """The site built once per session into a temporary folder."""
    from tools.build_site import build_site

    out = tmp_path_factory.mktemp("site") / "site"
    return build_site(out, wheels=pyodide_wheels, weights_dir=weights_dir).out


@pytest.fixture(scope="session")
def site_url(built_site) -> str:
    """http://127.0.0.1:PORT/ serving the built site for the whole session."""
    from tools.serve import start_server

    server = start_server(built_site)
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium ($CHROMIUM_PATH, else /usr/bin/chromium) via Playwright."""
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not Path(executable).is_file():
        _unavailable(f"Chromium not found at {executable} (set CHROMIUM_PATH)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageLog:
    """What a page did: requests, HTTP failures, console errors and uncaught exceptions."""

    def __init__(self, origin: str):
        self.origin = origin
        self.requests: list[str] = []
        self.http_errors: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.errors_expected = False  # set by tests that break the page on purpose

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

    def problems(self) -> list[str]:
        """Every recorded failure; errors other than off-origin requests count unless expected."""
        found = [f"off-origin request: {url}" for url in self.off_origin()]
        if not self.errors_expected:
            found += [f"page error: {text}" for text in self.page_errors]
            found += [f"console error: {text}" for text in self.console_errors]
            found += [f"HTTP error: {text}" for text in self.http_errors]
        return found


@pytest.fixture
def page_log(site_url) -> PageLog:
    """The record of the test's pages (all pages of one test share it)."""
    return PageLog(site_url.rstrip("/"))


@pytest.fixture
def new_page(browser, page_log):
    """Factory: ``new_page(**context_options)`` opens a recorded page in a fresh context.

    At teardown the test fails on any page error, console error, HTTP error or request
    off the site's origin (console/HTTP errors allowed when ``page_log.errors_expected``).
    """
    contexts = []

    def open_page(**context_options):
        context = browser.new_context(**context_options)
        contexts.append(context)
        page = context.new_page()
        page_log.watch(page)
        return page

    yield open_page
    for context in contexts:
        context.close()
    problems = page_log.problems()
    if problems:
        pytest.fail("page misbehaved:\n" + "\n".join(problems))


@pytest.fixture
def page(new_page):
    """A fresh recorded page, not yet navigated."""
    return new_page()


def wait_ready(page, url: str) -> None:
    """Navigate and wait for <html data-app-state> to leave "loading"; fail unless ready."""
    page.goto(url)
    page.wait_for_function(
        "document.documentElement.dataset.appState !== 'loading'", timeout=READY_TIMEOUT_MS
    )
    state = page.evaluate("document.documentElement.dataset.appState")
    assert state == "ready", page.inner_text("#banner")


@pytest.fixture
def app(page, site_url):
    """The page loaded and ready to recognise."""
    wait_ready(page, site_url)
    return page
