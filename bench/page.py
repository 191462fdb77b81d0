"""The page in headless Chromium: start-up, first-load bytes, pointer-up latency, how
long the main thread is held, and what the "look inside" panel and the original network
cost.

Start-up is navigation start -> ``<html data-app-state="ready">``, read from the page's own
clock (``performance.now()`` when the attribute changes), for the app and for the floor page
(PyScript importing NumPy and Pillow only). Cold runs use a fresh browser context (empty
profile and caches); the warm run is a second visit in that context, once the first has
finished its own work (the app's offline copy saved, ``<html data-offline="saved">``,
and Python's bytecode kept, ``<html data-bytecode="kept">``).

The main thread is measured with the Long Tasks API (``PerformanceObserver`` of type
``longtask``: every task over 50 ms) at a 4x CPU slowdown (CDP
``Emulation.setCPUThrottlingRate``, the usual stand-in for a mid-range phone), which slows
the page's Python worker down too.
"""

import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from bench.site import FLOOR_DIR
from bench.stats import ratio, summary, tail
from recognizer.network import load_network
from recognizer.reader import DigitReader
from tools import numbers, unipen
from tools.eval_numbers import read_written
from tools.eval_strokes import (
    CHROMIUM_ARGS,
    RESULT,
    SETTLED,
    answered_after,
    draw_with_events,
    on_pad,
    pad_size,
)
from tools.paths import REPO_ROOT

__all__ = [
    "big_photo",
    "latency",
    "look_inside",
    "main_thread",
    "number_latency",
    "startup_and_bytes",
]

READY_TIMEOUT_MS = 300_000
THROTTLE = 4  # CPU slowdown for the main-thread figures
LONG_TASK_MS = 50  # the Long Tasks API's threshold; blocking time is what lies above it
# Records when <html data-app-state> leaves "loading", on the page's clock (ms since
# navigation start), and every long task of the main thread: [start, duration] ms.
OBSERVE_JS = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const task of list.getEntries()) window.__longTasks.push([task.startTime, task.duration]);
}).observe({ type: "longtask", buffered: true });
new MutationObserver(() => {
  const state = document.documentElement.dataset.appState;
  if (state !== "loading" && window.__benchState === undefined) {
    window.__benchState = { state, at: performance.now() };
  }
}).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-app-state"] });
"""
OFFLINE_SAVED = "document.documentElement.dataset.offline === 'saved'"
# The app's own work after a first start: the offline copy saved, Python's bytecode kept.
FIRST_VISIT_DONE = f"{OFFLINE_SAVED} && document.documentElement.dataset.bytecode === 'kept'"
# Long tasks since a point on the page's clock: [start, duration] ms.
TASKS_SINCE = "(since) => window.__longTasks.filter(([start]) => start >= since)"
MOUSE_DIGITS = 6  # pen digits drawn with the mouse while the main thread is watched
WARM_UP_DIGITS = 2  # drawn before each timed series, not counted
NUMBER_SEED = 6  # of the numbers drawn for the number latency
# Records when #inside (the look-inside panel) first shows each drawing version, page clock.
WATCH_INSIDE_JS = """() => {
  window.__insideAt = {};
  const panel = document.getElementById("inside");
  new MutationObserver(() => {
    if (panel.dataset.state !== "result") return;
    window.__insideAt[panel.dataset.version] ??= performance.now();
  }).observe(panel, { attributes: true });
}"""
PANEL = "(id) => Object.assign({}, document.getElementById(id).dataset)"


def _launch(playwright, chromium: str):
    return playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)


def _visit(context, url: str, base: str, sizes: dict | None = None, settled: str = "") -> float:
    """Open url in a new tab of context; return ms from navigation start to ready.

    sizes : when given, filled with the transferred bytes per file (see _bytes_by_file).
    settled : a JS condition to wait for after ready before the tab closes, if any.
    """
    page = context.new_page()
    page.add_init_script(OBSERVE_JS)
    requests = []

    def record(request) -> None:  # the context's requests: the page's workers fetch too
        requests.append(request)

    context.on("requestfinished", record)
    try:
        page.goto(url, wait_until="commit")
        page.wait_for_function("window.__benchState !== undefined", timeout=READY_TIMEOUT_MS)
        state = page.evaluate("window.__benchState")
        if state["state"] != "ready":
            raise RuntimeError(f"{url}: the page reached state {state['state']!r}")
        if settled:
            page.wait_for_function(settled, timeout=READY_TIMEOUT_MS)
        page.wait_for_load_state("networkidle")
        if sizes is not None:
            sizes.update(_bytes_by_file(requests, base))
        return float(state["at"])
    finally:
        context.remove_listener("requestfinished", record)
        page.close()


def _bytes_by_file(requests: list, base: str) -> dict[str, int]:
    """Transferred bytes (headers + body) per same-origin path, from finished requests;
    answers from the service worker's saved copy transfer nothing."""
    sizes: dict[str, int] = defaultdict(int)
    for request in requests:
        response = request.response()
        if not request.url.startswith(base) or response is None or response.from_service_worker:
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

    pages = {"app": (base_url, FIRST_VISIT_DONE), "floor": (f"{base_url}{FLOOR_DIR}/", "")}
    times = {name: {"cold": [], "warm": []} for name in pages}
    first_load = {}
    with sync_playwright() as playwright:
        browser = _launch(playwright, chromium)
        try:
            for run in range(runs):
                order = list(pages.items())[:: 1 if run % 2 == 0 else -1]
                for name, (url, settled) in order:  # alternate: background load hits both
                    context = browser.new_context(viewport={"width": 1280, "height": 900})
                    try:
                        sizes = first_load.setdefault(name, {}) if run == 0 else None
                        cold = _visit(context, url, base_url, sizes, settled)
                        times[name]["cold"].append(cold)
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
    report["ratio_app_warm_to_cold"] = ratio(report["app"]["warm"], report["app"]["cold"])
    report["runs"] = runs
    report["bytes"] = {
        name: {"total": sum(files.values()), "files": files} for name, files in first_load.items()
    }
    return report


