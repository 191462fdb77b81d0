"""The site build: what it copies, the wheel checksum gate, the manifest, the service
worker's file hashes, the host headers file, and the server."""

import hashlib
import json
import re
import shutil
import urllib.error
import urllib.request

import numpy as np
import pytest

from recognizer import preprocess
from recognizer.network import save_network
from tools import unipen
from tools.build_site import (
    PYODIDE_FILES,
    PYODIDE_PACKAGES,
    BuildError,
    build_site,
    main,
    pyscript_chunks,
)
from tools.paths import REPO_ROOT
from tools.serve import read_header_rules, start_server

DIST = REPO_ROOT / "node_modules" / "@pyscript" / "core" / "dist"
LOCK = json.loads((REPO_ROOT / "node_modules" / "pyodide" / "pyodide-lock.json").read_text())
STATIC_IMPORT = re.compile(r'(?:\bfrom|\bimport)\s*"\./([\w.-]+\.js)"')  # not import("...")
WHEELS = {LOCK["packages"][name]["file_name"] for name in PYODIDE_PACKAGES}


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory):
    """A tiny valid model file (the build must not depend on trained weights)."""
    folder = tmp_path_factory.mktemp("weights")
    rng = np.random.default_rng(0)
    save_network(
        folder / "default.npz",
        [{"type": "flatten"}, {"type": "dense", "name": "dense1", "activation": "softmax"}],
        {
            "dense1/kernel": rng.normal(size=(784, 10)).astype(np.float32),
            "dense1/bias": np.zeros(10, np.float32),
        },
    )
    return folder


@pytest.fixture(scope="module")
def site(tmp_path_factory, pyodide_wheels, tiny_weights):
    out = tmp_path_factory.mktemp("build") / "site"
    return build_site(out, wheels=pyodide_wheels, weights_dir=tiny_weights)


def files_under(folder):
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_runtime_and_wheels_sit_together(site):
    pyodide = files_under(site.out / "pyodide")
    assert pyodide == set(PYODIDE_FILES) | WHEELS
    for name in WHEELS:
        entry = next(e for e in LOCK["packages"].values() if e["file_name"] == name)
        digest = hashlib.sha256((site.out / "pyodide" / name).read_bytes()).hexdigest()
        assert digest == entry["sha256"]


def test_only_the_pyscript_chunks_the_page_loads(site):
    copied = files_under(site.out / "pyscript")
    assert {"core.js", "core.css"} <= copied
    assert len(copied) < len(list(DIST.iterdir())) / 4  # most of dist/ stays out
    for unused in ("codemirror", "xterm", "py-editor", "py-terminal", "py-game", "zip", ".map"):
        assert not [name for name in copied if unused in name], unused
    # Every static import of a copied module is copied too.
    for name in copied - {"core.css"}:
        source = (DIST / name).read_text()
        for imported in set(STATIC_IMPORT.findall(source)):
            assert imported in copied, f"{name} imports {imported}"


def test_chunk_list_follows_core_imports():
    chunks = pyscript_chunks(DIST)
    core = next(name for name in chunks if name.startswith("core-"))
    assert f'"./{core}"' in (DIST / "core.js").read_text()
    assert any(name.startswith("error-") for name in chunks)


def test_page_and_package_are_copied_without_caches(site, tmp_path):
    copied = files_under(site.out)
    for name in ("index.html", "app.js", "pad.js", "view.js", "style.css", "main.py", "_headers"):
        assert name in copied
    assert not [name for name in copied if "__pycache__" in name or name.endswith(".pyc")]
    assert not (site.out / "pyscript.toml").exists()  # rendered as JSON
    config = json.loads((site.out / "pyscript.json").read_text())
    modules = {p.name for p in (REPO_ROOT / "web" / "recognizer").glob("*.py")}
    assert set(config["files"]) == {"./main.py", "./bytecode.py"} | {
        f"./recognizer/{name}" for name in modules
    }
    for target in config["files"].values():
        assert (site.out / target).is_file()
    assert config["interpreter"] == "./pyodide/pyodide.mjs"


