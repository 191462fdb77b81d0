"""Vectorised NumPy layer functions for the CNN forward pass (NHWC, float32).

Layouts follow Keras: activations are (N, H, W, C), conv kernels are
(kh, kw, c_in, c_out) and dense kernels are (n_in, n_out). Every function takes
and returns float32 arrays and never modifies its inputs.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import winograd

__all__ = [
    "Kernel",
    "as_kernel",
    "conv2d",
    "dense",
    "flatten",
    "grouped_conv2d",
    "max_pool2d",
    "relu",
    "softmax",
]

# Pyodide's NumPy is built without BLAS and without SIMD, so some routes differ there:
# - without BLAS, ``@`` is a plain strided triple loop, while einsum reduces contiguous
#   rows with an unrolled dot kernel, 2-4x faster once the reduced axis holds a few dozen
#   values (with BLAS, ``@`` wins);
# - without SIMD, np.maximum is a branchy scalar loop, several times slower on mixed data
#   than np.where's select (with SIMD, np.maximum is the fastest).
_NUMPY_BUILD = np.show_config(mode="dicts")
_HAS_BLAS = bool(_NUMPY_BUILD["Build Dependencies"]["blas"].get("found"))
_HAS_SIMD = bool(_NUMPY_BUILD.get("SIMD Extensions"))
EINSUM_MIN_DEPTH = 16  # below this reduction length the triple loop is faster
# Without BLAS, a 3x3 convolution goes through Winograd F(2x2, 3x3) once the
# batch holds this many 2x2 output tiles (fewer, and its ~50 NumPy calls cost more) and
# C_in * C_out reaches this (less, and its transforms outweigh the products it saves).
WINOGRAD_MIN_TILES = 96
WINOGRAD_MIN_CHANNEL_PRODUCT = 512


@dataclass(frozen=True)
class Kernel:
    """A layer's kernel, laid out once for the layer's matrix product.

    shape : the kernel's own shape, (kh, kw, C_in, C_out) or (n_in, n_out)
    matrix : (K, N) float32, the kernel with all input axes flattened into K
    einsum_rows : (N, K) contiguous copy that the einsum dot kernel reads row by row;
        None where ``@`` is the faster route (BLAS, or K below ``EINSUM_MIN_DEPTH``)
    winograd : (16, C_in, C_out) transformed 3x3 kernel (see ``winograd``); None with
        BLAS, for other kernel sizes, or for a single input channel
    """

    shape: tuple[int, ...]
    matrix: np.ndarray
    einsum_rows: np.ndarray | None
    winograd: np.ndarray | None = None


def as_kernel(kernel: np.ndarray | Kernel) -> Kernel:
    """Prepare a float32 kernel array for :func:`conv2d` or :func:`dense` (a Kernel passes)."""
    if isinstance(kernel, Kernel):
        return kernel
    matrix = kernel.reshape(-1, kernel.shape[-1])  # (K, N)
    use_einsum = not _HAS_BLAS and matrix.shape[0] >= EINSUM_MIN_DEPTH
    einsum_rows = np.ascontiguousarray(matrix.T) if use_einsum else None  # (N, K)
    # With one input channel, Winograd's products are rank-one updates that its transforms
    # outweigh; the single-channel route of conv2d is faster there.
    takes_winograd = kernel.ndim == 4 and kernel.shape[:2] == (3, 3) and kernel.shape[2] > 1
    transformed = winograd.transform_kernel(kernel) if takes_winograd and not _HAS_BLAS else None
    return Kernel(kernel.shape, matrix, einsum_rows, transformed)


def _matmul(a: np.ndarray, kernel: Kernel) -> np.ndarray:
    """(M, K) @ kernel (K, N) -> (M, N) float32, by the route ``as_kernel`` chose."""
    if kernel.einsum_rows is None:
        return a @ kernel.matrix
    return np.einsum("mk,nk->mn", a, kernel.einsum_rows)


def conv2d(x: np.ndarray, kernel: np.ndarray | Kernel, bias: np.ndarray) -> np.ndarray:
    """2-D convolution, 'valid' and stride 1 (cross-correlation, as Keras): im2col and one
    matrix product, or Winograd F(2x2, 3x3) where that is faster (see ``_winograd_pays``).

    x : (N, H, W, C_in) float32
    kernel : (kh, kw, C_in, C_out) float32, or that array prepared by :func:`as_kernel`
    bias : (C_out,) float32
    returns : (N, H - kh + 1, W - kw + 1, C_out) float32, not always C-contiguous
    """
    kernel = as_kernel(kernel)
    kh, kw, c_in, c_out = kernel.shape
    n, h, w, _ = x.shape
    h_out, w_out = h - kh + 1, w - kw + 1
    if _winograd_pays(kernel, n, h_out, w_out):
        return winograd.conv3x3(x, kernel.winograd, bias)
    windows = _windows(x, (kh, kw), (h_out, w_out))  # (N, H_out, W_out, kh, kw, C_in)
    if c_in == 1 and not _HAS_BLAS:
        # Each kernel tap as one row of pixels: rows are copied whole, and the product runs
        # along the long pixel axis (einsum's multiply-add kernel), not 9 or 25 values.
        columns = windows[..., 0].transpose(3, 4, 0, 1, 2).reshape(kh * kw, -1)  # (K, M)
        out = np.einsum("km,ko->om", columns, kernel.matrix)  # (C_out, M)
        out += bias[:, None]
        # A transposed view, not a copy: the elementwise steps after it (pool, ReLU) keep
        # channels first in memory, and a Winograd convolution next reads them so.
        out = out.T  # (M, C_out) view
    else:
        # im2col: one row per output pixel, in the kernel's (kh, kw, C_in) order, so a
        # plain reshape of the kernel matches the columns.
        columns = windows.reshape(n * h_out * w_out, -1)  # (M, K) copy
        out = _matmul(columns, kernel)  # (M, C_out)
        out += bias
    return out.reshape(n, h_out, w_out, c_out)  # (N, H_out, W_out, C_out)


def grouped_conv2d(
    x: np.ndarray, kernels: Sequence[np.ndarray | Kernel], biases: Sequence[np.ndarray]
) -> np.ndarray:
    """A grouped convolution (as Keras ``groups``): the input channels split into
    ``len(kernels)`` equal consecutive groups, group g convolved by :func:`conv2d` with
    ``kernels[g]`` and ``biases[g]``, the outputs concatenated in group order.

    x : (N, H, W, G * C_in) float32
    kernels : G kernels (kh, kw, C_in, C_out) float32 (or prepared); biases : G (C_out,)
    returns : (N, H - kh + 1, W - kw + 1, G * C_out) float32
    """
    c_in = x.shape[-1] // len(kernels)
    outputs = [
        conv2d(x[..., g * c_in : (g + 1) * c_in], kernel, bias)  # (N, H_out, W_out, C_out)
        for g, (kernel, bias) in enumerate(zip(kernels, biases, strict=True))
    ]
    return np.concatenate(outputs, axis=-1)


def _windows(x: np.ndarray, size: tuple[int, int], out_size: tuple[int, int]) -> np.ndarray:
    """Read-only view of every kernel window of x (N, H, W, C), no copy.

    returns : (N, H_out, W_out, kh, kw, C), window (i, j) starting at row i, column j
    """
    n, _, _, c = x.shape
    stride_n, stride_h, stride_w, stride_c = x.strides
    return as_strided(
        x,
        shape=(n, *out_size, *size, c),
        strides=(stride_n, stride_h, stride_w, stride_h, stride_w, stride_c),
        writeable=False,
    )


def _winograd_pays(kernel: Kernel, n: int, h_out: int, w_out: int) -> bool:
    """True where ``winograd.conv3x3`` is the faster route: a prepared 3x3 kernel with
    enough channels, an output that 2x2 tiles cover exactly, and enough tiles."""
    _, _, c_in, c_out = kernel.shape
    return (
        kernel.winograd is not None
        and c_in * c_out >= WINOGRAD_MIN_CHANNEL_PRODUCT
        and h_out % 2 == 0
        and w_out % 2 == 0
        and n * (h_out // 2) * (w_out // 2) >= WINOGRAD_MIN_TILES
    )


def max_pool2d(x: np.ndarray) -> np.ndarray:
    """2x2 max pooling, stride 2; an odd last row or column fills no window and is dropped
    (Keras 'valid').

    x : (N, H, W, C) float32
    returns : (N, H // 2, W // 2, C) float32
    """
    _, h, w, _ = x.shape
    h_out, w_out = h // 2, w // 2
    # The max of each window's two rows, then of its two columns, as strided views.
    rows = _maximum(x[:, 0 : 2 * h_out : 2], x[:, 1 : 2 * h_out : 2])  # (N, H_out, W, C)
    return _maximum(rows[:, :, 0 : 2 * w_out : 2], rows[:, :, 1 : 2 * w_out : 2])


def _maximum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise max of two finite float32 arrays, by the faster route for this NumPy."""
    return np.maximum(a, b) if _HAS_SIMD else np.where(a > b, a, b)


def dense(x: np.ndarray, kernel: np.ndarray | Kernel, bias: np.ndarray) -> np.ndarray:
    """Fully connected layer: x (N, n_in) @ kernel (n_in, n_out) + bias -> (N, n_out) float32.

    kernel : (n_in, n_out) float32, or that array prepared by :func:`as_kernel`
    """
    out = _matmul(x, as_kernel(kernel))  # (N, n_out)
    out += bias
    return out


def relu(x: np.ndarray) -> np.ndarray:
    """Elementwise max(x, 0) of a finite float32 array, same shape and dtype."""
    return _maximum(x, np.float32(0.0))


def softmax(x: np.ndarray) -> np.ndarray:
    """Numerically stable softmax over the last axis; rows sum to 1."""
    shifted = np.exp(x - x.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def flatten(x: np.ndarray) -> np.ndarray:
    """(N, H, W, C) -> (N, H*W*C), row-major over (H, W, C) as Keras Flatten."""
    return x.reshape(x.shape[0], -1)
