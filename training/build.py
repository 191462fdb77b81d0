"""The steps of ``build_weights.py``, one function each (see that file's docstring).

:func:`build` runs them in order for a :class:`Run`: prepare the data; for each member,
set up its seed, train its writer-fold networks and its share of the shipped network; run
the writer folds and fit the calibration; evaluate; export.
"""

import platform
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np
import scipy
import tensorflow as tf

from recognizer.decision import N_DIGITS, Calibration
from recognizer.input_spec import to_network_input
from recognizer.network import Network, load_network
from tools.unipen import PenDigit
from training import calibration, recipe, writer_folds
from training.export import count_macs, count_parameters, export_model, save_model_and_card
from training.mnist import load_mnist

__all__ = ["Run", "build"]

EVAL_BATCH = 500  # images per NumPy forward call during evaluation


@dataclass(frozen=True)
class Run:
    """One build, its options resolved.

    folds : writer folds before the final training (0: none, probabilities uncalibrated)
    subset : (MNIST training, MNIST test, pen digits) sizes of a smoke run, or None
    """

    preset: str
    settings: recipe.Settings
    epochs: int
    folds: int
    seed: int
    data_dir: Path | None
    pen_file: Path | None
    out: Path
    diagram: Path
    subset: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class Data:
    """MNIST (uint8 (N, 28, 28) white on black, labels 0..9), the pen digits, checksums."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    digits: list[PenDigit]
    mnist_sha256: dict[str, str]


@dataclass(frozen=True)
class Member:
    """One member's trained networks: one per writer fold (none without folds), and the
    shipped network's share, trained on every writer, with its timings."""

    fold_networks: list
    model: keras.Sequential
    timings: dict


@dataclass(frozen=True)
class Folds:
    """What the writer folds give: the fitted calibration, the report and the predictions
    (None without folds)."""

    fitted: Calibration
    report: dict | None
    predictions: writer_folds.FoldPredictions | None


def build(run: Run) -> dict:
    """Every step in order; returns the model card."""
    data = prepare_data(run)
    members = [train_member(run, data, member) for member in range(run.settings.members)]
    folds = run_writer_folds(run, data, members)
    models = [member.model for member in members]
    entries, stored, evaluation = evaluate(run, models, data, folds)
    timings = [member.timings for member in members]
    return export(run, models, entries, stored, evaluation, timings, data, folds)


