"""Read image files through the upload path under Pyodide (32-bit wasm) in Node.

    photo_memory.py OUT.json FILE...

Writes, for each file in turn, the seconds taken and the wasm memory after reading it,
with the memory before the first. Wasm memory only grows, so the last figure is the peak
over all the files, and a file's own peak is measured by giving it alone.
"""

import json
import sys
import time

import pyodide_js

from recognizer import preprocess


def main(out: str, paths: list[str]) -> None:
    figures = {"wasm_bytes_idle": pyodide_js._module.HEAPU8.length, "files": {}}
    for path in paths:
        with open(path, "rb") as handle:
            data = handle.read()
        start = time.perf_counter()
        try:
            outcome = list(preprocess.read_image_bytes(data).region)
        except preprocess.ImageInputError as error:
            outcome = str(error)
        figures["files"][path] = {
            "seconds": time.perf_counter() - start,
            "wasm_bytes_after": pyodide_js._module.HEAPU8.length,
            "read": outcome,
        }
    with open(out, "w") as handle:
        json.dump(figures, handle)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
