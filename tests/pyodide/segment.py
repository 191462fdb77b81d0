"""Numbers read from stored ink; runs under CPython and Pyodide alike.

    segment.py INPUTS.npz OUTPUT.npz MODEL.npz

INPUTS.npz holds "ink/<name>" (H, W) uint8 drawings, for some of them their strokes
("stroke/<name>/<k>" (n, 2) points, "brush/<name>" the pen's width), and "mask" (H, W)
bool. OUTPUT.npz gets,
per drawing, "text/<name>" (the number read), "boxes/<name>" (D, 4) int64,
"images/<name>" (D, 28, 28) uint8 and "confidence/<name>" (D,) float64
(recognizer.segment.read_number), and "labels" the components of "mask".
"""

import sys

import numpy as np

from recognizer import segment
from recognizer.network import load_network


def segment_all(inputs: str, output: str, model: str) -> None:
    network = load_network(model)
    results = {}
    with np.load(inputs) as stored:
        names = sorted(key.split("/", 1)[1] for key in stored.files if key.startswith("ink/"))
        for name in names:
            prefix = f"stroke/{name}/"
            count = sum(key.startswith(prefix) for key in stored.files)
            strokes = [stored[f"{prefix}{k}"] for k in range(count)]
            brush_px = float(stored[f"brush/{name}"]) if count else 0.0
            reading = segment.read_number(network, stored[f"ink/{name}"], strokes, brush_px)
            results[f"text/{name}"] = np.array(reading.text)
            results[f"boxes/{name}"] = np.array([d.box for d in reading.digits], np.int64)
            results[f"images/{name}"] = np.array([d.image for d in reading.digits], np.uint8)
            confidence = [d.verdict.confidence for d in reading.digits]
            results[f"confidence/{name}"] = np.array(confidence, np.float64)
        results["labels"] = segment.components(stored["mask"]).labels
    np.savez(output, **results)


if __name__ == "__main__":
    segment_all(*sys.argv[1:4])
