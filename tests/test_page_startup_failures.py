"""Start-up failures show their own cause within seconds, never an endless spinner; text that
Python writes to stderr while the page starts is not a failure."""

import pytest
from support import READY_TIMEOUT_MS, wait_ready

pytestmark = pytest.mark.browser

FAILURE_SHOWN_MS = 30_000  # far below the page's last-resort limit (site.json pythonStartSeconds)
STARTUP_ENDED = "document.documentElement.dataset.appState !== 'loading'"


def serve_changed(page, pattern: str, change) -> None:
    """Serve the file matching ``pattern`` with its bytes passed through ``change``."""

    def fulfill(route):
        response = route.fetch()
        route.fulfill(response=response, body=change(response.body()))

    page.context.route(pattern, fulfill)  # the context: the service worker fetches too


def failure_after_start(page, url: str) -> str:
    """Open the page; return the banner's text, which must show within FAILURE_SHOWN_MS."""
    page.goto(url)
    page.wait_for_function(STARTUP_ENDED, timeout=FAILURE_SHOWN_MS)
    assert page.evaluate("document.documentElement.dataset.appState") == "error"
    assert page.locator("#banner").is_visible() and page.locator("#loading").is_hidden()
    return page.inner_text("#banner-text")


def test_a_corrupt_runtime_is_named_with_its_checksum_and_not_kept(new_page, page_log, site_url):
    page = new_page()
    serve_changed(page, "**/pyodide/pyodide.asm.wasm", lambda body: body[: len(body) // 2])
    message = failure_after_start(page, site_url)
    assert message.startswith("pyodide.asm.wasm arrived damaged (checksum mismatch")
    assert "connection" not in message
    page.context.unroute_all()
    page.reload()  # the service worker kept none of the damaged bytes: it downloads them again
    page.wait_for_function(STARTUP_ENDED, timeout=READY_TIMEOUT_MS)
    assert page.evaluate("document.documentElement.dataset.appState") == "ready"


def test_a_blocked_worker_is_named_at_once(new_page, page_log, site_url):
    page_log.expect("violates the following Content Security Policy directive")
    page = new_page()
    no_workers = b'<meta http-equiv="Content-Security-Policy" content="worker-src \'self\'">'
    serve_changed(page, "**/", lambda body: body.replace(b"<head>", b"<head>" + no_workers))
    message = failure_after_start(page, site_url)
    assert message == "The page's security policy (worker-src) blocked the Python worker."


def without_service_worker(new_page):
    """A fresh page whose requests Playwright can change: with a service worker, a first visit
    starts Python from the worker's own copy of its files."""
    return new_page(service_workers="block")


def test_a_python_error_at_start_shows_its_type_and_text(new_page, page_log, site_url):
    page = without_service_worker(new_page)
    error = b'raise RuntimeError("no network today")\n'
    serve_changed(page, "**/main.py", lambda body: error + body)
    message = failure_after_start(page, site_url)
    assert message == "The recognizer failed to start: RuntimeError: no network today"


def test_text_on_stderr_does_not_stop_the_start(new_page, page_log, site_url):
    page_log.expect("DeprecationWarning: something old")  # PyScript logs stderr as errors
    page = without_service_worker(new_page)
    warning = b'import sys\nprint("DeprecationWarning: something old", file=sys.stderr)\n'
    serve_changed(page, "**/main.py", lambda body: warning + body)
    wait_ready(page, site_url)
    assert any("something old" in text for text in page_log.console_errors)
    assert page_log.page_errors == [] and page_log.http_errors == []
