"""Class probabilities of model files on stored inputs; runs under CPython and Pyodide alike.

    predict.py INPUTS.npz OUTPUT.npz MODEL.npz [MODEL.npz ...]

INPUTS.npz holds float32 batches (N, 28, 28) in [0, 1], and canvases: arrays named
"canvas/<name>", (N, H, W, 4) uint8 RGBA as the page's drawing pad gives them, which go
through the page's preprocessing first. OUTPUT.npz gets "<model index>/<input name>"
(N, C) float32 probabilities per model and input, and per canvas batch
"image/<name>" (N, 28, 28) uint8 (zeros where empty), "empty/<name>" (N,) bool,
"views/<name>" (V, N, 28, 28) uint8 rotated views, "<model index>/views-<name>"
(N, C) float32 probabilities averaged over the views, and "<model index>/reader-<name>"
(N, C) float32 the calibrated probabilities the page's verdict comes from
(``recognizer.reader``).
"""

import sys

import numpy as np

from recognizer import rotations
from recognizer.input_spec import IMAGE_SIZE, to_network_input
from recognizer.network import load_network
from recognizer.preprocess import ink_from_rgba, mnist_from_ink
from recognizer.reader import DigitReader

__all__ = ["predict_all", "preprocess_canvases"]


def preprocess_canvases(canvases: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, H, W, 4) uint8 RGBA -> ((N, 28, 28) uint8 images, (N,) bool empty)."""
    images = np.zeros((len(canvases), IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    empty = np.zeros(len(canvases), bool)
    for index, canvas in enumerate(canvases):
        image = mnist_from_ink(ink_from_rgba(canvas))
        if image is None:
            empty[index] = True
        else:
            images[index] = image
    return images, empty


def predict_all(inputs_path: str, output_path: str, model_paths: list[str]) -> None:
    """Run every model on every stored batch and save the probabilities."""
    results, batches, canvases = {}, {}, {}
    with np.load(inputs_path) as stored:
        for key in stored.files:
            kind, _, name = key.rpartition("/")
            if kind == "canvas":
                images, empty = preprocess_canvases(stored[key])
                results[f"image/{name}"], results[f"empty/{name}"] = images, empty
                results[f"views/{name}"] = rotations.rotated(images)  # (V, N, 28, 28)
                canvases[name] = images
                batches[key] = to_network_input(images)  # (N, 28, 28, 1)
            else:
                batches[key] = stored[key]
    for index, model in enumerate(model_paths):
        net = load_network(model)
        for name, batch in batches.items():
            results[f"{index}/{name}"] = net.predict_proba(batch)  # (N, C)
        for name, images in canvases.items():
            results[f"{index}/views-{name}"] = rotations.mean_probabilities(net, images)  # (N, C)
            results[f"{index}/reader-{name}"] = DigitReader(net).probabilities(images)
    np.savez(output_path, **results)


if __name__ == "__main__":
    predict_all(sys.argv[1], sys.argv[2], sys.argv[3:])
