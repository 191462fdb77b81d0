"""Slow, obvious loop implementations of the layers, the reference for the fast ones.

Written from the definitions alone: nothing here comes from the code under test.
"""

import numpy as np


def conv2d_naive(x, kernel, bias, groups=1):
    """'valid', stride-1 convolution with four loops over (N, out rows, out cols, C_out).

    groups : output channel k reads only input group k // (C_out / groups), whose
        kernel.shape[2] channels are consecutive (Keras ``groups``)
    """
    kh, kw, c_group, c_out = kernel.shape
    n, h, w, _ = x.shape
    h_out, w_out = h - kh + 1, w - kw + 1
    out = np.zeros((n, h_out, w_out, c_out), dtype=np.float64)
    for b in range(n):
        for i in range(h_out):
            for j in range(w_out):
                for k in range(c_out):
                    first = k // (c_out // groups) * c_group
                    patch = x[b, i : i + kh, j : j + kw, first : first + c_group]
                    out[b, i, j, k] = np.sum(patch * kernel[..., k]) + bias[k]
    return out


def max_pool2d_naive(x):
    """Max over each 2x2 window, stride 2, looping over (N, out rows, out cols, C)."""
    n, h, w, c = x.shape
    out = np.empty((n, h // 2, w // 2, c), dtype=x.dtype)
    for b in range(n):
        for i in range(h // 2):
            for j in range(w // 2):
                for k in range(c):
                    out[b, i, j, k] = x[b, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2, k].max()
    return out


def dense_naive(x, kernel, bias):
    """Sum over inputs for each (example, unit)."""
    n, n_in = x.shape
    out = np.zeros((n, kernel.shape[1]), dtype=np.float64)
    for b in range(n):
        for u in range(kernel.shape[1]):
            out[b, u] = sum(x[b, i] * kernel[i, u] for i in range(n_in)) + bias[u]
    return out


def softmax_naive(x):
    """exp(x) / sum(exp(x)) row by row, in float64."""
    x = x.astype(np.float64)
    return np.array([np.exp(row - row.max()) / np.exp(row - row.max()).sum() for row in x])


def conv2d_input_gradient_naive(grad, kernel, groups=1):
    """d loss / d input of a 'valid', stride-1 convolution from d loss / d output: each
    output pixel's gradient goes back through every kernel tap to the input it read
    (for a grouped one, to its group's input channels only)."""
    kh, kw, c_group, c_out = kernel.shape
    n, h_out, w_out, _ = grad.shape
    out = np.zeros((n, h_out + kh - 1, w_out + kw - 1, c_group * groups), dtype=np.float64)
    for b in range(n):
        for i in range(h_out):
            for j in range(w_out):
                for k in range(c_out):
                    first = k // (c_out // groups) * c_group
                    for u in range(kh):
                        for v in range(kw):
                            share = kernel[u, v, :, k] * grad[b, i, j, k]
                            out[b, i + u, j + v, first : first + c_group] += share
    return out
