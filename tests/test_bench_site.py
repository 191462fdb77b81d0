"""The benchmark's build: the deployed site plus the floor page, a bare PyScript page on the
main thread with the app's runtime, packages and disabled plugins."""

import json

import pytest

from bench.site import FLOOR_DIR, build_bench_site


@pytest.fixture(scope="module")
def bench_site(tmp_path_factory, pyodide_wheels, weights_dir):
    out = tmp_path_factory.mktemp("bench") / "site"
    build_bench_site(out, pyodide_wheels)
    return out


def test_floor_page_runs_the_sites_pyodide_with_numpy_and_pillow(bench_site):
    floor = bench_site / FLOOR_DIR
    config = json.loads((floor / "pyscript.json").read_text())
    app = json.loads((bench_site / "pyscript.json").read_text())
    assert config["interpreter"] == "../pyodide/pyodide.mjs"
    assert (floor / config["interpreter"]).resolve() == (bench_site / "pyodide/pyodide.mjs")
    assert config["packages"] == app["packages"] == ["numpy", "pillow"]
    assert "files" not in config  # none of the app's own modules
    assert "!error" in config["plugins"] and "!py-editor" in config["plugins"]
    html = (floor / "index.html").read_text()
    assert "import numpy" in html and "import PIL.Image" in html
    assert 'config="./pyscript.json"' in html
