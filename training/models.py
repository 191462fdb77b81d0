"""Keras definitions of the two presets (architecture only; training settings live in
``training.recipe``).

* ``seed`` -- the original app's network: two 3x3 convolutions (32, 64), max pool,
  dropout, a 128-unit dense layer, dropout, softmax (about 1.2 M parameters,
  12 M multiply-adds per digit).
* ``default`` -- built for accuracy per millisecond in the browser: three small
  convolutions with batch normalisation (folded away at export), about 45 k
  parameters and 1.27 M multiply-adds per digit.

Both take (N, 28, 28, 1) float32 in [0, 1] (see ``recognizer.input_spec``) and end in
a softmax over the ten digits, plus, when asked for, an eleventh "not a digit" class
(``recognizer.decision.NOT_A_DIGIT``).
"""

import keras
from keras import layers

from recognizer.input_spec import IMAGE_SIZE

__all__ = ["N_DIGITS", "PRESETS", "build_default", "build_model", "build_seed"]

N_DIGITS = 10
INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)


def build_seed(n_classes: int = N_DIGITS) -> keras.Sequential:
    """The original app's CNN (Keras ``mnist_cnn`` example)."""
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            layers.Conv2D(32, 3, activation="relu", name="conv1"),  # (N, 26, 26, 32)
            layers.Conv2D(64, 3, activation="relu", name="conv2"),  # (N, 24, 24, 64)
            layers.MaxPooling2D(2),  # (N, 12, 12, 64)
            layers.Dropout(0.25),
            layers.Flatten(),  # (N, 9216)
            layers.Dense(128, activation="relu", name="dense1"),  # (N, 128)
            layers.Dropout(0.5),
            layers.Dense(n_classes, activation="softmax", name="dense2"),  # (N, n_classes)
        ],
        name="seed",
    )


def _conv_bn_relu(filters: int, size: int, name: str) -> list[layers.Layer]:
    """Conv (no bias: the batch norm's beta replaces it) -> batch norm -> ReLU."""
    return [
        layers.Conv2D(filters, size, use_bias=False, name=name),
        layers.BatchNormalization(name=f"{name}_bn"),
        layers.ReLU(name=f"{name}_relu"),
    ]


def build_default(n_classes: int = N_DIGITS, dropout: float = 0.3) -> keras.Sequential:
    """Small, fast CNN: 3 conv+BN+ReLU blocks, two max pools, dropout, softmax."""
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            *_conv_bn_relu(20, 5, "conv1"),  # (N, 24, 24, 20)
            layers.MaxPooling2D(2),  # (N, 12, 12, 20)
            *_conv_bn_relu(40, 3, "conv2"),  # (N, 10, 10, 40)
            layers.MaxPooling2D(2),  # (N, 5, 5, 40)
            *_conv_bn_relu(80, 3, "conv3"),  # (N, 3, 3, 80)
            layers.Flatten(),  # (N, 720)
            layers.Dropout(dropout),
            layers.Dense(n_classes, activation="softmax", name="dense1"),  # (N, n_classes)
        ],
        name="default",
    )


PRESETS = {"default": build_default, "seed": build_seed}


def build_model(preset: str, n_classes: int = N_DIGITS) -> keras.Sequential:
    """The untrained Keras model of a preset ('default' or 'seed'); KeyError otherwise."""
    return PRESETS[preset](n_classes)