def _throttle(page, rate: float) -> None:
    """Slow the page's CPU down ``rate`` times. DevTools takes this for pages only, not
    workers, but Chromium slows the page's whole renderer: its Python worker too."""
    session = page.context.new_cdp_session(page)
    session.send("Emulation.setCPUThrottlingRate", {"rate": rate})


@contextmanager
def _ready_page(chromium: str, base_url: str, rate: float = 1):
    """A desktop-sized tab of a fresh browser, CPU slowed down ``rate`` times, with the app
    started (yielded), then closed."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = _launch(playwright, chromium)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.add_init_script(OBSERVE_JS)
            if rate != 1:
                _throttle(page, rate)
            page.goto(base_url)
            page.wait_for_function("window.__benchState !== undefined", timeout=READY_TIMEOUT_MS)
            if page.evaluate("window.__benchState.state") != "ready":
                raise RuntimeError(f"the page failed to start: {page.inner_text('#banner')}")
            yield page
        finally:
            browser.close()


def latency(base_url: str, chromium: str, pen_file: Path, count: int, rate: float = 1) -> dict:
    """Pointer-up -> result latency (ms) over ``count`` real pen digits drawn in the app,
    CPU slowed down ``rate`` times."""
    digits = unipen.load_pendigits(pen_file)
    order = np.random.default_rng(1).permutation(len(digits))[:count]
    samples = {"dom": [], "frame": []}
    with _ready_page(chromium, base_url, rate) as page:
        size = pad_size(page)
        for index in order:
            strokes = on_pad(digits[index].strokes, size)
            got = draw_with_events(page, strokes, frame=True)
            samples["dom"].append(got["upToDomMs"])
            samples["frame"].append(got["upToFrameMs"])
    return {
        "digits": len(order),
        "cpu_slowdown": rate,
        "pointer_up_to_dom_ms": summary(samples["dom"]),
        "pointer_up_to_frame_ms": summary(samples["frame"]),
    }


def number_latency(base_url: str, chromium: str, pen_file: Path, count: int) -> dict:
    """Pointer-up -> result latency (ms) over ``count`` 6-digit numbers of pen digits
    (``tools.numbers``: one writer each, some digits touching) drawn in the app, no CPU
    slowdown; how many the page read as written (the shipped network was trained on these
    writers: a check, not an accuracy); and how many it read as ``tools.eval_numbers`` does
    (Pillow's rasterisation of the same strokes, the same network in CPython): the page is
    what the number evaluation measures."""
    digits = unipen.load_pendigits(pen_file)
    reader = DigitReader(load_network(REPO_ROOT / "weights" / "default.npz"))
    samples = {"dom": [], "frame": []}
    as_written = as_evaluated = 0
    with _ready_page(chromium, base_url) as page:
        width, height = pad_size(page)
        pad = numbers.Pad(round(width), round(height))
        for number in numbers.generate_numbers(digits, count, NUMBER_SEED, pad, (6,)):
            got = draw_with_events(page, number.strokes, frame=True)
            samples["dom"].append(got["upToDomMs"])
            samples["frame"].append(got["upToFrameMs"])
            evaluated = read_written(reader, number)
            as_written += got.get("number") == number.text
            as_evaluated += got.get("number") == evaluated
    return {
        "numbers": count,
        "digits_each": 6,
        "read_as_written": as_written / count,
        "read_as_evaluated": as_evaluated / count,
        "pointer_up_to_dom_ms": summary(samples["dom"]),
        "pointer_up_to_frame_ms": summary(samples["frame"]),
    }


def _tasks(page, since: float) -> dict:
    """The main thread's long tasks since ``since`` (page clock, ms): how many, the longest,
    and the blocking time (the sum of what each lasted beyond 50 ms)."""
    durations = [duration for _, duration in page.evaluate(TASKS_SINCE, since)]
    return {
        "long_tasks": len(durations),
        "longest_task_ms": max(durations, default=0.0),
        "blocking_ms": sum(max(0.0, d - LONG_TASK_MS) for d in durations),
    }


def _draw_with_mouse(page, strokes) -> None:
    """Draw strokes (pad CSS pixels) with Playwright's mouse: one input event per point,
    each its own task, as a person's pointer gives them (the pad is scrolled into view
    first: the mouse only reaches what is on screen)."""
    pad = page.locator("#pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    for stroke in strokes:
        points = np.asarray(stroke, dtype=float) + np.array([box["x"], box["y"]])  # (n, 2)
        page.mouse.move(*points[0])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x, y)
        page.mouse.up()


def main_thread(base_url: str, chromium: str, pen_file: Path, photo: bytes) -> dict:
    """Long tasks of the main thread at THROTTLE x CPU slowdown: during start-up (navigation
    to ready), while pen digits are drawn with the mouse (live recognition included), and
    from handing the page a photo to its answer."""
    digits = unipen.load_pendigits(pen_file)
    chosen = np.random.default_rng(2).permutation(len(digits))[:MOUSE_DIGITS]
    with tempfile.TemporaryDirectory() as folder, _ready_page(chromium, base_url, THROTTLE) as page:
        # Handed over as a file on disk, as a person picks one (Playwright would build a
        # file from bytes with a script in the page, on its main thread).
        file = Path(folder) / "photo.jpg"
        file.write_bytes(photo)
        ready = page.evaluate("window.__benchState.at")
        figures = {"cpu_slowdown": THROTTLE, "startup": {"ready_ms": ready, **_tasks(page, 0)}}
        size = pad_size(page)
        since = page.evaluate("performance.now()")
        for index in chosen:
            page.keyboard.press("Escape")  # clears the pad
            _draw_with_mouse(page, on_pad(digits[index].strokes, size))
        page.wait_for_function(SETTLED, timeout=READY_TIMEOUT_MS)  # the last digit is read
        figures["drawing"] = {"digits": len(chosen), **_tasks(page, since)}
        before = page.evaluate(RESULT)["seq"]
        since = page.evaluate("performance.now()")
        start = time.perf_counter()
        page.set_input_files("#upload", files=[str(file)])
        page.wait_for_function(answered_after(before), timeout=READY_TIMEOUT_MS)
        figures["photo"] = {
            "bytes": len(photo),
            "answer_ms": 1000 * (time.perf_counter() - start),
            "digit": page.evaluate(RESULT).get("digit"),
            **_tasks(page, since),
        }
    return figures


def big_photo(base_url: str, chromium: str, photo: bytes, runs: int = 3) -> dict:
    """Upload a large JPEG in the page ``runs`` times: the page's own time for reading it
    (``data-ms``: handing it to the worker, decoding, finding the digit, the network) and the
    time from handing the file to the page to the answer on screen, ms."""
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


def _pen_strokes(pen_file: Path, count: int, seed: int, size: tuple[float, float]) -> list:
    """``count`` pen digits (a fixed random choice), drawn on a pad of ``size`` CSS px."""
    digits = unipen.load_pendigits(pen_file)
    chosen = np.random.default_rng(seed).permutation(len(digits))[:count]
    return [on_pad(digits[index].strokes, size) for index in chosen]


def _panel_series(page, strokes: list, panel_open: bool) -> dict:
    """Draw each digit with in-page events: pointer-up -> result, and with the panel open
    pointer-up -> panel drawn and the look_inside call's own time, ms."""
    samples = {"result": [], "panel": [], "added": [], "call": []}
    for index, digit in enumerate(strokes):
        got = draw_with_events(page, digit)
        if panel_open:
            shown = f"window.__insideAt[{got['version']!r}] !== undefined"
            page.wait_for_function(shown, timeout=READY_TIMEOUT_MS)
            at = page.evaluate(f"window.__insideAt[{got['version']!r}]")
        if index < WARM_UP_DIGITS:
            continue
        samples["result"].append(got["upToDomMs"])
        if panel_open:
            samples["panel"].append(at - got["upAt"])
            samples["added"].append(at - got["upAt"] - got["upToDomMs"])
            samples["call"].append(float(page.evaluate(PANEL, "inside")["ms"]))
    return {name: tail(values) for name, values in samples.items() if values}


