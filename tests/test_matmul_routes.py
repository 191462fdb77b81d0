"""Both matrix-product routes of the layers (BLAS ``@`` and the einsum dot kernel) agree.

CPython wheels link BLAS and Pyodide's NumPy does not, so each runtime takes a
different route; here both are forced in turn and checked against the loop twins.
"""

import numpy as np
import pytest
from naive_layers import conv2d_naive, dense_naive

from recognizer import layers as L


@pytest.fixture(params=[True, False], ids=["blas-route", "einsum-route"])
def route(request, monkeypatch):
    monkeypatch.setattr(L, "_HAS_BLAS", request.param)
    return request.param


@pytest.mark.parametrize(
    ("kh", "c_in", "c_out", "padding"),
    [(3, 1, 8, "valid"), (5, 1, 6, "same"), (3, 4, 6, "valid"), (3, 8, 5, "same")],
)
def test_conv2d_matches_naive(route, kh, c_in, c_out, padding):
    rng = np.random.default_rng(kh * 100 + c_in)
    x = rng.random((2, 9, 8, c_in), dtype=np.float32)
    kernel = rng.standard_normal((kh, kh, c_in, c_out)).astype(np.float32)
    bias = rng.standard_normal(c_out).astype(np.float32)
    out = L.conv2d(x, kernel, bias, (1, 1), padding)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, conv2d_naive(x, kernel, bias, (1, 1), padding), atol=1e-5)


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
    assert (prepared.rows is not None) == uses_einsum
    if uses_einsum:
        assert prepared.rows.shape == (n_out, n_in) and prepared.rows.flags.c_contiguous
    assert L.as_kernel(prepared) is prepared
    np.testing.assert_array_equal(L.dense(x, prepared, bias), L.dense(x, kernel, bias))
