"""Time reading numbers from their ink; runs unchanged in CPython and in Pyodide.

    numbers_kernel.py INKS.npz MODEL.npz ROUNDS   (prints a JSON list of milliseconds)

Only NumPy and ``recognizer`` are imported, so ``bench.numbers`` runs this very file
inside Pyodide and CPython imports it; both measure the same thing the same way.
"""

import json
import sys
import time

import numpy as np

from recognizer import segment
from recognizer.network import load_network
from recognizer.reader import DigitReader

__all__ = ["time_numbers"]


def time_numbers(inks_path: str, model_path: str, rounds: int) -> list[float]:
    """Milliseconds to read each drawing of ``inks_path`` ("ink0", "ink1", ... (H, W)
    uint8) with ``segment.read_number``: per drawing, the least of ``rounds`` readings
    (wall clock, ``time.perf_counter``), after one reading to warm up."""
    reader = DigitReader(load_network(model_path))
    with np.load(inks_path) as stored:
        inks = [stored[f"ink{i}"] for i in range(len(stored.files))]
    segment.read_number(reader, inks[0])
    best = [float("inf")] * len(inks)
    for _ in range(rounds):
        for i, ink in enumerate(inks):
            start = time.perf_counter()
            segment.read_number(reader, ink)
            best[i] = min(best[i], 1000 * (time.perf_counter() - start))
    return best


if __name__ == "__main__":
    print(json.dumps(time_numbers(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
