"""The site as deployed, plus a bench-only floor page using the same runtime files.

The floor page (``bench-floor/index.html``) starts PyScript with the same Pyodide and
wheels as the app, imports NumPy and Pillow, and sets ``data-app-state="ready"``: the
least any PyScript page with these packages takes. It is written into the benchmark's
own build output only, never into the deployed site.
"""

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
  <script type="py" config="./pyscript.toml">
import numpy
import PIL.Image
import js

js.document.documentElement.dataset.appState = "ready"
  </script>
</body>
</html>
"""


def _floor_toml(site: Path) -> str:
    """The app's runtime settings (interpreter, packages, plugins), paths from the subfolder."""
    lines = []
    for line in (site / "pyscript.toml").read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            break  # the app's own tables ([js_modules.*], [files]) are not wanted
        if line.strip() and not line.lstrip().startswith("#"):
            lines.append(line.replace('"./pyodide/', '"../pyodide/'))
    return "\n".join(lines).rstrip("\n") + "\n"


def build_bench_site(out: Path, wheels: Path | None) -> SiteInfo:
    """Build the site (with the committed weights) into ``out``, with the floor page added."""
    info = build_site(out, wheels=wheels, weights_dir=REPO_ROOT / "weights")
    floor = out / FLOOR_DIR
    floor.mkdir()
    (floor / "index.html").write_text(FLOOR_HTML, encoding="utf-8")
    (floor / "pyscript.toml").write_text(_floor_toml(out), encoding="utf-8")
    return info
