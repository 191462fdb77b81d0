"""Keras model(x) and the NumPy forward pass agree, for random and committed weights."""

import numpy as np
import pytest

pytest.importorskip("tensorflow")

import keras

from recognizer.input_spec import to_network_input
from recognizer.model_file import read_model_file
from recognizer.network import load_network
from tools.paths import REPO_ROOT
from training.export import (
    ExportError,
    count_macs,
    count_parameters,
    export_model,
    keras_to_layers,
    layers_to_keras,
)
from training.mnist import load_mnist
from training.models import build_model
from training.parity_fixture import keras_outputs

pytestmark = pytest.mark.tensorflow

N_IMAGES = 300
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def test_inputs(mnist_dir):
    """The first N_IMAGES MNIST test digits as network input, (N, 28, 28, 1) float32."""
    return to_network_input(load_mnist(mnist_dir, mirrors=[]).x_test[:N_IMAGES])


def randomise(model: keras.Model, seed: int, sharpen: float = 20.0) -> keras.Model:
    """Give every bias and batch-norm statistic random values; sharpen the softmax layer
    (its kernel times ``sharpen``)."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.moving_mean.shape[0]
            layer.gamma.assign(rng.uniform(0.5, 1.5, n).astype(np.float32))
            layer.beta.assign(rng.normal(0, 0.2, n).astype(np.float32))
            layer.moving_mean.assign(rng.normal(0, 0.5, n).astype(np.float32))
            layer.moving_variance.assign(rng.uniform(0.3, 2.0, n).astype(np.float32))
        elif getattr(layer, "bias", None) is not None:
            layer.bias.assign(rng.normal(0, 0.1, layer.bias.shape).astype(np.float32))
        if getattr(layer, "activation", None) is keras.activations.softmax:
            layer.kernel.assign(layer.kernel * sharpen)  # confident, varied outputs
    return model


@pytest.mark.parametrize(("preset", "classes"), [("default", 11), ("default", 10), ("seed", 10)])
def test_random_weights_match_keras(preset, classes, test_inputs, tmp_path):
    model = randomise(build_model(preset, classes), seed=len(preset))
    path = tmp_path / f"{preset}.npz"
    export_model(model, path, {"name": preset}, storage="float32")
    expected = np.asarray(model(test_inputs, training=False))  # (N, classes)
    got = load_network(path).predict_proba(test_inputs)  # (N, classes)
    assert got.dtype == np.float32 and got.shape == (N_IMAGES, classes)
    assert np.abs(got - expected).max() <= TOLERANCE
    assert expected.max(axis=1).mean() > 0.3  # not a flat output that would match anything


@pytest.mark.parametrize("preset", ["default", "seed"])
def test_committed_weights_match_keras(preset, test_inputs):
    path = REPO_ROOT / "weights" / f"{preset}.npz"
    expected = keras_outputs(path, test_inputs)  # Keras holding the stored (rounded) weights
    got = load_network(path).predict_proba(test_inputs)
    assert np.abs(got - expected).max() <= TOLERANCE


def test_fixture_is_current():
    """The TensorFlow-free fixture still describes the committed default weights."""
    fixture = np.load(REPO_ROOT / "tests" / "fixtures" / "keras_outputs_default.npz")
    path = REPO_ROOT / "weights" / "default.npz"
    np.testing.assert_allclose(keras_outputs(path, fixture["inputs"]), fixture["probs"], atol=1e-6)


def test_batch_norm_is_folded_and_counts_are_right():
    model = randomise(build_model("default"), seed=3)
    entries, arrays = keras_to_layers(model)
    assert [e["type"] for e in entries] == [  # the Dropout layer is left out
        "conv2d", "max_pool2d", "conv2d", "max_pool2d", "conv2d", "flatten", "dense",
    ]  # fmt: skip
    assert [e.get("activation") for e in entries if "name" in e] == ["relu"] * 3 + ["softmax"]
    assert (
        count_macs(entries, arrays)
        == 24 * 24 * 20 * 25 + 10 * 10 * 40 * 180 + 9 * 80 * 360 + 720 * 10
    )
    assert count_parameters(arrays) == (25 * 20 + 20) + (180 * 40 + 40) + (360 * 80 + 80) + 7210


def test_file_round_trips_through_keras(tmp_path):
    model = randomise(build_model("default"), seed=4)
    path = tmp_path / "m.npz"
    export_model(model, path, {}, storage="float16")
    model = read_model_file(path)
    entries, arrays = model.entries(), model.arrays()
    assert all(value.dtype == np.float16 for value in arrays.values())
    x = np.random.default_rng(0).random((8, 28, 28, 1), dtype=np.float32)
    rebuilt = layers_to_keras(entries, arrays)
    assert np.abs(np.asarray(rebuilt(x)) - load_network(path).predict_proba(x)).max() <= TOLERANCE
    assert keras_to_layers(rebuilt)[0] == entries  # names and all


@pytest.mark.parametrize(
    "layer, message",
    [
        (keras.layers.LeakyReLU(), "unsupported layer type LeakyReLU"),
        (keras.layers.Conv2D(4, 3, dilation_rate=2), "only 'valid', stride-1, undilated"),
        (keras.layers.Conv2D(4, 3, strides=2), "only 'valid', stride-1"),
        (keras.layers.Conv2D(4, 3, padding="same"), "only 'valid', stride-1"),
        (keras.layers.Conv2D(4, 3, activation="tanh"), "activation must be one of"),
        (keras.layers.MaxPooling2D(2, padding="same"), "only 2x2 'valid' max pooling"),
        (keras.layers.MaxPooling2D(3), "only 2x2 'valid' max pooling"),
        (keras.layers.GlobalAveragePooling2D(), "unsupported layer type GlobalAveragePooling2D"),
        (keras.layers.ReLU(), "must follow a linear conv/dense layer"),
    ],
)
def test_unsupported_layers_are_refused(layer, message):
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(2, 3, activation="relu"),
            layer,
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    with pytest.raises(ExportError, match=message):
        keras_to_layers(model)


def test_a_convolution_without_relu_is_refused():
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(2, 3),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    with pytest.raises(ExportError, match=r"layer 0 \(conv2d\): activation must be one of"):
        keras_to_layers(model)


def test_a_network_without_ten_or_eleven_classes_is_refused():
    model = build_model("default", n_classes=5)
    with pytest.raises(ExportError, match="must output 10 or 11 classes, outputs 5"):
        keras_to_layers(model)


def test_batch_norm_after_activation_is_refused():
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.BatchNormalization(),
        ]
    )
    with pytest.raises(ExportError, match="batch norm must follow"):
        keras_to_layers(model)


def redraw_kernels(model: keras.Model, seed: int) -> keras.Model:
    """Draw every kernel afresh (He-scaled, from ``seed``), then :func:`randomise` without
    sharpening (no probability underflows to 0): members that differ whatever state Keras's
    own generator is in."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if getattr(layer, "kernel", None) is not None:
            shape = tuple(layer.kernel.shape)
            scale = np.sqrt(2.0 / np.prod(shape[:-1]))
            layer.kernel.assign((rng.standard_normal(shape) * scale).astype(np.float32))
    return randomise(model, seed, sharpen=1.0)


