"""Build the ONNX graph equal to a ``.npz`` model file, for the reference engine.

The graph takes the same NHWC float32 input (N, 28, 28, 1) as our forward pass and
returns the same (N, 10) probabilities: it transposes to NCHW once for the
convolutions and back to NHWC before a flatten, so the dense kernels are used as stored.
"""

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

__all__ = ["OPSET", "forward_flops", "npz_to_onnx"]

OPSET = 17
ACTIVATION_OPS = {"relu": "Relu", "softmax": "Softmax", "linear": None}


def _read(npz_path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    with np.load(npz_path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    spec = json.loads(str(arrays.pop("model.json")))
    return spec, {k: v.astype(np.float32) for k, v in arrays.items()}


def forward_flops(npz_path: Path) -> int:
    """Floating-point operations of one example's forward pass (2 per multiply-add).

    Counts conv and dense multiply-adds only; pooling, activations and bias are ignored.
    """
    spec, arrays = _read(npz_path)
    h, w, _ = spec["input_shape"]
    flops = 0
    for layer in spec["layers"]:
        kind = layer["type"]
        if kind == "conv2d":
            kh, kw, c_in, c_out = arrays[f"{layer['name']}/kernel"].shape
            sh, sw = layer.get("strides", [1, 1])
            if layer.get("padding", "valid") == "same":
                h, w = -(-h // sh), -(-w // sw)
            else:
                h, w = (h - kh) // sh + 1, (w - kw) // sw + 1
            flops += 2 * h * w * kh * kw * c_in * c_out
        elif kind == "max_pool2d":
            (ph, pw), (sh, sw) = layer["pool_size"], layer.get("strides", layer["pool_size"])
            h, w = (h - ph) // sh + 1, (w - pw) // sw + 1
        elif kind == "dense":
            flops += 2 * arrays[f"{layer['name']}/kernel"].size
    return flops


def npz_to_onnx(npz_path: Path, onnx_path: Path) -> Path:
    """Write the ONNX model (opset 17, dynamic batch) equal to the model file; return its path.

    Input "x": (N, 28, 28, 1) float32 NHWC; output "probs": (N, 10) float32.
    Raises ValueError for a layer type the exporter does not know.
    """
    spec, arrays = _read(npz_path)
    nodes, inits = [], []
    h, w, c = spec["input_shape"]
    current, layout = "x", "NHWC"

    def emit(op: str, inputs: list[str], **attrs) -> str:
        out = f"t{len(nodes)}"
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def constant(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(value, name))
        return name

    def to_layout(target: str) -> str:
        nonlocal layout
        if layout != target:
            perm = [0, 3, 1, 2] if target == "NCHW" else [0, 2, 3, 1]
            layout = target
            return emit("Transpose", [current], perm=perm)
        return current

    def activate(name: str | None) -> str:
        op = ACTIVATION_OPS[name or "linear"]
        if op is None:
            return current
        return emit(op, [current], axis=-1) if op == "Softmax" else emit(op, [current])

    for layer in spec["layers"]:
        kind = layer["type"]
        if kind == "conv2d":
            current = to_layout("NCHW")
            name = layer["name"]
            kernel = arrays[f"{name}/kernel"]  # (kh, kw, C_in, C_out)
            weight = constant(f"{name}/W", np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))
            bias = constant(f"{name}/B", arrays[f"{name}/bias"])
            # TensorFlow's 'same' puts the odd pixel of padding after: SAME_UPPER.
            pad = "SAME_UPPER" if layer.get("padding", "valid") == "same" else "VALID"
            current = emit(
                "Conv",
                [current, weight, bias],
                kernel_shape=list(kernel.shape[:2]),
                strides=list(layer.get("strides", [1, 1])),
                auto_pad=pad,
            )
            current = activate(layer.get("activation"))
        elif kind == "max_pool2d":
            current = to_layout("NCHW")
            current = emit(
                "MaxPool",
                [current],
                kernel_shape=list(layer["pool_size"]),
                strides=list(layer.get("strides", layer["pool_size"])),
            )
        elif kind == "flatten":
            current = to_layout("NHWC")
            current = emit("Flatten", [current], axis=1)
        elif kind == "global_average_pool2d":
            current = to_layout("NCHW")
            current = emit("GlobalAveragePool", [current])
            current = emit("Flatten", [current], axis=1)
        elif kind == "dense":
            name = layer["name"]
            kernel = constant(f"{name}/W", arrays[f"{name}/kernel"])  # (n_in, n_out)
            bias = constant(f"{name}/B", arrays[f"{name}/bias"])
            current = emit("Gemm", [current, kernel, bias])
            current = activate(layer.get("activation"))
        elif kind in ("relu", "softmax"):
            current = activate(kind)
        elif kind != "dropout":  # dropout is the identity at inference
            raise ValueError(f"no ONNX export for layer type {kind!r}")
    nodes[-1].output[0] = "probs"
    graph = helper.make_graph(
        nodes,
        "recognizer",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", h, w, c])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", None])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, onnx_path)
    return onnx_path
