"""A CNN built from a ``.npz`` model file and run with NumPy.

File format (version 1): an ``.npz`` archive, no pickles, holding

* ``model.json`` -- a 0-d unicode array with the JSON document
  ``{"format": "recognizer-npz", "version": 1, "input_shape": [28, 28, 1],
  "layers": [...], "meta": {...}}``;
* one ``<layer name>/kernel`` and ``<layer name>/bias`` array per conv2d or
  dense layer, float16 or float32 (cast to float32 on load).

Layer entries (NHWC, Keras layouts)::

    {"type": "conv2d", "name": "conv1", "strides": [1, 1], "padding": "valid" | "same",
     "activation": "relu" | "linear"}                 kernel (kh, kw, c_in, c_out), bias (c_out,)
    {"type": "max_pool2d", "pool_size": [2, 2], "strides": [2, 2]}
    {"type": "dense", "name": "dense1", "activation": "relu" | "linear" | "softmax"}
                                                       kernel (n_in, n_out), bias (n_out,)
    {"type": "flatten"}  {"type": "global_average_pool2d"}  {"type": "dropout", "rate": 0.5}
    {"type": "relu"}  {"type": "softmax"}

The loader checks everything before the first prediction: the archive, the
JSON, each layer's fields, that every weight array exists with the shape the
layer chain implies, that no array is left over, that weights are finite and
that the network ends in a softmax over a vector. Any problem raises
:class:`ModelFileError` with one message naming it.
"""

import hashlib
import io
import json
import os
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, BinaryIO

import numpy as np

from . import layers as L
from .input_spec import IMAGE_SIZE

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "ModelFileError",
    "Network",
    "load_network",
    "save_network",
]

FORMAT_NAME = "recognizer-npz"
FORMAT_VERSION = 1
SPEC_KEY = "model.json"
WEIGHT_DTYPES = (np.dtype(np.float32), np.dtype(np.float16))
ACTIVATIONS = {  # activation name -> the step that applies it (None: no step)
    "linear": None,
    "relu": L.relu,
    "softmax": L.softmax,
}

Shape = tuple[int, ...]  # one example's shape, without the batch axis
Step = Callable[[np.ndarray], np.ndarray]


class ModelFileError(ValueError):
    """The model file is missing, corrupt, or does not describe a valid network."""


@dataclass(frozen=True)
class Network:
    """A feed-forward network ready to run.

    steps : one callable per layer, each mapping a float32 batch to the next
    input_shape : (H, W, C) one example's input shape
    meta : the file's free-form ``meta`` dictionary (model card fields)
    """

    steps: tuple[Step, ...]
    input_shape: Shape
    meta: Mapping[str, Any]

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
    """Read and validate a model file (a path, its bytes, or a binary file object).

    expected_sha256 : hex digest the file's bytes must have (recorded when the site was
        built); None skips the check.
    Raises ModelFileError naming the problem (checksum mismatch included); OSError if a
    path cannot be opened.
    """
    if expected_sha256 is not None:
        source = _read_bytes(source)
        actual = hashlib.sha256(source).hexdigest()
        if actual != expected_sha256.lower():
            raise ModelFileError(
                f"checksum mismatch: sha256 {actual[:12]}…, expected {expected_sha256[:12]}…"
            )
    if isinstance(source, bytes | bytearray | memoryview):
        source = io.BytesIO(bytes(source))
    try:
        loaded = np.load(source, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ModelFileError("not an .npz model file (found a single .npy array)")
        with loaded as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (ModelFileError, FileNotFoundError):
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise ModelFileError(f"not a readable .npz model file ({error})") from error
    if SPEC_KEY not in arrays:
        raise ModelFileError(f"missing '{SPEC_KEY}' (not a model file of this format)")
    spec = _parse_spec(arrays.pop(SPEC_KEY))
    return _build(spec, arrays)


def _read_bytes(source: str | os.PathLike | bytes | BinaryIO) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as file:
            return file.read()
    return source.read()


def save_network(
    path: str | os.PathLike,
    layers: Sequence[Mapping[str, Any]],
    arrays: Mapping[str, np.ndarray],
    meta: Mapping[str, Any] | None = None,
    input_shape: Shape = (IMAGE_SIZE, IMAGE_SIZE, 1),
) -> None:
    """Write a model file, after checking that it loads into a valid network.

    arrays : '<layer name>/kernel' and '/bias' arrays, float16 or float32, stored as given.
    Raises ModelFileError if the description is invalid; nothing is written then.
    """
    spec = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "input_shape": list(input_shape),
        "layers": [dict(layer) for layer in layers],
        "meta": dict(meta or {}),
    }
    stored = {name: np.asarray(value) for name, value in arrays.items()}
    _build(spec, dict(stored))
    np.savez(path, **{SPEC_KEY: np.array(json.dumps(spec))}, **stored)


