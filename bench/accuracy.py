"""Accuracy: the MNIST test set through the NumPy forward, real pen digits through the page."""

import json
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.mnist_data import mnist_test_set
from recognizer import views
from recognizer.network import load_network
from tools import eval_strokes

__all__ = ["BATCH", "mnist_accuracy", "stroke_accuracy"]

BATCH = 500  # images per predict_proba call


def mnist_accuracy(model: Path) -> dict | None:
    """Top-1 accuracy and digits/s of a model file on the 10,000 MNIST test images (CPython),
    for the network alone and as the page runs it (averaged over ``recognizer.views``).

    Returns None when $MNIST_DIR does not hold the test set.
    """
    data = mnist_test_set()
    if data is None:
        return None
    images, labels = data
    net = load_network(model)
    start = time.perf_counter()
    predicted = _predicted_classes(net.predict_proba, images)  # (N,)
    seconds = time.perf_counter() - start
    pixels = np.rint(images[..., 0] * 255).astype(np.uint8)  # (N, 28, 28) back to uint8
    with_views = _predicted_classes(lambda batch: views.predict_proba(net, batch), pixels)
    return {
        "images": int(labels.size),
        "accuracy": float(np.mean(predicted == labels)),
        "errors": int(np.sum(predicted != labels)),
        "digits_per_second": labels.size / seconds,
        "accuracy_views": float(np.mean(with_views == labels)),
        "errors_views": int(np.sum(with_views != labels)),
    }


def _predicted_classes(predict_proba, images: np.ndarray) -> np.ndarray:
    """Most probable class of each image, ``BATCH`` images per ``predict_proba`` call: (N,)."""
    batches = (images[i : i + BATCH] for i in range(0, len(images), BATCH))
    return np.concatenate([predict_proba(batch).argmax(axis=1) for batch in batches])


def stroke_accuracy(base_url: str, pen_file: Path, limit: int | None, chromium: str) -> dict:
    """Replay pen digits through the served page with tools.eval_strokes; its figures."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "strokes.json"
        argv = [str(pen_file), "--url", base_url, "--chromium", chromium, "--json", str(out)]
        if limit is not None:
            argv += ["--limit", str(limit)]
        status = eval_strokes.main(argv)
        if status != 0:
            raise RuntimeError(f"tools.eval_strokes exited with status {status}")
        figures = json.loads(out.read_text())
    return {k: figures[k] for k in ("digits", "accuracy", "digits_per_second", "input", "seed")}
