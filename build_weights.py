"""Train a preset network and write its weights file and model card.

    python build_weights.py --preset default           # the page's network
    python build_weights.py --preset seed              # the original app's network
    python build_weights.py --preset default --quick   # smoke run: small subsets, 1 epoch

Steps:

1. Setup -- seed every random generator and make TensorFlow's ops deterministic, so
   the same seed and data give the same weights.
2. Prepare the data -- read (or download) MNIST and verify it by sha256; for ``default``,
   also the real pen digits of ``pendigits-orig.tra`` (30 writers).
3. Writer folds (``default``) -- train the same recipe once per writer fold and run each
   network on the writers it never saw (``training.writer_folds``): the writer-independent
   accuracy, and the page's calibration (temperature, "not a digit" and "not sure"
   thresholds) fitted on those held-out predictions.
4. Train -- the shipped network, on MNIST plus every writer's pen digits plus drawings that
   are not a digit (``training.recipe``): a freshly distorted copy every epoch (flags on
   some ones, crossbars on some sevens, rotation, scale, shear, shift, elastic, stroke
   width), warm-up + cosine learning rate. ``seed`` trains on plain MNIST, as the original
   app did.
5. Evaluate -- export the weights, load them back with the page's NumPy forward pass
   (``recognizer.network``) and measure accuracy and calibration on the 10,000 MNIST test
   digits; draw the reliability diagram (``docs/reliability.png``).
6. Export -- ``<out>/<preset>.npz`` (model file, calibration in its meta),
   ``<out>/<preset>.folds.npz`` (the out-of-fold predictions the calibration was fitted on;
   ``python -m training.writer_folds --refit`` fits it again) and
   ``<out>/<preset>.json`` (model card: architecture, parameter and multiply-add counts,
   input normalisation, accuracies with what they were measured on, calibration, data
   checksums, library versions, training time, file sha256).

MNIST is read from ``--data-dir``, else $MNIST_DIR, else ~/.cache/digit-recognizer/mnist
(downloaded there when missing); the pen digits from ``--pen-file``, else $PENDIGITS_FILE.
"""

import argparse
import platform
import tempfile
from dataclasses import asdict, replace
from pathlib import Path

import keras
import numpy as np
import scipy
import tensorflow as tf

from recognizer.decision import N_DIGITS, Calibration
from recognizer.input_spec import to_network_input
from recognizer.network import Network, load_network
from training import calibration, recipe, writer_folds
from training.export import count_macs, count_parameters, export_model, save_model_and_card
from training.mnist import load_mnist

# Hyper-parameters ------------------------------------------------------------------
SEED = 20240607
FOLDS = 5  # writer folds of the default preset
EVAL_BATCH = 500  # images per NumPy forward call during evaluation
QUICK_TRAIN, QUICK_TEST, QUICK_PEN = 2000, 1000, 600  # subset sizes of --quick
QUICK_FOLDS = 2
RELIABILITY_PNG = Path("docs") / "reliability.png"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="See the module docstring (head build_weights.py) for the steps.",
    )
    parser.add_argument(
        "--preset", choices=sorted(recipe.PRESETS), default="default", help="network to train"
    )
    parser.add_argument("--epochs", type=int, help="training epochs (default: the preset's)")
    parser.add_argument(
        "--folds",
        type=int,
        help=f"writer folds before the final training (default {FOLDS} for default; 0 skips "
        "them and leaves the probabilities uncalibrated)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="folder with the four MNIST .gz files (default: $MNIST_DIR, else the user cache)",
    )
    parser.add_argument(
        "--pen-file", type=Path, help="pendigits-orig.tra (default: $PENDIGITS_FILE)"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("weights"), help="output folder (default: weights/)"
    )
    parser.add_argument(
        "--diagram",
        type=Path,
        default=RELIABILITY_PNG,
        help=f"reliability diagram PNG (default {RELIABILITY_PNG})",
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
        help=f"smoke run: {QUICK_TRAIN} MNIST, {QUICK_PEN} pen and {QUICK_TEST} test images, "
        f"{QUICK_FOLDS} folds, 1 epoch",
    )
    return parser.parse_args(argv)


def predict_numpy(network: Network, images: np.ndarray) -> np.ndarray:
    """Probabilities of the NumPy forward pass: (N, 28, 28) uint8 -> (N, C) float32."""
    return np.concatenate(
        [
            network.predict_proba(to_network_input(images[i : i + EVAL_BATCH]))
            for i in range(0, len(images), EVAL_BATCH)
        ]
    )


