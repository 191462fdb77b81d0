"""Replay real pen trajectories through the real page and measure its accuracy.

``python -m tools.eval_strokes FILE [--limit N] [--seed S] [--url URL] [--input events|mouse]``

FILE is a UNIPEN pen-digit file (e.g. pendigits-orig.tra). For each digit the page's canvas
is cleared, every stroke is drawn along its recorded points (``tools.unipen.fit_to_canvas``:
y flipped, scaled into the canvas), and the page's prediction after the last pen-up is read
back from ``#result`` (``data-version`` equal to the pad's ``data-version``). Prints the
accuracy, the confusion matrix and digits per second.

``--input events`` (default) dispatches PointerEvent objects in the page, one
``page.evaluate`` per digit: they run through the page's own handlers, fast enough for the
full file. ``--input mouse`` moves Playwright's mouse (CDP input) point by point: slower,
closer to a person. Without ``--url`` the site is built into a temporary folder and served.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tools import unipen

__all__ = [
    "CHROMIUM_ARGS",
    "RESULT",
    "Evaluation",
    "answered_after",
    "confusion_matrix",
    "draw_with_events",
    "draw_with_mouse",
    "evaluate",
    "format_report",
    "main",
    "on_pad",
    "pad_size",
]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
READY_TIMEOUT_MS = 180_000
RESULT_TIMEOUT_MS = 20_000
SETTLED = (
    "document.getElementById('result').dataset.version === "
    "document.getElementById('pad').dataset.version"
)
RESULT = "Object.assign({}, document.getElementById('result').dataset)"
# Clears the pad, draws the strokes (pad CSS pixels) with synthetic pen PointerEvents and
# resolves with #result's data-* once it shows the finished drawing, plus the ms from the
# last pointerup to that result: in the DOM ("upToDomMs") and, when ``frame`` is set, at
# the next animation frame ("upToFrameMs"); "upAt" is the last pointerup on the page's clock.
REPLAY_JS = """async ({ strokes, timeout, frame = false }) => {
  const pad = document.getElementById("pad");
  const result = document.getElementById("result");
  document.getElementById("clear").click();
  const box = pad.getBoundingClientRect();
  const fire = (type, [x, y], buttons) => pad.dispatchEvent(new PointerEvent(type, {
    bubbles: true, cancelable: true, composed: true, pointerId: 7, pointerType: "pen",
    isPrimary: true, clientX: box.left + x, clientY: box.top + y,
    button: type === "pointermove" ? -1 : 0, buttons, pressure: buttons ? 0.5 : 0,
  }));
  let up = 0;
  for (const stroke of strokes) {
    fire("pointerdown", stroke[0], 1);
    for (const point of stroke.slice(1)) fire("pointermove", point, 1);
    up = performance.now();
    fire("pointerup", stroke[stroke.length - 1], 0);
  }
  const target = pad.dataset.version;
  const shown = await new Promise((resolve, reject) => {
    const done = () => result.dataset.version === target;
    if (done()) return resolve(performance.now());
    const timer = setTimeout(() => reject(new Error("no prediction in time")), timeout);
    const observer = new MutationObserver(() => {
      if (!done()) return;
      observer.disconnect();
      clearTimeout(timer);
      resolve(performance.now());
    });
    observer.observe(result, { attributes: true });
  });
  const latency = { upToDomMs: shown - up, upAt: up };
  if (frame) {
    latency.upToFrameMs = await new Promise((resolve) => {
      requestAnimationFrame(() => resolve(performance.now() - up));
    });
  }
  return Object.assign({}, result.dataset, latency);
}"""

Strokes = Sequence[np.ndarray]  # each (n, 2) float: x, y in pad CSS pixels


@dataclass(frozen=True)
class Evaluation:
    """Outcome of a replay run.

    labels, predictions : (N,) int; prediction -1 where the page showed no digit
    recognition_ms : (N,) float, the page's own timing of each final recognition
        (``data-ms``: canvas read, preprocessing, network); NaN where none was shown
    seconds : wall time of the replays (page start-up excluded)
    """

    labels: np.ndarray
    predictions: np.ndarray
    recognition_ms: np.ndarray
    seconds: float

    @property
    def accuracy(self) -> float:
        return float(np.mean(self.labels == self.predictions)) if self.labels.size else 0.0

    @property
    def digits_per_second(self) -> float:
        return self.labels.size / self.seconds if self.seconds > 0 else 0.0


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """(10, 11) int counts: row = true digit, column = predicted digit, last = no digit."""
    matrix = np.zeros((10, 11), dtype=np.int64)
    np.add.at(matrix, (labels, np.where(predictions < 0, 10, predictions)), 1)
    return matrix


def answered_after(seq) -> str:
    """JS condition: #result shows an answer newer than ``seq`` (not the busy sign)."""
    return (
        "(() => { const r = document.getElementById('result');"
        f" return +r.dataset.seq > {int(seq)} && !r.hasAttribute('aria-busy'); }})()"
    )


