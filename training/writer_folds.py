"""Writer-independent evaluation: k-fold by writer over the pen digits.

    python -m training.writer_folds --folds 5 [--epochs E] [--quick] [--out FILE]
    python -m training.writer_folds --refit weights/default.npz   # thresholds only
    python -m training.writer_folds --seed 20240607 --keep-networks runs/folds  # as built

For each fold, a network is trained with the shipped recipe (``training.recipe``) on MNIST
and the pen digits of the other writers (as many networks as the preset has members, merged
into one as the shipped network is: ``training.ensemble``), exported, and run by the page's
NumPy forward pass on the held-out writers' digits, drawn through the page's pipeline and
read with its rotated views. No writer is on both sides of a fold. The held-out negatives
come from a seed training never uses, from families training never sees, and (several
digits side by side) from the held-out writers only.

The out-of-fold predictions fit the page's calibration (``training.calibration``), and the
report gives the accuracy on writers each network never saw: the mean over folds, each
writer's, the worst writer's; rejection rates; calibration error before and after.

``build_weights.py`` keeps the out-of-fold predictions beside the model file
(``<preset>.folds.npz``); ``--refit`` fits the calibration again from them and rewrites the
model file's calibration and its card, without training. ``--keep-networks DIR`` keeps the
fold networks themselves (``DIR/<preset>.fold<i>.npz``, their held-out writers in ``meta``),
for evaluations that need a network which never saw the writers it reads
(``tools.eval_numbers``). With the build's seed (``build_weights.SEED``) they have the
build's recipe, writer split and seeds; retrained on another machine they come out close to,
not bit for bit, the networks the shipped calibration was fitted on.
"""

import argparse
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from recognizer import rotations
from recognizer.decision import N_DIGITS, Calibration, decide
from recognizer.model_file import read_model_file
from recognizer.network import Network, load_network
from tools import unipen
from training import calibration, negatives, pen_data, recipe
from training.export import export_model, save_model_and_card
from training.mnist import load_mnist

__all__ = [
    "FoldPredictions",
    "evaluate_predictions",
    "fit_and_report",
    "fold_networks",
    "load_pen_digits",
    "load_predictions",
    "predict",
    "predict_folds",
    "refit",
    "save_predictions",
    "train_fold_networks",
]

NEGATIVE_SEED_OFFSET = 1_000_003  # held-out negatives: a seed no training run uses
NEGATIVES_PER_FOLD = 1200
EVAL_FAMILIES = negatives.TRAIN_FAMILIES + negatives.HELD_OUT_FAMILIES
QUICK_MNIST, QUICK_PEN = 2000, 600


@dataclass(frozen=True)
class FoldPredictions:
    """Out-of-fold predictions of the page's network (raw softmax, views averaged or not).

    fold, writer, label : (N,) per held-out pen digit
    upright, with_views : (N, C) probabilities, one view / the page's rotated views
    negative_fold : (M,); negative_family : (M,) names; negative_views : (M, C)
    refused : family -> negatives already refused by preprocessing (no image at all)
    """

    fold: np.ndarray
    writer: np.ndarray
    label: np.ndarray
    upright: np.ndarray
    with_views: np.ndarray
    negative_fold: np.ndarray
    negative_family: np.ndarray
    negative_views: np.ndarray
    refused: dict[str, int]


def predict(network: Network, images: np.ndarray, batch: int = 500):
    """Upright and view-averaged probabilities, from one forward pass of the page's views:
    images (N, 28, 28) uint8 -> 2 x (N, C)."""
    upright_index = rotations.ANGLES_DEG.index(0.0)
    upright, averaged = [], []
    for start in range(0, len(images), batch):
        chunk = images[start : start + batch]
        probs = rotations.probabilities_per_angle(network, chunk)  # (V, n, C)
        upright.append(probs[upright_index])
        averaged.append(probs.mean(axis=0, dtype=np.float32))
    return np.concatenate(upright), np.concatenate(averaged)


