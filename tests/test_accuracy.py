"""The committed weights reach their accuracy on the 10,000 MNIST test digits, through
the page's NumPy forward pass, and their model cards state exactly what is measured."""

import hashlib
import json

import numpy as np
import pytest

pytest.importorskip("tqdm")  # training.mnist needs the train extra

from recognizer.input_spec import to_network_input
from recognizer.network import load_network
from tools.paths import REPO_ROOT
from training.mnist import load_mnist

MIN_ACCURACY = {"default": 0.995, "seed": 0.99}
BATCH = 500


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["default", "seed"])
def test_committed_weights_accuracy(preset, mnist_dir):
    path = REPO_ROOT / "weights" / f"{preset}.npz"
    card = json.loads(path.with_suffix(".json").read_text())
    data = load_mnist(mnist_dir, mirrors=[])
    network = load_network(path)
    predicted = np.concatenate(
        [
            network.predict_proba(to_network_input(data.x_test[i : i + BATCH]))[:, :10].argmax(1)
            for i in range(0, len(data.x_test), BATCH)
        ]
    )  # (10000,)
    errors = int((predicted != data.y_test).sum())
    accuracy = 1.0 - errors / len(data.y_test)
    assert accuracy >= MIN_ACCURACY[preset]
    recorded = card["evaluation"]["mnist_test"]
    assert recorded["errors"] == errors and recorded["accuracy"] == accuracy
    assert recorded["images"] == len(data.y_test) == 10000


@pytest.mark.parametrize("preset", ["default", "seed"])
def test_model_card_describes_the_file(preset):
    path = REPO_ROOT / "weights" / f"{preset}.npz"
    card = json.loads(path.with_suffix(".json").read_text())
    payload = path.read_bytes()
    assert card["file_sha256"] == hashlib.sha256(payload).hexdigest()
    assert card["file_bytes"] == len(payload)
    meta = dict(load_network(path).meta)
    assert {k: v for k, v in card.items() if not k.startswith("file")} == meta
    assert not card["data"]["subset"]


def test_default_fits_the_browser_budget():
    card = json.loads((REPO_ROOT / "weights" / "default.json").read_text())
    assert card["macs_per_digit"] <= 1_500_000
    assert card["file_bytes"] <= 500_000
