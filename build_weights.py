"""Train a preset network on MNIST and write its weights file and model card.

    python build_weights.py --preset default           # the page's network
    python build_weights.py --preset seed              # the original app's network
    python build_weights.py --preset default --quick   # smoke run: small subset, 1 epoch

Steps:

1. Setup -- seed every random generator and make TensorFlow's ops deterministic, so
   the same seed and data give the same weights.
2. Prepare the data -- read (or download) MNIST and verify it by sha256; scale images
   with ``recognizer.input_spec.to_network_input``, the same function the page uses.
3. Build the model -- the preset's Keras architecture (``training/models.py``), Adam,
   categorical cross-entropy.
4. Train -- ``default`` sees a freshly distorted copy of the training set every epoch
   (``training/augment.py``: flags on some ones, rotation, scale, shear, shift, elastic,
   stroke width) and
   a warm-up + cosine learning-rate schedule; ``seed`` trains on plain MNIST, as the
   original app did.
5. Evaluate -- export the weights, load them back with the page's NumPy forward pass
   (``recognizer.network``) and measure accuracy on the 10,000 test digits.
6. Export -- ``<out>/<preset>.npz`` (model file) and ``<out>/<preset>.json`` (model card:
   architecture, parameter and multiply-add counts, input normalisation, accuracy, data
   checksums, library versions, training time, file sha256).

MNIST is read from ``--data-dir``, else $MNIST_DIR, else ~/.cache/digit-recognizer/mnist
(downloaded there when missing).
"""

import argparse
import hashlib
import json
import platform
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import keras
import numpy as np
import scipy
import tensorflow as tf

from recognizer.input_spec import to_network_input
from recognizer.network import load_network, save_network
from training.augment import AugmentConfig, add_pen_strokes, augment
from training.export import count_macs, count_parameters, export_model
from training.mnist import load_mnist
from training.models import N_CLASSES, build_model

# Hyper-parameters ------------------------------------------------------------------
SEED = 20240607
BATCH_SIZE = 128
EVAL_BATCH = 500  # images per NumPy forward call during evaluation
QUICK_TRAIN, QUICK_TEST = 2000, 1000  # subset sizes of --quick
PRESET_SETTINGS = {
    "default": {
        "epochs": 35,
        "peak_learning_rate": 3e-3,
        "warmup_epochs": 1,
        "final_learning_rate_fraction": 0.0,
        "label_smoothing": 0.05,
        "augment": AugmentConfig(),
        "storage": "float16",
    },
    "seed": {
        "epochs": 12,
        "peak_learning_rate": 1e-3,  # constant: Adam's default, as the original app
        "warmup_epochs": 0,
        "final_learning_rate_fraction": None,
        "label_smoothing": 0.0,
        "augment": None,
        "storage": "float16",
    },
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="See the module docstring (head build_weights.py) for the steps.",
    )
    parser.add_argument(
        "--preset", choices=sorted(PRESET_SETTINGS), default="default", help="network to train"
    )
    parser.add_argument("--epochs", type=int, help="training epochs (default: the preset's)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="folder with the four MNIST .gz files (default: $MNIST_DIR, else the user cache)",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("weights"), help="output folder (default: weights/)"
    )
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument(
        "--storage",
        choices=["float16", "float32"],
        help="weight storage in the file (default: the preset's)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: {QUICK_TRAIN} training and {QUICK_TEST} test images, 1 epoch",
    )
    return parser.parse_args(argv)


def learning_rate(settings: dict, steps_per_epoch: int, epochs: int):
    """Constant rate, or linear warm-up then cosine decay over the whole run (per step)."""
    peak = settings["peak_learning_rate"]
    if settings["final_learning_rate_fraction"] is None:
        return peak
    warmup = min(settings["warmup_epochs"], epochs - 1) * steps_per_epoch
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=peak / 10 if warmup else peak,
        decay_steps=epochs * steps_per_epoch - warmup,
        alpha=settings["final_learning_rate_fraction"],
        warmup_target=peak if warmup else None,
        warmup_steps=warmup,
    )


def evaluate_numpy(path: Path, images: np.ndarray, labels: np.ndarray) -> tuple[float, int]:
    """Accuracy (fraction) and error count of a model file run by the NumPy forward pass."""
    network = load_network(path)
    predicted = np.concatenate(
        [
            network.predict_proba(to_network_input(images[i : i + EVAL_BATCH])).argmax(axis=1)
            for i in range(0, len(images), EVAL_BATCH)
        ]
    )  # (N,)
    errors = int((predicted != labels).sum())
    return 1.0 - errors / len(labels), errors


