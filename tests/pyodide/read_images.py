"""The page's upload path on every file in a folder; runs under CPython and Pyodide alike.

    read_images.py FOLDER OUTPUT.npz

OUTPUT.npz gets, per file NAME, "digit/NAME" (28, 28) uint8 and "region/NAME" (4,) float64
(recognizer.preprocess.read_image_bytes), or "error/NAME" holding the refusal's message.
"""

import os
import sys

import numpy as np

from recognizer import preprocess


def read_all(folder: str, output: str) -> None:
    results = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as handle:
            data = handle.read()
        try:
            reading = preprocess.read_image_bytes(data)
        except preprocess.ImageInputError as error:
            results[f"error/{name}"] = np.array(str(error))
            continue
        results[f"digit/{name}"] = reading.digit
        results[f"region/{name}"] = np.array(reading.region)
    np.savez(output, **results)


if __name__ == "__main__":
    read_all(sys.argv[1], sys.argv[2])