def _parse_spec(raw: np.ndarray) -> dict:
    if raw.dtype.kind != "U" or raw.ndim != 0:
        raise ModelFileError(
            f"'{SPEC_KEY}' must be a 0-d string array, got {raw.dtype} {raw.shape}"
        )
    try:
        spec = json.loads(str(raw))
    except json.JSONDecodeError as error:
        raise ModelFileError(f"'{SPEC_KEY}' is not valid JSON ({error})") from error
    if not isinstance(spec, dict) or spec.get("format") != FORMAT_NAME:
        raise ModelFileError(f"'{SPEC_KEY}' does not declare format '{FORMAT_NAME}'")
    if spec.get("version") != FORMAT_VERSION:
        raise ModelFileError(
            f"unsupported format version {spec.get('version')!r} (expected {FORMAT_VERSION})"
        )
    return spec


def _build(spec: Mapping[str, Any], arrays: dict[str, np.ndarray]) -> Network:
    """Check the layer chain against the arrays and turn it into callables."""
    input_shape = _int_tuple(spec.get("input_shape"), "input_shape", length=3)
    layer_specs = spec.get("layers")
    if not isinstance(layer_specs, list) or not layer_specs:
        raise ModelFileError("'layers' must be a non-empty list")
    shape: Shape = input_shape
    steps: list[Step] = []
    ends_in_softmax = False
    for index, layer in enumerate(layer_specs):
        if not isinstance(layer, dict):
            raise ModelFileError(f"layer {index} is not an object")
        kind = layer.get("type")
        builder = _BUILDERS.get(kind)
        if builder is None:
            raise ModelFileError(f"layer {index}: unknown layer type {kind!r}")
        try:
            layer_steps, shape = builder(layer, shape, arrays)
        except ModelFileError as error:
            raise ModelFileError(f"layer {index} ({kind}): {error}") from None
        steps.extend(layer_steps)
        if kind != "dropout":
            ends_in_softmax = kind == "softmax" or layer.get("activation") == "softmax"
    if arrays:
        raise ModelFileError(f"arrays not used by any layer: {', '.join(sorted(arrays))}")
    if len(shape) != 1 or not ends_in_softmax:
        raise ModelFileError(f"the network must end in a softmax over a vector, ends in {shape}")
    meta = spec.get("meta", {})
    if not isinstance(meta, dict):
        raise ModelFileError("'meta' must be an object")
    return Network(tuple(_pool_before_relu(steps)), input_shape, meta)


def _int_tuple(value: Any, field: str, length: int) -> tuple[int, ...]:
    ok = (
        isinstance(value, list)
        and len(value) == length
        and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
    )
    if not ok:
        raise ModelFileError(
            f"'{field}' must be a list of {length} positive integers, got {value!r}"
        )
    return tuple(value)


def _weight(arrays: dict[str, np.ndarray], key: str, shape: Shape) -> np.ndarray:
    """Pop one weight array, checking dtype, shape and finiteness; return it as float32."""
    if key not in arrays:
        raise ModelFileError(f"missing array '{key}'")
    value = arrays.pop(key)
    if value.dtype not in WEIGHT_DTYPES:
        raise ModelFileError(f"array '{key}' has dtype {value.dtype}, expected float16 or float32")
    if value.shape != shape:
        raise ModelFileError(f"array '{key}' has shape {value.shape}, expected {shape}")
    weights = value.astype(np.float32)
    if not np.isfinite(weights).all():
        raise ModelFileError(f"array '{key}' contains NaN or infinite values")
    return weights


def _stored_shape(arrays: dict[str, np.ndarray], key: str, layout: str) -> Shape:
    """Shape of a stored kernel, checked to have as many axes as ``layout`` names."""
    if key not in arrays:
        raise ModelFileError(f"missing array '{key}'")
    shape = arrays[key].shape
    if len(shape) != layout.count(",") + 1:
        raise ModelFileError(f"array '{key}' has shape {shape}, expected {layout}")
    return shape