def train_fold_networks(
    mnist_images: np.ndarray,
    mnist_labels: np.ndarray,
    digits: Sequence[unipen.PenDigit],
    settings: recipe.Settings,
    k: int,
    epochs: int,
    seed: int,
    member: int = 0,
    preset: str = "default",
) -> list:
    """One member's networks, one per fold, each trained on MNIST and the other folds'
    writers; the writer split comes from ``seed``, the training from the member's seed
    (``recipe.member_seed``). The caller seeds Keras (``training.build.set_up``).

    returns : k trained Keras models, in fold order
    """
    writers = np.array([d.writer for d in digits])
    networks = []
    for fold, held_out in enumerate(pen_data.writer_folds(writers, k, seed)):
        print(f"member {member + 1}, fold {fold + 1}/{k}: held-out writers {held_out.tolist()}")
        train_digits = [d for d, w in zip(digits, writers, strict=True) if w not in held_out]
        rng = np.random.default_rng(recipe.member_seed(seed, member) + fold)
        data = recipe.prepare(mnist_images, mnist_labels, train_digits, settings, rng)
        networks.append(recipe.train(preset, data, settings, epochs, rng)[0])
    return networks


def fold_networks(
    trained: Sequence[Sequence],
    digits: Sequence[unipen.PenDigit],
    settings: recipe.Settings,
    seed: int,
    preset: str = "default",
    keep_networks: Path | None = None,
) -> list[Network]:
    """Each fold's network as the page runs it: its members exported as one model file
    (merged, ``training.ensemble``, when more than one) and read back.

    trained : per fold, its members' Keras models
    digits, seed : the pen digits and the seed the writer split came from
    keep_networks : a folder to keep each fold's model file in (``<preset>.fold<i>.npz``,
        ``meta`` naming the fold, its held-out writers and the seed), or None
    """
    networks = []
    writers = np.array([d.writer for d in digits])
    splits = pen_data.writer_folds(writers, len(trained), seed)
    for fold, (members, held_out) in enumerate(zip(trained, splits, strict=True)):
        meta = {
            "fold": fold,
            "folds": len(trained),
            "held_out_writers": held_out.tolist(),
            "seed": seed,
        }
        with tempfile.TemporaryDirectory() as folder:
            file = Path(folder) / "fold.npz"
            export_model(list(members), file, meta, settings.storage)
            networks.append(load_network(file))
            if keep_networks is not None:
                keep_networks.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(file, keep_networks / f"{preset}.fold{fold}.npz")
    return networks


def predict_folds(
    networks: Sequence[Network],
    digits: Sequence[unipen.PenDigit],
    seed: int,
    negatives_per_fold: int = NEGATIVES_PER_FOLD,
) -> FoldPredictions:
    """Run each fold's network on its held-out writers' digits and on negatives.

    networks : one per fold, in fold order, each never trained on its fold's writers
    seed : the seed the writer split came from
    """
    k = len(networks)
    writers = np.array([d.writer for d in digits])
    collected: dict[str, list] = {key: [] for key in FoldPredictions.__dataclass_fields__}
    refused = dict.fromkeys(EVAL_FAMILIES, 0)
    for fold, held_out in enumerate(pen_data.writer_folds(writers, k, seed)):
        network = networks[fold]
        is_held_out = np.isin(writers, held_out)
        test_digits = [d for d, out in zip(digits, is_held_out, strict=True) if out]
        upright, with_views = predict(network, pen_data.page_images(test_digits))
        negative_rng = np.random.default_rng(seed + NEGATIVE_SEED_OFFSET + fold)
        images, family_index, refused_by_family = negatives.negative_images(
            negatives_per_fold, negative_rng, EVAL_FAMILIES, test_digits
        )
        for name, count in zip(EVAL_FAMILIES, refused_by_family, strict=True):
            refused[name] += int(count)
        collected["fold"].append(np.full(len(test_digits), fold))
        collected["writer"].append(writers[is_held_out])
        collected["label"].append(np.array([d.label for d in test_digits]))
        collected["upright"].append(upright)
        collected["with_views"].append(with_views)
        collected["negative_fold"].append(np.full(len(images), fold))
        collected["negative_family"].append(np.array(EVAL_FAMILIES)[family_index])
        collected["negative_views"].append(predict(network, images)[1])
    arrays = {key: np.concatenate(value) for key, value in collected.items() if key != "refused"}
    return FoldPredictions(**arrays, refused=refused)


def save_predictions(path: Path, predictions: FoldPredictions) -> None:
    """Write the out-of-fold predictions to an ``.npz`` (no pickles); see load_predictions."""
    arrays = {k: v for k, v in predictions.__dict__.items() if k != "refused"}
    np.savez(path, **arrays, refused=json.dumps(predictions.refused))


