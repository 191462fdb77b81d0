"""Each fast layer against its naive loop twin on random data, or against values
worked out by hand."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from naive_layers import conv2d_naive, dense_naive, max_pool2d_naive, softmax_naive

from recognizer import layers as L


def random_array(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 3),
    h=st.integers(3, 11),
    w=st.integers(3, 11),
    c_in=st.integers(1, 4),
    c_out=st.integers(1, 5),
    kh=st.sampled_from([1, 2, 3, 5]),
    kw=st.sampled_from([1, 3, 5]),
)
def test_conv2d_matches_naive(seed, n, h, w, c_in, c_out, kh, kw):
    kh, kw = min(kh, h), min(kw, w)
    x = random_array(seed, (n, h, w, c_in))
    kernel = random_array(seed + 1, (kh, kw, c_in, c_out))
    bias = random_array(seed + 2, (c_out,))
    fast = L.conv2d(x, kernel, bias)
    slow = conv2d_naive(x, kernel, bias)
    assert fast.dtype == np.float32
    assert fast.shape == slow.shape == (n, h - kh + 1, w - kw + 1, c_out)
    np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-5)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), h=st.integers(2, 12), w=st.integers(2, 12))
def test_max_pool2d_matches_naive(seed, h, w):
    x = random_array(seed, (2, h, w, 3))
    np.testing.assert_array_equal(L.max_pool2d(x), max_pool2d_naive(x))


def test_max_pool2d_drops_incomplete_windows_like_keras():
    x = np.arange(5 * 5, dtype=np.float32).reshape(1, 5, 5, 1)
    pooled = L.max_pool2d(x)
    assert pooled.shape == (1, 2, 2, 1)
    np.testing.assert_array_equal(pooled[0, :, :, 0], [[6, 8], [16, 18]])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 4), n_in=st.integers(1, 20))
def test_dense_matches_naive(seed, n, n_in):
    x = random_array(seed, (n, n_in))
    kernel = random_array(seed + 1, (n_in, 7))
    bias = random_array(seed + 2, (7,))
    np.testing.assert_allclose(L.dense(x, kernel, bias), dense_naive(x, kernel, bias), atol=1e-5)


def test_softmax_matches_naive_and_is_stable():
    x = random_array(3, (5, 10)) * 30
    x[0] += 1000  # would overflow a naive exp
    probs = L.softmax(x)
    assert np.isfinite(probs).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(probs, softmax_naive(x), atol=1e-6)


def test_relu_on_values_worked_out_by_hand():
    x = np.array([[-3.5, -(2.0**-140), 0.0], [2.0**-140, 2.25, 2.0**100]], np.float32)
    out = L.relu(x)
    assert out.dtype == np.float32 and out.shape == (2, 3)
    np.testing.assert_array_equal(out, [[0.0, 0.0, 0.0], [2.0**-140, 2.25, 2.0**100]])
    assert x[0, 0] == -3.5  # the input is left alone


def test_flatten_is_row_major_over_h_w_c():
    x = random_array(4, (2, 3, 4, 5))
    flat = L.flatten(x)
    assert flat.shape == (2, 60)
    assert flat[1, (1 * 4 + 0) * 5 + 2] == x[1, 1, 0, 2]
