"""Run every benchmark, write bench/results.json and rewrite the README's table block.

``python -m bench [--quick] [--strokes N] [--runs N] [--no-readme] [--only PART ...]``

Data come from $MNIST_DIR (MNIST test set), $PENDIGITS_FILE (UNIPEN pen digits) and
$PYODIDE_WHEELS (wheels for the site build; else downloaded). A part whose inputs are
missing is recorded as skipped, with the reason; a part that fails is recorded with its
error and the others still run. Nothing here asserts on time.
"""

import os

# One BLAS thread, like the one-thread reference engine; set before NumPy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench import accuracy, forward, lighthouse, link, page, photos, report
from bench import numbers as numbers_bench
from bench.nets import PRESETS, REPO_ROOT
from bench.site import build_bench_site
from tools import upload_files
from tools.serve import start_server

RESULTS = REPO_ROOT / "bench" / "results.json"
README = REPO_ROOT / "README.md"
LATENCY_DIGITS = 36
LATENCY_NUMBERS = 30
LOOK_INSIDE_DIGITS = 30


def _part(name: str, function, *args) -> dict:
    """Run one part; its figures, or {"error": message} if it raised."""
    print(f"[bench] {name} ...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    try:
        result = function(*args)
    except Exception as error:  # one failing part must not lose the others' figures
        traceback.print_exc()
        result = {"error": f"{type(error).__name__}: {error}"}
    print(f"[bench] {name} done in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return result


def _chromium_version(chromium: str) -> str:
    try:
        out = subprocess.run([chromium, "--version"], capture_output=True, text=True, timeout=60)
    except OSError:
        return "unknown"
    found = re.search(r"\d+(?:\.\d+)+", out.stdout)
    return found.group(0) if found else "unknown"


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value and Path(value).exists() else None


# The parts of the results, in order; and those measured in the page (strokes and big_photo
# go into accuracy and uploads).
PARTS = ("forward", "numbers", "startup", "lighthouse", "accuracy", "latency", "main_thread",
         "look_inside", "uploads")  # fmt: skip
PAGE_PARTS = (
    "startup",
    "lighthouse",
    "strokes",
    "latency",
    "main_thread",
    "big_photo",
    "look_inside",
)


def _page_parts(args, scratch: Path, wanted: set[str]) -> dict:
    """Build and serve the site once; of start-up, bytes, Lighthouse, stroke accuracy,
    latency, the main thread, a big photo, and the look-inside panel, the ``wanted`` ones."""
    wanted = wanted & set(PAGE_PARTS)
    if not wanted:
        return {}
    if not Path(args.chromium).exists():
        return {k: {"skipped": f"no Chromium at {args.chromium}"} for k in wanted}
    pen_file = _env_path("PENDIGITS_FILE")
    info = build_bench_site(scratch / "site", _env_path("PYODIDE_WHEELS"))
    server = start_server(info.out)
    base, chromium = f"http://127.0.0.1:{server.server_port}/", args.chromium
    runs = {
        "startup": lambda: _startup_part(info.out, base, chromium, args.runs),
        "lighthouse": lambda: _part("lighthouse", lighthouse.run, base, chromium),
        "strokes": lambda: _part(
            "pen strokes", accuracy.stroke_accuracy, base, pen_file, args.strokes, chromium
        ),
        "latency": lambda: {
            "unthrottled": _part("latency", page.latency, base, chromium, pen_file, LATENCY_DIGITS),
            "throttled": _part(
                f"latency at {page.THROTTLE}x CPU slowdown",
                page.latency,
                *(base, chromium, pen_file, LATENCY_DIGITS, page.THROTTLE),
            ),
            "numbers": _part(
                "latency of 6-digit numbers",
                page.number_latency,
                *(base, chromium, pen_file, LATENCY_NUMBERS),
            ),
        },
        "main_thread": lambda: _part(
            f"main thread at {page.THROTTLE}x CPU slowdown",
            page.main_thread,
            *(base, chromium, pen_file, photos.big_photo_jpeg(pen_file, photos.PHONE_SIZE)),
        ),
        "big_photo": lambda: _part(
            "48 MP photo in the page", page.big_photo, base, chromium, args.big_photo
        ),
        "look_inside": lambda: _part(
            "look inside and the original network",
            page.look_inside,
            *(base, chromium, pen_file, LOOK_INSIDE_DIGITS),
        ),
    }
    needs_pen = {"strokes", "latency", "main_thread", "big_photo", "look_inside"}
    parts = {}
    try:
        for name in PAGE_PARTS:
            if name not in wanted:
                continue
            if pen_file is None and name in needs_pen:
                parts[name] = {"skipped": "$PENDIGITS_FILE is not set"}
            else:
                parts[name] = runs[name]()
    finally:
        server.shutdown()
        server.server_close()
    return parts


def _startup_part(site: Path, base: str, chromium: str, runs: int) -> dict:
    """Start-up and bytes on localhost, with the same over a slower link under "link"."""
    part = _part("start-up and bytes", page.startup_and_bytes, base, chromium, runs)
    server = link.start_link_server(site)
    try:
        part["link"] = _part(
            f"start-up over a {link.LINK_MBIT:.0f} Mbit/s link",
            page.startup_and_bytes,
            *(f"http://127.0.0.1:{server.server_port}/", chromium, runs),
        )
    finally:
        server.shutdown()
        server.server_close()
    part["link"].pop("bytes", None)  # the same bytes as on localhost
    part["link"].update(mbit=link.LINK_MBIT, round_trip_s=link.ROUND_TRIP_S)
    return part


def _numbers_part(scratch: Path) -> dict:
    """A 6-digit number read from its ink, CPython and Pyodide (bench.numbers)."""
    pen_file = _env_path("PENDIGITS_FILE")
    if pen_file is None:
        return {"skipped": "$PENDIGITS_FILE is not set"}
    (scratch / "numbers").mkdir()
    return _part("reading numbers", numbers_bench.run, scratch / "numbers", pen_file)


def _accuracy_part(page_parts: dict) -> dict:
    mnist = {}
    for name in PRESETS:
        model = REPO_ROOT / "weights" / f"{name}.npz"
        if not model.exists():
            mnist[name] = {"skipped": f"no trained weights/{name}.npz"}
            continue
        figures = _part(f"MNIST accuracy ({name})", accuracy.mnist_accuracy, model)
        mnist[name] = figures if figures is not None else {"skipped": "$MNIST_DIR is not set"}
    card = REPO_ROOT / "weights" / "default.json"
    folds = accuracy.writer_independent(card)
    return {
        "mnist": mnist,
        "writer_independent": folds or {"skipped": "the model card has no writer folds"},
        "strokes": page_parts["strokes"],
    }


def _uploads_part(args, page_parts: dict, scratch: Path) -> dict:
    """Synthetic photos, MNIST PNG uploads and blank paper (CPython); a 48 MP JPEG and the
    largest file of each accepted format in Pyodide (time, wasm memory), the JPEG in the
    page (time)."""
    pen_file = _env_path("PENDIGITS_FILE")
    model = REPO_ROOT / "weights" / "default.npz"
    if pen_file is None or not model.exists():
        return {"skipped": "needs $PENDIGITS_FILE and weights/default.npz"}
    count, mnist_count = (140, 1000) if args.quick else (700, 10_000)
    figures = _part("photos", photos.photo_accuracy, model, pen_file, count, mnist_count)
    (scratch / "memory").mkdir()
    files = {"photo-48mp.jpg": args.big_photo, **upload_files.largest_accepted()}
    figures["upload_memory"] = _part(
        "uploads in Pyodide", photos.pyodide_upload_memory, files, scratch / "memory"
    )
    figures["page_big_photo"] = page_parts["big_photo"]
    return figures


def main(argv: list[str] | None = None) -> int:
    """Command line entry; returns the exit status (0 even when parts were skipped)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer forward-pass samples")
    parser.add_argument("--strokes", type=int, help="pen digits replayed for page accuracy")
    parser.add_argument("--runs", type=int, default=9, help="start-up runs per page and kind")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON file")
    parser.add_argument("--no-readme", action="store_true", help="leave README.md alone")
    parser.add_argument("--only", nargs="+", choices=PARTS, metavar="PART",
                        help=f"measure only these parts again, keeping the others from --out "
                        f"({', '.join(PARTS)})")  # fmt: skip
    args = parser.parse_args(argv)
    if args.strokes is None:
        args.strokes = 200 if args.quick else 1000
    pen_file = _env_path("PENDIGITS_FILE")
    args.big_photo = photos.big_photo_jpeg(pen_file) if pen_file else b""
    wanted = set(args.only or PARTS)
    parts = json.loads(args.out.read_text())["parts"] if args.only else {}
    page_wanted = set(wanted)
    if "accuracy" in wanted:
        page_wanted.add("strokes")  # the accuracy part reports it
    if "uploads" in wanted:
        page_wanted.add("big_photo")  # and the uploads part this

    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        scratch = Path(folder)
        (scratch / "forward").mkdir()
        if "forward" in wanted:
            parts["forward"] = _part("forward pass", forward.run, scratch / "forward", args.quick)
        if "numbers" in wanted:
            parts["numbers"] = _numbers_part(scratch)
        page_parts = _page_parts(args, scratch, page_wanted)
        parts |= {name: page_parts[name] for name in page_parts if name in PARTS}
        if "accuracy" in wanted:
            parts["accuracy"] = _accuracy_part(page_parts)
        if "uploads" in wanted:
            parts["uploads"] = _uploads_part(args, page_parts, scratch)
    results = {
        "quick": args.quick,
        "environment": {
            "date": time.strftime("%Y-%m-%d"),
            "machine": f"{platform.system()} {platform.machine()}",
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "node": shutil.which("node")
            and subprocess.run(
                ["node", "--version"], capture_output=True, text=True
            ).stdout.strip(),
            "chromium": _chromium_version(args.chromium),
        },
        "parts": parts,
    }
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"[bench] wrote {args.out}", file=sys.stderr)
    if not args.no_readme:
        report.replace_block(README, report.render(results))
        print(f"[bench] updated the table in {README}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
