"""The look inside: layer outputs are the forward pass's steps; the sensitivity map is the
gradient of a class's logit (checked against finite differences in float64) times the input."""

import numpy as np
import pytest
from naive_layers import (
    conv2d_input_gradient_naive,
    conv2d_naive,
    dense_naive,
    max_pool2d_naive,
)

from recognizer import explain
from recognizer.architecture import Conv2D, Dense, MaxPool2D
from recognizer.explain import forward, gradient_times_input, layer_outputs
from recognizer.input_spec import to_network_input
from recognizer.network import load_network
from tools.paths import REPO_ROOT
from training.mnist import read_test_set


@pytest.fixture(scope="module", params=["default", "seed"])
def network(request):
    return load_network(REPO_ROOT / "weights" / f"{request.param}.npz")


@pytest.fixture(scope="module")
def digits(mnist_dir):
    return read_test_set(mnist_dir, 6)  # (6, 28, 28) uint8, (6,) labels


def test_layer_outputs_end_in_the_forward_pass(network, digits):
    images, _ = digits
    outputs = layer_outputs(network, images)
    assert [o.kind for o in outputs] == [layer.TYPE for layer in network.layers]
    for output, layer in zip(outputs, network.layers, strict=True):
        assert output.values.shape == (len(images), *layer.output_shape)
        assert output.values.dtype == np.float32
    np.testing.assert_array_equal(
        outputs[-1].values, network.predict_proba(to_network_input(images))
    )
    names = [o.name for o in outputs]
    assert len(set(names)) == len(names)


def logits_float64(network, x: np.ndarray) -> np.ndarray:
    """The network's logits (before the last softmax) by the loop references, in float64."""
    for layer in network.layers:
        if isinstance(layer, Conv2D):
            kernel = layer.kernel.astype(np.float64)
            x = np.maximum(conv2d_naive(x, kernel, layer.bias, layer.groups), 0)
        elif isinstance(layer, MaxPool2D):
            x = max_pool2d_naive(x)
        elif isinstance(layer, Dense):
            x = dense_naive(x, layer.kernel.astype(np.float64), layer.bias)
            x = np.maximum(x, 0) if layer.activation == "relu" else x
        else:
            x = x.reshape(len(x), -1)
    return x


def test_sensitivity_is_the_logit_gradient_times_the_input(digits):
    network = load_network(REPO_ROOT / "weights" / "default.npz")  # the loops are slow
    images, labels = digits
    image, label = images[:1], int(labels[0])
    ours = gradient_times_input(network, image, label)[0]  # (28, 28)
    pixels = to_network_input(image).astype(np.float64)  # (1, 28, 28, 1)
    inked = np.argwhere(image[0] > 100)
    rng = np.random.default_rng(0)
    step = 1e-4
    for row, col in inked[rng.choice(len(inked), 6, replace=False)]:
        up, down = pixels.copy(), pixels.copy()
        up[0, row, col, 0] += step
        down[0, row, col, 0] -= step
        slope = (logits_float64(network, up) - logits_float64(network, down))[0, label] / (2 * step)
        expected = slope * pixels[0, row, col, 0]
        assert ours[row, col] == pytest.approx(expected, rel=1e-3, abs=1e-4), (row, col)
    assert np.all(ours[image[0] == 0] == 0)  # no ink, no contribution


def test_sensitivity_takes_one_class_per_image(digits):
    network = load_network(REPO_ROOT / "weights" / "default.npz")
    images, labels = digits
    each = gradient_times_input(network, images, labels)  # (6, 28, 28)
    assert each.shape == images.shape and each.dtype == np.float32
    for index in range(len(images)):
        alone = gradient_times_input(network, images[index : index + 1], int(labels[index]))
        np.testing.assert_allclose(each[index], alone[0], rtol=1e-5, atol=1e-6)


def test_one_forward_pass_gives_outputs_and_sensitivity(network, digits):
    images, labels = digits
    passed = forward(network, images)
    for mine, alone in zip(passed.layer_outputs(), layer_outputs(network, images), strict=True):
        assert (mine.name, mine.kind) == (alone.name, alone.kind)
        np.testing.assert_array_equal(mine.values, alone.values)
    np.testing.assert_array_equal(
        passed.gradient_times_input(labels), gradient_times_input(network, images, labels)
    )
    # The last layer's linear output is the logits: their softmax is the forward pass.
    logits = passed.linear[-1].astype(np.float64)
    softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(passed.outputs[-1], softmax, rtol=1e-5, atol=1e-7)


def test_convolution_backward_matches_its_loop_twin(network):
    rng = np.random.default_rng(4)
    for layer in (layer for layer in network.layers if isinstance(layer, Conv2D)):
        h_out, w_out, c_out = layer.output_shape
        grad = rng.normal(size=(2, h_out, w_out, c_out)).astype(np.float32)
        ours = explain._conv_backward(layer, grad)
        assert ours.shape == (2, *layer.input_shape) and ours.dtype == np.float32
        kernel = layer.kernel.astype(np.float64)
        expected = conv2d_input_gradient_naive(grad, kernel, layer.groups)
        np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-4, err_msg=layer.name)
