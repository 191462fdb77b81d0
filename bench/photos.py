"""Uploads: synthetic photos by condition, MNIST digits as PNG files, blank paper.

Everything goes through the page's upload path (``recognizer.preprocess.read_image_bytes``)
and its reading (``recognizer.reader``) under CPython; a refusal ("no digit found" or
"not one digit") or a number of several digits counts as an error for a digit and a
refusal as a success for blank paper.
"""

import io
import json
import os
import subprocess
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

from bench.mnist_data import mnist_test_set
from bench.nets import REPO_ROOT
from recognizer import preprocess, segment
from recognizer.network import load_network
from recognizer.reader import DigitReader
from tools import synthetic_photos, unipen
from training import negatives

__all__ = ["PHONE_SIZE", "PHOTO_SEED", "big_photo_jpeg", "photo_accuracy", "pyodide_upload_memory"]

PHOTO_SEED = 2026  # no choice was made on photos of this seed
BLANK_SEED = 2027
PNG_TUNING_DIGITS = 5000  # the upload path's settings were chosen on MNIST test 0..4999
BIG_SIZE = (8000, 6000)  # a 48-megapixel phone photo
PHONE_SIZE = (4000, 3000)  # a 12-megapixel phone photo
RUNNER = REPO_ROOT / "tools" / "pyodide" / "run_python.mjs"
MEMORY_SCRIPT = REPO_ROOT / "bench" / "photo_memory.py"


def _shown(reader: DigitReader, data: bytes) -> int:
    """The digit the page shows for an uploaded file, or -1 for none (as the page's
    ``Recognizer.recognize_image``: ink ``segment.split_picture`` splits is shown as a
    number)."""
    try:
        reading = preprocess.read_image_bytes(data)
    except preprocess.ImageInputError:
        return -1
    verdict = reader.read_upload(reading.digit, reading.drawn_check)
    if segment.split_picture(reader, reading.ink, verdict.kind) is not None:
        return -1
    return -1 if verdict.kind == "not_digit" else verdict.digit


def photo_accuracy(model: Path, pen_file: Path | None, count: int, mnist_count: int) -> dict:
    """Accuracy by condition and by digit source, MNIST PNG uploads, blank paper refused."""
    reader = DigitReader(load_network(model))
    test = mnist_test_set()
    mnist = None
    if test is not None:
        images, labels = test
        mnist = (np.rint(images[..., 0] * 255).astype(np.uint8), labels)  # (N, 28, 28) uint8
    pen = unipen.load_pendigits(pen_file) if pen_file else []
    photos = synthetic_photos.photo_set(count, PHOTO_SEED, pen, mnist)
    right: dict[str, list[bool]] = defaultdict(list)
    by_source: dict[str, list[bool]] = defaultdict(list)
    started = time.perf_counter()
    for photo in photos:
        correct = _shown(reader, photo.jpeg) == photo.label
        right[photo.condition].append(correct)
        by_source[photo.source].append(correct)
    seconds = time.perf_counter() - started
    every = [c for values in right.values() for c in values]
    result = {
        "photos": len(photos),
        "seed": PHOTO_SEED,
        "accuracy": float(np.mean(every)),
        "by_condition": {k: float(np.mean(v)) for k, v in right.items()},
        "by_source": {
            k: {"photos": len(v), "accuracy": float(np.mean(v))} for k, v in by_source.items()
        },
        "ms_per_photo": 1000 * seconds / len(photos),
    }
    if mnist is not None:
        images, labels = mnist[0][:mnist_count], mnist[1][:mnist_count]
        shown = np.array(
            [_shown(reader, synthetic_photos.mnist_scan_png(image)) for image in images]
        )
        right_png = shown == labels
        result["mnist_png"] = {"images": len(labels), "accuracy": float(np.mean(right_png))}
        if len(labels) > PNG_TUNING_DIGITS:
            result["mnist_png"]["tuning_accuracy"] = float(np.mean(right_png[:PNG_TUNING_DIGITS]))
            result["mnist_png"]["other_accuracy"] = float(np.mean(right_png[PNG_TUNING_DIGITS:]))
    rng = np.random.default_rng(BLANK_SEED)
    blank = [_shown(reader, negatives.blank_paper_jpeg(rng)) for _ in range(200)]
    result["blank_paper"] = {"photos": len(blank), "no_digit": float(np.mean(np.equal(blank, -1)))}
    return result


def big_photo_jpeg(pen_file: Path, size: tuple[int, int] = BIG_SIZE) -> bytes:
    """A JPEG (quality 90) of a pen digit on plain paper, (width, height) pixels: by default
    48 megapixels (BIG_SIZE); PHONE_SIZE is 12."""
    digit = unipen.load_pendigits(pen_file)[5]
    photo = synthetic_photos.make_photo(digit, digit.label, "plain", np.random.default_rng(0))
    image = Image.open(io.BytesIO(photo.jpeg)).resize(size, Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def pyodide_upload_memory(files: dict[str, bytes], scratch: Path) -> dict:
    """Read each file alone through the upload path in Pyodide under Node
    (bench/photo_memory.py): name -> seconds and the wasm memory peak above idle (bytes)."""
    figures = {}
    runner = ["node", str(RUNNER), "--mount", f"{scratch}:/scratch", str(MEMORY_SCRIPT)]
    for name, data in files.items():
        (scratch / name).write_bytes(data)
        done = subprocess.run(
            [*runner, "/scratch/memory.json", f"/scratch/{name}"],
            capture_output=True,
            text=True,
            timeout=600,
            env=dict(os.environ),
            cwd=REPO_ROOT,
        )
        if done.returncode != 0:
            raise RuntimeError(f"photo_memory.py failed on {name}:\n{done.stderr[-3000:]}")
        measured = json.loads((scratch / "memory.json").read_text())
        (read,) = measured["files"].values()
        figures[name] = {
            "bytes": len(data),
            "seconds": read["seconds"],
            "wasm_bytes_above_idle": read["wasm_bytes_after"] - measured["wasm_bytes_idle"],
            "read": isinstance(read["read"], list),
        }
    return figures
