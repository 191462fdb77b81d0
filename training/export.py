"""Conversion between Keras models and the ``.npz`` model file format (version 1).

:func:`keras_to_layers` turns a trained Sequential model into the file's layer list and
float32 weight arrays, folding each BatchNormalization into the convolution or dense
layer before it and merging a following ReLU/softmax into that layer's activation.
:func:`export_model` stores them (float16 or float32) with ``recognizer.network``.
:func:`layers_to_keras` goes the other way, so tests can run the exact stored weights
through Keras. :func:`count_macs` and :func:`count_parameters` describe a layer list.
"""

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from recognizer.layers import conv_output_size
from recognizer.network import SPEC_KEY, save_network

__all__ = [
    "ExportError",
    "count_macs",
    "count_parameters",
    "export_model",
    "keras_to_layers",
    "layers_to_keras",
    "read_model_file",
    "save_model_and_card",
]

STORAGE_DTYPES = {"float16": np.float16, "float32": np.float32}
Arrays = dict[str, np.ndarray]


class ExportError(ValueError):
    """The Keras model uses a layer or setting the file format cannot express."""


def keras_to_layers(model: keras.Sequential) -> tuple[list[dict[str, Any]], Arrays]:
    """File layer entries and float32 '<name>/kernel', '<name>/bias' arrays of a model.

    Raises ExportError for unsupported layers (e.g. a BatchNormalization that does not
    directly follow a linear conv/dense layer).
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
            function = _activation_name(layer)
            if last.get("activation") == "linear":
                last["activation"] = function
            else:
                entries.append({"type": function})
        elif isinstance(layer, keras.layers.MaxPooling2D):
            if layer.padding != "valid":
                raise ExportError(f"{layer.name}: only 'valid' max pooling is supported")
            entries.append(
                {
                    "type": "max_pool2d",
                    "pool_size": list(layer.pool_size),
                    "strides": list(layer.strides),
                }
            )
        elif isinstance(layer, keras.layers.Flatten):
            entries.append({"type": "flatten"})
        elif isinstance(layer, keras.layers.GlobalAveragePooling2D):
            entries.append({"type": "global_average_pool2d"})
        elif isinstance(layer, keras.layers.Dropout):
            entries.append({"type": "dropout", "rate": float(layer.rate)})
        else:
            raise ExportError(f"{layer.name}: unsupported layer type {type(layer).__name__}")
    return entries, arrays


def _weighted_entry(layer, arrays: Arrays) -> dict[str, Any]:
    """Entry for a Conv2D/Dense layer; stores its kernel and bias (zeros if it has none)."""
    function = layer.activation.__name__
    if function not in ("linear", "relu", "softmax"):
        raise ExportError(f"{layer.name}: unsupported activation {function!r}")
    kernel = np.asarray(layer.kernel.numpy(), dtype=np.float32)
    bias = (
        np.asarray(layer.bias.numpy(), dtype=np.float32)
        if layer.use_bias
        else np.zeros(kernel.shape[-1], np.float32)
    )
    arrays[f"{layer.name}/kernel"], arrays[f"{layer.name}/bias"] = kernel, bias
    if isinstance(layer, keras.layers.Dense):
        return {"type": "dense", "name": layer.name, "activation": function}
    if layer.data_format != "channels_last" or tuple(layer.dilation_rate) != (1, 1):
        raise ExportError(f"{layer.name}: only channels_last, undilated convolutions")
    if layer.groups != 1:
        raise ExportError(f"{layer.name}: grouped convolutions are not supported")
    return {
        "type": "conv2d",
        "name": layer.name,
        "strides": list(layer.strides),
        "padding": layer.padding,
        "activation": function,
    }


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
    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    if isinstance(layer, keras.layers.ReLU):
        plain = (
            layer.max_value is None and float(layer.negative_slope) == 0 and layer.threshold == 0
        )
        if not plain:
            raise ExportError(f"{layer.name}: only a plain ReLU is supported")
        return "relu"
    function = layer.activation.__name__
    if function not in ("relu", "softmax"):
        raise ExportError(f"{layer.name}: unsupported activation {function!r}")
    return function


def export_model(
    model: keras.Sequential,
    path: str | os.PathLike,
    meta: Mapping[str, Any],
    storage: str = "float16",
) -> tuple[list[dict[str, Any]], Arrays]:
    """Write a model file for a trained model; weights stored as 'float16' or 'float32'.

    returns : the layer entries and the arrays exactly as stored
    Raises ExportError (unsupported model) or KeyError (unknown storage).
    """
    entries, arrays = keras_to_layers(model)
    stored = {name: value.astype(STORAGE_DTYPES[storage]) for name, value in arrays.items()}
    save_network(path, entries, stored, meta)
    return entries, stored


def read_model_file(path: str | os.PathLike) -> tuple[list[dict[str, Any]], Arrays, dict]:
    """The layer entries, weight arrays (as stored) and meta of a model file."""
    with np.load(path, allow_pickle=False) as archive:
        spec = json.loads(str(archive[SPEC_KEY]))
        arrays = {name: archive[name] for name in archive.files if name != SPEC_KEY}
    return spec["layers"], arrays, spec["meta"]


def layers_to_keras(
    entries: Sequence[Mapping[str, Any]], arrays: Mapping[str, np.ndarray], input_shape=(28, 28, 1)
) -> keras.Sequential:
    """A Keras model computing the same function as a layer list (weights cast to float32)."""
    stack: list[keras.layers.Layer] = [keras.Input(tuple(input_shape))]
    weights = []
    for entry in entries:
        kind = entry["type"]
        if kind in ("conv2d", "dense"):
            kernel = np.asarray(arrays[f"{entry['name']}/kernel"], np.float32)
            bias = np.asarray(arrays[f"{entry['name']}/bias"], np.float32)
            if kind == "conv2d":
                stack.append(
                    keras.layers.Conv2D(
                        kernel.shape[-1],
                        kernel.shape[:2],
                        strides=tuple(entry.get("strides", (1, 1))),
                        padding=entry.get("padding", "valid"),
                        activation=entry.get("activation", "linear"),
                    )
                )
            else:
                stack.append(
                    keras.layers.Dense(kernel.shape[-1], activation=entry.get("activation"))
                )
            weights.append((len(stack) - 1, [kernel, bias]))
        elif kind == "max_pool2d":
            stack.append(keras.layers.MaxPooling2D(entry["pool_size"], entry["strides"]))
        elif kind == "flatten":
            stack.append(keras.layers.Flatten())
        elif kind == "global_average_pool2d":
            stack.append(keras.layers.GlobalAveragePooling2D())
        elif kind == "dropout":
            stack.append(keras.layers.Dropout(entry["rate"]))
        else:  # "relu" or "softmax"
            stack.append(keras.layers.Activation(kind))
    model = keras.Sequential(stack)
    for index, values in weights:
        model.layers[index - 1].set_weights(values)  # model.layers excludes the Input
    return model


def count_parameters(arrays: Mapping[str, np.ndarray]) -> int:
    """Number of stored weights (kernels and biases)."""
    return int(sum(value.size for value in arrays.values()))


def count_macs(
    entries: Sequence[Mapping[str, Any]],
    arrays: Mapping[str, np.ndarray],
    input_shape=(28, 28, 1),
) -> int:
    """Multiply-adds of one forward pass of one image (conv2d and dense layers)."""
    shape = tuple(input_shape)
    macs = 0
    for entry in entries:
        kind = entry["type"]
        if kind == "conv2d":
            kh, kw, c_in, c_out = arrays[f"{entry['name']}/kernel"].shape
            sh, sw = entry.get("strides", (1, 1))
            padding = entry.get("padding", "valid")
            h = conv_output_size(shape[0], kh, sh, padding)
            w = conv_output_size(shape[1], kw, sw, padding)
            macs += h * w * c_out * kh * kw * c_in
            shape = (h, w, c_out)  # (H_out, W_out, C_out)
        elif kind == "max_pool2d":
            (ph, pw), (sh, sw) = entry["pool_size"], entry["strides"]
            shape = ((shape[0] - ph) // sh + 1, (shape[1] - pw) // sw + 1, shape[2])
        elif kind == "flatten":
            shape = (int(np.prod(shape)),)
        elif kind == "global_average_pool2d":
            shape = (shape[-1],)
        elif kind == "dense":
            n_in, n_out = arrays[f"{entry['name']}/kernel"].shape
            macs += n_in * n_out
            shape = (n_out,)
    return int(macs)


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
