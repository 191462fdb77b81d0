"""Conversion between Keras models and the ``.npz`` model file format (version 1).

:func:`keras_to_layers` turns a trained Sequential model into the file's layer list and
float32 weight arrays, folding each BatchNormalization into the convolution or dense
layer before it, merging a following ReLU/softmax into that layer's activation and
leaving out Dropout (the identity at inference). :func:`export_model` stores them
(float16 or float32) with ``recognizer.model_file``. :func:`layers_to_keras` goes the
other way, so tests can run the exact stored weights through Keras. :func:`count_macs`
and :func:`count_parameters` describe a layer list. Layer types, shapes and checks all
come from ``recognizer.architecture``.
"""

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from recognizer.architecture import (
    INPUT_SHAPE,
    Conv2D,
    Dense,
    Flatten,
    MaxPool2D,
    ModelFileError,
    walk,
)
from recognizer.model_file import save_network
from training import ensemble

__all__ = [
    "ExportError",
    "count_macs",
    "count_parameters",
    "export_model",
    "keras_to_layers",
    "layers_to_keras",
    "save_model_and_card",
]

STORAGE_DTYPES = {"float16": np.float16, "float32": np.float32}
Arrays = dict[str, np.ndarray]


class ExportError(ValueError):
    """The Keras model uses a layer or setting the file format cannot express."""


def keras_to_layers(model: keras.Sequential) -> tuple[list[dict[str, Any]], Arrays]:
    """File layer entries and float32 '<name>/kernel', '<name>/bias' arrays of a model.

    Raises ExportError for what the format cannot express (e.g. a strided convolution,
    a BatchNormalization that does not directly follow a linear conv/dense layer, or a
    network that does not end in a softmax over 10 or 11 classes).
    """
    entries: list[dict[str, Any]] = []
    arrays: Arrays = {}
    for layer in model.layers:
        last = entries[-1] if entries else {}
        if isinstance(layer, keras.layers.Conv2D | keras.layers.Dense):
            entries.append(_weighted_entry(layer, arrays))
        elif isinstance(layer, keras.layers.BatchNormalization):
            if last.get("activation") != "linear":
                raise ExportError(f"{layer.name}: batch norm must follow a linear conv/dense layer")
            _fold_batch_norm(layer, arrays, last["name"])
        elif isinstance(layer, keras.layers.ReLU | keras.layers.Activation | keras.layers.Softmax):
            if last.get("activation") != "linear":
                raise ExportError(f"{layer.name}: must follow a linear conv/dense layer")
            last["activation"] = _activation_name(layer)
        elif isinstance(layer, keras.layers.MaxPooling2D):
            plain = tuple(layer.pool_size) == tuple(layer.strides) == (2, 2)
            if not plain or layer.padding != "valid":
                raise ExportError(f"{layer.name}: only 2x2 'valid' max pooling, stride 2")
            entries.append({"type": MaxPool2D.TYPE})
        elif isinstance(layer, keras.layers.Flatten):
            entries.append({"type": Flatten.TYPE})
        elif not isinstance(layer, keras.layers.Dropout):  # dropout: identity at inference
            raise ExportError(f"{layer.name}: unsupported layer type {type(layer).__name__}")
    try:
        walk(entries, arrays)
    except ModelFileError as error:
        raise ExportError(f"{model.name}: {error}") from error
    return entries, arrays


def _weighted_entry(layer, arrays: Arrays) -> dict[str, Any]:
    """Entry for a Conv2D/Dense layer; stores its kernel and bias (zeros if it has none)."""
    kernel = np.asarray(layer.kernel.numpy(), dtype=np.float32)
    bias = (
        np.asarray(layer.bias.numpy(), dtype=np.float32)
        if layer.use_bias
        else np.zeros(kernel.shape[-1], np.float32)
    )
    arrays[f"{layer.name}/kernel"], arrays[f"{layer.name}/bias"] = kernel, bias
    entry = {"name": layer.name, "activation": layer.activation.__name__}
    if isinstance(layer, keras.layers.Dense):
        return {"type": Dense.TYPE, **entry}
    plain = (
        layer.data_format == "channels_last"
        and tuple(layer.dilation_rate) == tuple(layer.strides) == (1, 1)
        and layer.padding == "valid"
        and layer.groups == 1
    )
    if not plain:
        raise ExportError(
            f"{layer.name}: only 'valid', stride-1, undilated, ungrouped channels_last convolutions"
        )
    return {"type": Conv2D.TYPE, **entry}


