"""Build the ONNX graph equal to a ``.npz`` model file, for the reference engine.

The graph takes the same NHWC float32 input (N, 28, 28, 1) as our forward pass and
returns the same (N, n_classes) probabilities: it transposes to NCHW once for the
convolutions and back to NHWC before a flatten, so the dense kernels are used as stored.
The file is read and checked by ``recognizer.model_file``; its layer types, shapes and
multiply-adds come from ``recognizer.architecture``.
"""

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from recognizer.architecture import INPUT_SHAPE, Conv2D, Dense, Flatten, MaxPool2D
from recognizer.model_file import read_model_file

__all__ = ["OPSET", "forward_flops", "npz_to_onnx"]

OPSET = 17
ACTIVATION_OPS = {"relu": "Relu", "softmax": "Softmax"}


def forward_flops(npz_path: Path) -> int:
    """Floating-point operations of one example's forward pass (2 per multiply-add).

    Counts conv and dense multiply-adds only; pooling, activations and bias are ignored.
    """
    return 2 * sum(layer.macs for layer in read_model_file(npz_path).layers)


class _Graph:
    """ONNX nodes and initializers built up layer by layer, tracking the current tensor and
    its layout (the file is NHWC; ONNX's Conv and MaxPool want NCHW)."""

    def __init__(self):
        self.nodes, self.initializers = [], []
        self.current, self.layout = "x", "NHWC"

    def emit(self, op: str, *inputs: str, **attrs) -> None:
        """Append a node reading the current tensor (then ``inputs``); it becomes current."""
        out = f"t{len(self.nodes)}"
        self.nodes.append(helper.make_node(op, [self.current, *inputs], [out], **attrs))
        self.current = out

    def constant(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(
            numpy_helper.from_array(np.ascontiguousarray(value, np.float32), name)
        )
        return name

    def to_layout(self, target: str) -> None:
        if self.layout != target:
            self.emit("Transpose", perm=[0, 3, 1, 2] if target == "NCHW" else [0, 2, 3, 1])
            self.layout = target

    def activate(self, name: str) -> None:
        op = ACTIVATION_OPS[name]
        self.emit(op, axis=-1) if op == "Softmax" else self.emit(op)

    def conv2d(self, layer: Conv2D) -> None:
        self.to_layout("NCHW")
        # (kh, kw, C_in / groups, C_out) -> (C_out, C_in / groups, kh, kw), ONNX's layout
        weight = layer.kernel.transpose(3, 2, 0, 1)
        self.emit(
            "Conv",
            self.constant(f"{layer.name}/W", weight),
            self.constant(f"{layer.name}/B", layer.bias),
            kernel_shape=list(layer.kernel.shape[:2]),
            group=layer.groups,
        )
        self.activate("relu")

    def max_pool2d(self, layer: MaxPool2D) -> None:
        self.to_layout("NCHW")
        self.emit("MaxPool", kernel_shape=[2, 2], strides=[2, 2])

    def flatten(self, layer: Flatten) -> None:
        self.to_layout("NHWC")  # the file's flatten order
        self.emit("Flatten", axis=1)

    def dense(self, layer: Dense) -> None:
        self.emit(  # kernel (n_in, n_out) as stored
            "Gemm",
            self.constant(f"{layer.name}/W", layer.kernel),
            self.constant(f"{layer.name}/B", layer.bias),
        )
        self.activate(layer.activation)


_EMITTERS = {
    Conv2D: _Graph.conv2d,
    MaxPool2D: _Graph.max_pool2d,
    Flatten: _Graph.flatten,
    Dense: _Graph.dense,
}


def npz_to_onnx(npz_path: Path, onnx_path: Path) -> Path:
    """Write the ONNX model (opset 17, dynamic batch) equal to the model file; return its path.

    Input "x": (N, 28, 28, 1) float32 NHWC; output "probs": (N, n_classes) float32.
    Raises ModelFileError if the file is not a valid model file.
    """
    graph = _Graph()
    for layer in read_model_file(npz_path).layers:
        _EMITTERS[type(layer)](graph, layer)
    graph.nodes[-1].output[0] = "probs"
    onnx_graph = helper.make_graph(
        graph.nodes,
        "recognizer",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *INPUT_SHAPE])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", None])],
        initializer=graph.initializers,
    )
    model = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, onnx_path)
    return onnx_path