def main(argv=None) -> dict:
    args = parse_args(argv)
    settings = recipe.PRESETS[args.preset]
    if args.storage:
        settings = replace(settings, storage=args.storage)
    epochs = 1 if args.quick else (args.epochs or settings.epochs)
    uses_pen = bool(settings.pen_variants)
    folds = (
        0
        if not uses_pen
        else (QUICK_FOLDS if args.quick else (args.folds if args.folds is not None else FOLDS))
    )

    # 1. Setup ------------------------------------------------------------------------
    keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()
    rng = np.random.default_rng(args.seed)

    # 2. Prepare the data ---------------------------------------------------------------
    data = load_mnist(args.data_dir)
    x_train, y_train, x_test, y_test = data.x_train, data.y_train, data.x_test, data.y_test
    digits = writer_folds.load_pen_digits(args.pen_file) if uses_pen else []
    if args.quick:
        x_train, y_train = x_train[:QUICK_TRAIN], y_train[:QUICK_TRAIN]
        x_test, y_test = x_test[:QUICK_TEST], y_test[:QUICK_TEST]
        digits = digits[:QUICK_PEN]
        settings = writer_folds.quick_settings(settings)

    # 3. Writer folds: writer-independent figures and the calibration ------------------
    fitted, folds_report = Calibration(), None
    if folds:
        predictions = writer_folds.run_folds(
            x_train,
            y_train,
            digits,
            settings,
            folds,
            epochs,
            args.seed,
            writer_folds.QUICK_NEGATIVES if args.quick else writer_folds.NEGATIVES_PER_FOLD,
            args.preset,
        )
        args.out.mkdir(parents=True, exist_ok=True)  # the predictions, for --refit
        writer_folds.save_predictions(args.out / f"{args.preset}.folds.npz", predictions)
        fitted, folds_report = writer_folds.fit_and_report(predictions)
        print(writer_folds.format_report(folds_report))

    # 4. Train (every writer) -----------------------------------------------------------
    training_data = recipe.prepare(x_train, y_train, digits, settings, rng)
    model, timings = recipe.train(args.preset, training_data, settings, epochs, rng)
    model.summary()

    # 5. Evaluate (the exported file, through the NumPy forward pass) ------------------
    keras_probs = model.predict(to_network_input(x_test), batch_size=EVAL_BATCH, verbose=0)
    keras_accuracy = float(np.mean(keras_probs[:, :N_DIGITS].argmax(axis=1) == y_test))
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.npz"
        entries, stored = export_model(model, probe, {}, settings.storage)
        mnist_probs = predict_numpy(load_network(probe), x_test)  # (N, C)
    predicted = mnist_probs[:, :N_DIGITS].argmax(axis=1)
    errors = int((predicted != y_test).sum())
    accuracy = 1.0 - errors / len(y_test)
    mnist_confidence = fitted.apply(mnist_probs)[:, :N_DIGITS].max(axis=1)
    mnist_ece = calibration.expected_calibration_error(mnist_confidence, predicted == y_test)
    print(
        f"MNIST test accuracy, network alone: NumPy {accuracy:.4%} ({errors} errors), "
        f"Keras {keras_accuracy:.4%}; calibrated ECE {mnist_ece:.2%}"
    )
    if folds_report is not None:
        p = predictions
        held_out_conf = fitted.apply(p.with_views)[:, :N_DIGITS].max(axis=1)
        held_out_right = p.with_views[:, :N_DIGITS].argmax(axis=1) == p.label
        calibration.plot_reliability(
            args.diagram,
            {
                "held-out writers (pen, through the page)": (held_out_conf, held_out_right),
                "MNIST test (network alone)": (mnist_confidence, predicted == y_test),
            },
        )
        print(f"wrote {args.diagram}")

    # 6. Export ----------------------------------------------------------------------
    card = write_model_files(
        args,
        settings,
        model,
        entries,
        stored,
        epochs,
        timings,
        data.sha256,
        {
            "mnist_test": {
                "measured_on": "MNIST test set (10,000 digits no training run saw), network alone, "
                "recognizer.network NumPy forward pass on this file",
                "accuracy": accuracy,
                "errors": errors,
                "images": len(y_test),
                "accuracy_keras": keras_accuracy,
                "ece_calibrated": mnist_ece,
            },
            "writer_independent": folds_report,
        },
        fitted if folds else None,
        len(x_train),
        len(digits),
    )
    return card


def write_model_files(
    args,
    settings,
    model,
    entries,
    stored,
    epochs,
    timings,
    mnist_sha256,
    evaluation,
    fitted: Calibration | None,
    train_images: int,
    pen_digits: int,
) -> dict:
    """Write ``<out>/<preset>.npz`` (with the calibration in its meta) and the model card."""
    meta = {
        "name": args.preset,
        "architecture": entries,
        "parameters": count_parameters(stored),
        "keras_parameters": int(model.count_params()),
        "macs_per_digit": count_macs(entries, stored),
        "weights_storage": settings.storage,
        "classes": [str(d) for d in range(N_DIGITS)]
        + (["not a digit"] if settings.negatives else []),
        "input": {
            "shape": [28, 28, 1],
            "normalisation": "recognizer.input_spec.to_network_input: uint8 / 255 -> "
            "float32 in [0, 1], white digit (1.0) on black (0.0), 28x28 MNIST-style",
        },
        "calibration": asdict(fitted) if fitted else None,
        "evaluation": evaluation,
        "data": {
            "mnist_train_images": train_images,
            "mnist_sha256_decompressed": mnist_sha256,
            "pen_digits": pen_digits,
            "pen_renderings_per_epoch": settings.pen_variants,
            "negatives_per_epoch": settings.negatives,
            "subset": args.quick,
        },
        "training": {
            "epochs": epochs,
            "batch_size": recipe.BATCH_SIZE,
            "optimizer": "Adam",
            "peak_learning_rate": settings.peak_learning_rate,
            "learning_rate_schedule": (
                "constant"
                if settings.final_learning_rate_fraction is None
                else f"linear warm-up {settings.warmup_epochs} epoch(s), then cosine decay"
            ),
            "label_smoothing": settings.label_smoothing,
            "augmentation": asdict(settings.augment) if settings.augment else None,
            "seed": args.seed,
            **timings,
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
    card = save_model_and_card(weights_path, entries, stored, meta)
    print(f"wrote {weights_path} ({card['file_bytes']} bytes) and its card")
    return card


if __name__ == "__main__":
    main()
