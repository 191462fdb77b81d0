"""The look inside on stored images; runs under CPython and Pyodide alike.

    explain.py INPUTS.npz OUTPUT.npz MODEL.npz

INPUTS.npz's "mnist" batch (N, 28, 28) float32 in [0, 1] is read as uint8 images. OUTPUT.npz
gets "layer/<index>-<name>" each layer's output, "probs" the forward pass, and "sensitivity"
(N, 28, 28) float32 for each image's most probable class.
"""

import sys

import numpy as np

from recognizer.explain import gradient_times_input, layer_outputs
from recognizer.input_spec import to_network_input
from recognizer.network import load_network


def explain_all(inputs: str, output: str, model: str) -> None:
    network = load_network(model)
    with np.load(inputs) as stored:
        images = np.rint(stored["mnist"][:20] * 255).astype(np.uint8)  # (20, 28, 28)
    probs = network.predict_proba(to_network_input(images))
    outputs = layer_outputs(network, images)
    results = {f"layer/{i:02d}-{o.name}": o.values for i, o in enumerate(outputs)}
    results["probs"] = probs
    results["sensitivity"] = gradient_times_input(network, images, probs.argmax(axis=1))
    np.savez(output, **results)


if __name__ == "__main__":
    explain_all(*sys.argv[1:4])
