"""Start-up over a slow or stalling connection: the loading screen counts bytes out of the
totals in site.json, a download that keeps flowing never times out however long it takes,
and one that stops fails with a message naming the file and how far it got.

The site is served by a server that sends the runtime's WebAssembly file in small pieces
with pauses (a slow line), or sends part of it and then nothing (a dead one). The page's
stall limit (site.json page.stallSeconds) is shortened for the test.

And a first visit downloads each file once, through the service worker, while Python
starts: the server holds the NumPy wheel back and counts requests.
"""

import json
import threading
import time

import pytest
from support import READY_TIMEOUT_MS, PageLog

from tools.serve import SiteHandler, start_server

pytestmark = pytest.mark.browser

WASM = "pyodide/pyodide.asm.wasm"
STALL_S = 2  # the page's stall limit in these tests
PIECE = 1024 * 1024  # bytes sent at a time
PAUSE_S = 0.3  # between pieces: the file takes longer than STALL_S, and flows throughout
SENT_BEFORE_STALL = 3_000_000  # bytes of the file a dead line sends before going quiet
LOADING = "document.documentElement.dataset.appState === 'loading'"
# #loading's byte counts and step, as numbers and text.
PROGRESS = """() => {
  const {received, total} = document.getElementById("loading").dataset;
  const runtime = document.querySelector('[data-step="runtime"] .step-bytes');
  return {received: Number(received ?? -1), total: Number(total ?? -1),
          step: document.documentElement.dataset.loadingStep,
          text: document.getElementById("loading-text").textContent,
          runtime: runtime.textContent.trim()};
}"""


class PacedHandler(SiteHandler):
    """Serves the site; the WebAssembly file comes in pieces with pauses, and stops for good
    after ``stop_after`` bytes when that is set (until the test ends)."""

    stop_after: int | None = None
    release = threading.Event()  # set when the test ends: a stopped response may finish

    def copyfile(self, source, outputfile) -> None:
        if not self.path.split("?")[0].endswith(WASM):
            super().copyfile(source, outputfile)
            return
        sent = 0
        while piece := source.read(PIECE):
            if self.stop_after is not None and sent + len(piece) > self.stop_after:
                outputfile.write(piece[: self.stop_after - sent])
                outputfile.flush()
                self.release.wait()
                return
            outputfile.write(piece)
            outputfile.flush()
            sent += len(piece)
            time.sleep(PAUSE_S)


@pytest.fixture
def paced_site(built_site, request):
    """The built site served with a paced WebAssembly file; ``request.param``: the bytes
    after which it stops, or None for a slow line that never stops."""
    handler_class = type("Handler", (PacedHandler,), {"stop_after": request.param})
    handler_class.release = threading.Event()
    server = start_server(built_site, handler_class=handler_class)
    yield f"http://127.0.0.1:{server.server_port}/"
    handler_class.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def paced_page(browser, paced_site):
    """A fresh page on the paced site, with the short stall limit; fails the test on any
    page error, console error, HTTP error or request off the site's origin."""
    log = PageLog(paced_site.rstrip("/"))
    context = browser.new_context()
    page = context.new_page()
    log.watch(page)

    def short_stall_limit(route):
        site = route.fetch().json()
        site["page"]["stallSeconds"] = STALL_S
        route.fulfill(json=site)

    page.route("**/site.json", short_stall_limit)
    yield page, paced_site
    context.close()
    assert log.problems() == []


def total_bytes(built_site, group: str | None = None) -> int:
    """Bytes of site.json "downloads", in all or of one step."""
    downloads = json.loads((built_site / "site.json").read_text())["downloads"]
    groups = [downloads[group]] if group else downloads.values()
    return sum(entry["bytes"] for entries in groups for entry in entries.values())


