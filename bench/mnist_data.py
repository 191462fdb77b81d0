"""MNIST test images for the benchmarks, from $MNIST_DIR when it holds them."""

import os
from pathlib import Path

import numpy as np

from recognizer.input_spec import to_network_input
from training.mnist import FILES, read_test_set

__all__ = ["mnist_dir", "mnist_test_set"]

TEST_FILES = (FILES["test_images"], FILES["test_labels"])


def mnist_dir() -> Path | None:
    """The folder in $MNIST_DIR if it holds the MNIST test files, else None."""
    env = os.environ.get("MNIST_DIR")
    if not env:
        return None
    directory = Path(env)
    return directory if all((directory / name).exists() for name in TEST_FILES) else None


def mnist_test_set(limit: int | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """(images (N, 28, 28, 1) float32 in [0, 1], labels (N,) int64), or None without data.

    The files are checked against their sha256 (raises training.mnist.MnistError).
    """
    directory = mnist_dir()
    if directory is None:
        return None
    images, labels = read_test_set(directory, limit)
    return to_network_input(images), labels.astype(np.int64)
