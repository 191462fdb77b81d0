"""Time reading numbers from their ink; runs unchanged in CPython and in Pyodide.

    numbers_kernel.py INKS.npz MODEL.npz ROUNDS   (prints a JSON object of milliseconds)

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

__all__ = ["time_inks"]


def time_inks(inks_path: str, model_path: str, rounds: int) -> dict[str, list[float]]:
    """Milliseconds to read the drawings of ``inks_path`` with ``segment.read_number``
    (wall clock, ``time.perf_counter``; per drawing, the least of ``rounds`` readings, after
    one reading to warm up).

    inks_path : "number<i>/<k>" (H, W) uint8, number i's ink after its first k + 1 strokes,
        "stroke<i>/<k>" its stroke k's points, "brush<i>" its pen's width
        (``bench.numbers.write_inks``)
    returns : {"first": per number, its whole ink read by a reader that remembers nothing;
        "pen_up": per number, its whole ink read after its earlier pen-ups' inks, one by
        one, by the same reader (the page reads the pad at every pen-up)}
    """
    reader = DigitReader(load_network(model_path))
    with np.load(inks_path) as stored:
        numbers: dict[int, list[tuple[np.ndarray, list[np.ndarray], float]]] = {}
        drawn = [n for n in stored.files if n.startswith("number")]
        for name in sorted(drawn, key=lambda n: tuple(map(int, n[6:].split("/")))):
            i, k = map(int, name[6:].split("/"))
            strokes = [stored[f"stroke{i}/{s}"] for s in range(k + 1)]
            numbers.setdefault(i, []).append((stored[name], strokes, float(stored[f"brush{i}"])))
    segment.read_number(reader, *numbers[0][-1])
    first = [float("inf")] * len(numbers)
    pen_up = [float("inf")] * len(numbers)
    for _ in range(rounds):
        for i, inks in numbers.items():
            reader.forget()
            first[i] = min(first[i], _time(reader, *inks[-1]))
            reader.forget()
            for ink, strokes, brush_px in inks[:-1]:
                segment.read_number(reader, ink, strokes, brush_px)
            pen_up[i] = min(pen_up[i], _time(reader, *inks[-1]))
    return {"first": first, "pen_up": pen_up}


def _time(reader: DigitReader, ink: np.ndarray, strokes: list[np.ndarray], brush_px: float):
    """Milliseconds to read one drawing of these strokes, drawn ``brush_px`` wide."""
    start = time.perf_counter()
    segment.read_number(reader, ink, strokes, brush_px)
    return 1000 * (time.perf_counter() - start)


if __name__ == "__main__":
    print(json.dumps(time_inks(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
