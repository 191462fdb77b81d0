"""Offline use, the Content-Security-Policy, weights integrity, starting afresh from the error
banner, and the README screenshot."""

import base64
import io
import json
import os
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from support import READY_TIMEOUT_MS, SEVEN, draw, settled_result, wait_ready

from tools import numbers, unipen
from tools.eval_strokes import answered_after, draw_with_events, pad_size
from tools.paths import REPO_ROOT

pytestmark = pytest.mark.browser

EXPECTED_CSP = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "blob:"],  # blob: the uploaded image shown back from memory
    "script-src": ["'self'", "'unsafe-eval'"],  # 'unsafe-eval' also lets WebAssembly compile
    "worker-src": ["'self'", "blob:"],  # blob: PyScript builds the Python worker's script
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'none'"],
}
# The cache names and the keys of the service worker's saved copy.
SW_CACHE_FILLED = """async () => {
  const cache = await caches.open("digit-recognizer-files");
  return {names: await caches.keys(), keys: (await cache.keys()).map((request) => request.url)};
}"""

STARTUP_ENDED = "document.documentElement.dataset.appState !== 'loading'"
OFFLINE_SAVED = "document.documentElement.dataset.offline === 'saved'"
BYTECODE_KEPT = "document.documentElement.dataset.bytecode === 'kept'"
BYTECODE_SETTLED = "document.documentElement.dataset.bytecode !== undefined"
# The kept bytecode zip, base64.
KEPT_BYTECODE = """async () => {
  const cache = await caches.open("digit-recognizer-bytecode");
  const [request] = await cache.keys();
  const bytes = new Uint8Array(await (await cache.match(request)).arrayBuffer());
  let binary = "";
  for (let at = 0; at < bytes.length; at += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(at, at + 0x8000));
  }
  return btoa(binary);
}"""
# Replaces the kept bytecode with bytes that are not a zip.
BREAK_KEPT_BYTECODE = """async () => {
  const cache = await caches.open("digit-recognizer-bytecode");
  const [request] = await cache.keys();
  await cache.put(request, new Response("not a zip"));
}"""
# Replaces the saved copy of one file (argument: its cache key) with other bytes.
BREAK_SAVED_FILE = """async (key) => {
  const cache = await caches.open("digit-recognizer-files");
  await cache.put(key, new Response("other bytes"));
}"""


