"""Record Keras's outputs for a committed weights file, for TensorFlow-free parity tests.

    python -m training.parity_fixture --preset default

Runs the first ``N_INPUTS`` MNIST test digits through a Keras model that holds the
file's stored weights (``training.export.layers_to_keras``) and writes
``tests/fixtures/keras_outputs_<preset>.npz`` with ``inputs`` (N, 28, 28, 1) float32,
``probs`` (N, 10) float32 and ``weights_sha256`` (of the weights file it describes).
"""

import argparse
import hashlib
from pathlib import Path

import numpy as np

from recognizer.input_spec import to_network_input
from recognizer.model_file import read_model_file
from training.export import layers_to_keras
from training.mnist import load_mnist

__all__ = ["N_INPUTS", "keras_outputs", "main"]

N_INPUTS = 32


def keras_outputs(weights: Path, inputs: np.ndarray) -> np.ndarray:
    """Keras probabilities (N, 10) float32 of a model file for inputs (N, 28, 28, 1) float32."""
    model = read_model_file(weights)
    entries, arrays = model.entries(), model.arrays()
    model = layers_to_keras(entries, arrays)
    return np.asarray(model(inputs, training=False), dtype=np.float32)


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="default", help="weights/<preset>.npz to describe")
    parser.add_argument("--weights-dir", type=Path, default=Path("weights"))
    parser.add_argument("--data-dir", type=Path, help="MNIST folder (default: $MNIST_DIR)")
    parser.add_argument("--out-dir", type=Path, default=Path("tests/fixtures"))
    args = parser.parse_args(argv)
    weights = args.weights_dir / f"{args.preset}.npz"
    inputs = to_network_input(load_mnist(args.data_dir).x_test[:N_INPUTS])  # (N, 28, 28, 1)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    out = args.out_dir / f"keras_outputs_{args.preset}.npz"
    np.savez(
        out,
        inputs=inputs,
        probs=keras_outputs(weights, inputs),
        weights_sha256=np.array(hashlib.sha256(weights.read_bytes()).hexdigest()),
    )
    print(f"wrote {out}")
    return out


if __name__ == "__main__":
    main()
