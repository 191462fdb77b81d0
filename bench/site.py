"""The site as deployed, plus a bench-only floor page using the same runtime files.

The floor page (``bench-floor/index.html``) starts PyScript with the same Pyodide and
wheels as the app, imports NumPy and Pillow, and sets ``data-app-state="ready"``: the
least any PyScript page with these packages takes. It is written into the benchmark's
own build output only, never into the deployed site.
"""

from pathlib import Path

from bench.nets import REPO_ROOT, write_standin
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


def build_bench_site(out: Path, wheels: Path | None, scratch: Path) -> tuple[SiteInfo, bool]:
    """Build the site into ``out`` with the floor page added; return (info, trained).

    The default preset's weights are used when present, else a random-weight stand-in
    (start-up, bytes and latency do not depend on the values). trained tells which.
    """
    weights_dir = REPO_ROOT / "weights"
    trained = (weights_dir / "default.npz").exists()
    if not trained:
        weights_dir = scratch / "standin-weights"
        weights_dir.mkdir(parents=True, exist_ok=True)
        write_standin("default", weights_dir / "default.npz")
    info = build_site(out, wheels=wheels, weights_dir=weights_dir)
    floor = out / FLOOR_DIR
    floor.mkdir()
    (floor / "index.html").write_text(FLOOR_HTML, encoding="utf-8")
    (floor / "pyscript.toml").write_text(_floor_toml(out), encoding="utf-8")
    return info, trained