def sketch_png(strokes, side: int = 200) -> bytes:
    """Strokes (fractions of the side) drawn dark on light paper, as PNG bytes."""
    paper = Image.new("L", (side, side), 235)
    pen = ImageDraw.Draw(paper)
    for stroke in strokes:
        pen.line([(x * side, y * side) for x, y in stroke], fill=20, width=side // 14)
    buffer = io.BytesIO()
    paper.save(buffer, format="PNG")
    return buffer.getvalue()


def kept_bytecode_names(page) -> list[str]:
    """The files in the bytecode zip the page keeps."""
    data = base64.b64decode(page.evaluate(KEPT_BYTECODE))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.namelist()


def csp_of(html: str) -> dict[str, list[str]]:
    """The directives of the page's CSP <meta> tag."""
    content = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    pairs = (directive.split() for directive in content.split(";") if directive.strip())
    return {name: sources for name, *sources in pairs}


def test_csp_allows_only_the_own_origin(built_site):
    assert csp_of((built_site / "index.html").read_text()) == EXPECTED_CSP


def test_app_works_under_its_csp_without_violations(app):
    """On the shared page, which records every violation from its start (conftest)."""
    draw(app, SEVEN)
    drawn = settled_result(app)
    assert drawn["digit"] == "7"
    app.locator("#upload").set_input_files(
        {"name": "digit.png", "mimeType": "image/png", "buffer": sketch_png(SEVEN)}
    )
    app.wait_for_function(answered_after(drawn["seq"]))
    assert app.evaluate("document.getElementById('result').dataset.digit") == "7"
    assert app.evaluate("window.__cspViolations") == []


def stamped_files(site: Path) -> dict[str, str]:
    """The FILES object the build wrote into the service worker: {path: sha256}."""
    worker = (site / "sw.js").read_text()
    return json.loads(re.search(r"const FILES = (\{.*?\});", worker, re.S).group(1))


def test_works_offline_after_the_first_visit(new_page, site_url, built_site):
    """...with the Python bytecode the first visit kept (bytecode.js)."""
    page = new_page()
    wait_ready(page, site_url)
    page.wait_for_function(f"{BYTECODE_KEPT} && {OFFLINE_SAVED}")
    cache = page.evaluate(SW_CACHE_FILLED)
    assert sorted(cache["names"]) == ["digit-recognizer-bytecode", "digit-recognizer-files"]
    files = stamped_files(built_site)
    assert sorted(cache["keys"]) == sorted(f"{site_url}{p}?sha256={h}" for p, h in files.items())
    kept = kept_bytecode_names(page)
    assert any("/numpy/_core/__pycache__/" in name for name in kept)
    assert any("/recognizer/__pycache__/network." in name for name in kept)

    page.context.set_offline(True)
    wait_ready(page, site_url)  # reload with the network off
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    page.wait_for_function(BYTECODE_SETTLED)
    assert page.evaluate("document.documentElement.dataset.bytecode") == "used"
    draw(page, SEVEN)
    result = settled_result(page)
    assert result["state"] == "result" and result["digit"] == "7"


def test_damaged_kept_bytecode_is_compiled_afresh_and_kept_again(new_page, page_log, site_url):
    page = new_page()
    wait_ready(page, site_url)
    page.wait_for_function(BYTECODE_KEPT)
    page.evaluate(BREAK_KEPT_BYTECODE)
    wait_ready(page, site_url)
    page.wait_for_function(BYTECODE_KEPT)  # nothing was used: kept again
    assert kept_bytecode_names(page) != []
    draw(page, SEVEN)
    assert settled_result(page)["digit"] == "7"


def test_the_banner_button_replaces_a_broken_saved_copy(new_page, page_log, site_url, built_site):
    page = new_page()
    wait_ready(page, site_url)
    page.evaluate(SW_CACHE_FILLED)  # the service worker has saved its copy
    model = json.loads((built_site / "site.json").read_text())["model"]["path"]
    key = f"{site_url}{model}?sha256={stamped_files(built_site)[model]}"
    page.evaluate(BREAK_SAVED_FILE, key)
    for _ in range(2):  # reloading alone keeps the broken copy
        page.reload()
        page.wait_for_function(STARTUP_ENDED, timeout=READY_TIMEOUT_MS)
        assert "checksum mismatch" in page.inner_text("#banner-text")
    with page.expect_navigation():
        page.click("#retry")
    page.wait_for_function(STARTUP_ENDED, timeout=READY_TIMEOUT_MS)
    assert page.evaluate("document.documentElement.dataset.appState") == "ready"


def test_tampered_weights_are_refused(new_page, page_log, site_url):
    page = new_page()

    def tamper(route):
        body = bytearray(route.fetch().body())
        body[len(body) // 2] ^= 0xFF
        route.fulfill(status=200, body=bytes(body), content_type="application/octet-stream")

    page.context.route("**/model/default.npz", tamper)  # the service worker fetches it
    page.goto(site_url)
    page.wait_for_function(STARTUP_ENDED, timeout=READY_TIMEOUT_MS)
    assert page.evaluate("document.documentElement.dataset.appState") == "error"
    assert "checksum mismatch" in page.inner_text("#banner")
    assert "Traceback" not in page.content()


def test_readme_screenshot(app, tmp_path, pendigits_file):
    """Writes a year in a pen writer's hand and photographs the page; UPDATE_SCREENSHOT=1
    refreshes docs/."""
    page = app
    page.set_viewport_size({"width": 1100, "height": 860})  # at a device pixel ratio of 1
    assert page.evaluate("devicePixelRatio") == 1
    own = numbers.digits_by_writer(unipen.load_pendigits(pendigits_file))[7]
    width, height = pad_size(page)
    pad = numbers.Pad(round(width), round(height))
    gaps = [0.2, 0.25, 0.2]
    year = numbers.write_number(
        [own[d][1] for d in (2, 0, 2, 6)], np.random.default_rng(3), pad, 7, gaps
    )
    page.locator("#pad").scroll_into_view_if_needed()
    assert draw_with_events(page, year.strokes)["number"] == "2026"
    page.evaluate("scrollTo(0, 0)")
    target = (
        REPO_ROOT / "docs" / "screenshot.png"
        if os.environ.get("UPDATE_SCREENSHOT")
        else tmp_path / "screenshot.png"
    )
    target.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(target))
    assert Path(target).stat().st_size > 20_000
