"""Training-time distortions: shape, dtype, determinism, identity when switched off."""

import numpy as np
import pytest

pytest.importorskip("scipy")

from training.augment import AugmentConfig, add_pen_strokes, augment

OFF = AugmentConfig(0.0, (1.0, 1.0), 0.0, 0.0, 0.0, 4.0, 0.0, 0.0)


@pytest.fixture
def digits():
    """Blocky fake digits, (20, 28, 28) uint8."""
    rng = np.random.default_rng(1)
    images = np.zeros((20, 28, 28), np.uint8)
    images[:, 6:22, 10:18] = rng.integers(100, 256, (20, 16, 8), dtype=np.uint8)
    return images


def test_deterministic_for_a_seed(digits):
    a = augment(digits, np.random.default_rng(5), AugmentConfig())
    b = augment(digits, np.random.default_rng(5), AugmentConfig())
    c = augment(digits, np.random.default_rng(6), AugmentConfig())
    assert a.dtype == np.uint8 and a.shape == digits.shape
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_no_distortion_is_identity(digits):
    np.testing.assert_array_equal(augment(digits, np.random.default_rng(0), OFF), digits)


def test_shift_moves_ink(digits):
    config = AugmentConfig(0.0, (1.0, 1.0), 0.0, 3.0, 0.0, 4.0, 0.0, 0.0)
    moved = augment(digits, np.random.default_rng(0), config)
    assert not np.array_equal(moved, digits)
    # A shift within the margin keeps the ink (bilinear resampling spreads, not loses, it).
    np.testing.assert_allclose(moved.sum(axis=(1, 2)), digits.sum(axis=(1, 2)), rtol=0.02)


def test_dilation_thickens_and_erosion_thins(digits):
    always_dilate = AugmentConfig(0.0, (1.0, 1.0), 0.0, 0.0, 0.0, 4.0, 1.0, 0.0)
    always_erode = AugmentConfig(0.0, (1.0, 1.0), 0.0, 0.0, 0.0, 4.0, 0.0, 1.0)
    ink = (digits > 0).sum()
    assert (augment(digits, np.random.default_rng(0), always_dilate) > 0).sum() > ink
    assert (augment(digits, np.random.default_rng(0), always_erode) > 0).sum() < ink


def test_flags_only_ones(digits):
    bars = np.zeros((10, 28, 28), np.uint8)
    bars[:, 6:22, 13:15] = 255  # plain "1"s: a 2 px vertical bar
    images = np.concatenate([digits, bars])  # (30, 28, 28)
    labels = np.concatenate([np.arange(len(digits)) % 10, np.ones(10, int)])
    config = AugmentConfig(p_flag_one=1.0)
    flagged = add_pen_strokes(images, labels, np.random.default_rng(0), config)
    ones = labels == 1
    np.testing.assert_array_equal(flagged[~ones], images[~ones])
    assert (flagged >= images).all()  # a flag only adds ink
    # Each bar's flag leaves its top (row 6) towards the lower left.
    for added in flagged[-10:].astype(int) - bars > 127:  # (H, W)
        rows, cols = np.nonzero(added)
        assert cols.size and cols.max() <= 14 and cols.min() <= 13 - 3
        assert rows.min() >= 5 and rows.max() <= 6 + config.flag_length_px[1]
    again = add_pen_strokes(images, labels, np.random.default_rng(0), config)
    np.testing.assert_array_equal(flagged, again)


def test_crossbars_only_sevens_across_the_stem():
    stems = np.zeros((10, 28, 28), np.uint8)
    stems[:, 4:24, 13:15] = 255  # a plain vertical stroke, rows 4..23
    labels = np.array([7] * 5 + [1] * 5)
    config = AugmentConfig(p_flag_one=0.0, p_cross_seven=1.0)
    crossed = add_pen_strokes(stems, labels, np.random.default_rng(0), config)
    np.testing.assert_array_equal(crossed[5:], stems[5:])
    assert (crossed >= stems).all()
    low, high = config.crossbar_height
    for added in crossed[:5].astype(int) - stems[:5] > 127:  # (H, W)
        rows, cols = np.nonzero(added)
        assert cols.size and cols.min() < 13 and cols.max() > 14  # it crosses the stem
        assert 4 + low * 19 - 3 <= rows.min() and rows.max() <= 4 + high * 19 + 3
        assert np.ptp(cols) > np.ptp(rows)  # closer to horizontal than vertical