def load_predictions(path: Path) -> FoldPredictions:
    """Read what :func:`save_predictions` wrote."""
    with np.load(path, allow_pickle=False) as saved:
        arrays = {k: saved[k] for k in saved.files if k != "refused"}
        return FoldPredictions(**arrays, refused=json.loads(str(saved["refused"])))


def _kinds(probs: np.ndarray, calibration_: Calibration) -> np.ndarray:
    """Verdict kind per row of raw probabilities: (N, C) -> (N,) str."""
    calibrated = calibration_.apply(probs)
    return np.array([decide(row, calibration_).kind for row in calibrated])


def evaluate_predictions(predictions: FoldPredictions, calibration_: Calibration) -> dict:
    """The writer-independent report of out-of-fold predictions under a calibration."""
    p = predictions
    label = p.label
    view_right = p.with_views[:, :N_DIGITS].argmax(axis=1) == label
    upright_right = p.upright[:, :N_DIGITS].argmax(axis=1) == label
    kinds = _kinds(p.with_views, calibration_)
    answered_right = view_right & (kinds != "not_digit")
    folds = np.unique(p.fold)
    writers = np.unique(p.writer)
    per_writer = {int(w): float(answered_right[p.writer == w].mean()) for w in writers}
    worst = min(per_writer, key=per_writer.get)
    raw_conf = p.with_views[:, :N_DIGITS].max(axis=1)
    calibrated = calibration_.apply(p.with_views)
    cal_conf = calibrated[:, :N_DIGITS].max(axis=1)
    negative_kinds = _kinds(p.negative_views, calibration_)
    by_family = {}
    for name, refused in p.refused.items():
        of_family = p.negative_family == name
        rejected = int((negative_kinds[of_family] == "not_digit").sum()) + refused
        total = int(of_family.sum()) + refused
        by_family[name] = {"negatives": total, "rejected": rejected / max(total, 1)}

    def pooled(names) -> float:
        rejected = sum(by_family[n]["rejected"] * by_family[n]["negatives"] for n in names)
        return rejected / max(sum(by_family[n]["negatives"] for n in names), 1)

    return {
        "folds": len(folds),
        "writers": len(writers),
        "digits": len(label),
        "accuracy_mean_over_folds": float(
            np.mean([answered_right[p.fold == f].mean() for f in folds])
        ),
        "accuracy_pooled": float(answered_right.mean()),
        "accuracy_network_views": float(view_right.mean()),
        "accuracy_network_upright": float(upright_right.mean()),
        "worst_writer": {"writer": worst, "accuracy": per_writer[worst]},
        "per_writer": per_writer,
        "digits_rejected": float(np.mean(kinds == "not_digit")),
        "digits_unsure": float(np.mean(kinds == "unsure")),
        "sure_answers_right": float(view_right[kinds == "digit"].mean()),
        "negatives_rejected": pooled(negatives.TRAIN_FAMILIES),
        "negatives_rejected_held_out_families": pooled(negatives.HELD_OUT_FAMILIES),
        "negatives_by_family": by_family,
        "ece_raw": calibration.expected_calibration_error(raw_conf, view_right),
        "ece_calibrated": calibration.expected_calibration_error(cal_conf, view_right),
        "reliability_calibrated": calibration.reliability(cal_conf, view_right),
    }


def fit_and_report(predictions: FoldPredictions) -> tuple[Calibration, dict]:
    """Fit the calibration on the out-of-fold predictions; the report under it."""
    p = predictions
    probs = np.concatenate([p.with_views, p.negative_views])
    labels = np.concatenate([p.label, np.full(len(p.negative_views), N_DIGITS)])
    if p.with_views.shape[1] == N_DIGITS:  # no "not a digit" class: digits only
        probs, labels = p.with_views, p.label
    temperature = calibration.fit_temperature(probs, labels)
    fitted = calibration.choose_thresholds(p.with_views, p.label, p.negative_views, temperature)
    return fitted, evaluate_predictions(p, fitted)