def mean_logit_softmax(probabilities: list[np.ndarray]) -> np.ndarray:
    """softmax(mean of the members' logits), from their softmax outputs (N, C) each: a
    softmax's log is its logits less one constant per row, which the softmax cancels."""
    mean_log = np.mean([np.log(p.astype(np.float64)) for p in probabilities], axis=0)
    exp = np.exp(mean_log - mean_log.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("count", [2, 3])
def test_merged_members_average_their_logits(count, test_inputs, tmp_path):
    members = [redraw_kernels(build_model("default", 11), seed=10 + m) for m in range(count)]
    path = tmp_path / "merged.npz"
    entries, _ = export_model(members, path, {"name": "merged"}, storage="float32")
    assert [e.get("groups", 1) for e in entries if e["type"] == "conv2d"] == [1, count, count]
    each = [np.asarray(m(test_inputs, training=False)) for m in members]  # (N, 11) each
    expected = mean_logit_softmax(each)
    assert np.abs(expected - each[0]).max() > 0.1  # the members disagree somewhere
    network = load_network(path)
    assert np.abs(network.predict_proba(test_inputs) - expected).max() <= TOLERANCE
    single_macs = count_macs(*keras_to_layers(members[0]))
    assert sum(layer.macs for layer in network.layers) == count * single_macs
    # Keras runs the merged file too (grouped convolutions), as the parity fixture does.
    stored = read_model_file(path)
    rebuilt = layers_to_keras(stored.entries(), stored.arrays())
    assert np.abs(np.asarray(rebuilt(test_inputs)) - expected).max() <= TOLERANCE


def test_members_of_different_shapes_are_not_merged(tmp_path):
    members = [build_model("default", 11), build_model("default", 10)]
    with pytest.raises(ValueError, match="layer lists differ"):
        export_model(members, tmp_path / "never.npz", {})
    assert not (tmp_path / "never.npz").exists()