def _fold_batch_norm(layer, arrays: Arrays, target: str) -> None:
    """Fold inference-mode batch norm y = gamma (x - mean) / sqrt(var + eps) + beta
    into the target layer's kernel (scaled along its output axis) and bias."""
    if layer.axis != -1:
        raise ExportError(f"{layer.name}: batch norm must normalise the last (channel) axis")
    mean = layer.moving_mean.numpy().astype(np.float64)
    variance = layer.moving_variance.numpy().astype(np.float64)
    gamma = layer.gamma.numpy().astype(np.float64) if layer.scale else np.ones_like(mean)
    beta = layer.beta.numpy().astype(np.float64) if layer.center else np.zeros_like(mean)
    scale = gamma / np.sqrt(variance + layer.epsilon)  # (C_out,)
    kernel, bias = arrays[f"{target}/kernel"], arrays[f"{target}/bias"]
    arrays[f"{target}/kernel"] = (kernel * scale).astype(np.float32)  # scales the last axis
    arrays[f"{target}/bias"] = ((bias - mean) * scale + beta).astype(np.float32)


def _activation_name(layer) -> str:
    """The activation a ReLU, Softmax or Activation layer applies ("relu", "softmax", ...)."""
    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    if isinstance(layer, keras.layers.ReLU):
        plain = (
            layer.max_value is None and float(layer.negative_slope) == 0 and layer.threshold == 0
        )
        if not plain:
            raise ExportError(f"{layer.name}: only a plain ReLU is supported")
        return "relu"
    return layer.activation.__name__


def export_model(
    model: "keras.Sequential | Sequence[keras.Sequential]",
    path: str | os.PathLike,
    meta: Mapping[str, Any],
    storage: str = "float16",
) -> tuple[list[dict[str, Any]], Arrays]:
    """Write a model file for a trained model, or for several of one architecture merged
    into one network that averages their logits (``training.ensemble``); weights stored as
    'float16' or 'float32'.

    returns : the layer entries and the arrays exactly as stored
    Raises ExportError (unsupported model), ValueError (members that cannot be merged) or
    KeyError (unknown storage).
    """
    members = [keras_to_layers(m) for m in (model if isinstance(model, Sequence) else [model])]
    entries, arrays = members[0] if len(members) == 1 else ensemble.merge(members)
    stored = {name: value.astype(STORAGE_DTYPES[storage]) for name, value in arrays.items()}
    save_network(path, entries, stored, meta)
    return entries, stored


def layers_to_keras(
    entries: Sequence[Mapping[str, Any]], arrays: Mapping[str, np.ndarray]
) -> keras.Sequential:
    """A Keras model computing the same function as a layer list (weights cast to float32),
    its conv2d and dense layers named as in the file.

    Raises ModelFileError if the layer list and arrays do not describe a valid network.
    """
    model = keras.Sequential([keras.Input(INPUT_SHAPE)])
    for layer in walk(entries, arrays):
        match layer:
            case Conv2D(name=name, kernel=kernel, groups=groups):
                filters, size = kernel.shape[-1], kernel.shape[:2]
                model.add(
                    keras.layers.Conv2D(filters, size, activation="relu", groups=groups, name=name)
                )
            case MaxPool2D():
                model.add(keras.layers.MaxPooling2D(2))
            case Flatten():
                model.add(keras.layers.Flatten())
            case Dense(name=name, kernel=kernel, activation=activation):
                model.add(keras.layers.Dense(kernel.shape[-1], activation=activation, name=name))
        weights = [np.asarray(value, np.float32) for value in layer.arrays().values()]
        if weights:  # kernel, then bias
            model.layers[-1].set_weights(weights)
    return model


def count_parameters(arrays: Mapping[str, np.ndarray]) -> int:
    """Number of stored weights (kernels and biases)."""
    return int(sum(value.size for value in arrays.values()))


def count_macs(entries: Sequence[Mapping[str, Any]], arrays: Mapping[str, np.ndarray]) -> int:
    """Multiply-adds of one forward pass of one image (conv2d and dense layers).

    Raises ModelFileError if the layer list and arrays do not describe a valid network.
    """
    return sum(layer.macs for layer in walk(entries, arrays))


def save_model_and_card(
    path: Path, entries: Sequence[Mapping[str, Any]], arrays: Mapping[str, np.ndarray], meta: dict
) -> dict:
    """Write a model file and its card ``<stem>.json``: the meta plus the file's name, size
    and sha256. Returns the card."""
    save_network(path, entries, arrays, meta)
    payload = path.read_bytes()
    card = {
        **meta,
        "file": path.name,
        "file_bytes": len(payload),
        "file_sha256": hashlib.sha256(payload).hexdigest(),
    }
    path.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    return card
