"""Winograd F(2x2, 3x3) convolution: 16 products per 2x2 output tile instead of 36.

A 3x3 stride-1 'valid' convolution is computed tile by tile (Lavin & Gray, 2016):
each 4x4 input tile d and kernel g become ``A^T [(G g G^T) * (B^T d B)] A``, with

    B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
    A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]

applied below as additions of strided views. The 16 elementwise products over all
tiles and channels become 16 matrix products, 4/9 of the multiply-adds of im2col.
This pays where NumPy has no BLAS (Pyodide) and the tiles are many; the caller
decides (``layers.conv2d``). Errors stay within a few float32 roundings.
"""

import numpy as np

__all__ = ["conv3x3", "transform_kernel"]

# Kernel transform G (4, 3); B^T and A^T are applied as the add/subtract patterns below.
G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])


def transform_kernel(kernel: np.ndarray) -> np.ndarray:
    """(3, 3, C_in, C_out) kernel -> (16, C_in, C_out) float32 ``G g G^T``, done in float64."""
    u = np.einsum("ai,ijco,bj->abco", G, kernel.astype(np.float64), G)  # (4, 4, C_in, C_out)
    return u.reshape(16, *kernel.shape[2:]).astype(np.float32)


def _input_transform_1d(d0, d1, d2, d3, out: np.ndarray) -> None:
    """B^T along one axis: four views d0..d3 (input rows or columns) -> out[0..3]."""
    np.subtract(d0, d2, out=out[0])
    np.add(d1, d2, out=out[1])
    np.subtract(d2, d1, out=out[2])
    np.subtract(d1, d3, out=out[3])


def _output_transform_1d(m0, m1, m2, m3, out0: np.ndarray, out1: np.ndarray) -> None:
    """A^T along one axis: four product planes m0..m3 -> the tile's two outputs."""
    np.add(m0, m1, out=out0)
    out0 += m2
    np.subtract(m1, m2, out=out1)
    out1 -= m3


def conv3x3(x: np.ndarray, u: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """3x3 stride-1 'valid' convolution of x by the transformed kernel ``u``.

    x : (N, H, W, C_in) float32 with H - 2 and W - 2 even
    u : (16, C_in, C_out) float32 from :func:`transform_kernel`
    bias : (C_out,) float32
    returns : (N, H - 2, W - 2, C_out) float32
    """
    n, h, w, c_in = x.shape
    c_out = u.shape[2]
    th, tw = (h - 2) // 2, (w - 2) // 2  # tiles down and across
    # Channels lead, so each of the 16 products below runs along long contiguous rows.
    xt = x.transpose(3, 0, 1, 2)  # view (C_in, N, H, W)
    rows = np.empty((4, c_in, n, th, w), np.float32)
    _input_transform_1d(*(xt[:, :, i : i + 2 * th : 2] for i in range(4)), out=rows)
    v = np.empty((4, 4, c_in, n, th, tw), np.float32)
    for a in range(4):
        _input_transform_1d(*(rows[a, ..., j : j + 2 * tw : 2] for j in range(4)), out=v[a])
    v = v.reshape(16, c_in, n * th * tw)  # (16, C_in, tiles)
    m = np.empty((16, c_out, n * th * tw), np.float32)
    for k in range(16):
        np.einsum("ct,co->ot", v[k], u[k], out=m[k])  # (C_out, tiles)
    m = m.reshape(4, 4, c_out, n, th, tw)
    # Every output of a tile takes m[1, 1] with weight 1 in A^T m A: the bias goes there once.
    m[1, 1] += bias[:, None, None, None]
    half = np.empty((2, 4, c_out, n, th, tw), np.float32)  # A^T applied down the tile
    _output_transform_1d(*m, out0=half[0], out1=half[1])
    y = np.empty((2, 2, c_out, n, th, tw), np.float32)  # (dy, dx, C_out, N, tile row, col)
    for dy in range(2):
        _output_transform_1d(*half[dy], out0=y[dy, 0], out1=y[dy, 1])
    # One transposing copy back to NHWC: cheaper than writing the passes above strided.
    y = np.ascontiguousarray(y.transpose(3, 4, 0, 5, 1, 2))  # (N, row, dy, col, dx, C_out)
    return y.reshape(n, 2 * th, 2 * tw, c_out)  # (N, H - 2, W - 2, C_out)
