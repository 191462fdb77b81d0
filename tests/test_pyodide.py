"""The in-page modules under Pyodide in Node.js (the page's runtime) agree with CPython.

Pyodide starts once for the module: the fixture ``pyodide`` prepares every test's inputs in
one folder and runs all their scripts in one Node process (tests/pyodide/run_jobs.py); each
test then computes the same under CPython and compares. The memory budget test starts its
own Pyodide, so that nothing else has grown the memory before it.
"""

import json
import os
import runpy
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from bench.nets import PRESETS, write_standin
from tools import numbers, synthetic_photos, unipen, upload_files
from tools.paths import REPO_ROOT, shared_path
from training import negatives
from training.mnist import read_test_set

pytestmark = [pytest.mark.pyodide, pytest.mark.slow]

RUNNER = REPO_ROOT / "tools" / "pyodide" / "run_python.mjs"
SCRIPTS = REPO_ROOT / "tests" / "pyodide"
MEMORY = REPO_ROOT / "bench" / "photo_memory.py"
SCRATCH = "/scratch"  # where the scratch folder appears inside Pyodide
N_MNIST = 200
UPLOAD_MEMORY_BUDGET = 150e6  # bytes of wasm memory above idle for any accepted file
CORRUPTIONS = {
    "truncated": lambda data: data[: len(data) // 2],
    "garbage": lambda data: bytes(np.random.default_rng(0).integers(0, 256, 4096, np.uint8)),
    "flipped": lambda data: data[:200] + bytes(b ^ 0xFF for b in data[200:400]) + data[400:],
    "empty": lambda data: b"",
}


@pytest.fixture(scope="module", autouse=True)
def _needs_node_runtime():
    if not (REPO_ROOT / "node_modules" / "pyodide" / "pyodide.mjs").exists():
        pytest.skip("node_modules/pyodide is missing: run `npm ci` first")
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed")


def run_in_pyodide(script: Path, *args: str, scratch: Path) -> subprocess.CompletedProcess:
    """Run a Python script under Pyodide with ``scratch`` mounted at /scratch."""
    env = dict(os.environ)
    env.setdefault("PYODIDE_WHEELS", str(shared_path("PYODIDE_WHEELS")))
    return subprocess.run(
        ["node", str(RUNNER), "--mount", f"{scratch}:{SCRATCH}", str(script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=REPO_ROOT,
    )


def drawn_canvases(side: int = 280) -> np.ndarray:
    """(6, side, side, 4) uint8 RGBA pads: digit-like strokes, a dot, and an empty pad."""
    shapes = [
        lambda d: d.line([(140, 40), (150, 240)], fill=255, width=18),  # a 1
        lambda d: d.ellipse([70, 40, 210, 240], outline=255, width=16),  # a 0
        lambda d: d.line([(60, 50), (220, 50), (110, 250)], fill=255, width=16),  # a 7
        lambda d: d.line([(200, 30), (40, 260), (240, 200)], fill=255, width=6),  # thin, off-centre
        lambda d: d.ellipse([20, 20, 34, 34], fill=255),  # a dot in a corner
        lambda d: None,  # nothing drawn
    ]
    pads = []
    for shape in shapes:
        alpha = Image.new("L", (side, side), 0)
        shape(ImageDraw.Draw(alpha))
        rgba = np.zeros((side, side, 4), np.uint8)
        rgba[..., 3] = np.asarray(alpha)  # ink colour is irrelevant: alpha carries it
        pads.append(rgba)
    return np.stack(pads)  # (6, side, side, 4)


def predict_inputs(mnist_dir: Path) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    return {
        "uniform": rng.random((16, 28, 28), dtype=np.float32),
        "blank": np.zeros((1, 28, 28), np.float32),
        "sparse": (rng.random((8, 28, 28)) > 0.9).astype(np.float32),
        "canvas/drawn": drawn_canvases(),
        "mnist": read_test_set(mnist_dir, N_MNIST)[0].astype(np.float32) / np.float32(255),
    }


def write_models(folder: Path) -> list[str]:
    """Stand-ins of both presets (random weights) and the committed files; their names."""
    folder.mkdir()
    for seed, name in enumerate(PRESETS):
        write_standin(name, folder / f"{name}.npz", seed=seed)
        shutil.copy(REPO_ROOT / "weights" / f"{name}.npz", folder / f"trained-{name}.npz")
    return sorted(path.name for path in folder.iterdir())


def write_corrupt_models(folder: Path, intact: bytes) -> None:
    folder.mkdir()
    for name, damage in CORRUPTIONS.items():
        (folder / f"{name}.npz").write_bytes(damage(intact))
    (folder / "intact.npz").write_bytes(intact)


def write_photos(folder: Path, pendigits_file: Path) -> None:
    """Photos of every condition, a scan, a screenshot and blank paper."""
    folder.mkdir()
    digits = unipen.load_pendigits(pendigits_file)
    rng = np.random.default_rng(11)
    for index, condition in enumerate(synthetic_photos.CONDITIONS):
        digit = digits[index * 7]
        photo = synthetic_photos.make_photo(digit, digit.label, condition, rng)
        (folder / f"{condition}.jpg").write_bytes(photo.jpeg)
    (folder / "blank.jpg").write_bytes(negatives.blank_paper_jpeg(np.random.default_rng(1)))
    pad = drawn_canvases()[2, :, :, 3]  # a 7, white on black
    Image.fromarray(pad).save(folder / "screenshot.png")
    Image.fromarray(255 - pad).convert("RGB").save(folder / "scan.png")


def number_inputs(pendigits_file: Path) -> dict[str, np.ndarray]:
    """Drawings to read as numbers: generated numbers on the wide pad, a single digit, an
    empty pad; and a random mask for the components."""
    digits = unipen.load_pendigits(pendigits_file)
    written = numbers.generate_numbers(digits, 3, seed=8, lengths=(3, 5, 7))
    inks = {f"number{i}": numbers.rasterize_number(n)[..., 3] for i, n in enumerate(written)}
    inks["one digit"] = drawn_canvases()[2, :, :, 3]  # a 7
    inks["empty"] = np.zeros((280, 560), np.uint8)
    mask = np.random.default_rng(4).random((120, 200)) < 0.55  # (120, 200)
    return {**{f"ink/{name}": ink for name, ink in inks.items()}, "mask": mask}


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)


@dataclass(frozen=True)
class PyodideRun:
    """The shared scratch folder (also at /scratch in Pyodide) and the model file names."""

    scratch: Path
    models: list[str]

    def output(self, job: str) -> str:
        """A job's stdout; fails the test with its traceback when the job raised."""
        error = (self.scratch / f"{job}.err").read_text()
        assert not error, error
        return (self.scratch / f"{job}.out").read_text()


@pytest.fixture(scope="module")
def pyodide(tmp_path_factory, mnist_dir, pendigits_file) -> PyodideRun:
    """Every job of this module run in one Pyodide start-up."""
    scratch = tmp_path_factory.mktemp("pyodide")
    np.savez(scratch / "inputs.npz", **predict_inputs(mnist_dir))
    models = write_models(scratch / "models")
    write_corrupt_models(scratch / "corrupt", (scratch / "models" / models[0]).read_bytes())
    write_photos(scratch / "photos", pendigits_file)
    write_files(scratch / "broken", upload_files.broken())
    np.savez(scratch / "numbers.npz", **number_inputs(pendigits_file))
    shutil.copytree(SCRIPTS, scratch / "scripts")
    script = f"{SCRATCH}/scripts"
    jobs = [
        ("predict", "predict.py", "inputs.npz", "predict.npz", *[f"models/{m}" for m in models]),
        ("load", "load_models.py", "corrupt"),
        ("routes", "routes.py"),
        ("photos", "read_images.py", "photos", "photos.npz"),
        ("broken", "read_images.py", "broken", "broken.npz"),
        ("explain", "explain.py", "inputs.npz", "explain.npz", "models/trained-default.npz"),
        ("segment", "segment.py", "numbers.npz", "segment.npz", "models/trained-default.npz"),
    ]
    listed = [
        {
            "name": name,
            "script": f"{script}/{file}",
            "args": [f"{SCRATCH}/{arg}" for arg in args],
        }
        for name, file, *args in jobs
    ]
    (scratch / "jobs.json").write_text(json.dumps(listed))
    done = run_in_pyodide(SCRIPTS / "run_jobs.py", f"{SCRATCH}/jobs.json", scratch=scratch)
    assert done.returncode == 0, done.stderr
    return PyodideRun(scratch, models)


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
    """Each layer's output (the last one the forward pass) and the sensitivity maps."""
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
        for key in ours.files:
            np.testing.assert_allclose(theirs[key], ours[key], rtol=1e-4, atol=1e-5, err_msg=key)


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


def test_largest_accepted_uploads_stay_within_the_memory_budget(tmp_path):
    """The biggest file of each accepted format is read in Pyodide with at most 150 MB of
    wasm memory above idle (memory never shrinks, so the last figure is the peak)."""
    files = upload_files.largest_accepted()
    write_files(tmp_path / "files", files)
    guest = [f"{SCRATCH}/files/{name}" for name in files]
    done = run_in_pyodide(MEMORY, f"{SCRATCH}/memory.json", *guest, scratch=tmp_path)
    assert done.returncode == 0, done.stderr
    figures = json.loads((tmp_path / "memory.json").read_text())
    for path, figure in figures["files"].items():
        assert isinstance(figure["read"], list), f"{path}: {figure['read']}"  # a region
    peak = figures["files"][guest[-1]]["wasm_bytes_after"]
    assert peak - figures["wasm_bytes_idle"] <= UPLOAD_MEMORY_BUDGET
