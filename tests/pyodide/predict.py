"""Class probabilities of model files on stored inputs; runs under CPython and Pyodide alike.

    predict.py INPUTS.npz OUTPUT.npz MODEL.npz [MODEL.npz ...]

INPUTS.npz holds float32 batches (N, 28, 28) in [0, 1] under any names; OUTPUT.npz gets
one (N, 10) float32 array per model and input, named "<model index>/<input name>".
"""

import sys

import numpy as np

from recognizer.network import load_network

__all__ = ["predict_all"]


def predict_all(inputs_path: str, output_path: str, model_paths: list[str]) -> None:
    """Run every model on every stored batch and save the probabilities."""
    with np.load(inputs_path) as stored:
        batches = {name: stored[name] for name in stored.files}
    results = {}
    for index, model in enumerate(model_paths):
        net = load_network(model)
        for name, batch in batches.items():
            results[f"{index}/{name}"] = net.predict_proba(batch)  # (N, 10)
    np.savez(output_path, **results)


if __name__ == "__main__":
    predict_all(sys.argv[1], sys.argv[2], sys.argv[3:])
