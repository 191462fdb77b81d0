"""The model file's layer types, and the walk that checks a layer list against its arrays.

Each layer type is one frozen dataclass holding what the file says about the layer (its
JSON fields, its weights as stored), its input and output shapes, its multiply-adds and
its NumPy forward steps. :data:`LAYER_TYPES` looks them up by the entry's ``"type"``;
:func:`walk` is the only place that follows shapes from one layer to the next. Layer
entries (NHWC, Keras layouts)::

    {"type": "conv2d", "name": "conv1", "activation": "relu", "groups": 2}
        'valid' convolution, stride 1, then ReLU; "groups" (optional, default 1) splits
        the input and output channels into that many consecutive groups, each output
        group computed from its input group alone (Keras ``groups``)
        kernel (kh, kw, C_in / groups, C_out), bias (C_out,)
    {"type": "max_pool2d"}
        2x2 max pool, stride 2
    {"type": "flatten"}
        (H, W, C) -> (H * W * C,), row-major
    {"type": "dense", "name": "dense1", "activation": "relu" | "softmax"}
        kernel (n_in, n_out), bias (n_out,)

A network takes one (28, 28, 1) image (``input_spec``) and ends in a dense softmax over
10 classes (the digits) or 11 (the digits, then "not a digit", see ``decision``); no
other layer has a softmax.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

import numpy as np

from . import layers as L
from .decision import N_DIGITS
from .input_spec import IMAGE_SIZE

__all__ = [
    "CLASS_COUNTS",
    "INPUT_SHAPE",
    "LAYER_TYPES",
    "Conv2D",
    "Dense",
    "Flatten",
    "Layer",
    "MaxPool2D",
    "ModelFileError",
    "walk",
]

INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)  # (H, W, C) of one input image
CLASS_COUNTS = (N_DIGITS, N_DIGITS + 1)  # the digits; the digits, then "not a digit"
WEIGHT_DTYPES = (np.dtype(np.float32), np.dtype(np.float16))

Shape = tuple[int, ...]  # one example's shape, without the batch axis
Step = Callable[[np.ndarray], np.ndarray]
Arrays = dict[str, np.ndarray]


class ModelFileError(ValueError):
    """A model file, or a layer list, that does not describe a network this package runs."""


@dataclass(frozen=True)
class Conv2D:
    """'valid' 2-D convolution, stride 1, then ReLU; grouped when ``groups`` > 1.

    kernel : (kh, kw, C_in / groups, C_out) float16 or float32, as stored; bias : (C_out,)
    input_shape : (H, W, C_in); output_shape : (H - kh + 1, W - kw + 1, C_out)
    """

    TYPE: ClassVar[str] = "conv2d"
    FIELDS: ClassVar[tuple[str, ...]] = ("name", "activation", "groups")
    name: str
    kernel: np.ndarray
    bias: np.ndarray
    input_shape: Shape
    groups: int = 1

    @classmethod
    def parse(cls, entry: Mapping[str, Any], shape: Shape, arrays: Arrays) -> "Conv2D":
        """The layer an entry describes on input ``shape``; pops its arrays."""
        name = _name(entry)
        _activation(entry, ("relu",))
        if len(shape) != 3:
            raise ModelFileError(f"needs (H, W, C) input, got {shape}")
        h, w, c_in = shape
        kh, kw, _, c_out = _stored_shape(arrays, f"{name}/kernel", "(kh, kw, c_in, c_out)")
        if kh > h or kw > w:
            raise ModelFileError(f"kernel {kh}x{kw} does not fit the {h}x{w} input")
        groups = entry.get("groups", 1)
        if type(groups) is not int or groups < 1 or c_in % groups or c_out % groups:
            raise ModelFileError(
                f"'groups' must be a whole number dividing {c_in} input and {c_out} output "
                f"channels, got {groups!r}"
            )
        kernel = _weight(arrays, f"{name}/kernel", (kh, kw, c_in // groups, c_out))
        return cls(name, kernel, _weight(arrays, f"{name}/bias", (c_out,)), shape, groups)

    @property
    def output_shape(self) -> Shape:
        h, w, _ = self.input_shape
        kh, kw, _, c_out = self.kernel.shape
        return (h - kh + 1, w - kw + 1, c_out)

    @property
    def macs(self) -> int:
        """Multiply-adds for one example."""
        h_out, w_out, _ = self.output_shape
        return h_out * w_out * self.kernel.size

    def entry(self) -> dict[str, Any]:
        grouping = {"groups": self.groups} if self.groups > 1 else {}
        return {"type": self.TYPE, "name": self.name, "activation": "relu", **grouping}

    def arrays(self) -> Arrays:
        return {f"{self.name}/kernel": self.kernel, f"{self.name}/bias": self.bias}

    def group_weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each group's (kernel (kh, kw, C_in / groups, C_out / groups), bias) as float32."""
        kernels = np.split(self.kernel.astype(np.float32), self.groups, axis=3)
        biases = np.split(self.bias.astype(np.float32), self.groups)
        return list(zip(kernels, biases, strict=True))

    def steps(self) -> list[Step]:
        weights = self.group_weights()
        if self.groups == 1:
            (kernel, bias), *_ = weights
            return [partial(L.conv2d, kernel=L.as_kernel(kernel), bias=bias), L.relu]
        kernels = tuple(L.as_kernel(np.ascontiguousarray(kernel)) for kernel, _ in weights)
        biases = tuple(np.ascontiguousarray(bias) for _, bias in weights)
        return [partial(L.grouped_conv2d, kernels=kernels, biases=biases), L.relu]


