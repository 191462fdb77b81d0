"""The fixtures tests share: the data outside the repository, the built site, a browser,
pages, and the Pyodide runs of test_pyodide.

A page's start takes seconds, so most page tests take turns on one started page (``app``),
reset for each; the checks of what a start shows read a page that only started
(``started_app``); tests that start, break or take a page offline open their own
(``new_page``). Those pages and the Pyodide runs start early (EARLY), beside other tests.

Paths come from ``tools.paths`` (an environment variable, else ``../shared``); the helpers
tests call directly are in ``support.py``.
"""

import importlib.util
import os
from pathlib import Path

import pytest
from support import (
    FAILED,
    PHONES,
    RECORD_SHIFTS,
    RECORD_VIOLATIONS,
    STATE_JS,
    PageLog,
    SharedPage,
    ended_ready,
)

from tools.eval_strokes import CHROMIUM_ARGS
from tools.paths import REPO_ROOT, shared_path


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Mark the item when a phase failed (a page it shared is not given to the next test)."""
    report = yield
    if report.failed:
        item.stash[FAILED] = True
    return report


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """Folder with the four MNIST .gz files: $MNIST_DIR, else ../shared/data/mnist.

    Skips the test when the folder is absent (tests never download MNIST).
    """
    path = shared_path("MNIST_DIR")
    if not (path / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"MNIST not found in {path} (set MNIST_DIR)")
    return path


def _unavailable(message: str):
    """Skip, or fail when REQUIRE_SHARED_DATA is set (CI must not skip silently)."""
    if os.environ.get("REQUIRE_SHARED_DATA"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pyodide_wheels() -> Path:
    """Folder with the Pyodide wheels: $PYODIDE_WHEELS, else ../shared/pyodide."""
    path = shared_path("PYODIDE_WHEELS")
    if not any(path.glob("numpy-*.whl")):
        _unavailable(f"Pyodide wheels not found in {path} (set PYODIDE_WHEELS)")
    return path


@pytest.fixture(scope="session")
def pendigits_file() -> Path:
    """UNIPEN pen trajectories: $PENDIGITS_FILE, else ../shared/data/pendigits/."""
    path = shared_path("PENDIGITS_FILE")
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
def largest_uploads() -> dict[str, bytes]:
    """tools.upload_files.largest_accepted(), made once (seconds: 17 MB of images)."""
    from tools.upload_files import largest_accepted

    return largest_accepted()


@pytest.fixture(scope="session")
def pyodide_memory(tmp_path_factory, largest_uploads):
    """test_pyodide's memory budget script on the largest accepted uploads, running in a
    Pyodide of its own (started early: see EARLY)."""
    from pyodide_runs import node_missing, start_memory

    if missing := node_missing():
        pytest.skip(missing)
    run = start_memory(tmp_path_factory.mktemp("memory"), largest_uploads)
    yield run
    run.started.stop()


@pytest.fixture(scope="session")
def pyodide_jobs(tmp_path_factory, mnist_dir, pendigits_file):
    """test_pyodide's scripts with their inputs, running in one Pyodide (started early: see
    EARLY)."""
    from pyodide_runs import node_missing, start_jobs

    if missing := node_missing():
        pytest.skip(missing)
    run = start_jobs(tmp_path_factory.mktemp("pyodide"), mnist_dir, pendigits_file)
    yield run
    run.started.stop()


@pytest.fixture(scope="session")
def quick_builds(tmp_path_factory, mnist_dir, pendigits_file):
    """``build_weights.py --quick`` of each preset, running in the background (started
    early: see EARLY; the tests that use it run last: see LATE)."""
    from quick_builds import QuickBuilds

    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("TensorFlow is not installed (the training extra)")
    builds = QuickBuilds(tmp_path_factory.mktemp("quick-builds"), mnist_dir, pendigits_file)
    yield builds
    builds.stop()


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


@pytest.fixture
def page_log(site_url) -> PageLog:
    """The record of the test's pages (all pages of one test share it)."""
    return PageLog(site_url.rstrip("/"))