def test_manifest_records_the_model_checksum(site, tiny_weights):
    manifest = json.loads((site.out / "site.json").read_text())
    model = site.out / manifest["model"]["path"]
    data = (tiny_weights / "default.npz").read_bytes()
    assert model.read_bytes() == data
    assert manifest["model"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["model"]["bytes"] == len(data)
    assert manifest == site.manifest


def test_without_an_original_network_the_manifest_says_so(site):
    manifest = json.loads((site.out / "site.json").read_text())
    assert manifest["seed"] is None
    assert not (site.out / "model" / "seed.npz").exists()


def test_the_original_network_is_shipped_but_not_a_start_up_download(
    tmp_path, pyodide_wheels, tiny_weights
):
    weights = tmp_path / "weights"
    shutil.copytree(tiny_weights, weights)
    seed = (tiny_weights / "default.npz").read_bytes()  # any valid model file will do
    (weights / "seed.npz").write_bytes(seed)
    out = build_site(tmp_path / "site", wheels=pyodide_wheels, weights_dir=weights).out
    manifest = json.loads((out / "site.json").read_text())
    assert manifest["seed"] == {
        "name": "seed",
        "path": "model/seed.npz",
        "bytes": len(seed),
        "sha256": hashlib.sha256(seed).hexdigest(),
    }
    assert (out / "model" / "seed.npz").read_bytes() == seed
    every_download = [path for entries in manifest["downloads"].values() for path in entries]
    assert "model/seed.npz" not in every_download
    # The service worker saves it only once the page asks for it.
    worker = (out / "sw.js").read_text()
    installed = json.loads(re.search(r"const FILES = (\{.*?\});", worker, re.S).group(1))
    later = json.loads(re.search(r"const ON_DEMAND = (\{.*?\});", worker, re.S).group(1))
    assert later == {"model/seed.npz": hashlib.sha256(seed).hexdigest()}
    assert "model/seed.npz" not in installed and "model/default.npz" in installed
    # A build of the original network itself compares it with nothing.
    alone = build_site(tmp_path / "alone", wheels=pyodide_wheels, model="seed", weights_dir=weights)
    assert alone.manifest["seed"] is None


def test_manifest_gives_the_page_the_python_settings(site):
    """The page's JavaScript reads these from site.json instead of repeating them."""
    page = json.loads((site.out / "site.json").read_text())["page"]
    assert page == {
        "maxUploadBytes": preprocess.MAX_IMAGE_BYTES,
        "brushFraction": unipen.BRUSH_FRACTION,
        "stallSeconds": 30,
        "pythonStartSeconds": 120,
    }


def test_manifest_lists_every_start_up_download_with_its_checksum(site):
    """The page counts, watches and checks exactly the files the Python worker loads."""
    downloads = json.loads((site.out / "site.json").read_text())["downloads"]
    assert set(downloads) == {"runtime", "packages", "model"}
    assert set(downloads["runtime"]) == {f"pyodide/{name}" for name in PYODIDE_FILES}
    wheels = sorted(path.split("/")[1].split("-")[0] for path in downloads["packages"])
    assert wheels == ["numpy", "pillow"]
    assert list(downloads["model"]) == ["model/default.npz"]
    for entries in downloads.values():
        for path, entry in entries.items():
            data = (site.out / path).read_bytes()
            assert entry == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def test_wheel_hash_mismatch_stops_the_build(tmp_path, pyodide_wheels, tiny_weights):
    wheels = tmp_path / "wheels"
    shutil.copytree(pyodide_wheels, wheels)
    numpy_wheel = LOCK["packages"]["numpy"]["file_name"]
    with open(wheels / numpy_wheel, "ab") as handle:
        handle.write(b"tampered")
    out = tmp_path / "site"
    with pytest.raises(BuildError, match=rf"{numpy_wheel}.*sha256"):
        build_site(out, wheels=wheels, weights_dir=tiny_weights)
    assert not out.exists()
    assert not (tmp_path / "site.partial").exists()


def test_cli_reports_a_bad_wheel(tmp_path, pyodide_wheels, tiny_weights, capsys):
    wheels = tmp_path / "wheels"
    shutil.copytree(pyodide_wheels, wheels)
    pillow_wheel = LOCK["packages"]["pillow"]["file_name"]
    (wheels / pillow_wheel).write_bytes(b"not a wheel")
    args = ["--out", str(tmp_path / "site"), "--wheels", str(wheels)]
    status = main([*args, "--weights-dir", str(tiny_weights)])
    assert status == 1
    error = capsys.readouterr().err
    assert pillow_wheel in error and "does not match pyodide-lock.json" in error


def test_missing_wheel_is_reported(tmp_path, tiny_weights):
    with pytest.raises(BuildError, match="missing input file"):
        build_site(tmp_path / "site", wheels=tmp_path, weights_dir=tiny_weights)


def test_a_failed_build_keeps_the_previous_site(tmp_path, pyodide_wheels, tiny_weights):
    out = build_site(tmp_path / "site", wheels=pyodide_wheels, weights_dir=tiny_weights).out
    with pytest.raises(BuildError):
        build_site(out, wheels=tmp_path / "nowhere", weights_dir=tiny_weights)
    assert (out / "index.html").is_file()


def test_server_sends_the_mime_types_the_page_needs(site):
    server = start_server(site.out)
    base = f"http://127.0.0.1:{server.server_port}/"
    try:
        expected = {
            "pyodide/pyodide.asm.wasm": "application/wasm",
            "pyodide/pyodide.mjs": "text/javascript",
            "app.js": "text/javascript",
            "index.html": "text/html",
        }
        for path, mime in expected.items():
            with urllib.request.urlopen(base + path) as response:
                assert response.headers["Content-Type"].split(";")[0] == mime, path
    finally:
        server.shutdown()
        server.server_close()


def test_service_worker_is_stamped_with_the_hash_of_every_served_file(site):
    worker = (site.out / "sw.js").read_text()
    assert "__FILES__" not in worker
    files = json.loads(re.search(r"const FILES = (\{.*?\});", worker, re.S).group(1))
    assert set(files) == files_under(site.out) - {"sw.js", "_headers"}
    for name, digest in files.items():
        assert hashlib.sha256((site.out / name).read_bytes()).hexdigest() == digest, name


def meta_csp(html: str) -> str:
    return re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)


def test_host_headers_add_to_the_page_policy(site):
    rules = dict(read_header_rules(site.out / "_headers"))
    everywhere = dict(rules["/*"])
    page_policy = meta_csp((site.out / "index.html").read_text())
    assert everywhere["Content-Security-Policy"] == f"{page_policy}; frame-ancestors 'none'"
    assert everywhere["X-Content-Type-Options"] == "nosniff"
    assert everywhere["Referrer-Policy"] == "no-referrer"
    for path in ("/sw.js", "/site.json"):
        assert rules[path] == [("Cache-Control", "no-cache")]


def test_server_applies_the_host_headers_and_hides_their_file(site):
    server = start_server(site.out)
    base = f"http://127.0.0.1:{server.server_port}/"
    try:
        with urllib.request.urlopen(base + "site.json") as response:
            assert response.headers["Cache-Control"] == "no-cache"
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        with urllib.request.urlopen(base) as response:
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["Cache-Control"] is None
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(base + "_headers")
        assert refused.value.code == 404
    finally:
        server.shutdown()
        server.server_close()
