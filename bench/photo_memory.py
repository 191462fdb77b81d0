"""Read one large JPEG through the upload path; run under Pyodide (32-bit wasm) in Node.

    photo_memory.py PHOTO.jpg OUT.json

Writes the seconds taken, the wasm memory before and after (the memory only grows, so
"after" is the peak), and the digit read.
"""

import json
import sys
import time

import pyodide_js

from recognizer import preprocess


def main(photo: str, out: str) -> None:
    with open(photo, "rb") as handle:
        data = handle.read()
    before = pyodide_js._module.HEAPU8.length
    start = time.perf_counter()
    reading = preprocess.read_image_bytes(data)
    seconds = time.perf_counter() - start
    figures = {
        "seconds": seconds,
        "wasm_bytes_before": before,
        "wasm_bytes_peak": pyodide_js._module.HEAPU8.length,
        "region": list(reading.region),
    }
    with open(out, "w") as handle:
        json.dump(figures, handle)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
