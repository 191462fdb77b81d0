"""The two preset networks: their committed model files, and random stand-ins built from
those files' layer lists.

Timing and parity checks do not depend on trained values; a stand-in has a preset's
exact layers and shapes with other weights, for checks that want more than one network.
"""

from pathlib import Path

import numpy as np

from recognizer.model_file import read_model_file, save_network
from tools.paths import REPO_ROOT

__all__ = ["PRESETS", "REPO_ROOT", "preset_path", "write_standin"]

PRESETS = ("default", "seed")


def preset_path(name: str) -> Path:
    """``weights/<name>.npz``, the committed model file of preset ``name``."""
    return REPO_ROOT / "weights" / f"{name}.npz"


def write_standin(name: str, path: Path, seed: int = 0) -> Path:
    """Write a network with preset ``name``'s layers (read from its committed file) and
    random float32 weights: He-scaled kernels, small biases. Returns ``path``."""
    model = read_model_file(preset_path(name))
    rng = np.random.default_rng(seed)
    arrays = {}
    for key, stored in model.arrays().items():  # each layer's kernel, then its bias
        if key.endswith("/kernel"):
            fan_in = int(np.prod(stored.shape[:-1]))
            values = rng.standard_normal(stored.shape) * np.sqrt(2.0 / fan_in)
        else:
            values = rng.standard_normal(stored.shape) * 0.01
        arrays[key] = values.astype(np.float32)
    save_network(path, model.entries(), arrays, meta={"name": f"{name} (random stand-in)"})
    return path
