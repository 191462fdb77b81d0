"""The two preset networks: their weight files, or random stand-ins of the same shape.

Timing and parity checks do not depend on trained values, so when ``weights/<name>.npz``
is absent (before training has run) a stand-in with the preset's architecture and
random weights is written instead.
"""

from pathlib import Path

import numpy as np

from recognizer.network import save_network

__all__ = ["PRESETS", "STANDIN_LAYERS", "preset_path", "write_standin"]

REPO_ROOT = Path(__file__).resolve().parent.parent
PRESETS = ("default", "seed")

_CONV = {"type": "conv2d", "strides": [1, 1], "padding": "valid", "activation": "relu"}
_POOL = {"type": "max_pool2d", "pool_size": [2, 2], "strides": [2, 2]}
STANDIN_LAYERS = {
    "default": [
        {**_CONV, "name": "conv1"},
        _POOL,
        {**_CONV, "name": "conv2"},
        _POOL,
        {**_CONV, "name": "conv3"},
        {"type": "flatten"},
        {"type": "dense", "name": "dense1", "activation": "softmax"},
    ],
    "seed": [
        {**_CONV, "name": "conv1"},
        {**_CONV, "name": "conv2"},
        _POOL,
        {"type": "dropout", "rate": 0.25},
        {"type": "flatten"},
        {"type": "dense", "name": "dense1", "activation": "relu"},
        {"type": "dropout", "rate": 0.5},
        {"type": "dense", "name": "dense2", "activation": "softmax"},
    ],
}
_KERNELS = {  # name -> kernel shape (Keras layout)
    "default": {
        "conv1": (5, 5, 1, 20),
        "conv2": (3, 3, 20, 40),
        "conv3": (3, 3, 40, 80),
        "dense1": (720, 10),
    },
    "seed": {
        "conv1": (3, 3, 1, 32),
        "conv2": (3, 3, 32, 64),
        "dense1": (9216, 128),
        "dense2": (128, 10),
    },
}


def write_standin(name: str, path: Path, seed: int = 0) -> Path:
    """Write a random-weight network with preset ``name``'s architecture (He-scaled, float32)."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for layer, shape in _KERNELS[name].items():
        fan_in = int(np.prod(shape[:-1]))
        arrays[f"{layer}/kernel"] = (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(
            np.float32
        )
        arrays[f"{layer}/bias"] = (rng.standard_normal(shape[-1]) * 0.01).astype(np.float32)
    save_network(path, STANDIN_LAYERS[name], arrays, meta={"name": f"{name} (random stand-in)"})
    return path


def preset_path(name: str, scratch: Path) -> tuple[Path, bool]:
    """(path, trained): ``weights/<name>.npz`` if present, else a stand-in written to scratch."""
    real = REPO_ROOT / "weights" / f"{name}.npz"
    if real.exists():
        return real, True
    return write_standin(name, scratch / f"{name}-standin.npz"), False
