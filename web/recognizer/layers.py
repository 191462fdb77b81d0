"""Vectorised NumPy layer functions for the CNN forward pass (NHWC, float32).

Layouts follow Keras: activations are (N, H, W, C), conv kernels are
(kh, kw, c_in, c_out) and dense kernels are (n_in, n_out). Every function takes
and returns float32 arrays and never modifies its inputs.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
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
TRANSPOSE_MAX_SIZE = 1 << 16  # larger right operands are reduced in place, not transposed


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(M, K) @ (K, N) -> (M, N) float32, by the fastest route this NumPy build has."""
    if _HAS_BLAS or a.shape[1] < EINSUM_MIN_DEPTH:
        return a @ b
    if b.size <= TRANSPOSE_MAX_SIZE:  # (N, K) rows make the dot kernel's reads contiguous
        return np.einsum("mk,nk->mn", a, np.ascontiguousarray(b.T))
    return np.einsum("mk,kn->mn", a, b)


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
    kernel: np.ndarray,
    bias: np.ndarray,
    strides: tuple[int, int] = (1, 1),
    padding: str = "valid",
) -> np.ndarray:
    """2-D convolution (cross-correlation, as Keras) by im2col and one matmul.

    x : (N, H, W, C_in) float32
    kernel : (kh, kw, C_in, C_out) float32
    bias : (C_out,) float32
    strides : (sh, sw); padding : 'valid' or 'same'
    returns : (N, H_out, W_out, C_out) float32
    """
    kh, kw, c_in, c_out = kernel.shape
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
    weights = kernel.reshape(kh * kw * c_in, c_out)  # (kh*kw*C_in, C_out)
    out = _matmul(columns.reshape(n * h_out * w_out, -1), weights)  # (N*H_out*W_out, C_out)
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


def dense(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Fully connected layer: x (N, n_in) @ kernel (n_in, n_out) + bias -> (N, n_out) float32."""
    out = _matmul(x, kernel)  # (N, n_out)
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
