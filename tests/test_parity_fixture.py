"""Without TensorFlow: the NumPy forward pass reproduces recorded Keras outputs."""

import hashlib

import numpy as np

from recognizer.network import load_network
from tools.paths import REPO_ROOT

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "keras_outputs_default.npz"
WEIGHTS = REPO_ROOT / "weights" / "default.npz"


def test_default_weights_match_recorded_keras_outputs():
    fixture = np.load(FIXTURE)
    assert str(fixture["weights_sha256"]) == hashlib.sha256(WEIGHTS.read_bytes()).hexdigest(), (
        "fixture is stale: python -m training.parity_fixture --preset default"
    )
    probs = load_network(WEIGHTS).predict_proba(fixture["inputs"])  # (32, 10)
    assert probs.shape == fixture["probs"].shape
    assert np.abs(probs - fixture["probs"]).max() <= 1e-5
