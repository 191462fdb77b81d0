"""A CNN built from a model file and run with NumPy.

:func:`load_network` reads and checks the file (``model_file``; its layer types in
``architecture``) and chains each layer's NumPy steps (``layers``). Any problem with the
file raises :class:`ModelFileError` before the first prediction.
"""

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

from . import layers as L
from .architecture import Layer, ModelFileError
from .model_file import read_model_file, save_network

__all__ = ["ModelFileError", "Network", "load_network", "save_network"]

Shape = tuple[int, ...]  # one example's shape, without the batch axis
Step = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Network:
    """A feed-forward network ready to run.

    steps : one callable per operation, each mapping a float32 batch to the next
    input_shape : (H, W, C) one example's input shape
    meta : the file's free-form ``meta`` dictionary (model card fields)
    layers : the file's layers (``architecture``), for a look inside (``explain``)
    layer_steps : each layer's own steps, in the file's order (``steps`` are the same
        callables, reordered where that is faster), for a look inside
    """

    steps: tuple[Step, ...]
    input_shape: Shape
    meta: Mapping[str, Any]
    layers: tuple[Layer, ...]
    layer_steps: tuple[tuple[Step, ...], ...]

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities for a batch.

        images : (N, H, W) or (N, H, W, C) float32 in [0, 1] (see ``input_spec``)
        returns : (N, n_classes) float32, rows summing to 1
        """
        x = np.asarray(images, dtype=np.float32)
        if x.ndim == len(self.input_shape):  # (N, H, W) -> (N, H, W, 1)
            x = x[..., None]
        if x.shape[1:] != self.input_shape:
            raise ValueError(f"expected input (N, {self.input_shape}), got {x.shape}")
        for step in self.steps:
            x = step(x)
        return x


def load_network(
    source: str | os.PathLike | bytes | BinaryIO, expected_sha256: str | None = None
) -> Network:
    """Read and check a model file (a path, its bytes, or a binary file object).

    expected_sha256 : hex digest the file's bytes must have (recorded when the site was
        built); None skips the check.
    Raises ModelFileError naming the problem (checksum mismatch included); OSError if a
    path cannot be opened.
    """
    model = read_model_file(source, expected_sha256)
    layer_steps = tuple(tuple(layer.steps()) for layer in model.layers)  # kernels laid out once
    steps = [step for group in layer_steps for step in group]
    return Network(
        tuple(_pool_before_relu(steps)),
        model.layers[0].input_shape,
        model.meta,
        model.layers,
        layer_steps,
    )


def _pool_before_relu(steps: list[Step]) -> list[Step]:
    """Swap each ReLU that a max pool follows: max(relu(x)) == relu(max(x)) exactly, and
    the pooled array is a quarter the size, so the ReLU does less work."""
    out = list(steps)
    for i in range(len(out) - 1):
        if out[i] is L.relu and out[i + 1] is L.max_pool2d:
            out[i], out[i + 1] = out[i + 1], out[i]
    return out
