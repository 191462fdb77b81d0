"""Vectorised NumPy layer functions for the CNN forward pass (NHWC, float32).

Layouts follow Keras: activations are (N, H, W, C), conv kernels are
(kh, kw, c_in, c_out) and dense kernels are (n_in, n_out). Every function takes
and returns float32 arrays and never modifies its inputs.
"""

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "Kernel",
    "as_kernel",
    "conv2d",
    "conv_output_size",
    "dense",
    "flatten",
    "global_average_pool2d",
    "max_pool2d",
    "relu",
    "same_padding",
    "softmax",
]

# Pyodide's NumPy is built without BLAS: there ``@`` is a plain strided triple loop,
# while einsum reduces contiguous rows with an unrolled dot kernel, 2-4x faster once
# the reduced axis holds a few dozen values. With BLAS (CPython wheels), ``@`` wins.
_HAS_BLAS = bool(np.show_config(mode="dicts")["Build Dependencies"]["blas"].get("found"))
EINSUM_MIN_DEPTH = 16  # below this reduction length the triple loop is faster


@dataclass(frozen=True)
class Kernel:
    """A layer's kernel, laid out once for the layer's matrix product.

    shape : the kernel's own shape, (kh, kw, C_in, C_out) or (n_in, n_out)
    matrix : (K, N) float32, the kernel with all input axes flattened into K
    rows : (N, K) contiguous copy that the einsum dot kernel reads row by row;
        None where ``@`` is the faster route (BLAS, or K below ``EINSUM_MIN_DEPTH``)
    """

    shape: tuple[int, ...]
    matrix: np.ndarray
    rows: np.ndarray | None


def as_kernel(kernel: np.ndarray | Kernel) -> Kernel:
    """Prepare a float32 kernel array for :func:`conv2d` or :func:`dense` (a Kernel passes)."""
    if isinstance(kernel, Kernel):
        return kernel
    matrix = kernel.reshape(-1, kernel.shape[-1])  # (K, N)
    use_einsum = not _HAS_BLAS and matrix.shape[0] >= EINSUM_MIN_DEPTH
    rows = np.ascontiguousarray(matrix.T) if use_einsum else None  # (N, K)
    return Kernel(kernel.shape, matrix, rows)


def _matmul(a: np.ndarray, kernel: Kernel) -> np.ndarray:
    """(M, K) @ kernel (K, N) -> (M, N) float32, by the route ``as_kernel`` chose."""
    if kernel.rows is None:
        return a @ kernel.matrix
    return np.einsum("mk,nk->mn", a, kernel.rows)


def conv_output_size(size: int, kernel: int, stride: int, padding: str) -> int:
    """Output length along one axis, as Keras computes it ('valid' or 'same')."""
    if padding == "same":
        return -(-size // stride)  # ceil(size / stride)
    return (size - kernel) // stride + 1


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """(before, after) zero padding that Keras/TensorFlow use for 'same' on one axis."""
    out = conv_output_size(size, kernel, stride, "same")
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def conv2d(
    x: np.ndarray,
    kernel: np.ndarray | Kernel,
    bias: np.ndarray,
    strides: tuple[int, int] = (1, 1),
    padding: str = "valid",
) -> np.ndarray:
    """2-D convolution (cross-correlation, as Keras) by im2col and one matmul.

    x : (N, H, W, C_in) float32
    kernel : (kh, kw, C_in, C_out) float32, or that array prepared by :func:`as_kernel`
    bias : (C_out,) float32
    strides : (sh, sw); padding : 'valid' or 'same'
    returns : (N, H_out, W_out, C_out) float32
    """
    kernel = as_kernel(kernel)
    kh, kw, _, c_out = kernel.shape
    sh, sw = strides
    n, h, w, _ = x.shape
    if padding == "same":
        (top, bottom), (left, right) = same_padding(h, kh, sh), same_padding(w, kw, sw)
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))  # (N, H+pad, W+pad, C_in)
    h_out = conv_output_size(h, kh, sh, padding)
    w_out = conv_output_size(w, kw, sw, padding)
    # One strided view per kernel tap, stacked along the last axis in the kernel's
    # (kh, kw, C_in) order, so a plain reshape of the kernel matches the columns.
    taps = [
        x[:, i : i + sh * (h_out - 1) + 1 : sh, j : j + sw * (w_out - 1) + 1 : sw, :]
        for i in range(kh)
        for j in range(kw)
    ]  # kh*kw views of (N, H_out, W_out, C_in)
    columns = np.concatenate(taps, axis=-1)  # (N, H_out, W_out, kh*kw*C_in)
    out = _matmul(columns.reshape(n * h_out * w_out, -1), kernel)  # (N*H_out*W_out, C_out)
    out += bias
    return out.reshape(n, h_out, w_out, c_out)  # (N, H_out, W_out, C_out)


def max_pool2d(
    x: np.ndarray, pool_size: tuple[int, int] = (2, 2), strides: tuple[int, int] | None = None
) -> np.ndarray:
    """Max pooling, 'valid' padding: rows/columns that fill no whole window are dropped.

    x : (N, H, W, C) float32
    returns : (N, (H - ph) // sh + 1, (W - pw) // sw + 1, C) float32
    """
    ph, pw = pool_size
    sh, sw = strides or pool_size
    n, h, w, c = x.shape
    h_out, w_out = (h - ph) // sh + 1, (w - pw) // sw + 1
    if (sh, sw) == (ph, pw):
        # Non-overlapping windows: crop, split each spatial axis into (out, pool), reduce.
        blocks = x[:, : h_out * ph, : w_out * pw, :].reshape(n, h_out, ph, w_out, pw, c)
        return blocks.max(axis=(2, 4))  # (N, H_out, W_out, C)
    windows = sliding_window_view(x, (ph, pw), axis=(1, 2))  # (N, H-ph+1, W-pw+1, C, ph, pw)
    return windows[:, ::sh, ::sw].max(axis=(-2, -1))  # (N, H_out, W_out, C)


def dense(x: np.ndarray, kernel: np.ndarray | Kernel, bias: np.ndarray) -> np.ndarray:
    """Fully connected layer: x (N, n_in) @ kernel (n_in, n_out) + bias -> (N, n_out) float32.

    kernel : (n_in, n_out) float32, or that array prepared by :func:`as_kernel`
    """
    out = _matmul(x, as_kernel(kernel))  # (N, n_out)
    out += bias
    return out


def relu(x: np.ndarray) -> np.ndarray:
    """Elementwise max(x, 0), same shape and dtype."""
    return np.maximum(x, np.float32(0.0))


def softmax(x: np.ndarray) -> np.ndarray:
    """Numerically stable softmax over the last axis; rows sum to 1."""
    shifted = np.exp(x - x.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def flatten(x: np.ndarray) -> np.ndarray:
    """(N, H, W, C) -> (N, H*W*C), row-major over (H, W, C) as Keras Flatten."""
    return x.reshape(x.shape[0], -1)


def global_average_pool2d(x: np.ndarray) -> np.ndarray:
    """(N, H, W, C) -> (N, C): mean over the spatial axes."""
    return x.mean(axis=(1, 2), dtype=np.float32)