def format_report(report: dict) -> str:
    """A few lines for the terminal."""
    r = report
    worst = r["worst_writer"]
    return "\n".join(
        [
            f"writer-independent ({r['folds']} folds, {r['writers']} writers, "
            f"{r['digits']} pen digits through the page's pipeline):",
            f"  accuracy, mean over folds: {r['accuracy_mean_over_folds']:.2%} "
            f"(pooled {r['accuracy_pooled']:.2%})",
            f"  network alone: views {r['accuracy_network_views']:.2%}, "
            f"upright only {r['accuracy_network_upright']:.2%}",
            f"  worst writer: #{worst['writer']} {worst['accuracy']:.2%}",
            f"  real digits rejected: {r['digits_rejected']:.2%}; unsure: {r['digits_unsure']:.2%}",
            f"  negatives rejected: {r['negatives_rejected']:.2%} (training families, "
            f"unseen seed); {r['negatives_rejected_held_out_families']:.2%} (unseen families)",
            f"  ECE: {r['ece_raw']:.2%} raw -> {r['ece_calibrated']:.2%} calibrated",
        ]
    )


def load_pen_digits(path: Path | None) -> list[unipen.PenDigit]:
    """The pen digits from ``path``, else $PENDIGITS_FILE; SystemExit naming both if absent."""
    path = path or (
        Path(os.environ["PENDIGITS_FILE"]) if os.environ.get("PENDIGITS_FILE") else None
    )
    if path is None or not path.is_file():
        raise SystemExit(
            "pen digits not found: give --pen-file or set $PENDIGITS_FILE to pendigits-orig.tra"
        )
    return unipen.load_pendigits(path)


def refit(model: Path) -> dict:
    """Fit the calibration of ``model`` again from the predictions saved beside it
    (``<model stem>.folds.npz``); rewrite its ``meta`` and its card (``<stem>.json``)."""
    predictions = load_predictions(model.with_suffix(".folds.npz"))
    fitted, report = fit_and_report(predictions)
    stored = read_model_file(model)
    entries, arrays, meta = stored.entries(), stored.arrays(), dict(stored.meta)
    meta["calibration"] = asdict(fitted)
    meta["evaluation"]["writer_independent"] = report
    save_model_and_card(model, entries, arrays, meta)
    print(format_report(report))
    print(f"calibration {fitted}; rewrote {model} and its card")
    return report


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--refit", type=Path, help="a model file: refit its calibration from saved predictions"
    )
    parser.add_argument("--folds", type=int, default=5, help="number of writer folds (default 5)")
    parser.add_argument("--epochs", type=int, help="epochs per fold (default: the preset's)")
    parser.add_argument("--data-dir", type=Path, help="MNIST folder (default: $MNIST_DIR)")
    parser.add_argument(
        "--pen-file", type=Path, help="pendigits-orig.tra (default: $PENDIGITS_FILE)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the split and training")
    parser.add_argument("--out", type=Path, help="write the report as JSON here")
    parser.add_argument("--quick", action="store_true", help="smoke run: small subsets, 1 epoch")
    parser.add_argument(
        "--keep-networks", type=Path, help="keep each fold's model file in this folder"
    )
    args = parser.parse_args(argv)
    if args.refit:
        return refit(args.refit)
    settings = recipe.PRESETS["default"]
    mnist = load_mnist(args.data_dir)
    images, labels = mnist.x_train, mnist.y_train
    digits = load_pen_digits(args.pen_file)
    epochs = args.epochs or settings.epochs
    negatives_per_fold = NEGATIVES_PER_FOLD
    if args.quick:
        images, labels, digits = images[:QUICK_MNIST], labels[:QUICK_MNIST], digits[:QUICK_PEN]
        settings = recipe.quick_settings(settings)
        epochs, negatives_per_fold = 1, recipe.QUICK_NEGATIVES
    from training.build import set_up  # seeds Keras, deterministic ops

    trained = []  # per member, its fold networks; each member seeded as build_weights.py does
    for member in range(settings.members):
        set_up(recipe.member_seed(args.seed, member))
        trained.append(
            train_fold_networks(
                images, labels, digits, settings, args.folds, epochs, args.seed, member
            )
        )
    per_fold = list(zip(*trained, strict=True))  # (folds, members)
    networks = fold_networks(
        per_fold, digits, settings, args.seed, keep_networks=args.keep_networks
    )
    predictions = predict_folds(networks, digits, args.seed, negatives_per_fold)
    fitted, report = fit_and_report(predictions)
    report["calibration"] = fitted.__dict__
    print(format_report(report))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    main()