def pad_size(page) -> tuple[float, float]:
    """The drawing pad's width and height in CSS pixels."""
    box = page.evaluate("document.getElementById('pad').getBoundingClientRect().toJSON()")
    return float(box["width"]), float(box["height"])


def on_pad(strokes: Strokes, size: tuple[float, float]) -> Strokes:
    """Tablet strokes of one digit as drawn on a pad of ``size`` (CSS px): fitted to its
    height, centred (``tools.unipen.fit_to_canvas``)."""
    width, height = size
    return unipen.fit_to_canvas(strokes, height, width_px=width)


def _predicted(result: dict) -> int:
    """The digit the page shows, or -1 (no digit: blank, error, or "not a digit")."""
    return int(result["digit"]) if "digit" in result else -1


def draw_with_events(page, strokes: Strokes, frame: bool = False) -> dict:
    """Clear, draw ``strokes`` with in-page PointerEvents; return #result's data-* and
    the pointer-up latencies (see REPLAY_JS)."""
    payload = [np.asarray(stroke, dtype=float).round(2).tolist() for stroke in strokes]
    arguments = {"strokes": payload, "timeout": RESULT_TIMEOUT_MS, "frame": frame}
    return page.evaluate(REPLAY_JS, arguments)


def draw_with_mouse(page, strokes: Strokes) -> dict:
    """Clear, draw ``strokes`` with Playwright's mouse; return #result's data-*."""
    page.keyboard.press("Escape")  # clears the pad (the Clear button is disabled on an empty one)
    box = page.locator("#pad").bounding_box()
    for stroke in strokes:
        points = np.asarray(stroke, dtype=float) + np.array([box["x"], box["y"]])  # (n, 2) page
        page.mouse.move(*points[0])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x, y)
        page.mouse.up()
    page.wait_for_function(SETTLED, timeout=RESULT_TIMEOUT_MS)
    return page.evaluate(RESULT)


def evaluate(page, digits: Sequence, draw=draw_with_events, progress=None) -> Evaluation:
    """Replay ``digits`` (tools.unipen.PenDigit: label, tablet strokes) on a ready page."""
    size = pad_size(page)
    labels, predictions, timings = [], [], []
    start = time.perf_counter()
    for index, digit in enumerate(digits):
        result = draw(page, on_pad(digit.strokes, size))
        labels.append(digit.label)
        predictions.append(_predicted(result))
        timings.append(float(result.get("ms", "nan")))
        if progress is not None:
            progress(index + 1, len(digits))
    seconds = time.perf_counter() - start
    return Evaluation(
        np.array(labels, np.int64),
        np.array(predictions, np.int64),
        np.array(timings, np.float64),
        seconds,
    )


