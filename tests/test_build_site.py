"""The site build: what it copies, the wheel checksum gate, the manifest, the server."""

import hashlib
import json
import re
import shutil
import tomllib
import urllib.request

import numpy as np
import pytest

from recognizer.network import save_network
from tools.build_site import (
    PYODIDE_FILES,
    PYODIDE_PACKAGES,
    ROOT,
    BuildError,
    build_site,
    main,
    pyscript_chunks,
)
from tools.serve import start_server

DIST = ROOT / "node_modules" / "@pyscript" / "core" / "dist"
LOCK = json.loads((ROOT / "node_modules" / "pyodide" / "pyodide-lock.json").read_text())
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
    for name in ("index.html", "app.js", "pad.js", "view.js", "style.css", "main.py"):
        assert name in copied
    assert not [name for name in copied if "__pycache__" in name or name.endswith(".pyc")]
    config = tomllib.loads((site.out / "pyscript.toml").read_text())
    modules = {p.name for p in (ROOT / "web" / "recognizer").glob("*.py")}
    assert set(config["files"]) == {f"./recognizer/{name}" for name in modules}
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


def test_service_worker_is_stamped_with_every_file(site):
    worker = (site.out / "sw.js").read_text()
    assert "__PRECACHE__" not in worker and "__BUILD_VERSION__" not in worker
    listed = set(json.loads(re.search(r"const PRECACHE = (\[.*?\]);", worker, re.S).group(1)))
    assert {f"./{name}" for name in files_under(site.out) - {"sw.js"}} <= listed
