"""Several trained networks of one architecture, laid side by side as one network.

:func:`merge` joins the members layer by layer: the first convolution's kernels are
concatenated (every member reads the same image); each later convolution becomes a
grouped one, group m holding member m's kernel and reading member m's channels only; the
last dense layer reads every member's features, its weights divided by the number of
members. Its logits are therefore the mean of the members' logits, and its softmax the
members' probabilities averaged geometrically and normalised. The result is an ordinary
model file (``recognizer.architecture``): the forward pass, the look inside and the ONNX
export run it as any other network, at the members' summed cost.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from recognizer.architecture import Conv2D, Dense, Flatten, MaxPool2D, walk

__all__ = ["merge"]

Arrays = dict[str, np.ndarray]
Entries = list[dict[str, Any]]


def merge(members: Sequence[tuple[Sequence[Mapping[str, Any]], Mapping[str, np.ndarray]]]):
    """One network computing the mean of the members' logits.

    members : (layer entries, '<name>/kernel' and '/bias' arrays) per member, all with the
        same layer list: a convolution first, convolutions, max pools and one flatten
        after it, and a single dense layer, the last
    returns : (entries, float32 arrays) of the merged network
    Raises ValueError for members whose layer lists differ or that are not of that form;
    ModelFileError for a member that is not a valid network.
    """
    walked = [walk(list(entries), dict(arrays)) for entries, arrays in members]
    first = walked[0]
    if any(_signature(other) != _signature(first) for other in walked):
        raise ValueError("the members' layer lists differ (layers or weight shapes)")
    if not isinstance(first[0], Conv2D):
        raise ValueError("the members must begin with a convolution")
    count = len(walked)
    entries: Entries = []
    arrays: Arrays = {}
    for index, layers in enumerate(zip(*walked, strict=True)):
        layer = layers[0]
        entry = layer.entry()
        if isinstance(layer, Conv2D):
            groups = layer.groups if index == 0 else layer.groups * count
            entry = {**entry, "groups": groups} if groups > 1 else entry
            kernel = np.concatenate([m.kernel.astype(np.float32) for m in layers], axis=3)
            bias = np.concatenate([m.bias.astype(np.float32) for m in layers])
            arrays |= {f"{layer.name}/kernel": kernel, f"{layer.name}/bias": bias}
        elif isinstance(layer, Dense):
            if index != len(first) - 1 or not isinstance(first[index - 1], Flatten):
                raise ValueError("only the last layer may be dense, after a flatten")
            kernel = _features_side_by_side(layers, first[index - 1].input_shape) / count
            bias = np.mean([m.bias.astype(np.float32) for m in layers], axis=0)  # float32
            arrays |= {f"{layer.name}/kernel": kernel, f"{layer.name}/bias": bias}
        elif not isinstance(layer, MaxPool2D | Flatten):
            raise ValueError(f"cannot merge a {layer.TYPE} layer")
        entries.append(entry)
    return entries, arrays


def _signature(layers) -> list:
    """What members must share to be merged: each layer's entry and weight shapes."""
    return [(layer.entry(), [value.shape for value in layer.arrays().values()]) for layer in layers]


def _features_side_by_side(layers: Sequence[Dense], map_shape: tuple[int, ...]) -> np.ndarray:
    """The members' dense kernels over the merged flatten's features.

    Each member flattens its own (H, W, C) maps; merged, the maps are (H, W, M * C) with
    member m's channels at [m * C, (m + 1) * C), flattened row-major as before.
    returns : (H * W * M * C, n_out) float32
    """
    h, w, c = map_shape
    n_out = layers[0].kernel.shape[1]
    kernels = [m.kernel.astype(np.float32).reshape(h, w, c, n_out) for m in layers]
    return np.concatenate(kernels, axis=2).reshape(-1, n_out)  # (H, W, M*C, n) flattened