@pytest.fixture
def new_page(browser, page_log):
    """Factory: ``new_page(**context_options)`` opens a recorded page in a fresh context.

    At teardown the test fails on any page error, console error, HTTP error or request
    off the site's origin (except the errors named by ``page_log.expect``).
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
    page_log.assert_clean()


@pytest.fixture
def page(new_page):
    """A fresh recorded page, not yet navigated."""
    return new_page()


@pytest.fixture(scope="session")
def started_page(browser, site_url):
    """A desktop page that has only started, and the PageLog of all it did: the page of the
    checks of what a start shows, which only read it (no other test has it)."""
    log = PageLog(site_url.rstrip("/"))
    context = browser.new_context()
    page = context.new_page()
    log.watch(page)
    page.goto(site_url, wait_until="commit")  # the start goes on while other tests run
    yield page, log
    context.close()
    log.assert_clean()


@pytest.fixture
def start_log(started_page) -> PageLog:
    """What the page of ``started_app`` did from its start."""
    return started_page[1]


@pytest.fixture
def started_app(started_page):
    """A page that has only started, ready to recognise, for what only a start shows; the
    test must leave it as it is (it fails if it changed what the page shows)."""
    page, log = started_page
    ended_ready(page)
    as_started = page.evaluate(STATE_JS)
    yield page
    assert page.evaluate(STATE_JS) == as_started, "a start-up test changed the started page"
    log.assert_clean()


@pytest.fixture(scope="session")
def desktop_page(browser, site_url):
    """The one started desktop page (1280x720) that the tests of ``app`` take turns on; it
    records CSP violations from its start in ``window.__cspViolations``."""
    desktop = {"width": 1280, "height": 720}
    shared = SharedPage(browser, site_url, init_script=RECORD_VIOLATIONS, viewport=desktop)
    yield shared
    shared.close()


@pytest.fixture(scope="session")
def phone_pages(request, browser, site_url) -> dict[str, SharedPage]:
    """A phone-sized, touch-enabled page per phone the session's tests use (PHONES, at a
    device pixel ratio of 3), all started at once (started early: see EARLY); each records
    its layout shifts (RECORD_SHIFTS)."""
    items = request.session.items
    used = {item.callspec.params.get("phone_page") for item in items if hasattr(item, "callspec")}
    pages = {
        name: SharedPage(
            browser,
            site_url,
            init_script=RECORD_SHIFTS,
            viewport=viewport,
            device_scale_factor=3,
            is_mobile=True,
            has_touch=True,
        )
        for name, viewport in PHONES.items()
        if name in used
    }
    for shared in pages.values():
        shared.start()
    yield pages
    for shared in pages.values():
        shared.close()


# What starts early, in this order, when a selected test uses it: work that mostly waits (a
# page's start, Pyodide in Node) or can wait (the quick builds, at a low priority) runs while
# other tests run. It starts with the first test that takes the browser or one of these, not
# before: the tests before it (NumPy, TensorFlow) keep both cores.
EARLY = (
    "pyodide_memory",
    "pyodide_jobs",
    "desktop_page",
    "started_page",
    "phone_pages",
    "quick_builds",
)
# The tests that use these run last, so that what they wait for has had the session to run.
LATE = ("quick_builds",)


def pytest_collection_modifyitems(items):
    """Put the tests that use LATE fixtures last (in their own order)."""
    items.sort(key=lambda item: bool(set(LATE) & set(getattr(item, "fixturenames", ()))))


@pytest.fixture(scope="session")
def _early(request) -> set[str]:
    """What of EARLY the session uses and has not started yet."""
    used = {name for item in request.session.items for name in getattr(item, "fixturenames", ())}
    return used & set(EARLY)


@pytest.fixture(autouse=True)
def _start_early(request, _early):
    """Start what is left of EARLY with the first test that takes the browser or one of them
    (side by side with one another and with the tests before the first that uses each).
    What cannot start fails (or skips) the tests that use it, not this test."""
    if not _early or not {"browser", *EARLY} & set(request.fixturenames):
        return
    for name in [name for name in EARLY if name in _early]:
        _early.discard(name)
        try:
            value = request.getfixturevalue(name)
            if name == "desktop_page":
                value.start()
        except (Exception, pytest.skip.Exception, pytest.fail.Exception):
            pass  # kept by pytest with the fixture, and raised again for the tests that use it


@pytest.fixture
def app(request, desktop_page, page_log):
    """A page ready to recognise, as new: the shared desktop page, reset for this test.

    Nothing it did before shows: an empty pad, nothing to undo or redo, the empty result,
    no upload shown, not scrolled, nothing focused, no routes, the viewport it started with.
    The test fails on the page's errors and off-origin requests while it holds it (as with
    ``new_page``), and a test that fails leaves a new page to the next one.
    """
    yield from desktop_page.turn(request, page_log)
