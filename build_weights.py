"""Train a preset network and write its weights file and model card.

    python build_weights.py --preset default           # the page's network
    python build_weights.py --preset seed              # the original app's network
    python build_weights.py --preset default --quick   # smoke run: small subsets, 1 epoch

Steps:

1. Prepare the data -- read (or download) MNIST and verify it by sha256; for ``default``,
   also the real pen digits of ``pendigits-orig.tra`` (30 writers).
2. For each member (one unless ``--members``), from the member's own seed, with every
   random generator seeded and TensorFlow's ops deterministic, so the same seed and data
   give the same weights:

   a. Writer folds (``default``) -- train the recipe once per writer fold, on MNIST and
      the other folds' writers.
   b. Train -- its share of the shipped network, on MNIST plus every writer's pen digits
      plus drawings that are not a digit (``training.recipe``): a freshly distorted copy
      every epoch (flags on some ones, crossbars on some sevens, rotation, scale, shear,
      shift, elastic, stroke width), warm-up + cosine learning rate. ``seed`` trains on
      plain MNIST, as the original app did.

3. Writer folds, evaluated -- each fold's network (its members merged into one,
   ``training.ensemble``: the mean of their logits), run on the writers it never saw
   (``training.writer_folds``): the writer-independent accuracy, and the page's
   calibration (temperature, "not a digit" and "not sure" thresholds) fitted on those
   held-out predictions.
4. Several members' shares of the shipped network are merged into one the same way.
5. Evaluate -- export the weights, load them back with the page's NumPy forward pass
   (``recognizer.network``) and measure accuracy and calibration on the 10,000 MNIST test
   digits; draw the reliability diagram (``docs/reliability.png`` for the shipped build).
6. Export -- ``<out>/<preset>.npz`` (model file, calibration in its meta),
   ``<out>/<preset>.folds.npz`` (the out-of-fold predictions the calibration was fitted on;
   ``python -m training.writer_folds --refit`` fits it again) and
   ``<out>/<preset>.json`` (model card: architecture, parameter and multiply-add counts,
   input normalisation, accuracies with what they were measured on, calibration, data
   checksums, library versions, training time, file sha256).

The steps are the functions of ``training.build``; this file parses the options first, so
``--help`` answers without loading TensorFlow.

MNIST is read from ``--data-dir``, else $MNIST_DIR, else ~/.cache/digit-recognizer/mnist
(downloaded there when missing); the pen digits from ``--pen-file``, else $PENDIGITS_FILE.
"""

import argparse
from dataclasses import replace
from pathlib import Path

from training import recipe

SEED = 20240607
FOLDS = 5  # writer folds of the default preset
QUICK_TRAIN, QUICK_TEST, QUICK_PEN = 2000, 1000, 600  # subset sizes of --quick
QUICK_FOLDS = 2
OUT = Path("weights")
RELIABILITY_PNG = Path("docs") / "reliability.png"  # the shipped build's (into OUT)


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
    parser.add_argument("--out", type=Path, default=OUT, help=f"output folder (default: {OUT}/)")
    parser.add_argument(
        "--diagram",
        type=Path,
        help=f"reliability diagram PNG (default: {RELIABILITY_PNG} when the output folder is "
        f"{OUT}/, else reliability.png in the output folder)",
    )
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument(
        "--members",
        type=int,
        help="networks trained alike from their own seeds and shipped as one that averages "
        "their logits, at that many times the cost (default: the preset's, 1)",
    )
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
    args = parser.parse_args(argv)
    if args.diagram is None:  # a run elsewhere (a smoke run) leaves the committed one alone
        shipped = args.out.resolve() == OUT.resolve()
        args.diagram = RELIABILITY_PNG if shipped else args.out / "reliability.png"
    return args


def main(argv=None) -> dict:
    """Run every step (``training.build``); returns the model card."""
    args = parse_args(argv)
    from training import build  # loads TensorFlow

    settings = recipe.PRESETS[args.preset]
    if args.storage:
        settings = replace(settings, storage=args.storage)
    if args.members:
        settings = replace(settings, members=args.members)
    folds = args.folds if args.folds is not None else FOLDS
    if args.quick:
        settings, folds = recipe.quick_settings(settings), QUICK_FOLDS
    run = build.Run(
        preset=args.preset,
        settings=settings,
        epochs=1 if args.quick else (args.epochs or settings.epochs),
        folds=folds if settings.pen_variants else 0,
        seed=args.seed,
        data_dir=args.data_dir,
        pen_file=args.pen_file,
        out=args.out,
        diagram=args.diagram,
        subset=(QUICK_TRAIN, QUICK_TEST, QUICK_PEN) if args.quick else None,
    )
    return build.build(run)


if __name__ == "__main__":
    main()
