"""Winograd F(2x2, 3x3) convolution against the loop twin."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from naive_layers import conv2d_naive

from recognizer import winograd


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 3),
    tiles_down=st.integers(1, 5),
    tiles_across=st.integers(1, 5),
    c_in=st.integers(1, 6),
    c_out=st.integers(1, 6),
)
def test_conv3x3_matches_naive(seed, n, tiles_down, tiles_across, c_in, c_out):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2 * tiles_down + 2, 2 * tiles_across + 2, c_in))
    kernel = rng.standard_normal((3, 3, c_in, c_out))
    bias = rng.standard_normal(c_out)
    x, kernel, bias = (a.astype(np.float32) for a in (x, kernel, bias))
    out = winograd.conv3x3(x, winograd.transform_kernel(kernel), bias)
    assert out.dtype == np.float32
    assert out.shape == (n, 2 * tiles_down, 2 * tiles_across, c_out)
    np.testing.assert_allclose(out, conv2d_naive(x, kernel, bias), rtol=1e-5, atol=1e-5)


def test_conv3x3_leaves_its_input_alone():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 6, 8, 3)).astype(np.float32)
    kept = x.copy()
    u = winograd.transform_kernel(rng.standard_normal((3, 3, 3, 4)).astype(np.float32))
    winograd.conv3x3(x, u, np.ones(4, np.float32))
    np.testing.assert_array_equal(x, kept)


def test_transformed_kernel_layout():
    kernel = np.arange(3 * 3 * 2 * 5, dtype=np.float32).reshape(3, 3, 2, 5)
    u = winograd.transform_kernel(kernel)
    assert u.shape == (16, 2, 5) and u.dtype == np.float32
    # Corner taps pass through G unchanged: u[0] is g[0, 0], u[3] is g[0, 2], u[15] is g[2, 2].
    np.testing.assert_array_equal(u[0], kernel[0, 0])
    np.testing.assert_array_equal(u[3], kernel[0, 2])
    np.testing.assert_array_equal(u[15], kernel[2, 2])
