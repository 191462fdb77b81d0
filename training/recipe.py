"""How a preset is trained: its settings, the data of each epoch, and the training loop.

``build_weights.py`` (the shipped networks) and ``training.writer_folds`` (the
writer-independent evaluation) both train through :func:`train`, so what the folds
measure is the recipe that ships.

The ``default`` preset learns from three sources, freshly distorted every epoch
(``training.augment``):

* MNIST's 60,000 training digits, with flags on some ones and crossbars on some sevens;
* real pen digits (``training.pen_data``), rendered through the page's own pipeline;
* drawings that are not one digit (``training.negatives``), as an eleventh class.
"""

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from recognizer.decision import N_DIGITS, NOT_A_DIGIT
from recognizer.input_spec import to_network_input
from tools.unipen import PenDigit
from training import negatives, pen_data
from training.augment import AugmentConfig, add_pen_strokes, augment

if TYPE_CHECKING:  # TensorFlow loads only when a network is trained, not for the settings
    import keras

__all__ = [
    "BATCH_SIZE",
    "PRESETS",
    "QUICK_NEGATIVES",
    "Settings",
    "TrainingData",
    "member_seed",
    "prepare",
    "quick_settings",
    "train",
]

BATCH_SIZE = 128
QUICK_NEGATIVES = 200  # not-a-digit drawings per epoch (and per fold evaluation) of a smoke run
MEMBER_SEED_STRIDE = 500_000_000  # between members' seeds (a build's offsets are < 2 million)


@dataclass(frozen=True)
class Settings:
    """One preset's training settings.

    epochs : passes over the epoch's data
    peak_learning_rate : Adam's rate after warm-up
    warmup_epochs : linear warm-up from a tenth of the peak
    final_learning_rate_fraction : cosine decay to this fraction of the peak; None keeps
        the rate constant
    label_smoothing : cross-entropy label smoothing
    augment : distortions, or None for plain data
    storage : weight dtype in the model file
    pen_variants : renderings of each training writer's pen digit per epoch (0: none)
    negatives : not-a-digit drawings per epoch (0: no "not a digit" class)
    members : networks trained alike, each from its own seed (:func:`member_seed`), and
        shipped as one that averages their logits (``training.ensemble``)
    """

    epochs: int
    peak_learning_rate: float
    warmup_epochs: int = 0
    final_learning_rate_fraction: float | None = None
    label_smoothing: float = 0.0
    augment: AugmentConfig | None = None
    storage: str = "float16"
    pen_variants: int = 0
    negatives: int = 0
    members: int = 1

    @property
    def n_classes(self) -> int:
        return N_DIGITS + 1 if self.negatives else N_DIGITS


PRESETS = {
    "default": Settings(
        epochs=16,
        peak_learning_rate=3e-3,
        warmup_epochs=1,
        final_learning_rate_fraction=0.0,
        label_smoothing=0.05,
        augment=AugmentConfig(),
        pen_variants=3,
        negatives=8000,
    ),
    "seed": Settings(epochs=12, peak_learning_rate=1e-3),  # Adam's default, as the original
}


def member_seed(seed: int, member: int) -> int:
    """The seed member ``member`` (0, 1, ...) of a build with ``seed`` trains from: member 0
    from the build's own seed, the others far from every seed offset a build uses."""
    return seed + member * MEMBER_SEED_STRIDE


def quick_settings(settings: Settings) -> Settings:
    """The settings of a smoke run: few negatives, one rendering per pen digit (for a preset
    that uses them)."""
    return replace(
        settings,
        negatives=min(settings.negatives, QUICK_NEGATIVES),
        pen_variants=min(settings.pen_variants, 1),
    )


