"""Slow, obvious loop implementations of the layers, the reference for the fast ones."""

import numpy as np

from recognizer.layers import same_padding


def conv2d_naive(x, kernel, bias, strides=(1, 1), padding="valid"):
    """Direct convolution with four loops over (N, out rows, out cols, C_out)."""
    kh, kw, _, c_out = kernel.shape
    sh, sw = strides
    if padding == "same":
        top, bottom = same_padding(x.shape[1], kh, sh)
        left, right = same_padding(x.shape[2], kw, sw)
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    n, h, w, _ = x.shape
    h_out, w_out = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.zeros((n, h_out, w_out, c_out), dtype=np.float64)
    for b in range(n):
        for i in range(h_out):
            for j in range(w_out):
                patch = x[b, i * sh : i * sh + kh, j * sw : j * sw + kw, :]
                for k in range(c_out):
                    out[b, i, j, k] = np.sum(patch * kernel[..., k]) + bias[k]
    return out


def max_pool2d_naive(x, pool_size=(2, 2), strides=None):
    """Max over each window, looping over (N, out rows, out cols, C)."""
    ph, pw = pool_size
    sh, sw = strides or pool_size
    n, h, w, c = x.shape
    h_out, w_out = (h - ph) // sh + 1, (w - pw) // sw + 1
    out = np.empty((n, h_out, w_out, c), dtype=x.dtype)
    for b in range(n):
        for i in range(h_out):
            for j in range(w_out):
                for k in range(c):
                    out[b, i, j, k] = x[b, i * sh : i * sh + ph, j * sw : j * sw + pw, k].max()
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
