"""The in-page Python under Pyodide in Node.js, for test_pyodide: the inputs of its scripts,
and their runs, which conftest starts with the session's first test (each run takes a
Pyodide start-up, seconds, and waits on one core while other tests use the other).

``start_jobs`` runs every script of tests/pyodide in one Node process
(tests/pyodide/run_jobs.py); ``start_memory`` runs the memory budget script in a Pyodide of
its own, so that nothing else has grown the memory before it.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from bench.nets import PRESETS, write_standin
from tools import numbers, synthetic_photos, unipen, upload_files
from tools.paths import REPO_ROOT, shared_path
from training import negatives
from training.mnist import read_test_set

RUNNER = REPO_ROOT / "tools" / "pyodide" / "run_python.mjs"
SCRIPTS = REPO_ROOT / "tests" / "pyodide"
MEMORY = REPO_ROOT / "bench" / "photo_memory.py"
SCRATCH = "/scratch"  # where the scratch folder appears inside Pyodide
N_MNIST = 200
CORRUPTIONS = {
    "truncated": lambda data: data[: len(data) // 2],
    "garbage": lambda data: bytes(np.random.default_rng(0).integers(0, 256, 4096, np.uint8)),
    "flipped": lambda data: data[:200] + bytes(b ^ 0xFF for b in data[200:400]) + data[400:],
    "empty": lambda data: b"",
}


def node_missing() -> str | None:
    """Why Pyodide cannot run in Node here, or None."""
    if not (REPO_ROOT / "node_modules" / "pyodide" / "pyodide.mjs").exists():
        return "node_modules/pyodide is missing: run `npm ci` first"
    if shutil.which("node") is None:
        return "Node.js is not installed"
    return None


class Started:
    """A Python script running under Pyodide in Node, with ``scratch`` mounted at /scratch.

    What it prints goes to files in ``scratch`` (SCRIPT.stdout, SCRIPT.stderr): a pipe that
    nobody reads while it runs could fill up and stop it.
    """

    def __init__(self, script: Path, *args: str, scratch: Path):
        env = dict(os.environ)
        env.setdefault("PYODIDE_WHEELS", str(shared_path("PYODIDE_WHEELS")))
        self.printed = [scratch / f"{script.stem}.{stream}" for stream in ("stdout", "stderr")]
        with self.printed[0].open("w") as stdout, self.printed[1].open("w") as stderr:
            self.process = subprocess.Popen(
                ["node", str(RUNNER), "--mount", f"{scratch}:{SCRATCH}", str(script), *args],
                stdout=stdout,
                stderr=stderr,
                env=env,
                cwd=REPO_ROOT,
            )

    def finish(self, timeout: float = 600) -> subprocess.CompletedProcess:
        """Wait for the script to end (killed after ``timeout`` seconds); what it printed."""
        try:
            self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        stdout, stderr = (path.read_text(errors="replace") for path in self.printed)
        return subprocess.CompletedProcess(
            self.process.args, self.process.returncode, stdout, stderr
        )

    def stop(self) -> None:
        """End the script now if it still runs (nobody waited for it)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


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
    """Drawings to read as numbers: generated numbers on the wide pad, with their strokes
    ("stroke/<name>/<k>" points, "brush/<name>") and without, a single digit, an empty pad;
    and a random mask for the components."""
    digits = unipen.load_pendigits(pendigits_file)
    written = numbers.generate_numbers(digits, 3, seed=8, lengths=(3, 5, 7))
    inks = {f"number{i}": numbers.rasterize_number(n)[..., 3] for i, n in enumerate(written)}
    strokes = {}
    for i, number in enumerate(written):
        inks[f"strokes{i}"] = inks[f"number{i}"]
        strokes |= {f"stroke/strokes{i}/{k}": s for k, s in enumerate(number.strokes)}
        strokes[f"brush/strokes{i}"] = np.float64(number.pad.brush_px)
    inks["one digit"] = drawn_canvases()[2, :, :, 3]  # a 7
    inks["empty"] = np.zeros((280, 560), np.uint8)
    mask = np.random.default_rng(4).random((120, 200)) < 0.55  # (120, 200)
    return {**{f"ink/{name}": ink for name, ink in inks.items()}, **strokes, "mask": mask}


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)


class PyodideRun:
    """The jobs' run: the shared scratch folder (also at /scratch in Pyodide) and the model
    file names."""

    def __init__(self, started: Started, scratch: Path, models: list[str]):
        self.started = started
        self.scratch = scratch
        self.models = models
        self.done = None

    def wait(self) -> "PyodideRun":
        """Wait for the run to end; fail unless Node ended well."""
        if self.done is None:
            self.done = self.started.finish()
        assert self.done.returncode == 0, self.done.stderr
        return self

    def output(self, job: str) -> str:
        """A job's stdout; fails the test with its traceback when the job raised."""
        error = (self.scratch / f"{job}.err").read_text()
        assert not error, error
        return (self.scratch / f"{job}.out").read_text()


class MemoryRun:
    """The memory budget script's run on some files."""

    def __init__(self, started: Started, scratch: Path, files: list[str]):
        self.started = started
        self.scratch = scratch
        self.files = files  # their paths in Pyodide, in the order read
        self.done = None

    def wait(self) -> subprocess.CompletedProcess:
        """Wait for the run to end; how Node ended."""
        if self.done is None:
            self.done = self.started.finish()
        return self.done


def start_memory(scratch: Path, files: dict[str, bytes]) -> MemoryRun:
    """Start the memory budget script on ``files`` (name -> bytes) in a Pyodide of its own."""
    write_files(scratch / "files", files)
    guest = [f"{SCRATCH}/files/{name}" for name in files]
    started = Started(MEMORY, f"{SCRATCH}/memory.json", *guest, scratch=scratch)
    return MemoryRun(started, scratch, guest)


def start_jobs(scratch: Path, mnist_dir: Path, pendigits_file: Path) -> PyodideRun:
    """Write every job's inputs into ``scratch`` and start them all in one Pyodide."""
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
    started = Started(SCRIPTS / "run_jobs.py", f"{SCRATCH}/jobs.json", scratch=scratch)
    return PyodideRun(started, scratch, models)
