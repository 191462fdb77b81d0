"""Each fast layer against its naive loop twin on random data."""

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
    k=st.sampled_from([1, 2, 3, 5]),
    stride=st.sampled_from([(1, 1), (2, 2), (1, 2), (3, 1)]),
    padding=st.sampled_from(["valid", "same"]),
)
def test_conv2d_matches_naive(seed, n, h, w, c_in, c_out, k, stride, padding):
    k = min(k, h, w)
    x = random_array(seed, (n, h, w, c_in))
    kernel = random_array(seed + 1, (k, k, c_in, c_out))
    bias = random_array(seed + 2, (c_out,))
    fast = L.conv2d(x, kernel, bias, stride, padding)
    slow = conv2d_naive(x, kernel, bias, stride, padding)
    assert fast.dtype == np.float32
    assert fast.shape == slow.shape
    np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-5)


def test_conv2d_non_square_kernel_same_padding():
    x = random_array(0, (2, 9, 7, 3))
    kernel = random_array(1, (3, 5, 3, 4))
    bias = random_array(2, (4,))
    fast = L.conv2d(x, kernel, bias, (2, 1), "same")
    assert fast.shape == (2, 5, 7, 4)
    np.testing.assert_allclose(fast, conv2d_naive(x, kernel, bias, (2, 1), "same"), atol=1e-5)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    h=st.integers(2, 12),
    w=st.integers(2, 12),
    pool=st.sampled_from([(2, 2), (3, 3), (2, 3)]),
    strides=st.sampled_from([None, (1, 1), (2, 1), (3, 3)]),
)
def test_max_pool2d_matches_naive(seed, h, w, pool, strides):
    pool = (min(pool[0], h), min(pool[1], w))
    x = random_array(seed, (2, h, w, 3))
    np.testing.assert_array_equal(
        L.max_pool2d(x, pool, strides), max_pool2d_naive(x, pool, strides)
    )


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


def test_relu_flatten_and_global_average_pool():
    x = random_array(4, (2, 3, 4, 5))
    np.testing.assert_array_equal(L.relu(x), np.where(x > 0, x, 0))
    flat = L.flatten(x)
    assert flat.shape == (2, 60)
    assert flat[1, 5 * 4 + 2] == x[1, 1, 0, 2]  # row-major over (H, W, C)
    np.testing.assert_allclose(L.global_average_pool2d(x), x.mean(axis=(1, 2)), rtol=1e-6)