def _with_activation(step: Step, layer: Mapping[str, Any]) -> list[Step]:
    """The layer's steps: its linear part, then its activation unless that is linear."""
    name = layer.get("activation", "linear")
    if name not in ACTIVATIONS:
        raise ModelFileError(f"unknown activation {name!r}")
    activation = ACTIVATIONS[name]
    return [step] if activation is None else [step, activation]


def _pool_before_relu(steps: list[Step]) -> list[Step]:
    """Swap each ReLU that a max pool follows: max(relu(x)) == relu(max(x)) exactly, and
    the pooled array is a quarter the size (or less), so the ReLU does less work."""
    out = list(steps)
    for i in range(len(out) - 1):
        if out[i] is L.relu and getattr(out[i + 1], "func", None) is L.max_pool2d:
            out[i], out[i + 1] = out[i + 1], out[i]
    return out


def _name(layer: Mapping[str, Any]) -> str:
    name = layer.get("name")
    if not isinstance(name, str) or not name:
        raise ModelFileError("a layer with weights needs a 'name'")
    return name


def _conv2d(layer, shape: Shape, arrays):
    if len(shape) != 3:
        raise ModelFileError(f"needs (H, W, C) input, got {shape}")
    name = _name(layer)
    h, w, c_in = shape
    strides = _int_tuple(layer.get("strides", [1, 1]), "strides", length=2)
    padding = layer.get("padding", "valid")
    if padding not in ("valid", "same"):
        raise ModelFileError(f"padding must be 'valid' or 'same', got {padding!r}")
    kh, kw, _, c_out = _stored_shape(arrays, f"{name}/kernel", "(kh, kw, c_in, c_out)")
    kernel = _weight(arrays, f"{name}/kernel", (kh, kw, c_in, c_out))
    bias = _weight(arrays, f"{name}/bias", (c_out,))
    h_out = L.conv_output_size(h, kh, strides[0], padding)
    w_out = L.conv_output_size(w, kw, strides[1], padding)
    if h_out < 1 or w_out < 1:
        raise ModelFileError(f"kernel {kh}x{kw} does not fit the {h}x{w} input")
    step = partial(
        L.conv2d, kernel=L.as_kernel(kernel), bias=bias, strides=strides, padding=padding
    )
    return _with_activation(step, layer), (h_out, w_out, c_out)


def _max_pool2d(layer, shape: Shape, arrays):
    if len(shape) != 3:
        raise ModelFileError(f"needs (H, W, C) input, got {shape}")
    pool = _int_tuple(layer.get("pool_size", [2, 2]), "pool_size", length=2)
    strides = _int_tuple(layer.get("strides", list(pool)), "strides", length=2)
    h, w, c = shape
    if pool[0] > h or pool[1] > w:
        raise ModelFileError(f"pool {pool} does not fit the {h}x{w} input")
    out = ((h - pool[0]) // strides[0] + 1, (w - pool[1]) // strides[1] + 1, c)
    return [partial(L.max_pool2d, pool_size=pool, strides=strides)], out


def _dense(layer, shape: Shape, arrays):
    if len(shape) != 1:
        raise ModelFileError(f"needs a flat input, got {shape} (add a flatten layer)")
    name = _name(layer)
    _, n_out = _stored_shape(arrays, f"{name}/kernel", "(n_in, n_out)")
    kernel = _weight(arrays, f"{name}/kernel", (shape[0], n_out))
    bias = _weight(arrays, f"{name}/bias", (n_out,))
    step = partial(L.dense, kernel=L.as_kernel(kernel), bias=bias)
    return _with_activation(step, layer), (n_out,)


def _flatten(layer, shape: Shape, arrays):
    return [L.flatten], (int(np.prod(shape)),)


def _global_average_pool2d(layer, shape: Shape, arrays):
    if len(shape) != 3:
        raise ModelFileError(f"needs (H, W, C) input, got {shape}")
    return [L.global_average_pool2d], (shape[2],)


def _dropout(layer, shape: Shape, arrays):
    return [], shape  # identity at inference


def _elementwise(function):
    return lambda layer, shape, arrays: ([function], shape)


_BUILDERS = {
    "conv2d": _conv2d,
    "max_pool2d": _max_pool2d,
    "dense": _dense,
    "flatten": _flatten,
    "global_average_pool2d": _global_average_pool2d,
    "dropout": _dropout,
    "relu": _elementwise(L.relu),
    "softmax": _elementwise(L.softmax),
}
