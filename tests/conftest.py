"""Shared pytest fixtures."""

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """Folder with the four MNIST .gz files: $MNIST_DIR, else ../shared/data/mnist.

    Skips the test when the folder is absent (tests never download MNIST).
    """
    path = Path(os.environ.get("MNIST_DIR") or REPO_ROOT.parent / "shared" / "data" / "mnist")
    if not (path / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"MNIST not found in {path} (set MNIST_DIR)")
    return path
