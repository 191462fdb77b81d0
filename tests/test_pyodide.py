"""The in-page modules under Pyodide in Node.js (the page's runtime) agree with CPython."""

import json
import os
import runpy
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from bench.nets import PRESETS, write_standin
from recognizer.network import ModelFileError, load_network
from tools import synthetic_photos, unipen, upload_files
from tools.paths import REPO_ROOT, shared_path
from training import negatives
from training.mnist import read_test_set

pytestmark = [pytest.mark.pyodide, pytest.mark.slow]

RUNNER = REPO_ROOT / "tools" / "pyodide" / "run_python.mjs"
PREDICT = REPO_ROOT / "tests" / "pyodide" / "predict.py"
SCRATCH = "/scratch"  # where the test's temp folder appears inside Pyodide
N_MNIST = 200


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
        timeout=300,
        env=env,
        cwd=REPO_ROOT,
    )


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> list[Path]:
    """Stand-ins of both presets, plus the trained weight files that exist."""
    scratch = tmp_path_factory.mktemp("models")
    found = [write_standin(name, scratch / f"{name}.npz", seed=i) for i, name in enumerate(PRESETS)]
    for name in PRESETS:
        real = REPO_ROOT / "weights" / f"{name}.npz"
        if real.exists():
            found.append(shutil.copy(real, scratch / f"trained-{name}.npz"))
    return [Path(p) for p in found]


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


def test_probabilities_match_cpython(tmp_path, models, mnist_dir):
    rng = np.random.default_rng(3)
    inputs = {
        "uniform": rng.random((16, 28, 28), dtype=np.float32),
        "blank": np.zeros((1, 28, 28), np.float32),
        "sparse": (rng.random((8, 28, 28)) > 0.9).astype(np.float32),
        "canvas/drawn": drawn_canvases(),
    }
    inputs["mnist"] = read_test_set(mnist_dir, N_MNIST)[0].astype(np.float32) / np.float32(255)
    for model in models:
        shutil.copy(model, tmp_path / model.name)
    np.savez(tmp_path / "inputs.npz", **inputs)

    predict_all = runpy.run_path(str(PREDICT))["predict_all"]
    names = [m.name for m in models]
    model_paths = [str(tmp_path / n) for n in names]
    predict_all(str(tmp_path / "inputs.npz"), str(tmp_path / "cpython.npz"), model_paths)
    done = run_in_pyodide(
        PREDICT,
        f"{SCRATCH}/inputs.npz",
        f"{SCRATCH}/pyodide.npz",
        *[f"{SCRATCH}/{n}" for n in names],
        scratch=tmp_path,
    )
    assert done.returncode == 0, done.stderr

    with np.load(tmp_path / "cpython.npz") as ours, np.load(tmp_path / "pyodide.npz") as theirs:
        assert sorted(ours.files) == sorted(theirs.files)
        assert len(ours.files) == len(models) * (len(inputs) + 2) + 3
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


