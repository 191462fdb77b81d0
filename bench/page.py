"""The page in headless Chromium: start-up time, first-load bytes, pointer-up latency.

Start-up is navigation start -> ``<html data-app-state="ready">``, read from the page's
own clock (``performance.now()`` when the attribute changes), for the app and for the
floor page (PyScript importing NumPy and Pillow only). Cold runs use a fresh browser
context (empty profile and caches); the warm run is a second visit in that context.
"""

import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from bench.site import FLOOR_DIR
from bench.stats import ratio, summary
from tools import unipen
from tools.eval_strokes import CHROMIUM_ARGS, RESULT, answered_after, draw_with_events, pad_side

__all__ = ["big_photo", "latency", "startup_and_bytes"]

READY_TIMEOUT_MS = 300_000
# Records when <html data-app-state> leaves "loading", on the page's clock (ms since
# navigation start).
WATCH_STATE_JS = """
new MutationObserver(() => {
  const state = document.documentElement.dataset.appState;
  if (state !== "loading" && window.__benchState === undefined) {
    window.__benchState = { state, at: performance.now() };
  }
}).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-app-state"] });
"""


def _launch(playwright, chromium: str):
    return playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)


def _visit(context, url: str, base: str, sizes: dict | None = None) -> float:
    """Open url in a new tab of context; return ms from navigation start to ready.

    sizes : when given, filled with the transferred bytes per file (see _bytes_by_file).
    """
    page = context.new_page()
    page.add_init_script(WATCH_STATE_JS)
    requests = []
    page.on("requestfinished", lambda request: requests.append(request))
    try:
        page.goto(url, wait_until="commit")
        page.wait_for_function("window.__benchState !== undefined", timeout=READY_TIMEOUT_MS)
        state = page.evaluate("window.__benchState")
        if state["state"] != "ready":
            raise RuntimeError(f"{url}: the page reached state {state['state']!r}")
        page.wait_for_load_state("networkidle")
        if sizes is not None:
            sizes.update(_bytes_by_file(requests, base))
        return float(state["at"])
    finally:
        page.close()


def _bytes_by_file(requests: list, base: str) -> dict[str, int]:
    """Transferred bytes (headers + body) per same-origin path, from finished requests."""
    sizes: dict[str, int] = defaultdict(int)
    for request in requests:
        if not request.url.startswith(base):
            continue
        got = request.sizes()
        path = request.url[len(base) :].split("?")[0] or "index.html"
        sizes[path] += got["responseBodySize"] + got["responseHeadersSize"]
    return dict(sorted(sizes.items(), key=lambda item: -item[1]))


def startup_and_bytes(base_url: str, chromium: str, runs: int) -> dict:
    """Cold and warm start-up of the app and the floor page; bytes of one cold load each.

    base_url : the served site's root, ending in "/".
    """
    from playwright.sync_api import sync_playwright

    pages = {"app": base_url, "floor": f"{base_url}{FLOOR_DIR}/"}
    times = {name: {"cold": [], "warm": []} for name in pages}
    first_load = {}
    with sync_playwright() as playwright:
        browser = _launch(playwright, chromium)
        try:
            for run in range(runs):
                order = list(pages.items())[:: 1 if run % 2 == 0 else -1]
                for name, url in order:  # alternate, so background load hits both alike
                    context = browser.new_context(viewport={"width": 1280, "height": 900})
                    try:
                        sizes = first_load.setdefault(name, {}) if run == 0 else None
                        times[name]["cold"].append(_visit(context, url, base_url, sizes))
                        times[name]["warm"].append(_visit(context, url, base_url))
                    finally:
                        context.close()
        finally:
            browser.close()
    report = {
        name: {kind: summary(values) for kind, values in by_kind.items()}
        for name, by_kind in times.items()
    }
    for kind in ("cold", "warm"):
        report[f"ratio_app_to_floor_{kind}"] = ratio(report["app"][kind], report["floor"][kind])
    report["runs"] = runs
    report["bytes"] = {
        name: {"total": sum(files.values()), "files": files} for name, files in first_load.items()
    }
    return report


@contextmanager
def _ready_page(chromium: str, base_url: str):
    """A desktop-sized tab of a fresh browser with the app started (yielded), then closed."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = _launch(playwright, chromium)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.add_init_script(WATCH_STATE_JS)
            page.goto(base_url)
            page.wait_for_function("window.__benchState !== undefined", timeout=READY_TIMEOUT_MS)
            yield page
        finally:
            browser.close()


def latency(base_url: str, chromium: str, pen_file: Path, count: int) -> dict:
    """Pointer-up -> result latency (ms) over ``count`` real pen digits drawn in the app."""
    digits = unipen.load_pendigits(pen_file)
    order = np.random.default_rng(1).permutation(len(digits))[:count]
    samples = {"dom": [], "frame": []}
    with _ready_page(chromium, base_url) as page:
        side = pad_side(page)
        for index in order:
            strokes = unipen.fit_to_canvas(digits[index].strokes, side)
            got = draw_with_events(page, strokes, frame=True)
            samples["dom"].append(got["upToDomMs"])
            samples["frame"].append(got["upToFrameMs"])
    return {
        "digits": len(order),
        "pointer_up_to_dom_ms": summary(samples["dom"]),
        "pointer_up_to_frame_ms": summary(samples["frame"]),
    }


def big_photo(base_url: str, chromium: str, photo: bytes, runs: int = 3) -> dict:
    """Upload a large JPEG in the page ``runs`` times: the page's own time for reading it
    (``data-ms``: decoding, finding the digit, the network) and the time from handing the
    file to the page to the answer on screen, ms."""
    file = {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": photo}
    samples = {"page": [], "wall": []}
    with _ready_page(chromium, base_url) as page:
        for _ in range(runs):
            before = page.evaluate("document.getElementById('result').dataset.seq")
            start = time.perf_counter()
            page.set_input_files("#upload", files=[file])
            page.wait_for_function(answered_after(before), timeout=READY_TIMEOUT_MS)
            samples["wall"].append(1000 * (time.perf_counter() - start))
            result = page.evaluate(RESULT)
            samples["page"].append(float(result.get("ms", "nan")))
    return {
        "bytes": len(photo),
        "digit": result.get("digit"),
        "page_ms": summary(samples["page"]),
        "file_to_answer_ms": summary(samples["wall"]),
    }