def main(argv=None) -> dict:
    args = parse_args(argv)
    settings = dict(PRESET_SETTINGS[args.preset])
    epochs = 1 if args.quick else (args.epochs or settings["epochs"])
    storage = args.storage or settings["storage"]

    # 1. Setup ------------------------------------------------------------------------
    keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()
    augment_rng = np.random.default_rng(args.seed)

    # 2. Prepare the data ---------------------------------------------------------------
    data = load_mnist(args.data_dir)
    x_train, y_train, x_test, y_test = data.x_train, data.y_train, data.x_test, data.y_test
    if args.quick:
        x_train, y_train = x_train[:QUICK_TRAIN], y_train[:QUICK_TRAIN]
        x_test, y_test = x_test[:QUICK_TEST], y_test[:QUICK_TEST]
    targets = keras.utils.to_categorical(y_train, N_CLASSES)  # (N, 10) float32
    steps_per_epoch = -(-len(x_train) // BATCH_SIZE)

    # 3. Build the model ----------------------------------------------------------------
    model = build_model(args.preset)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate(settings, steps_per_epoch, epochs)),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=settings["label_smoothing"]),
        metrics=["accuracy"],
    )
    model.summary()

    # 4. Train ------------------------------------------------------------------------
    config: AugmentConfig | None = settings["augment"]
    epoch_seconds, augment_seconds = [], []
    started = time.perf_counter()
    for epoch in range(epochs):
        tick = time.perf_counter()
        images = x_train
        if config:
            images = augment(
                add_pen_strokes(x_train, y_train, augment_rng, config), augment_rng, config
            )
        augment_seconds.append(time.perf_counter() - tick)
        model.fit(
            to_network_input(images),
            targets,
            batch_size=BATCH_SIZE,
            epochs=epoch + 1,
            initial_epoch=epoch,
            shuffle=True,
            verbose=2 if not sys.stdout.isatty() else 1,
        )
        epoch_seconds.append(time.perf_counter() - tick)
    train_seconds = time.perf_counter() - started

    # 5. Evaluate (the exported file, through the NumPy forward pass) ------------------
    keras_accuracy = float(
        model.evaluate(to_network_input(x_test), keras.utils.to_categorical(y_test), verbose=0)[1]
    )
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.npz"
        entries, stored = export_model(model, probe, {}, storage)
        accuracy, errors = evaluate_numpy(probe, x_test, y_test)
    print(f"test accuracy: NumPy {accuracy:.4%} ({errors} errors), Keras {keras_accuracy:.4%}")

    # 6. Export ----------------------------------------------------------------------
    meta = {
        "name": args.preset,
        "architecture": entries,
        "parameters": count_parameters(stored),
        "keras_parameters": int(model.count_params()),
        "macs_per_digit": count_macs(entries, stored),
        "weights_storage": storage,
        "input": {
            "shape": [28, 28, 1],
            "normalisation": "recognizer.input_spec.to_network_input: uint8 / 255 -> "
            "float32 in [0, 1], white digit (1.0) on black (0.0), 28x28 MNIST-style",
        },
        "test_accuracy": accuracy,
        "test_errors": errors,
        "test_images": len(y_test),
        "test_accuracy_keras": keras_accuracy,
        "accuracy_measured_with": "recognizer.network NumPy forward pass on this file",
        "data": {
            "name": "MNIST",
            "train_images": len(x_train),
            "sha256_decompressed": data.sha256,
            "subset": args.quick,
        },
        "training": {
            "epochs": epochs,
            "batch_size": BATCH_SIZE,
            "optimizer": "Adam",
            "peak_learning_rate": settings["peak_learning_rate"],
            "learning_rate_schedule": (
                "constant"
                if settings["final_learning_rate_fraction"] is None
                else f"linear warm-up {settings['warmup_epochs']} epoch(s), then cosine decay"
            ),
            "label_smoothing": settings["label_smoothing"],
            "augmentation": asdict(config) if config else None,
            "seed": args.seed,
            "wall_seconds": round(train_seconds, 1),
            "minutes_per_epoch": round(train_seconds / epochs / 60, 3),
            "epoch_seconds": [round(s, 1) for s in epoch_seconds],
            "augment_seconds_per_epoch": round(float(np.mean(augment_seconds)), 2),
            "cpu": platform.processor() or platform.machine(),
        },
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    weights_path = args.out / f"{args.preset}.npz"
    save_network(weights_path, entries, stored, meta)
    payload = weights_path.read_bytes()
    card = {
        **meta,
        "file": weights_path.name,
        "file_bytes": len(payload),
        "file_sha256": hashlib.sha256(payload).hexdigest(),
    }
    card_path = args.out / f"{args.preset}.json"
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    print(f"wrote {weights_path} ({len(payload)} bytes) and {card_path}")
    return card


if __name__ == "__main__":
    main()
