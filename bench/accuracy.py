"""Accuracy: the MNIST test set through the NumPy forward, real pen digits through the page."""

import json
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.mnist_data import mnist_test_set
from recognizer.decision import N_DIGITS
from recognizer.network import load_network
from recognizer.reader import DigitReader
from tools import eval_strokes

__all__ = ["BATCH", "mnist_accuracy", "stroke_accuracy", "writer_independent"]

BATCH = 500  # images per predict_proba call


def mnist_accuracy(model: Path) -> dict | None:
    """Top-1 accuracy and digits/s of a model file on the 10,000 MNIST test images (CPython),
    for the network alone (most probable digit) and as the page reads them
    (``recognizer.reader``: rotated views, calibration, and a refusal counted as an error).

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
    reader = DigitReader(net)
    verdicts = [v for i in range(0, len(pixels), BATCH) for v in reader.read(pixels[i : i + BATCH])]
    with_views = np.array([-1 if v.kind == "not_digit" else v.digit for v in verdicts])
    return {
        "images": int(labels.size),
        "accuracy": float(np.mean(predicted == labels)),
        "errors": int(np.sum(predicted != labels)),
        "digits_per_second": labels.size / seconds,
        "accuracy_views": float(np.mean(with_views == labels)),
        "errors_views": int(np.sum(with_views != labels)),
        "rejected_views": int(np.sum(with_views < 0)),
    }


def _predicted_classes(predict_proba, images: np.ndarray) -> np.ndarray:
    """Most probable digit of each image, ``BATCH`` images per ``predict_proba`` call: (N,)."""
    batches = (images[i : i + BATCH] for i in range(0, len(images), BATCH))
    return np.concatenate([predict_proba(batch)[:, :N_DIGITS].argmax(axis=1) for batch in batches])


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
    keys = ("digits", "accuracy", "digits_per_second", "input", "seed", "rejected")
    timing = ("recognition_ms_median", "recognition_ms_p95")
    return {k: figures[k] for k in keys + timing}


def writer_independent(card_path: Path) -> dict | None:
    """The writer-fold figures ``build_weights.py`` measured and stored in a model card,
    with the weights file's size; None when the card has none."""
    if not card_path.exists():
        return None
    card = json.loads(card_path.read_text())
    folds = (card.get("evaluation") or {}).get("writer_independent")
    if not folds:
        return None
    keep = (
        "folds", "writers", "digits", "accuracy_mean_over_folds", "accuracy_network_upright",
        "accuracy_network_views", "worst_writer", "digits_rejected", "digits_unsure",
        "negatives_rejected", "negatives_rejected_held_out_families", "ece_raw", "ece_calibrated",
    )  # fmt: skip
    return {
        **{k: folds[k] for k in keep},
        "mnist_ece_calibrated": card["evaluation"]["mnist_test"]["ece_calibrated"],
        "calibration": card["calibration"],
        "file_bytes": card["file_bytes"],
    }
