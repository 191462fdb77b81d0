"""Rotated test-time views and the probabilities averaged over them."""

import numpy as np
import pytest
from PIL import Image
from test_network import LAYERS, make_arrays

from recognizer import rotations
from recognizer.input_spec import to_network_input
from recognizer.network import load_network, save_network


@pytest.fixture
def bars() -> np.ndarray:
    """Two vertical bars, (2, 28, 28) uint8."""
    images = np.zeros((2, 28, 28), np.uint8)
    images[0, 4:24, 13:15] = 255
    images[1, 6:22, 10:12] = 200
    return images


def test_views_are_the_image_then_its_rotations(bars):
    turned = rotations.rotated(bars, (0.0, -8.0, 8.0))
    assert turned.shape == (3, 2, 28, 28) and turned.dtype == np.uint8
    np.testing.assert_array_equal(turned[0], bars)
    for view in turned[1:]:
        assert not np.array_equal(view, bars)
        # Bilinear resampling spreads ink; it stays inside the frame and keeps its mass.
        np.testing.assert_allclose(view.sum(axis=(1, 2)), bars.sum(axis=(1, 2)), rtol=0.03)
    # Counter-clockwise (+8 degrees) moves a vertical bar's top to the left.
    top_col = lambda image: np.nonzero(image[5] > 60)[0].mean()  # noqa: E731
    assert top_col(turned[2, 0]) < 13.5 < top_col(turned[1, 0])


@pytest.mark.parametrize("angle", [-8.0, 8.0, 3.5, -30.0, 90.5])
@pytest.mark.parametrize("shape", [(28, 28), (17, 23)])
def test_rotation_is_pillows_bit_for_bit(angle, shape):
    images = np.random.default_rng(5).integers(0, 256, (6, *shape), dtype=np.uint8)
    images[:3] = np.where(images[:3] > 200, images[:3], 0)  # sparse strokes, as digits are
    turned = rotations.rotated(images, (angle,))[0]  # (6, H, W)
    pillow = [Image.fromarray(image).rotate(angle, resample=Image.Resampling.BILINEAR)
              for image in images]  # fmt: skip
    np.testing.assert_array_equal(turned, np.stack([np.asarray(p) for p in pillow]))


def test_probabilities_are_the_mean_over_the_views(tmp_path, bars):
    save_network(tmp_path / "m.npz", LAYERS, make_arrays())
    net = load_network(tmp_path / "m.npz")
    angles = (0.0, -8.0, 8.0)
    probs = rotations.mean_probabilities(net, bars, angles)
    assert probs.shape == (2, 10) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    one_by_one = [net.predict_proba(to_network_input(v)) for v in rotations.rotated(bars, angles)]
    np.testing.assert_allclose(probs, np.mean(one_by_one, axis=0), atol=1e-6)
    plain = rotations.mean_probabilities(net, bars, (0.0,))
    np.testing.assert_allclose(plain, net.predict_proba(to_network_input(bars)), atol=1e-6)
    assert not np.allclose(plain, probs)