def format_report(evaluation: Evaluation) -> str:
    """Accuracy, confusion matrix and speed as plain text."""
    matrix = confusion_matrix(evaluation.labels, evaluation.predictions)
    header = "true\\pred " + " ".join(f"{d:>5}" for d in range(10)) + "  none"
    rows = [f"{digit:>9} " + " ".join(f"{n:>5}" for n in matrix[digit]) for digit in range(10)]
    correct = int(np.sum(evaluation.labels == evaluation.predictions))
    return "\n".join(
        [
            f"digits: {evaluation.labels.size}  correct: {correct}  "
            f"accuracy: {100 * evaluation.accuracy:.2f} %",
            f"speed: {evaluation.digits_per_second:.1f} digits/s ({evaluation.seconds:.1f} s)",
            f"in-page recognition: median {np.nanmedian(evaluation.recognition_ms):.1f} ms, "
            f"95th percentile {np.nanpercentile(evaluation.recognition_ms, 95):.1f} ms",
            "confusion matrix (rows: true digit, columns: prediction):",
            header,
            *rows,
        ]
    )


def _run(args, url: str) -> Evaluation:
    from playwright.sync_api import sync_playwright

    digits = unipen.load_pendigits(args.file)
    order = np.random.default_rng(args.seed).permutation(len(digits))
    chosen = [digits[i] for i in order[: args.limit]]
    width, height = (int(v) for v in args.viewport.split("x"))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            started = time.perf_counter()
            page.goto(url)
            page.wait_for_function(
                "document.documentElement.dataset.appState !== 'loading'",
                timeout=READY_TIMEOUT_MS,
            )
            if page.evaluate("document.documentElement.dataset.appState") != "ready":
                raise RuntimeError(f"the page failed to start: {page.inner_text('#banner')}")
            print(f"page ready in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            draw = draw_with_mouse if args.input == "mouse" else draw_with_events

            def progress(done: int, total: int) -> None:
                if done % 500 == 0 or done == total:
                    print(f"  {done}/{total}", file=sys.stderr)

            return evaluate(page, chosen, draw=draw, progress=progress)
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    """Command line entry; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="UNIPEN pen-digit file")
    parser.add_argument("--limit", type=int, help="number of digits (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the digit sample order")
    parser.add_argument("--url", help="a served page (default: build and serve site/ here)")
    parser.add_argument("--input", choices=["events", "mouse"], default="events")
    parser.add_argument("--viewport", default="1280x900", help="browser window, WxH")
    parser.add_argument("--wheels", help="Pyodide wheels folder (default $PYODIDE_WHEELS)")
    parser.add_argument("--weights-dir", type=Path, help="weight presets folder (./weights)")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    if args.url:
        evaluation = _run(args, args.url)
    else:
        from tools.build_site import build_site
        from tools.serve import start_server

        wheels = args.wheels or os.environ.get("PYODIDE_WHEELS")
        with tempfile.TemporaryDirectory() as folder:
            site = build_site(
                Path(folder) / "site",
                wheels=Path(wheels) if wheels else None,
                weights_dir=args.weights_dir,
            )
            server = start_server(site.out)
            try:
                evaluation = _run(args, f"http://127.0.0.1:{server.server_port}/")
            finally:
                server.shutdown()
                server.server_close()
    print(format_report(evaluation))
    if args.json:
        matrix = confusion_matrix(evaluation.labels, evaluation.predictions)
        figures = {
            "file": str(args.file),
            "digits": int(evaluation.labels.size),
            "accuracy": evaluation.accuracy,
            "digits_per_second": evaluation.digits_per_second,
            "recognition_ms_median": float(np.nanmedian(evaluation.recognition_ms)),
            "recognition_ms_p95": float(np.nanpercentile(evaluation.recognition_ms, 95)),
            "rejected": int(np.sum(evaluation.predictions < 0)),
            "input": args.input,
            "seed": args.seed,
            "confusion": matrix.tolist(),
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
