"""training.writer_folds: each fold trains only on writers it does not evaluate."""

from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from tools import unipen
from training import recipe, writer_folds

pytestmark = pytest.mark.tensorflow


class UniformNetwork:
    """Stands in for a trained network: the same probabilities for every image."""

    def __init__(self):
        self.meta = {}

    def predict_proba(self, images):
        return np.full((len(images), 11), 1 / 11, np.float32)


def digits_of(writers) -> list[unipen.PenDigit]:
    stroke = np.array([[0, 0], [10, 40]], np.float32)
    return [unipen.PenDigit(w % 10, (stroke,), w) for w in writers for _ in range(2)]


def test_no_writer_is_trained_on_and_evaluated_in_one_fold(monkeypatch):
    trained_on: list[set] = []

    def prepare(images, labels, pen_digits, settings, rng):
        trained_on.append({d.writer for d in pen_digits})
        return None

    monkeypatch.setattr(recipe, "prepare", prepare)
    monkeypatch.setattr(recipe, "train", lambda *args: (SimpleNamespace(), {}))
    monkeypatch.setattr(writer_folds, "export_model", lambda *args: None)
    monkeypatch.setattr(writer_folds, "load_network", lambda path: UniformNetwork())
    digits = digits_of(range(1, 11))
    settings = recipe.Settings(epochs=1, peak_learning_rate=1e-3, negatives=20)
    trained = writer_folds.train_fold_networks(None, None, digits, settings, 5, 1, 0)
    networks = writer_folds.fold_networks([[net] for net in trained], digits, settings, 0)
    result = writer_folds.predict_folds(networks, digits, 0, 20)

    assert len(trained_on) == 5
    for fold, writers in enumerate(trained_on):
        evaluated = set(result.writer[result.fold == fold].tolist())
        assert evaluated and not evaluated & writers
        assert evaluated | writers == set(range(1, 11))
    assert sorted(result.writer.tolist()) == sorted(d.writer for d in digits)
