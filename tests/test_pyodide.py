"""The in-page modules under Pyodide in Node.js (the page's runtime) agree with CPython.

Pyodide starts once for the module's scripts: the fixture ``pyodide_jobs`` (conftest, with
tests/pyodide_runs.py) prepares every test's inputs in one folder and runs all their scripts
in one Node process (tests/pyodide/run_jobs.py); each test then computes the same under
CPython and compares. The memory budget test has its own Pyodide (``pyodide_memory``), so
that nothing else has grown the memory before it. Both start with the session's first test
and run while the tests before these run.
"""

import json
import runpy
from pathlib import Path

import numpy as np
import pytest
from pyodide_runs import CORRUPTIONS, SCRIPTS, MemoryRun, PyodideRun

pytestmark = [pytest.mark.pyodide, pytest.mark.slow]

UPLOAD_MEMORY_BUDGET = 150e6  # bytes of wasm memory above idle for any accepted file


@pytest.fixture(scope="module")
def pyodide(pyodide_jobs) -> PyodideRun:
    """Every job of this module, run in one Pyodide start-up (conftest starts it early)."""
    return pyodide_jobs.wait()


def test_probabilities_match_cpython(pyodide, tmp_path):
    pyodide.output("predict")
    predict_all = runpy.run_path(str(SCRIPTS / "predict.py"))["predict_all"]
    models = [str(pyodide.scratch / "models" / name) for name in pyodide.models]
    predict_all(str(pyodide.scratch / "inputs.npz"), str(tmp_path / "cpython.npz"), models)
    with (
        np.load(tmp_path / "cpython.npz") as ours,
        np.load(pyodide.scratch / "predict.npz") as theirs,
        np.load(pyodide.scratch / "inputs.npz") as inputs,
    ):
        assert sorted(ours.files) == sorted(theirs.files)
        assert len(ours.files) == len(models) * (len(inputs.files) + 2) + 3
        assert ours["empty/drawn"].tolist() == [False] * 5 + [True]
        np.testing.assert_array_equal(theirs["empty/drawn"], ours["empty/drawn"])
        image_diff = np.abs(theirs["image/drawn"].astype(int) - ours["image/drawn"]).max()
        assert image_diff == 0, f"preprocessed images differ by up to {image_diff} grey levels"
        views_diff = np.abs(theirs["views/drawn"].astype(int) - ours["views/drawn"]).max()
        assert views_diff == 0, f"rotated views differ by up to {views_diff} grey levels"
        for key in (k for k in ours.files if k[0].isdigit()):
            assert theirs[key].dtype == np.float32 and theirs[key].shape == ours[key].shape
            diff = float(np.abs(theirs[key] - ours[key]).max())
            assert diff <= 1e-5, f"{key}: max abs diff {diff}"  # float32, other summation order


def test_corrupt_files_raise_model_file_error(pyodide):
    load_all = runpy.run_path(str(SCRIPTS / "load_models.py"))["load_all"]
    expected = load_all(str(pyodide.scratch / "corrupt"))
    damaged = {f"{name}.npz": "ModelFileError" for name in CORRUPTIONS}
    assert expected == {**damaged, "intact.npz": "loaded"}
    assert json.loads(pyodide.output("load").strip().splitlines()[-1]) == expected


def test_pyodide_takes_the_routes_built_for_it(pyodide):
    """The routes that test_layer_routes forces in CPython are the ones Pyodide takes."""
    assert json.loads(pyodide.output("routes").strip().splitlines()[-1]) == {
        "blas": False,
        "simd": False,
        "einsum_rows": True,
        "winograd": True,
        "winograd_pays": True,
    }


def test_the_look_inside_matches_cpython(pyodide, tmp_path):
    """Each layer's output (the last one the forward pass), the sensitivity maps and the
    look-inside panel's packed answer."""
    pyodide.output("explain")
    explain_all = runpy.run_path(str(SCRIPTS / "explain.py"))["explain_all"]
    model = pyodide.scratch / "models" / "trained-default.npz"
    explain_all(str(pyodide.scratch / "inputs.npz"), str(tmp_path / "cpython.npz"), str(model))
    with (
        np.load(tmp_path / "cpython.npz") as ours,
        np.load(pyodide.scratch / "explain.npz") as theirs,
    ):
        assert sorted(ours.files) == sorted(theirs.files)
        layers = sorted(k for k in ours.files if k.startswith("layer/"))
        np.testing.assert_array_equal(theirs[layers[-1]], theirs["probs"])  # the same pass
        assert "inside/0/layers/0/values" in ours.files
        for key in ours.files:
            if ours[key].dtype == np.uint8:  # the panel's bytes: a float a hair from a step
                diff = np.abs(theirs[key].astype(int) - ours[key]).max()
                assert diff <= 1, f"{key}: bytes differ by {diff}"
            else:
                np.testing.assert_allclose(
                    theirs[key], ours[key], rtol=1e-4, atol=1e-5, err_msg=key
                )


