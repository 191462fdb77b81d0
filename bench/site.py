"""The site as deployed, plus a bench-only floor page using the same runtime files.

The floor page (``bench-floor/index.html``) starts PyScript with the same Pyodide and
wheels as the app (on the page's main thread, PyScript's default), imports NumPy and
Pillow, and sets ``data-app-state="ready"``: the least any PyScript page with these
packages takes. It is written into the benchmark's own build output only, never into the
deployed site.
"""

import json
import re
from pathlib import Path

from bench.nets import REPO_ROOT
from tools.build_site import SiteInfo, build_site

__all__ = ["FLOOR_DIR", "build_bench_site"]

FLOOR_DIR = "bench-floor"
FLOOR_HTML = """<!doctype html>
<html lang="en" data-app-state="loading">
<head>
  <meta charset="utf-8">
  <title>Start-up floor: PyScript with NumPy and Pillow</title>
  <link rel="icon" href="data:,">
  <script type="module" src="../pyscript/core.js"></script>
</head>
<body>
  <script type="py" config="./pyscript.json">
import numpy
import PIL.Image
import js

js.document.documentElement.dataset.appState = "ready"
  </script>
</body>
</html>
"""


def _floor_config(site: Path) -> dict:
    """The app's runtime settings (interpreter, packages, and the main-thread plugins it
    disables), with paths from the subfolder; not the app's own modules (files)."""
    app = json.loads((site / "pyscript.json").read_text(encoding="utf-8"))
    plugins = re.search(r"<py-config hidden>(.*?)</py-config>", (site / "index.html").read_text())
    config = {key: value for key, value in app.items() if key != "files"}
    config["interpreter"] = "../" + config["interpreter"].removeprefix("./")
    return {**config, **json.loads(plugins.group(1))}


def build_bench_site(out: Path, wheels: Path | None) -> SiteInfo:
    """Build the site (with the committed weights) into ``out``, with the floor page added."""
    info = build_site(out, wheels=wheels, weights_dir=REPO_ROOT / "weights")
    floor = out / FLOOR_DIR
    floor.mkdir()
    (floor / "index.html").write_text(FLOOR_HTML, encoding="utf-8")
    (floor / "pyscript.json").write_text(json.dumps(_floor_config(out)), encoding="utf-8")
    return info
