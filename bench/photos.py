"""Uploads: synthetic photos by condition, MNIST digits as PNG files, blank paper.

Everything goes through the page's upload path (``recognizer.preprocess.read_image_bytes``)
and its reading (``recognizer.reader``) under CPython; a refusal ("no digit found" or
"not one digit") counts as an error for a digit and as a success for blank paper.
"""

import io
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

from bench.mnist_data import mnist_test_set
from recognizer import preprocess
from recognizer.network import load_network
from recognizer.reader import DigitReader
from tools import synthetic_photos, unipen
from training import negatives

__all__ = ["PHOTO_SEED", "photo_accuracy"]

PHOTO_SEED = 2026  # no choice was made on photos of this seed
BLANK_SEED = 2027


def _shown(reader: DigitReader, data: bytes) -> int:
    """The digit the page shows for an uploaded file, or -1 for none."""
    try:
        digit = preprocess.read_image_bytes(data).digit
    except preprocess.ImageInputError:
        return -1
    verdict = reader.read(digit[None])[0]
    return -1 if verdict.kind == "not_digit" else verdict.digit


def mnist_png(image: np.ndarray) -> bytes:
    """An MNIST digit as a black-on-white 112x112 PNG, like a scan of ink on paper."""
    picture = Image.fromarray(255 - image).resize((112, 112), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


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
        shown = np.array([_shown(reader, mnist_png(image)) for image in images])
        result["mnist_png"] = {"images": len(labels), "accuracy": float(np.mean(shown == labels))}
    rng = np.random.default_rng(BLANK_SEED)
    blank = [negatives.blank_photo(rng) for _ in range(200)]
    given = sum(
        image is not None and reader.read(image[None])[0].kind != "not_digit" for image in blank
    )
    result["blank_paper"] = {"photos": len(blank), "no_digit": 1 - given / len(blank)}
    return result
