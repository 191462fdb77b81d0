"""Forward-pass latency of both presets: CPython, Pyodide in Node.js, ONNX Runtime Web.

The reference is ONNX Runtime Web (wasm, one thread) running the identical graph in
the same Node.js process as Pyodide; its probabilities must match ours before anything
is timed. Figures are milliseconds per call (median and quartiles over all samples)
and GFLOP/s, set against a plain float32 matmul in the same runtime.
"""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np

from bench import forward_kernel
from bench.mnist_data import mnist_test_set
from bench.nets import PRESETS, REPO_ROOT, preset_path
from bench.onnx_export import forward_flops, npz_to_onnx
from bench.stats import ratio, summary

__all__ = ["BATCHES", "PARITY_TOLERANCE", "run"]

BATCHES = (1, 64)
PARITY_TOLERANCE = 1e-5  # max abs difference of probabilities, ours vs the reference
NODE_SCRIPT = REPO_ROOT / "bench" / "forward_node.mjs"
NODE_TIMEOUT_S = 1800


class ParityError(RuntimeError):
    """The reference engine's probabilities differ from ours: its timings would mean nothing."""


def _inputs(count: int) -> tuple[np.ndarray, str]:
    """(count, 28, 28, 1) float32 batch: MNIST test images when available, else noise."""
    mnist = mnist_test_set(count)
    if mnist is not None:
        return mnist[0], "MNIST test images"
    return np.random.default_rng(0).random((count, 28, 28, 1), dtype=np.float32), "uniform noise"


def _cpython(models: dict[str, Path], batch: np.ndarray, calls: int, rounds: int) -> dict:
    samples = {name: {n: [] for n in BATCHES} for name in models}
    for _ in range(rounds):
        for name, path in models.items():
            for n in BATCHES:
                samples[name][n] += forward_kernel.time_forward(str(path), batch[:n], calls)
    return samples


def _node_run(scratch: Path, models: dict[str, Path], calls: int, rounds: int) -> dict:
    """Time our forward pass and ONNX Runtime Web in Pyodide under Node (forward_node.mjs)."""
    config = {
        "scratch": str(scratch),
        "inputs": "inputs.npz",
        "models": [{"name": n, "npz": f"{n}.npz", "onnx": f"{n}.onnx"} for n in models],
        "batches": list(BATCHES),
        "calls": calls,
        "rounds": rounds,
        "matmul_calls": 5,
    }
    (scratch / "forward.json").write_text(json.dumps(config))
    done = subprocess.run(
        ["node", str(NODE_SCRIPT), str(scratch / "forward.json")],
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_S,
        cwd=REPO_ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"forward_node.mjs failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _model_figures(path: Path, node_entry: dict, cpython_samples: dict) -> dict:
    """One network's figures: parity with ONNX Runtime, then per batch size the times of each
    engine (ms), their ratios and GFLOP/s. Raises ParityError when the engines disagree."""
    difference = node_entry["parity_max_abs_diff"]
    if difference > PARITY_TOLERANCE:
        raise ParityError(f"{path.stem}: ONNX Runtime differs from ours by {difference:.3g}")
    flops = forward_flops(path)
    figures = {
        "mflops_per_digit": flops / 1e6,
        "parity_max_abs_diff": difference,
        "parity_examples": node_entry["parity_examples"],
    }
    for n in BATCHES:
        ms = {
            "pyodide": summary(node_entry["ours"][str(n)], 1e3),
            "cpython": summary(cpython_samples[n], 1e3),
            "ort_wasm": summary(node_entry["reference"][str(n)], 1e3),
        }
        figures[f"batch_{n}"] = {
            "ms": ms,
            "ratio_pyodide_to_ort": ratio(ms["pyodide"], ms["ort_wasm"]),
            "ratio_cpython_to_ort": ratio(ms["cpython"], ms["ort_wasm"]),
            "gflops": {k: flops * n / (v["median"] / 1e3) / 1e9 for k, v in ms.items()},
        }
    return figures


def run(scratch: Path, quick: bool = False) -> dict:
    """Measure everything; raises ParityError if the engines disagree, OSError without Node."""
    calls, rounds = (10, 2) if quick else (20, 5)
    if shutil.which("node") is None or not (REPO_ROOT / "node_modules" / "pyodide").exists():
        raise FileNotFoundError("needs Node.js and `npm ci` (node_modules/pyodide)")
    models = {}
    for name in PRESETS:
        models[name] = Path(shutil.copy(preset_path(name), scratch / f"{name}.npz"))
        npz_to_onnx(models[name], scratch / f"{name}.onnx")
    batch, batch_source = _inputs(max(BATCHES))
    np.savez(scratch / "inputs.npz", batch=batch)
    node = _node_run(scratch, models, calls, rounds)
    cpython = _cpython(models, batch, calls, rounds)
    return {
        "inputs": batch_source,
        "samples": calls * rounds,
        "runtime": {**node["runtime"], "cpython_numpy": np.__version__},
        "matmul_gflops": {
            "side": node["matmul_side"],
            "pyodide": {route: summary(rates) for route, rates in node["matmul_gflops"].items()},
            "cpython": {
                route: summary(forward_kernel.matmul_gflops(5, route))
                for route in ("matmul", "einsum")
            },
        },
        "models": {
            name: _model_figures(path, node["models"][name], cpython[name])
            for name, path in models.items()
        },
    }
