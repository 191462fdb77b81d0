"""build_weights.py end to end: a quick run writes a loadable model file and a true card."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from quick_builds import PRESETS

pytest.importorskip("tensorflow")

import build_weights
from recognizer.decision import Calibration
from recognizer.input_spec import to_network_input
from recognizer.network import load_network
from tools.paths import REPO_ROOT
from training.mnist import SHA256, load_mnist

pytestmark = [pytest.mark.tensorflow, pytest.mark.slow]


def run_build(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "build_weights.py"), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )


def test_help_documents_the_options():
    text = run_build("--help").stdout
    for option in (
        "--preset",
        "--epochs",
        "--folds",
        "--data-dir",
        "--pen-file",
        "--out",
        "--quick",
        "--members",
    ):
        assert option in text


def test_only_the_shipped_build_draws_the_committed_diagram(tmp_path):
    assert build_weights.parse_args([]).diagram == build_weights.RELIABILITY_PNG
    assert build_weights.parse_args(["--out", "weights/"]).diagram == build_weights.RELIABILITY_PNG
    smoke = build_weights.parse_args(["--quick", "--out", str(tmp_path)])
    assert smoke.diagram == tmp_path / "reliability.png"
    chosen = build_weights.parse_args(["--out", str(tmp_path), "--diagram", "x.png"])
    assert chosen.diagram == Path("x.png")


@pytest.mark.parametrize("preset", PRESETS)
def test_quick_run_writes_weights_and_card(preset, quick_builds, mnist_dir):
    out = quick_builds.result(preset)
    diagram = out / "reliability.png"
    weights, card_path = out / f"{preset}.npz", out / f"{preset}.json"
    card = json.loads(card_path.read_text())
    network = load_network(weights)
    assert card["file_sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert card["name"] == preset and card["data"]["subset"] is True
    assert card["training"]["epochs"] == 1 and card["parameters"] > 0
    assert card["data"]["mnist_sha256_decompressed"] == SHA256
    # The card's accuracy is what the NumPy forward pass measures on the same subset.
    mnist = card["evaluation"]["mnist_test"]
    data = load_mnist(mnist_dir, mirrors=[])
    n = mnist["images"]
    probs = network.predict_proba(to_network_input(data.x_test[:n]))  # (n, C)
    assert mnist["errors"] == int((probs[:, :10].argmax(axis=1) != data.y_test[:n]).sum())
    assert mnist["accuracy"] > 0.2  # well above chance (0.1) after one short epoch
    assert np.isclose(mnist["accuracy"], mnist["accuracy_keras"], atol=0.01)
    if preset == "default":  # eleven classes, calibrated on writer folds, two members merged
        assert probs.shape[1] == 11 and card["classes"][-1] == "not a digit"
        assert card["members"] == 2 and len(mnist["accuracy_keras_each_member"]) == 2
        seeds = [member["seed"] for member in card["training"]["members"]]
        assert len(set(seeds)) == 2 and seeds[0] == card["training"]["seed"]
        assert [layer.groups for layer in network.layers if layer.TYPE == "conv2d"] == [1, 2, 2]
        folds = card["evaluation"]["writer_independent"]
        assert folds["folds"] == 2 and folds["writers"] == 30
        assert card["calibration"] == network.meta["calibration"]
        assert Calibration.from_meta(network.meta).temperature > 0
        assert diagram.read_bytes()[:4] == b"\x89PNG"
    else:  # the original network: ten classes, no pen data, no calibration, one member
        assert probs.shape[1] == 10 and card["calibration"] is None and card["members"] == 1
        assert card["evaluation"]["writer_independent"] is None and not diagram.exists()
