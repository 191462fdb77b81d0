"""Both routes of the layers agree: the one for NumPy with BLAS and SIMD (CPython wheels)
and the one for NumPy without either (Pyodide: einsum products, Winograd, np.where max).

Each runtime takes its own route; here both are forced in turn and checked against the
loop twins.
"""

import numpy as np
import pytest
from naive_layers import conv2d_naive, dense_naive, max_pool2d_naive

from recognizer import layers as L
from recognizer import winograd


@pytest.fixture(params=[True, False], ids=["native-route", "scalar-route"])
def route(request, monkeypatch):
    """True: NumPy with BLAS and SIMD; False: without either, as in Pyodide."""
    monkeypatch.setattr(L, "_HAS_BLAS", request.param)
    monkeypatch.setattr(L, "_HAS_SIMD", request.param)
    return request.param


@pytest.fixture
def winograd_calls(monkeypatch) -> list[tuple]:
    """Records the input shape of every call that takes the Winograd route."""
    calls, conv3x3 = [], winograd.conv3x3

    def recording(x, u, bias):
        calls.append(x.shape)
        return conv3x3(x, u, bias)

    monkeypatch.setattr(L.winograd, "conv3x3", recording)
    return calls


@pytest.mark.parametrize(("kh", "c_in", "c_out"), [(3, 1, 8), (5, 1, 6), (3, 4, 6), (5, 8, 5)])
def test_conv2d_matches_naive(route, kh, c_in, c_out):
    rng = np.random.default_rng(kh * 100 + c_in)
    x = rng.random((2, 9, 8, c_in), dtype=np.float32)
    kernel = rng.standard_normal((kh, kh, c_in, c_out)).astype(np.float32)
    bias = rng.standard_normal(c_out).astype(np.float32)
    out = L.conv2d(x, kernel, bias)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, conv2d_naive(x, kernel, bias), atol=1e-5)


@pytest.mark.parametrize(
    ("n", "side", "kh", "groups", "c_in", "c_out", "winograd_groups"),
    [
        (2, 9, 5, 2, 4, 6, 0),  # 2 groups of 2 -> 3 channels, im2col
        (2, 8, 3, 3, 6, 9, 0),  # 3 groups, too few tiles for Winograd
        (6, 10, 3, 2, 32, 64, 2),  # 2 groups of 16 -> 32: each takes Winograd
    ],
)
def test_grouped_conv2d_matches_naive(
    route, winograd_calls, n, side, kh, groups, c_in, c_out, winograd_groups
):
    rng = np.random.default_rng(c_in * 10 + groups)
    x = rng.random((n, side, side, c_in), dtype=np.float32)
    kernel = rng.standard_normal((kh, kh, c_in // groups, c_out)).astype(np.float32)
    bias = rng.standard_normal(c_out).astype(np.float32)
    kernels = np.split(kernel, groups, axis=3)  # per group (kh, kh, C_in/G, C_out/G)
    out = L.grouped_conv2d(x, [np.ascontiguousarray(k) for k in kernels], np.split(bias, groups))
    assert out.dtype == np.float32 and out.shape == (n, side - kh + 1, side - kh + 1, c_out)
    np.testing.assert_allclose(out, conv2d_naive(x, kernel, bias, groups), atol=1e-4)
    assert len(winograd_calls) == (0 if route else winograd_groups)


@pytest.mark.parametrize(
    ("n", "side", "c_in", "c_out", "by_winograd"),
    [
        (6, 10, 16, 32, True),  # 6 images x 16 tiles: just enough
        (1, 26, 32, 64, True),  # the seed preset's second convolution, one digit
        (5, 10, 16, 32, False),  # 80 tiles: too few
        (6, 9, 16, 32, False),  # odd output: tiles would not cover it
        (6, 10, 16, 16, False),  # too few channels
        (6, 10, 1, 32, False),  # one input channel: its own route
    ],
)
def test_winograd_route_where_it_pays(route, winograd_calls, n, side, c_in, c_out, by_winograd):
    rng = np.random.default_rng(side * 10 + n)
    x = rng.random((n, side, side, c_in), dtype=np.float32)  # as after a ReLU
    kernel = (rng.standard_normal((3, 3, c_in, c_out)) / (3 * np.sqrt(c_in))).astype(np.float32)
    bias = rng.standard_normal(c_out).astype(np.float32)
    out = L.conv2d(x, L.as_kernel(kernel), bias)
    assert bool(winograd_calls) == (by_winograd and not route)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, conv2d_naive(x, kernel, bias), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape", [(3, 8, 8, 4), (2, 9, 7, 3)])
def test_max_pool_matches_naive(route, shape):
    x = np.random.default_rng(shape[1]).standard_normal(shape).astype(np.float32)
    np.testing.assert_array_equal(L.max_pool2d(x), max_pool2d_naive(x))


def test_relu_on_values_worked_out_by_hand(route):
    x = np.array([[-3.5, -(2.0**-140), 0.0], [2.0**-140, 2.25, 2.0**100]], np.float32)
    out = L.relu(x)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[0.0, 0.0, 0.0], [2.0**-140, 2.25, 2.0**100]])


@pytest.mark.parametrize(("n_in", "n_out"), [(8, 3), (40, 10), (300, 256)])
def test_dense_matches_naive(route, n_in, n_out):
    rng = np.random.default_rng(n_in)
    x = rng.random((3, n_in), dtype=np.float32)
    kernel = rng.standard_normal((n_in, n_out)).astype(np.float32)
    bias = rng.standard_normal(n_out).astype(np.float32)
    out = L.dense(x, kernel, bias)
    assert out.dtype == np.float32 and out.shape == (3, n_out)
    np.testing.assert_allclose(out, dense_naive(x, kernel, bias), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize(("n_in", "n_out"), [(8, 3), (300, 256)])
def test_prepared_kernel_takes_the_route_and_gives_the_same_product(route, n_in, n_out):
    rng = np.random.default_rng(n_out)
    x = rng.random((4, n_in), dtype=np.float32)
    kernel = rng.standard_normal((n_in, n_out)).astype(np.float32)
    bias = np.zeros(n_out, np.float32)
    prepared = L.as_kernel(kernel)
    uses_einsum = not route and n_in >= L.EINSUM_MIN_DEPTH
    assert (prepared.einsum_rows is not None) == uses_einsum
    if uses_einsum:
        rows = prepared.einsum_rows
        assert rows.shape == (n_out, n_in) and rows.flags.c_contiguous
    assert L.as_kernel(prepared) is prepared
    np.testing.assert_array_equal(L.dense(x, prepared, bias), L.dense(x, kernel, bias))