@pytest.mark.parametrize("paced_site", [None], indirect=True)
def test_a_slow_download_shows_bytes_and_never_times_out(paced_page, built_site):
    page, url = paced_page
    started = time.monotonic()
    page.goto(url)
    page.wait_for_function(f"{LOADING} && ({PROGRESS})().received > 0", timeout=READY_TIMEOUT_MS)
    samples = [page.evaluate(PROGRESS)]
    while page.evaluate(LOADING) and samples[-1]["received"] < samples[-1]["total"]:
        page.wait_for_timeout(500)
        samples.append(page.evaluate(PROGRESS))
    page.wait_for_function(f"!({LOADING})", timeout=READY_TIMEOUT_MS)
    assert page.evaluate("document.documentElement.dataset.appState") == "ready"  # slow is fine
    assert time.monotonic() - started > 2 * STALL_S  # longer than the stall limit
    during = [s for s in samples if 0 < s["received"] < s["total"]]
    assert len(during) >= 3, samples
    assert all(s["total"] == total_bytes(built_site) for s in during)
    received = [s["received"] for s in during]
    assert received == sorted(received) and received[-1] > received[0]
    assert all(s["step"] == "runtime" for s in during)  # the slow file's step
    runtime_mb = f"{total_bytes(built_site, 'runtime') / 1e6:.1f}"
    for sample in during:
        total = f"{sample['total'] / 1e6:.1f}"
        assert sample["text"] == f"Downloading… {sample['received'] / 1e6:.1f} of {total} MB"
        assert sample["runtime"].endswith(f" of {runtime_mb} MB")


@pytest.mark.parametrize("paced_site", [SENT_BEFORE_STALL], indirect=True)
def test_a_stalled_download_fails_naming_the_file(paced_page, built_site):
    page, url = paced_page
    started = time.monotonic()
    page.goto(url)
    page.wait_for_function(f"!({LOADING})", timeout=READY_TIMEOUT_MS)
    assert time.monotonic() - started >= STALL_S  # not before the limit
    assert page.evaluate("document.documentElement.dataset.appState") == "error"
    message = page.inner_text("#banner-text")
    wasm_mb = (built_site / WASM).stat().st_size / 1e6
    assert message.startswith(f"The download stopped: nothing has arrived for {STALL_S} s")
    assert f"(pyodide.asm.wasm: {SENT_BEFORE_STALL / 1e6:.1f} of {wasm_mb:.1f} MB)" in message
    assert message.endswith("Check the connection and reload.")


NUMPY_WHEEL = "numpy-"  # the start of the NumPy wheel's file name


class CountingHandler(SiteHandler):
    """Serves the site, counting GET requests per path; holds the NumPy wheel back until
    ``release`` is set."""

    counts: dict[str, int]
    release: threading.Event
    lock = threading.Lock()

    def do_GET(self) -> None:
        path = self.path.split("?")[0].lstrip("/")
        with self.lock:
            self.counts[path] = self.counts.get(path, 0) + 1
        if path.split("/")[-1].startswith(NUMPY_WHEEL):
            self.release.wait(READY_TIMEOUT_MS / 1000)
        super().do_GET()


@pytest.fixture
def counting_site(built_site):
    """The built site, served by a CountingHandler: (url, counts, release)."""
    handler_class = type(
        "Handler", (CountingHandler,), {"counts": {}, "release": threading.Event()}
    )
    server = start_server(built_site, handler_class=handler_class)
    yield f"http://127.0.0.1:{server.server_port}/", handler_class.counts, handler_class.release
    handler_class.release.set()
    server.shutdown()
    server.server_close()


def test_a_first_visit_starts_python_during_the_downloads_and_fetches_each_file_once(
    browser, counting_site, built_site
):
    """The service worker hands the bytes of each download to both the page's counted
    download and the Python worker's request (sw.js): Python asks for the runtime while
    the NumPy wheel is still held back, and the server sends every file once."""
    url, counts, release = counting_site
    log = PageLog(url.rstrip("/"))
    context = browser.new_context()
    page = context.new_page()
    log.watch(page)
    answered = []  # (path, from the service worker) of each finished request
    context.on(
        "requestfinished",
        lambda request: answered.append(
            (request.url.removeprefix(url), request.response().from_service_worker)
        ),
    )
    page.goto(url)
    deadline = time.monotonic() + READY_TIMEOUT_MS / 1000
    while answered.count((WASM, True)) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    # Both the page's download and the Python worker got the runtime from the service worker,
    # and the page still waits for NumPy.
    assert answered.count((WASM, True)) == 2, answered
    assert page.evaluate(LOADING)
    release.set()
    page.wait_for_function(f"!({LOADING})", timeout=READY_TIMEOUT_MS)
    assert page.evaluate("document.documentElement.dataset.appState") == "ready"
    page.wait_for_function("document.documentElement.dataset.offline === 'saved'")
    downloads = json.loads((built_site / "site.json").read_text())["downloads"]
    paths = [path for entries in downloads.values() for path in entries]
    assert {path: counts.get(path) for path in paths} == dict.fromkeys(paths, 1)
    context.close()
    assert log.problems() == []
