"""Evaluate pen trajectories in-process: the page's preprocessing and network, no browser.

    python -m tools.eval_strokes_fast FILE [--limit N] [--seed S] [--brush F]

Each digit is fitted to the page's canvas (tools.unipen.fit_to_canvas), drawn with round
caps and joins by Pillow on a transparent canvas of CANVAS_SIDE_PX device pixels, then read
from the alpha channel, preprocessed and classified exactly as the page does (rotated
views included). It is a quick tuning loop for brush width, preprocessing and training;
the figure that counts is the browser's (``python -m tools.eval_strokes``).
"""

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from recognizer.network import load_network
from recognizer.reader import DigitReader
from tools import unipen
from tools.eval_strokes import Evaluation, format_report
from tools.paths import REPO_ROOT

__all__ = ["evaluate_in_process"]

DEFAULT_WEIGHTS = REPO_ROOT / "weights" / "default.npz"


def evaluate_in_process(
    digits: Sequence[unipen.PenDigit], weights: Path, brush_fraction: float
) -> Evaluation:
    """Classify ``digits`` through rasterisation, preprocessing, the NumPy network and the
    page's verdict (a digit refused as "not a digit" counts as no digit, -1)."""
    network = load_network(weights)
    start = time.perf_counter()
    side = unipen.CANVAS_SIDE_PX
    images = [unipen.page_image(digit.strokes, side, brush_fraction) for digit in digits]
    verdicts = DigitReader(network).read(np.stack(images))
    seconds = time.perf_counter() - start
    per_digit_ms = np.full(len(digits), 1000 * seconds / max(len(digits), 1))
    labels = np.array([digit.label for digit in digits], np.int64)
    shown = [-1 if v.kind == "not_digit" else v.digit for v in verdicts]  # as the page's
    return Evaluation(labels, np.array(shown, np.int64), per_digit_ms, seconds)


def main(argv: list[str] | None = None) -> int:
    """Command line entry; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="UNIPEN pen-digit file")
    parser.add_argument("--limit", type=int, help="number of digits (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the digit sample")
    parser.add_argument(
        "--brush",
        type=float,
        default=unipen.BRUSH_FRACTION,
        help=f"pen width as a fraction of the canvas side (default {unipen.BRUSH_FRACTION})",
    )
    parser.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS, help="model .npz")
    args = parser.parse_args(argv)

    digits = unipen.load_pendigits(args.file)
    order = np.random.default_rng(args.seed).permutation(len(digits))[: args.limit]
    print(format_report(evaluate_in_process([digits[i] for i in order], args.weights, args.brush)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