def look_inside(base_url: str, chromium: str, pen_file: Path, count: int) -> dict:
    """What the look-inside panel and the original network cost, no CPU slowdown.

    With the panel closed, then open, ``count`` pen digits drawn with in-page events:
    pointer-up -> result, pointer-up -> panel drawn, what the panel adds after the result,
    and the look_inside call's own time (p50/p95, ms); the look_inside calls made while the
    panel was closed; the main thread's long tasks while MOUSE_DIGITS digits are drawn with
    the mouse, closed and open. Then the original network switched on: switch -> loaded
    (fetched, checked, loaded in the worker) and switch -> its first answer, ms.
    """
    figures: dict = {"digits": count, "cpu_slowdown": 1}
    with _ready_page(chromium, base_url) as page:
        page.evaluate(WATCH_INSIDE_JS)
        size = pad_size(page)
        events = _pen_strokes(pen_file, count + WARM_UP_DIGITS, 3, size)
        mouse = _pen_strokes(pen_file, MOUSE_DIGITS, 4, size)
        for state in ("closed", "open"):
            if state == "open":
                page.click("#inside-toggle")
            figures[state] = _panel_series(page, events, state == "open")
            since = page.evaluate("performance.now()")
            for digit in mouse:
                page.keyboard.press("Escape")  # clears the pad
                _draw_with_mouse(page, digit)
            page.wait_for_function(SETTLED, timeout=READY_TIMEOUT_MS)
            figures[state]["drawing"] = {"digits": len(mouse), **_tasks(page, since)}
            if state == "closed":
                calls = int(page.evaluate(PANEL, "inside")["requests"])
                figures[state]["look_inside_calls"] = calls
        start = time.perf_counter()
        page.click("#original-switch")
        page.wait_for_function(
            "document.getElementById('original').dataset.state === 'result'",
            timeout=READY_TIMEOUT_MS,
        )
        original = page.evaluate(PANEL, "original")
        seed = page.evaluate("fetch('./site.json').then((r) => r.json())")["seed"]
        figures["original"] = {
            "bytes": seed["bytes"],
            "load_ms": float(original["loadMs"]),
            "switch_to_answer_ms": 1000 * (time.perf_counter() - start),
        }
    return figures
