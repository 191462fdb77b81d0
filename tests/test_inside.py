"""What the "look inside" panel and the original network's answer are made of
(recognizer.inside): the packed bytes decode to the forward pass they come from."""

import numpy as np
import pytest

from recognizer import inside
from recognizer.explain import forward
from recognizer.input_spec import to_network_input
from recognizer.network import load_network, save_network
from tools.paths import REPO_ROOT
from training.mnist import read_test_set


@pytest.fixture(scope="module")
def network():
    return load_network(REPO_ROOT / "weights" / "default.npz")


@pytest.fixture(scope="module")
def digit(mnist_dir):
    images, _ = read_test_set(mnist_dir, 1)
    return images[:1]  # (1, 28, 28) uint8, a 7


@pytest.fixture(scope="module")
def looked(network, digit):
    return inside.look_inside(network, digit)


def unpack(data: bytes, lo: float, hi: float) -> np.ndarray:
    return np.frombuffer(data, np.uint8) * np.float32((hi - lo) / 255) + np.float32(lo)


def unpack_signed(data: bytes, scale: float) -> np.ndarray:
    return (np.frombuffer(data, np.uint8).astype(np.float32) - 128) * np.float32(scale / 127)


def test_quantise_spans_the_values_and_rounds_to_the_nearest_step():
    values = np.array([[-1.0, 0.0], [0.5, 3.0]], np.float32)
    data, lo, hi = inside.quantise(values)
    assert (lo, hi) == (-1.0, 3.0) and list(data) == [0, 64, 96, 255]
    step = (hi - lo) / 255
    np.testing.assert_allclose(unpack(data, lo, hi), values.ravel(), atol=step / 2 + 1e-6)
    assert inside.quantise(np.full(4, 2.5, np.float32)) == (bytes(4), 2.5, 2.5)


def test_signed_values_centre_on_128_and_clip_at_the_scale():
    values = np.array([-2.0, -1.0, 0.0, 0.5, 1.0], np.float32)
    assert inside.quantise_signed(values) == (bytes([1, 64, 128, 160, 192]), 2.0)
    data, scale = inside.quantise_signed(values, scale=1.0)
    assert scale == 1.0 and list(data) == [1, 1, 128, 192, 255]
    assert inside.quantise_signed(np.zeros(3, np.float32)) == (bytes([128] * 3), 1.0)


def test_every_layer_decodes_to_the_forward_pass(network, digit, looked):
    outputs = forward(network, digit).layer_outputs()
    assert [(layer["name"], layer["kind"]) for layer in looked["layers"]] == [
        (output.name, output.kind) for output in outputs
    ]
    for layer, output in zip(looked["layers"], outputs, strict=True):
        values = output.values[0]  # (H, W, C) or (n,)
        assert layer["shape"] == list(values.shape)
        channels = values.transpose(2, 0, 1) if values.ndim == 3 else values  # (C, H, W)
        step = (layer["hi"] - layer["lo"]) / 255
        decoded = unpack(layer["values"], layer["lo"], layer["hi"])
        np.testing.assert_allclose(decoded, channels.ravel(), atol=step / 2 + 1e-5)
        # (float32 sums in another order: look_inside runs a batch of two copies)
        assert layer["lo"] == pytest.approx(float(values.min()), rel=1e-5, abs=1e-6)
        assert layer["hi"] == pytest.approx(float(values.max()), rel=1e-5, abs=1e-6)
        if values.ndim == 3:
            assert layer["strongest"] == int(channels.mean(axis=(1, 2)).argmax())
    # The final scores are the forward pass itself, unrounded.
    probs = network.predict_proba(to_network_input(digit))[0]
    np.testing.assert_allclose(np.float32(looked["scores"]), probs, rtol=1e-5, atol=1e-7)
    assert looked["classes"] == [str(d) for d in range(10)] + ["not a digit"]


def test_the_first_layer_kernels_decode_to_the_weights(network, looked):
    conv1 = network.layers[0]
    kernels = looked["kernels"]
    kh, kw, _, count = conv1.kernel.shape
    assert kernels["name"] == conv1.name and kernels["shape"] == [kh, kw, count]
    weights = conv1.kernel[:, :, 0].astype(np.float32).transpose(2, 0, 1)  # (C, kh, kw)
    assert kernels["scale"] == pytest.approx(float(np.abs(weights).max()))
    decoded = unpack_signed(kernels["values"], kernels["scale"])
    np.testing.assert_allclose(decoded, weights.ravel(), atol=kernels["scale"] / 254 + 1e-6)


def test_sensitivity_of_the_two_best_classes(network, digit, looked):
    probs = network.predict_proba(to_network_input(digit))[0]
    runner_up, top = np.argsort(probs)[-2:]
    passed = forward(network, digit)
    for key, label in (("top", top), ("runnerUp", runner_up)):
        map_ = looked["sensitivity"][key]
        assert map_["class"] == label
        expected = passed.gradient_times_input(label)[0]  # (28, 28)
        inked = np.abs(expected[expected != 0])
        quantile = np.quantile(inked, inside.SENSITIVITY_QUANTILE)
        assert map_["scale"] == pytest.approx(quantile, rel=1e-4)
        clipped = np.clip(expected, -map_["scale"], map_["scale"]).ravel()
        decoded = unpack_signed(map_["values"], map_["scale"])
        np.testing.assert_allclose(decoded, clipped, atol=map_["scale"] / 254 + 1e-5)
        assert map_["for"] == pytest.approx(expected[expected > 0].sum(), rel=1e-4)
        assert map_["against"] == pytest.approx(-expected[expected < 0].sum(), rel=1e-4)


def test_the_panel_data_stays_small(looked):
    sizes = [len(layer["values"]) for layer in looked["layers"]]
    sizes += [len(looked["kernels"]["values"]), 2 * 28 * 28]
    assert sum(sizes) < 32_000


def test_a_network_without_a_convolution_first_has_no_kernels(tmp_path, digit):
    rng = np.random.default_rng(0)
    path = tmp_path / "flat.npz"
    save_network(
        path,
        [{"type": "flatten"}, {"type": "dense", "name": "dense1", "activation": "softmax"}],
        {
            "dense1/kernel": rng.normal(size=(784, 10)).astype(np.float32),
            "dense1/bias": np.zeros(10, np.float32),
        },
    )
    looked = inside.look_inside(load_network(path), digit)
    assert looked["kernels"] is None
    assert [layer["kind"] for layer in looked["layers"]] == ["flatten", "dense"]
    assert looked["classes"] == [str(d) for d in range(10)]


def test_the_plain_reading_is_the_softmax_alone(digit):
    seed = load_network(REPO_ROOT / "weights" / "seed.npz")
    reading = inside.plain_reading(seed, digit)
    probs = seed.predict_proba(to_network_input(digit))[0]
    assert reading == {
        "state": "result",
        "digit": int(probs.argmax()),
        "confidence": float(probs.max()),
        "probs": probs.tolist(),
    }
    assert reading["digit"] == 7 and len(reading["probs"]) == 10


def test_image_bytes_must_be_28_by_28():
    image = inside.image_from_bytes(bytes(range(256)) * 3 + bytes(16))
    assert image.shape == (1, 28, 28) and image.dtype == np.uint8 and image[0, 0, 1] == 1
    with pytest.raises(ValueError, match="784"):
        inside.image_from_bytes(bytes(783))