CORRUPTIONS = {
    "truncated": lambda data: data[: len(data) // 2],
    "garbage": lambda data: bytes(np.random.default_rng(0).integers(0, 256, 4096, np.uint8)),
    "flipped": lambda data: data[:200] + bytes(b ^ 0xFF for b in data[200:400]) + data[400:],
    "empty": lambda data: b"",
}

LOAD_ALL = """
import json, os, sys
from recognizer.network import ModelFileError, load_network

outcome = {}
for name in sorted(os.listdir(sys.argv[1])):
    try:
        load_network(os.path.join(sys.argv[1], name))
        outcome[name] = "loaded"
    except ModelFileError as error:
        outcome[name] = "ModelFileError"
print(json.dumps(outcome))
"""


def test_corrupt_files_raise_model_file_error(tmp_path, models):
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    data = models[0].read_bytes()
    for name, damage in CORRUPTIONS.items():
        (corrupt / f"{name}.npz").write_bytes(damage(data))
    (corrupt / "intact.npz").write_bytes(data)
    expected = {}
    for path in sorted(corrupt.iterdir()):
        try:
            load_network(path)
            expected[path.name] = "loaded"
        except ModelFileError:
            expected[path.name] = "ModelFileError"
    damaged = {f"{name}.npz": "ModelFileError" for name in CORRUPTIONS}
    assert expected == {**damaged, "intact.npz": "loaded"}

    script = tmp_path / "load_all.py"
    script.write_text(LOAD_ALL)
    done = run_in_pyodide(script, f"{SCRATCH}/corrupt", scratch=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == expected


ROUTES = """
import json
import numpy as np
from recognizer import layers as L

kernel = L.as_kernel(np.ones((3, 3, 32, 64), np.float32))
print(json.dumps({
    "blas": L._HAS_BLAS,
    "simd": L._HAS_SIMD,
    "einsum_rows": kernel.einsum_rows is not None,
    "winograd": kernel.winograd is not None,
    "winograd_pays": L._winograd_pays(kernel, 1, 24, 24),
}))
"""


def test_pyodide_takes_the_routes_built_for_it(tmp_path):
    """The routes that test_layer_routes forces in CPython are the ones Pyodide takes."""
    script = tmp_path / "routes.py"
    script.write_text(ROUTES)
    done = run_in_pyodide(script, scratch=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "blas": False,
        "simd": False,
        "einsum_rows": True,
        "winograd": True,
        "winograd_pays": True,
    }


READ_IMAGES = REPO_ROOT / "tests" / "pyodide" / "read_images.py"


def test_uploads_read_the_same_in_pyodide(tmp_path, pendigits_file):
    """Photos of every condition, a scan, a screenshot and blank paper: the same 28x28
    image and region in Pyodide (32-bit wasm NumPy, Pyodide's Pillow) as in CPython."""
    folder = tmp_path / "images"
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

    read_all = runpy.run_path(str(READ_IMAGES))["read_all"]
    read_all(str(folder), str(tmp_path / "cpython.npz"))
    done = run_in_pyodide(
        READ_IMAGES, f"{SCRATCH}/images", f"{SCRATCH}/pyodide.npz", scratch=tmp_path
    )
    assert done.returncode == 0, done.stderr
    with np.load(tmp_path / "cpython.npz") as ours, np.load(tmp_path / "pyodide.npz") as theirs:
        assert sorted(ours.files) == sorted(theirs.files)
        assert len([k for k in ours.files if k.startswith("digit/")]) >= 8
        assert str(ours["error/blank.jpg"]) == "No digit found in the image."
        for key in ours.files:
            np.testing.assert_array_equal(theirs[key], ours[key], err_msg=key)


def test_broken_uploads_get_the_same_message_in_pyodide(tmp_path):
    """Each broken file is refused in Pyodide with CPython's message: no 32-bit overflow or
    other exception reaches the page as a vague error. Files with flipped bytes may decode
    (differently with each libjpeg); they must only not raise anything else."""
    folder = tmp_path / "broken"
    folder.mkdir()
    for name, data in upload_files.broken().items():
        (folder / name).write_bytes(data)
    read_all = runpy.run_path(str(READ_IMAGES))["read_all"]
    read_all(str(folder), str(tmp_path / "cpython.npz"))
    done = run_in_pyodide(
        READ_IMAGES, f"{SCRATCH}/broken", f"{SCRATCH}/pyodide.npz", scratch=tmp_path
    )
    assert done.returncode == 0, done.stderr
    with np.load(tmp_path / "cpython.npz") as ours, np.load(tmp_path / "pyodide.npz") as theirs:
        assert sorted(ours.files) == sorted(theirs.files)
        for key in ours.files:
            if "/flipped-" not in key:
                assert key.startswith("error/")
                assert str(theirs[key]) == str(ours[key]), key


MEMORY = REPO_ROOT / "bench" / "photo_memory.py"
UPLOAD_MEMORY_BUDGET = 150e6  # bytes of wasm memory above idle for any accepted file


def test_largest_accepted_uploads_stay_within_the_memory_budget(tmp_path):
    """The biggest file of each accepted format is read in Pyodide with at most 150 MB of
    wasm memory above idle (memory never shrinks, so the last figure is the peak)."""
    files = upload_files.largest_accepted()
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    guest = [f"{SCRATCH}/{name}" for name in files]
    done = run_in_pyodide(MEMORY, f"{SCRATCH}/memory.json", *guest, scratch=tmp_path)
    assert done.returncode == 0, done.stderr
    figures = json.loads((tmp_path / "memory.json").read_text())
    for path, figure in figures["files"].items():
        assert isinstance(figure["read"], list), f"{path}: {figure['read']}"  # a region
    peak = figures["files"][guest[-1]]["wasm_bytes_after"]
    assert peak - figures["wasm_bytes_idle"] <= UPLOAD_MEMORY_BUDGET
