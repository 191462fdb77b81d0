"""DigitReader: the memo of probabilities by pixels, bounded, under the calibration."""

import dataclasses

import numpy as np
import pytest

from recognizer import reader as reader_module
from recognizer import rotations
from recognizer.network import load_network
from recognizer.reader import DigitReader
from tools.paths import REPO_ROOT


@pytest.fixture(scope="module")
def network():
    return load_network(REPO_ROOT / "weights" / "default.npz")


@pytest.fixture
def counted(monkeypatch):
    """The images each forward batch held, in order."""
    batches = []
    mean_probabilities = rotations.mean_probabilities

    def counting(network, images):
        batches.append(len(images))
        return mean_probabilities(network, images)

    monkeypatch.setattr(rotations, "mean_probabilities", counting)
    return batches


def images(count: int, seed: int = 0) -> np.ndarray:
    """(count, 28, 28) uint8 strokes, each different."""
    rng = np.random.default_rng(seed)
    out = np.zeros((count, 28, 28), np.uint8)
    for image in out:
        top, left = rng.integers(4, 10, 2)
        image[top : top + 14, left : left + 3] = rng.integers(150, 256)
    return out


def test_remembered_images_are_not_read_again(network, counted):
    first, second = images(4), images(3, seed=1)
    reader = DigitReader(network)
    alone = DigitReader(network).probabilities(np.concatenate([second, first[:2]]))
    counted.clear()
    reader.probabilities(first)
    both = reader.probabilities(np.concatenate([second, first[:2]]))
    assert counted == [4, 3]  # the two remembered images were not run again
    np.testing.assert_allclose(both, alone, atol=1e-6)
    repeated = reader.probabilities(np.stack([second[0]] * 3))
    assert counted == [4, 3] and (repeated == both[0]).all()


def test_the_memo_keeps_the_most_recent_images(network, counted, monkeypatch):
    monkeypatch.setattr(reader_module, "MEMO_IMAGES", 3)
    reader = DigitReader(network)
    batch = images(4)
    reader.probabilities(batch[:3])
    reader.probabilities(batch[:1])  # image 0 is now the most recent
    reader.probabilities(batch[3:])  # image 1, the least recent, is forgotten
    assert counted == [3, 1]
    reader.probabilities(batch[[0, 2, 3]])
    assert counted == [3, 1]
    reader.probabilities(batch[1:2])
    assert counted == [3, 1, 1]
    reader.forget()
    reader.probabilities(batch[1:2])
    assert counted == [3, 1, 1, 1]


def test_the_calibration_applies_to_remembered_images(network):
    reader = DigitReader(network)
    batch = images(2)
    before = reader.probabilities(batch)
    reader.calibration = dataclasses.replace(reader.calibration, temperature=3.0)
    after = reader.probabilities(batch)
    assert after.max() < before.max()
    expected = reader.calibration.apply(rotations.mean_probabilities(network, batch))
    np.testing.assert_allclose(after, expected, atol=1e-6)


def test_an_upload_is_no_digit_when_either_of_its_images_reads_as_none(network):
    """Either of the two images given: the drawn one is given for faint ink only."""
    reader = DigitReader(network)
    one = images(1)[0]  # a vertical bar: a "1"
    specks = np.zeros((28, 28), np.uint8)  # scattered specks: no digit
    specks[np.random.default_rng(3).integers(4, 24, (2, 12))] = 255
    digit, none = reader.read(np.stack([one, specks]))
    assert digit.kind != "not_digit" and none.kind == "not_digit"
    both = reader.read_upload(one, one)
    assert (both.kind, both.digit, both.confidence) == (digit.kind, digit.digit, digit.confidence)
    refused = reader.read_upload(one, specks)  # the drawn image reads as none
    assert (refused.kind, refused.digit, refused.confidence) == (
        "not_digit", digit.digit, digit.confidence)  # fmt: skip
    assert reader.read_upload(specks, one).kind == "not_digit"
    alone = reader.read_upload(one, None)  # dark ink: read as it is, not checked as drawn
    assert (alone.kind, alone.digit, alone.confidence) == (
        digit.kind,
        digit.digit,
        digit.confidence,
    )
    assert reader.read_upload(specks, None).kind == "not_digit"
