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


def npz_to_onnx(npz_path: Path, onnx_path: Path) -> Path:
    """Write the ONNX model (opset 17, dynamic batch) equal to the model file; return its path.

    Input "x": (N, 28, 28, 1) float32 NHWC; output "probs": (N, n_classes) float32.
    Raises ModelFileError if the file is not a valid model file.
    """
    nodes, inits = [], []
    current, layout = "x", "NHWC"

    def emit(op: str, inputs: list[str], **attrs) -> str:
        out = f"t{len(nodes)}"
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def constant(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value, np.float32), name))
        return name

    def to_layout(target: str) -> str:
        nonlocal layout
        if layout != target:
            perm = [0, 3, 1, 2] if target == "NCHW" else [0, 2, 3, 1]
            layout = target
            return emit("Transpose", [current], perm=perm)
        return current

    def activate(name: str) -> str:
        op = ACTIVATION_OPS[name]
        return emit(op, [current], axis=-1) if op == "Softmax" else emit(op, [current])

    for layer in read_model_file(npz_path).layers:
        match layer:
            case Conv2D(name=name, kernel=kernel, bias=bias):  # kernel (kh, kw, C_in, C_out)
                current = to_layout("NCHW")
                weight = constant(
                    f"{name}/W", kernel.transpose(3, 2, 0, 1)
                )  # (C_out, C_in, kh, kw)
                inputs = [current, weight, constant(f"{name}/B", bias)]
                current = emit("Conv", inputs, kernel_shape=list(kernel.shape[:2]))
                current = activate("relu")
            case MaxPool2D():
                current = to_layout("NCHW")
                current = emit("MaxPool", [current], kernel_shape=[2, 2], strides=[2, 2])
            case Flatten():
                current = to_layout("NHWC")
                current = emit("Flatten", [current], axis=1)
            case Dense(name=name, kernel=kernel, bias=bias, activation=activation):
                inputs = [current, constant(f"{name}/W", kernel), constant(f"{name}/B", bias)]
                current = emit("Gemm", inputs)  # kernel (n_in, n_out) as stored
                current = activate(activation)
    nodes[-1].output[0] = "probs"
    graph = helper.make_graph(
        nodes,
        "recognizer",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *INPUT_SHAPE])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", None])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, onnx_path)
    return onnx_path
