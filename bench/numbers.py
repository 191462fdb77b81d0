"""Reading a 6-digit number from the pad's ink: milliseconds in CPython and in Pyodide.

    python -m bench.numbers [--numbers 30] [--rounds 3]

Numbers of 6 digits on the wide pad (``tools.numbers``, seeded, from $PENDIGITS_FILE) are
read by ``recognizer.segment.read_number`` with the shipped network, in CPython (one BLAS
thread) and in Pyodide under Node.js (``tools/pyodide/run_python.mjs``, the page's
runtime), two ways (``bench.numbers_kernel``): a first reading (the reader remembers
nothing), and the last pen-up's reading after the number's earlier pen-ups, stroke by
stroke, as the page reads the pad. Each is timed ``rounds`` times; a number's time is the
least, so that other processes' load counts less. Prints and returns the median over
numbers and its spread (``bench.stats.summary``). Nothing here asserts on time.
"""

import os

# One BLAS thread, as the page has; set before NumPy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from bench import numbers_kernel
from bench.stats import summary
from recognizer import preprocess
from tools import numbers, unipen
from tools.paths import REPO_ROOT, shared_path

__all__ = ["DIGITS", "run"]

DIGITS = 6  # digits per timed number
SEED = 101
RUNNER = REPO_ROOT / "tools" / "pyodide" / "run_python.mjs"
KERNEL = REPO_ROOT / "bench" / "numbers_kernel.py"
MODEL = REPO_ROOT / "weights" / "default.npz"
NODE_TIMEOUT_S = 900


def write_inks(path: Path, pen_file: Path, count: int) -> None:
    """``count`` seeded 6-digit numbers on the wide pad, at each pen-up: "number<i>/<k>"
    (H, W) uint8, number i's ink after its first k + 1 strokes; "stroke<i>/<k>" (n, 2)
    float32, the points of its stroke k, and "brush<i>" its pen's width (as the page hands
    them over)."""
    digits = unipen.load_pendigits(pen_file)
    written = numbers.generate_numbers(digits, count, SEED, numbers.PADS["wide"], (DIGITS,))
    inks = {}
    for i, number in enumerate(written):
        pad = number.pad
        for k in range(len(number.strokes)):
            rgba = unipen.rasterize(number.strokes[: k + 1], pad.width, pad.brush_px, pad.height)
            inks[f"number{i}/{k}"] = preprocess.ink_from_rgba(rgba)
            inks[f"stroke{i}/{k}"] = number.strokes[k]
        inks[f"brush{i}"] = np.float32(pad.brush_px)
    np.savez_compressed(path, **inks)


def _pyodide_times(scratch: Path, rounds: int) -> dict[str, list[float]]:
    """The kernel's milliseconds for scratch/inks.npz, run in Pyodide."""
    if shutil.which("node") is None or not (REPO_ROOT / "node_modules" / "pyodide").exists():
        raise FileNotFoundError("needs Node.js and `npm ci` (node_modules/pyodide)")
    env = {**os.environ, "PYODIDE_WHEELS": str(shared_path("PYODIDE_WHEELS"))}
    command = ["node", str(RUNNER), "--mount", f"{scratch}:/scratch", str(KERNEL),
               "/scratch/inks.npz", "/app/weights/default.npz", str(rounds)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=NODE_TIMEOUT_S,
                          cwd=REPO_ROOT, env=env, check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"numbers_kernel.py failed in Pyodide:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(scratch: Path, pen_file: Path, count: int = 30, rounds: int = 3) -> dict:
    """Time ``count`` numbers in both runtimes: {"digits", "numbers", "rounds", "cpython",
    "pyodide"}, the last two {"first", "pen_up"} of ``summary`` dicts, ms per number."""
    write_inks(scratch / "inks.npz", pen_file, count)
    cpython = numbers_kernel.time_inks(str(scratch / "inks.npz"), str(MODEL), rounds)
    pyodide = _pyodide_times(scratch, rounds)
    return {
        "digits": DIGITS,
        "numbers": count,
        "rounds": rounds,
        "cpython": {way: summary(ms) for way, ms in cpython.items()},
        "pyodide": {way: summary(ms) for way, ms in pyodide.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=30, help="numbers timed")
    parser.add_argument("--rounds", type=int, default=3, help="readings of each number")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-numbers-") as folder:
        figures = run(Path(folder), shared_path("PENDIGITS_FILE"), args.numbers, args.rounds)
    for runtime in ("cpython", "pyodide"):
        for way, label in (("first", "first reading"), ("pen_up", "last pen-up")):
            ms = figures[runtime][way]
            print(f"{runtime}, {label}: {DIGITS}-digit number, median {ms['median']:.1f} ms "
                  f"[p25 {ms['p25']:.1f}, p75 {ms['p75']:.1f}] over {ms['n']} numbers")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