@dataclass(frozen=True)
class TrainingData:
    """Everything one training run learns from (uint8 images, white on black).

    mnist_images : (M, 28, 28); mnist_labels : (M,) 0..9
    pen_images : (P, 28, 28); pen_labels : (P,) 0..9
    negative_images : (Q, 28, 28), all of class NOT_A_DIGIT
    """

    mnist_images: np.ndarray
    mnist_labels: np.ndarray
    pen_images: np.ndarray
    pen_labels: np.ndarray
    negative_images: np.ndarray

    def epoch(self, rng: np.random.Generator, config: AugmentConfig | None):
        """One epoch's images (N, 28, 28) uint8 and labels (N,) int64, distorted afresh."""
        mnist = self.mnist_images
        if config:
            mnist = augment(add_pen_strokes(mnist, self.mnist_labels, rng, config), rng, config)
        parts = [mnist, self.pen_images, self.negative_images]
        if config:
            parts[1:] = [augment(part, rng, config) if len(part) else part for part in parts[1:]]
        labels = [
            self.mnist_labels,
            self.pen_labels,
            np.full(len(self.negative_images), NOT_A_DIGIT),
        ]
        return np.concatenate(parts), np.concatenate(labels).astype(np.int64)

    def __len__(self) -> int:
        return len(self.mnist_images) + len(self.pen_images) + len(self.negative_images)


def prepare(
    mnist_images: np.ndarray,
    mnist_labels: np.ndarray,
    pen_digits: Sequence[PenDigit],
    settings: Settings,
    rng: np.random.Generator,
) -> TrainingData:
    """Render the pen digits and negatives a run trains on (the pen digits of its writers).

    The ``several_digits`` negatives are made from ``pen_digits`` only, so no other
    writer's hand reaches training.
    """
    pen_images, pen_labels = np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64)
    if settings.pen_variants and pen_digits:
        pen_images, pen_labels = pen_data.training_images(pen_digits, settings.pen_variants, rng)
    negative_images = np.zeros((0, 28, 28), np.uint8)
    if settings.negatives:
        families = [f for f in negatives.TRAIN_FAMILIES if pen_digits or f != "several_digits"]
        negative_images, _, _ = negatives.negative_images(
            settings.negatives, rng, families, pen_digits
        )
    return TrainingData(
        mnist_images, mnist_labels.astype(np.int64), pen_images, pen_labels, negative_images
    )


def learning_rate(settings: Settings, steps_per_epoch: int, epochs: int):
    """Constant rate, or linear warm-up then cosine decay over the whole run (per step)."""
    import keras

    peak = settings.peak_learning_rate
    if settings.final_learning_rate_fraction is None:
        return peak
    warmup = min(settings.warmup_epochs, epochs - 1) * steps_per_epoch
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=peak / 10 if warmup else peak,
        decay_steps=epochs * steps_per_epoch - warmup,
        alpha=settings.final_learning_rate_fraction,
        warmup_target=peak if warmup else None,
        warmup_steps=warmup,
    )


def train(
    preset: str,
    data: TrainingData,
    settings: Settings,
    epochs: int,
    rng: np.random.Generator,
) -> tuple["keras.Sequential", dict]:
    """Build, compile and train a preset's model; returns it and its timings (seconds)."""
    import keras

    from training.models import build_model

    steps_per_epoch = -(-len(data) // BATCH_SIZE)
    model = build_model(preset, settings.n_classes)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate(settings, steps_per_epoch, epochs)),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=settings.label_smoothing),
        metrics=["accuracy"],
    )
    epoch_seconds, augment_seconds = [], []
    started = time.perf_counter()
    for epoch in range(epochs):
        tick = time.perf_counter()
        images, labels = data.epoch(rng, settings.augment)  # (N, 28, 28), (N,)
        augment_seconds.append(time.perf_counter() - tick)
        model.fit(
            to_network_input(images),
            keras.utils.to_categorical(labels, settings.n_classes),  # (N, C) float32
            batch_size=BATCH_SIZE,
            epochs=epoch + 1,
            initial_epoch=epoch,
            shuffle=True,
            verbose=2 if not sys.stdout.isatty() else 1,
        )
        epoch_seconds.append(time.perf_counter() - tick)
    timings = {
        "wall_seconds": round(time.perf_counter() - started, 1),
        "epoch_seconds": [round(s, 1) for s in epoch_seconds],
        "augment_seconds_per_epoch": round(float(np.mean(augment_seconds)), 2),
        "images_per_epoch": len(data),
    }
    return model, timings
