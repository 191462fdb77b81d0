"""Forward-pass timing that runs unchanged in CPython and in Pyodide.

Only NumPy and ``recognizer`` are imported, so the Node.js benchmark runs this very
file inside Pyodide and CPython imports it; both measure the same thing the same way.
Times are wall-clock seconds from ``time.perf_counter``.
"""

import time

import numpy as np

from recognizer.network import load_network

__all__ = ["MATMUL_SIDE", "matmul_gflops", "predict", "time_forward"]

MATMUL_SIDE = 512  # the ceiling matmul multiplies two (512, 512) float32 matrices

_networks: dict[str, object] = {}


def _network(path: str):
    if path not in _networks:
        _networks[path] = load_network(path)
    return _networks[path]


def predict(path: str, images: np.ndarray) -> np.ndarray:
    """Probabilities (N, n_classes) float32 of the model file at ``path`` for (N, 28, 28, 1)
    images."""
    return _network(path).predict_proba(np.asarray(images, dtype=np.float32))


def time_forward(path: str, images: np.ndarray, calls: int, warmup: int = 2) -> list[float]:
    """Seconds per ``predict_proba`` call on ``images`` (N, 28, 28, 1), ``calls`` samples."""
    net = _network(path)
    x = np.asarray(images, dtype=np.float32)
    for _ in range(warmup):
        net.predict_proba(x)
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        net.predict_proba(x)
        samples.append(time.perf_counter() - start)
    return samples


def matmul_gflops(calls: int, route: str = "matmul", side: int = MATMUL_SIDE) -> list[float]:
    """GFLOP/s of a (side, side) x (side, side) float32 product, one value per call.

    route : "matmul" for ``a @ b``; "einsum" for ``np.einsum("mk,nk->mn", a, b_t)``,
    NumPy's contiguous dot kernel (the faster one where NumPy has no BLAS)
    """
    rng = np.random.default_rng(0)
    a = rng.random((side, side), dtype=np.float32)
    b = rng.random((side, side), dtype=np.float32)
    if route == "matmul":
        product = a.__matmul__
    elif route == "einsum":
        b = np.ascontiguousarray(b.T)
        product = lambda b: np.einsum("mk,nk->mn", a, b)  # noqa: E731
    else:
        raise ValueError(f"route must be 'matmul' or 'einsum', got {route!r}")
    product(b)  # warm-up
    flops = 2.0 * side**3
    rates = []
    for _ in range(calls):
        start = time.perf_counter()
        product(b)
        rates.append(flops / (time.perf_counter() - start) / 1e9)
    return rates
