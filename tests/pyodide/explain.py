"""The look inside on stored images; runs under CPython and Pyodide alike.

    explain.py INPUTS.npz OUTPUT.npz MODEL.npz

INPUTS.npz's "mnist" batch (N, 28, 28) float32 in [0, 1] is read as uint8 images. OUTPUT.npz
gets "layer/<index>-<name>" each layer's output, "probs" the forward pass, "sensitivity"
(N, 28, 28) float32 for each image's most probable class, and for the first INSIDE images
what the page's look-inside panel gets (recognizer.inside.look_inside): "inside/<image>/..."
each packed byte string as uint8 and each number as float64.
"""

import sys

import numpy as np

from recognizer.explain import gradient_times_input, layer_outputs
from recognizer.input_spec import to_network_input
from recognizer.inside import look_inside
from recognizer.network import load_network

INSIDE = 3


def flat_arrays(prefix: str, value, into: dict) -> None:
    """The bytes and numbers of a nested dict/list answer as named arrays."""
    if isinstance(value, dict):
        for key, item in value.items():
            flat_arrays(f"{prefix}/{key}", item, into)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            flat_arrays(f"{prefix}/{index}", item, into)
    elif isinstance(value, bytes):
        into[prefix] = np.frombuffer(value, np.uint8)
    elif isinstance(value, (int, float)):
        into[prefix] = np.float64(value)


def explain_all(inputs: str, output: str, model: str) -> None:
    network = load_network(model)
    with np.load(inputs) as stored:
        images = np.rint(stored["mnist"][:20] * 255).astype(np.uint8)  # (20, 28, 28)
    probs = network.predict_proba(to_network_input(images))
    outputs = layer_outputs(network, images)
    results = {f"layer/{i:02d}-{o.name}": o.values for i, o in enumerate(outputs)}
    results["probs"] = probs
    results["sensitivity"] = gradient_times_input(network, images, probs.argmax(axis=1))
    for index in range(INSIDE):
        flat_arrays(f"inside/{index}", look_inside(network, images[index : index + 1]), results)
    np.savez(output, **results)


if __name__ == "__main__":
    explain_all(*sys.argv[1:4])