def test_numbers_read_the_same_in_pyodide(pyodide, tmp_path):
    """The same digits, boxes and 28x28 images in Pyodide (32-bit wasm NumPy without BLAS,
    Pyodide's Pillow) as in CPython; the components of a random mask agree too."""
    pyodide.output("segment")
    segment_all = runpy.run_path(str(SCRIPTS / "segment.py"))["segment_all"]
    model = pyodide.scratch / "models" / "trained-default.npz"
    inputs = pyodide.scratch / "numbers.npz"
    segment_all(str(inputs), str(tmp_path / "cpython.npz"), str(model))
    with (
        np.load(tmp_path / "cpython.npz") as ours,
        np.load(pyodide.scratch / "segment.npz") as theirs,
    ):
        assert sorted(ours.files) == sorted(theirs.files)
        assert str(ours["text/empty"]) == "" and str(ours["text/one digit"]) == "7"
        assert all(len(str(ours[f"text/number{i}"])) >= 3 for i in range(3))
        assert all(len(str(ours[f"text/strokes{i}"])) >= 3 for i in range(3))
        for key in ours.files:
            if key.startswith("confidence/"):
                np.testing.assert_allclose(theirs[key], ours[key], atol=1e-5, err_msg=key)
            else:
                np.testing.assert_array_equal(theirs[key], ours[key], err_msg=key)


def read_in_cpython(folder: Path, out: Path) -> None:
    runpy.run_path(str(SCRIPTS / "read_images.py"))["read_all"](str(folder), str(out))


def test_uploads_read_the_same_in_pyodide(pyodide, tmp_path):
    """Photos of every condition, a scan, a screenshot and blank paper: the same 28x28
    image and region in Pyodide (32-bit wasm NumPy, Pyodide's Pillow) as in CPython."""
    pyodide.output("photos")
    read_in_cpython(pyodide.scratch / "photos", tmp_path / "cpython.npz")
    with (
        np.load(tmp_path / "cpython.npz") as ours,
        np.load(pyodide.scratch / "photos.npz") as theirs,
    ):
        assert sorted(ours.files) == sorted(theirs.files)
        assert len([k for k in ours.files if k.startswith("digit/")]) >= 8
        assert str(ours["error/blank.jpg"]) == "No digit found in the image."
        for key in ours.files:
            np.testing.assert_array_equal(theirs[key], ours[key], err_msg=key)


def test_broken_uploads_get_the_same_message_in_pyodide(pyodide, tmp_path):
    """Each broken file is refused in Pyodide with CPython's message: no 32-bit overflow or
    other exception reaches the page as a vague error. Files with flipped bytes may decode
    (differently with each libjpeg); they must only not raise anything else."""
    pyodide.output("broken")
    read_in_cpython(pyodide.scratch / "broken", tmp_path / "cpython.npz")
    with (
        np.load(tmp_path / "cpython.npz") as ours,
        np.load(pyodide.scratch / "broken.npz") as theirs,
    ):
        assert sorted(ours.files) == sorted(theirs.files)
        for key in ours.files:
            if "/flipped-" not in key:
                assert key.startswith("error/")
                assert str(theirs[key]) == str(ours[key]), key


def test_largest_accepted_uploads_stay_within_the_memory_budget(pyodide_memory: MemoryRun):
    """The biggest file of each accepted format is read in Pyodide with at most 150 MB of
    wasm memory above idle (memory never shrinks, so the last figure is the peak)."""
    memory_run = pyodide_memory
    done = memory_run.wait()
    assert done.returncode == 0, done.stderr
    figures = json.loads((memory_run.scratch / "memory.json").read_text())
    assert list(figures["files"]) == memory_run.files
    for path, figure in figures["files"].items():
        assert isinstance(figure["read"], list), f"{path}: {figure['read']}"  # a region
    peak = figures["files"][memory_run.files[-1]]["wasm_bytes_after"]
    assert peak - figures["wasm_bytes_idle"] <= UPLOAD_MEMORY_BUDGET