@dataclass(frozen=True)
class MaxPool2D:
    """2x2 max pool, stride 2 (an odd last row or column is dropped, as Keras 'valid').

    input_shape : (H, W, C); output_shape : (H // 2, W // 2, C)
    """

    TYPE: ClassVar[str] = "max_pool2d"
    FIELDS: ClassVar[tuple[str, ...]] = ()
    macs: ClassVar[int] = 0  # comparisons only
    input_shape: Shape

    @classmethod
    def parse(cls, entry: Mapping[str, Any], shape: Shape, arrays: Arrays) -> "MaxPool2D":
        if len(shape) != 3 or shape[0] < 2 or shape[1] < 2:
            raise ModelFileError(f"needs (H, W, C) input of at least 2x2, got {shape}")
        return cls(shape)

    @property
    def output_shape(self) -> Shape:
        h, w, c = self.input_shape
        return (h // 2, w // 2, c)

    def entry(self) -> dict[str, Any]:
        return {"type": self.TYPE}

    def arrays(self) -> Arrays:
        return {}

    def steps(self) -> list[Step]:
        return [L.max_pool2d]


@dataclass(frozen=True)
class Flatten:
    """(H, W, C) -> (H * W * C,), row-major as Keras Flatten."""

    TYPE: ClassVar[str] = "flatten"
    FIELDS: ClassVar[tuple[str, ...]] = ()
    macs: ClassVar[int] = 0
    input_shape: Shape

    @classmethod
    def parse(cls, entry: Mapping[str, Any], shape: Shape, arrays: Arrays) -> "Flatten":
        if len(shape) != 3:
            raise ModelFileError(f"needs (H, W, C) input, got {shape}")
        return cls(shape)

    @property
    def output_shape(self) -> Shape:
        h, w, c = self.input_shape
        return (h * w * c,)

    def entry(self) -> dict[str, Any]:
        return {"type": self.TYPE}

    def arrays(self) -> Arrays:
        return {}

    def steps(self) -> list[Step]:
        return [L.flatten]


@dataclass(frozen=True)
class Dense:
    """Fully connected layer, then ReLU or softmax.

    kernel : (n_in, n_out) float16 or float32, as stored; bias : (n_out,)
    input_shape : (n_in,); output_shape : (n_out,)
    """

    TYPE: ClassVar[str] = "dense"
    FIELDS: ClassVar[tuple[str, ...]] = ("name", "activation")
    name: str
    activation: str  # "relu" or "softmax"
    kernel: np.ndarray
    bias: np.ndarray
    input_shape: Shape

    @classmethod
    def parse(cls, entry: Mapping[str, Any], shape: Shape, arrays: Arrays) -> "Dense":
        name = _name(entry)
        activation = _activation(entry, ("relu", "softmax"))
        if len(shape) != 1:
            raise ModelFileError(f"needs a flat input, got {shape} (add a flatten layer)")
        _, n_out = _stored_shape(arrays, f"{name}/kernel", "(n_in, n_out)")
        kernel = _weight(arrays, f"{name}/kernel", (shape[0], n_out))
        return cls(name, activation, kernel, _weight(arrays, f"{name}/bias", (n_out,)), shape)

    @property
    def output_shape(self) -> Shape:
        return (self.kernel.shape[1],)

    @property
    def macs(self) -> int:
        """Multiply-adds for one example."""
        return self.kernel.size

    def entry(self) -> dict[str, Any]:
        return {"type": self.TYPE, "name": self.name, "activation": self.activation}

    def arrays(self) -> Arrays:
        return {f"{self.name}/kernel": self.kernel, f"{self.name}/bias": self.bias}

    def steps(self) -> list[Step]:
        kernel = L.as_kernel(self.kernel.astype(np.float32))
        activation = L.relu if self.activation == "relu" else L.softmax
        return [partial(L.dense, kernel=kernel, bias=self.bias.astype(np.float32)), activation]


Layer = Conv2D | MaxPool2D | Flatten | Dense
LAYER_TYPES: dict[str, type[Layer]] = {t.TYPE: t for t in (Conv2D, MaxPool2D, Flatten, Dense)}


def walk(entries: Sequence[Any], arrays: Mapping[str, np.ndarray]) -> tuple[Layer, ...]:
    """Check a layer list against its weight arrays, layer by layer, from the input image.

    entries : the file's "layers" list (JSON objects, see the module docstring)
    arrays : '<layer name>/kernel' and '/bias' arrays, float16 or float32, as stored
    returns : one layer object per entry, each holding its arrays and its shapes
    Raises ModelFileError naming the first problem: an unknown type or field, a missing
    array or one of the wrong dtype or shape, a NaN or infinite weight, an array no layer
    uses, or a network that does not end in a softmax over 10 or 11 classes.
    """
    if not isinstance(entries, list) or not entries:
        raise ModelFileError("'layers' must be a non-empty list")
    remaining = dict(arrays)
    shape: Shape = INPUT_SHAPE
    walked: list[Layer] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ModelFileError(f"layer {index} is not an object")
        kind = entry.get("type")
        layer_type = LAYER_TYPES.get(kind) if isinstance(kind, str) else None
        if layer_type is None:
            raise ModelFileError(f"layer {index}: unknown layer type {kind!r}")
        try:
            unknown = sorted(set(entry) - {"type", *layer_type.FIELDS})
            if unknown:
                raise ModelFileError(f"unknown field {unknown[0]!r}")
            layer = layer_type.parse(entry, shape, remaining)
        except ModelFileError as error:
            raise ModelFileError(f"layer {index} ({kind}): {error}") from None
        walked.append(layer)
        shape = layer.output_shape
    if remaining:
        raise ModelFileError(f"arrays not used by any layer: {', '.join(sorted(remaining))}")
    _check_output(walked)
    return tuple(walked)


def _check_output(walked: list[Layer]) -> None:
    """The last layer, and it only, is a dense softmax; over 10 or 11 classes."""
    *hidden, last = walked
    if not isinstance(last, Dense) or last.activation != "softmax":
        raise ModelFileError(
            f"the network must end in a dense layer with softmax, not in {last.entry()}"
        )
    if last.output_shape[0] not in CLASS_COUNTS:
        raise ModelFileError(
            f"the network must output 10 or 11 classes, outputs {last.output_shape[0]}"
        )
    for index, layer in enumerate(hidden):
        if isinstance(layer, Dense) and layer.activation == "softmax":
            raise ModelFileError(f"layer {index} (dense): softmax is for the last layer only")


def _name(entry: Mapping[str, Any]) -> str:
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ModelFileError("a layer with weights needs a 'name'")
    return name


def _activation(entry: Mapping[str, Any], allowed: tuple[str, ...]) -> str:
    name = entry.get("activation")
    if name not in allowed:
        raise ModelFileError(f"activation must be one of {allowed}, got {name!r}")
    return name


def _stored_shape(arrays: Arrays, key: str, layout: str) -> Shape:
    """Shape of a stored kernel, checked to have as many axes as ``layout`` names, none
    of them empty."""
    if key not in arrays:
        raise ModelFileError(f"missing array '{key}'")
    shape = arrays[key].shape
    if len(shape) != layout.count(",") + 1 or 0 in shape:
        raise ModelFileError(f"array '{key}' has shape {shape}, expected {layout}")
    return shape


def _weight(arrays: Arrays, key: str, shape: Shape) -> np.ndarray:
    """Pop one weight array, checking its dtype, shape and finiteness; returned as stored."""
    if key not in arrays:
        raise ModelFileError(f"missing array '{key}'")
    value = arrays.pop(key)
    if value.dtype not in WEIGHT_DTYPES:
        raise ModelFileError(f"array '{key}' has dtype {value.dtype}, expected float16 or float32")
    if value.shape != shape:
        raise ModelFileError(f"array '{key}' has shape {value.shape}, expected {shape}")
    if not np.isfinite(value).all():
        raise ModelFileError(f"array '{key}' contains NaN or infinite values")
    return value