def set_up(seed: int) -> np.random.Generator:
    """Seed every generator and make TensorFlow's ops deterministic (each member, step 2)."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    return np.random.default_rng(seed)


def prepare_data(run: Run) -> Data:
    """1. MNIST (verified by sha256) and, for a preset that learns from them, the pen digits."""
    mnist = load_mnist(run.data_dir)
    digits = writer_folds.load_pen_digits(run.pen_file) if run.settings.pen_variants else []
    x_train, y_train, x_test, y_test = mnist.x_train, mnist.y_train, mnist.x_test, mnist.y_test
    if run.subset:
        n_train, n_test, n_pen = run.subset
        x_train, y_train, digits = x_train[:n_train], y_train[:n_train], digits[:n_pen]
        x_test, y_test = x_test[:n_test], y_test[:n_test]
    return Data(x_train, y_train, x_test, y_test, digits, mnist.sha256)


def train_member(run: Run, data: Data, member: int) -> Member:
    """2. One member, from its own seed (``recipe.member_seed``): its network for each
    writer fold, then its share of the shipped network, on every writer."""
    rng = set_up(recipe.member_seed(run.seed, member))
    fold_networks = (
        writer_folds.train_fold_networks(
            data.x_train,
            data.y_train,
            data.digits,
            run.settings,
            run.folds,
            run.epochs,
            run.seed,
            member,
            run.preset,
        )
        if run.folds
        else []
    )
    print(f"member {member + 1}/{run.settings.members}: the shipped network's share")
    training_data = recipe.prepare(data.x_train, data.y_train, data.digits, run.settings, rng)
    model, timings = recipe.train(run.preset, training_data, run.settings, run.epochs, rng)
    model.summary()
    return Member(fold_networks, model, timings)


def run_writer_folds(run: Run, data: Data, members: list[Member]) -> Folds:
    """3. Run each fold's network (its members merged) on its unseen writers, fit the
    calibration on those predictions; saves them as ``<out>/<preset>.folds.npz``."""
    if not run.folds:
        return Folds(Calibration(), None, None)
    trained = list(zip(*(member.fold_networks for member in members), strict=True))  # (k, M)
    predictions = writer_folds.predict_folds(
        writer_folds.fold_networks(trained, data.digits, run.settings, run.seed, run.preset),
        data.digits,
        run.seed,
        recipe.QUICK_NEGATIVES if run.subset else writer_folds.NEGATIVES_PER_FOLD,
    )
    run.out.mkdir(parents=True, exist_ok=True)  # the predictions, for --refit
    writer_folds.save_predictions(run.out / f"{run.preset}.folds.npz", predictions)
    fitted, report = writer_folds.fit_and_report(predictions)
    print(writer_folds.format_report(report))
    return Folds(fitted, report, predictions)


def predict_numpy(network: Network, images: np.ndarray) -> np.ndarray:
    """Probabilities of the NumPy forward pass: (N, 28, 28) uint8 -> (N, C) float32."""
    return np.concatenate(
        [
            network.predict_proba(to_network_input(images[i : i + EVAL_BATCH]))
            for i in range(0, len(images), EVAL_BATCH)
        ]
    )


def evaluate(run: Run, models: list[keras.Sequential], data: Data, folds: Folds):
    """4 and 5. Export the members merged into one network to a scratch file, read it back with
    the page's forward pass, measure it on the MNIST test set (and each member alone in
    Keras) and draw the reliability diagram.

    returns : the file's layer entries, its stored arrays, and the card's "evaluation"
    """
    inputs = to_network_input(data.x_test)
    member_probs = [m.predict(inputs, batch_size=EVAL_BATCH, verbose=0) for m in models]
    member_accuracies = [
        float(np.mean(p[:, :N_DIGITS].argmax(axis=1) == data.y_test)) for p in member_probs
    ]
    tiny = np.finfo(np.float32).tiny  # log(0) guard: the merged network averages logits
    mean_log = np.mean([np.log(np.maximum(p, tiny)) for p in member_probs], axis=0)
    keras_accuracy = float(np.mean(mean_log[:, :N_DIGITS].argmax(axis=1) == data.y_test))
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.npz"
        entries, stored = export_model(models, probe, {}, run.settings.storage)
        mnist_probs = predict_numpy(load_network(probe), data.x_test)  # (N, C)
    predicted = mnist_probs[:, :N_DIGITS].argmax(axis=1)
    right = predicted == data.y_test
    errors = int((~right).sum())
    accuracy = 1.0 - errors / len(data.y_test)
    mnist_confidence = folds.fitted.apply(mnist_probs)[:, :N_DIGITS].max(axis=1)
    mnist_ece = calibration.expected_calibration_error(mnist_confidence, right)
    print(
        f"MNIST test accuracy, network alone: NumPy {accuracy:.4%} ({errors} errors), "
        f"Keras {keras_accuracy:.4%} (each member alone: "
        f"{', '.join(f'{a:.2%}' for a in member_accuracies)}); calibrated ECE {mnist_ece:.2%}"
    )
    if folds.predictions is not None:
        held_out = folds.predictions
        held_out_conf = folds.fitted.apply(held_out.with_views)[:, :N_DIGITS].max(axis=1)
        held_out_right = held_out.with_views[:, :N_DIGITS].argmax(axis=1) == held_out.label
        calibration.plot_reliability(
            run.diagram,
            {
                "held-out writers (pen, through the page)": (held_out_conf, held_out_right),
                "MNIST test (network alone)": (mnist_confidence, right),
            },
        )
        print(f"wrote {run.diagram}")
    evaluation = {
        "mnist_test": {
            "measured_on": "MNIST test set (10,000 digits no training run saw), network alone "
            "(its members merged, as shipped), recognizer.network NumPy forward pass on this "
            "file; accuracy_keras_each_member: each member alone, in Keras",
            "accuracy": accuracy,
            "errors": errors,
            "images": len(data.y_test),
            "accuracy_keras": keras_accuracy,
            "accuracy_keras_each_member": member_accuracies,
            "ece_calibrated": mnist_ece,
        },
        "writer_independent": folds.report,
    }
    return entries, stored, evaluation


def export(run: Run, models, entries, stored, evaluation, timings, data: Data, folds: Folds):
    """6. Write ``<out>/<preset>.npz`` (the calibration in its meta) and the model card."""
    settings = run.settings
    meta = {
        "name": run.preset,
        "architecture": entries,
        "parameters": count_parameters(stored),
        "keras_parameters": sum(int(model.count_params()) for model in models),
        "members": len(models),
        "macs_per_digit": count_macs(entries, stored),
        "weights_storage": settings.storage,
        "classes": [str(d) for d in range(N_DIGITS)]
        + (["not a digit"] if settings.negatives else []),
        "input": {
            "shape": [28, 28, 1],
            "normalisation": "recognizer.input_spec.to_network_input: uint8 / 255 -> "
            "float32 in [0, 1], white digit (1.0) on black (0.0), 28x28 MNIST-style",
        },
        "calibration": asdict(folds.fitted) if run.folds else None,
        "evaluation": evaluation,
        "data": {
            "mnist_train_images": len(data.x_train),
            "mnist_sha256_decompressed": data.mnist_sha256,
            "pen_digits": len(data.digits),
            "pen_renderings_per_epoch": settings.pen_variants,
            "negatives_per_epoch": settings.negatives,
            "subset": run.subset is not None,
        },
        "training": {
            "epochs": run.epochs,
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
            "seed": run.seed,
            "members": [  # the shipped network's share of each member, trained on every writer
                {"seed": recipe.member_seed(run.seed, member), **member_timings}
                for member, member_timings in enumerate(timings)
            ],
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
    run.out.mkdir(parents=True, exist_ok=True)
    weights_path = run.out / f"{run.preset}.npz"
    card = save_model_and_card(weights_path, entries, stored, meta)
    print(f"wrote {weights_path} ({card['file_bytes']} bytes) and its card")
    return card
