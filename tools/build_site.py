"""Assemble the deployable static site from web/, the weights and the pinned runtimes.

``python -m tools.build_site [--out site] [--wheels DIR] [--model default] [--seed seed]``

Layout of the output folder (everything same-origin, nothing fetched from a CDN)::

    index.html  *.js  style.css  main.py ...  every file of web/ (no caches)
    _headers                 HTTP headers for hosts that read this file (Netlify, Cloudflare)
    pyscript.json            the Python worker's configuration: web/pyscript.toml plus a
                             generated "files" table
    site.json                model path, size and sha256; runtime versions; page settings
    recognizer/*.py          in-page Python package (listed in [files])
    model/<name>.npz, .json  the network and its model card
    model/seed.npz           the original network, which the page loads only when the
                             comparison is switched on (not a start-up download)
    pyscript/                core.js, core.css and the chunks the page imports
    pyodide/                 runtime, pyodide-lock.json and the four wheels beside it

``site.json`` records the model's path, size and sha256 and the runtime versions, so the
page can check what it downloads, the same for the original network under ``seed`` (or
null when the build has none), and under ``page`` the values the page's JavaScript shares
with the Python modules (:data:`PAGE_SETTINGS`), so the page reads them instead of repeating
them. The service worker in web/ (sw.js) is stamped last with the sha256 of every file
(:mod:`tools.precache`); the original network is saved for offline use only once the page
has asked for it.

Wheels come from ``--wheels`` or ``$PYODIDE_WHEELS``, otherwise from the official Pyodide
distribution; every wheel must match the sha256 in ``pyodide-lock.json`` or the build stops
with :class:`BuildError`.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import tomllib
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from recognizer.preprocess import MAX_IMAGE_BYTES
from tools.paths import REPO_ROOT
from tools.precache import SERVICE_WORKER, stamp_service_worker
from tools.unipen import BRUSH_FRACTION

__all__ = [
    "PAGE_SETTINGS",
    "PYODIDE_FILES",
    "PYODIDE_PACKAGES",
    "BuildError",
    "SiteInfo",
    "build_site",
    "main",
    "pyscript_chunks",
    "sha256_file",
]

SKIPPED_PARTS = {"__pycache__", ".DS_Store"}  # never copied from web/
PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.asm.js",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
PYODIDE_PACKAGES = ("numpy", "pillow", "micropip", "packaging")
PAGE_PACKAGES = ("numpy", "pillow")  # the wheels the page's Python loads (web/pyscript.toml)
PYODIDE_CDN = "https://cdn.jsdelivr.net/pyodide/v{version}/full/{file_name}"
# Lazily imported PyScript chunks the page uses: the error plugin (kept even when
# disabled, to route errors off the DOM). Every configuration is JSON: no TOML parser.
PAGE_CHUNK_PREFIXES = ("error",)
IMPORT_RE = re.compile(r"""(?:\bfrom|\bimport)\s*\(?\s*["']\./([\w.-]+\.js)["']""")
CHUNK_RE = re.compile(r"^(?P<prefix>[\w-]+?)-[\w-]{8}\.js$")
# site.json "page": what the page's JavaScript shares with the Python modules.
PAGE_SETTINGS = {
    "maxUploadBytes": MAX_IMAGE_BYTES,  # larger image files are refused unread
    "brushFraction": BRUSH_FRACTION,  # pen width as a fraction of the pad's side
    "stallSeconds": 30,  # a start-up download that brings no byte for this long has failed
    "pythonStartSeconds": 120,  # last resort: Python's start after all its files arrived
}


class BuildError(RuntimeError):
    """The site cannot be built: a missing input or a file that fails its checksum."""


@dataclass(frozen=True)
class SiteInfo:
    """What a build produced: the output folder and the page's manifest (site.json)."""

    out: Path
    manifest: dict


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pyscript_chunks(dist: Path) -> list[str]:
    """File names under @pyscript/core/dist that the page loads.

    Follows static imports from core.js, plus the lazily imported chunks whose name
    starts with one of PAGE_CHUNK_PREFIXES (editor, terminal, game, zip and
    CodeMirror/xterm chunks are left out; the page's pyscript.toml disables them).
    """
    needed: list[str] = []
    pending = ["core.js"]
    while pending:
        name = pending.pop()
        if name in needed:
            continue
        path = dist / name
        if not path.is_file():
            raise BuildError(f"PyScript chunk {name} is missing from {dist} (run npm ci)")
        needed.append(name)
        source = path.read_text(encoding="utf-8")
        static = {m.group(1) for m in IMPORT_RE.finditer(source) if "(" not in m.group(0)}
        dynamic = {m.group(1) for m in IMPORT_RE.finditer(source)} - static
        pending.extend(static)
        for chunk in dynamic:
            match = CHUNK_RE.match(chunk)
            if match and match.group("prefix") in PAGE_CHUNK_PREFIXES:
                pending.append(chunk)
    return sorted(needed)


def _copy(src: Path, dst: Path) -> None:
    if not src.is_file():
        raise BuildError(f"missing input file: {src}")
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def _page_files(web: Path) -> list[Path]:
    """Every file under web/ except caches and pyscript.toml (rendered as pyscript.json)."""
    return sorted(
        path
        for path in web.rglob("*")
        if path.is_file()
        and path.suffix != ".pyc"
        and not SKIPPED_PARTS.intersection(path.relative_to(web).parts)
        and path.relative_to(web).as_posix() != "pyscript.toml"
    )


def _fetch_wheel(file_name: str, version: str, wheels: Path | None, dst: Path) -> None:
    """Copy a wheel from ``wheels`` or download it from the official distribution."""
    if wheels is not None:
        _copy(wheels / file_name, dst)
        return
    url = PYODIDE_CDN.format(version=version, file_name=file_name)
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(dst, "wb") as out:
            shutil.copyfileobj(response, out)
    except OSError as error:
        raise BuildError(
            f"cannot download {url} ({error}); pass --wheels DIR or set PYODIDE_WHEELS"
        ) from error


def _add_wheels(lock_path: Path, wheels: Path | None, dst_dir: Path) -> dict[str, str]:
    """Copy or download the PYODIDE_PACKAGES wheels; returns {package: wheel file name}."""
    lock = json.loads(lock_path.read_text(encoding="utf-8"))
    version = lock["info"]["version"]
    names = {}
    for package in PYODIDE_PACKAGES:
        entry = lock["packages"][package]
        dst = dst_dir / entry["file_name"]
        _fetch_wheel(entry["file_name"], version, wheels, dst)
        actual = sha256_file(dst)
        if actual != entry["sha256"]:
            dst.unlink()
            raise BuildError(
                f"wheel {entry['file_name']} does not match pyodide-lock.json: "
                f"sha256 {actual}, expected {entry['sha256']}"
            )
        names[package] = entry["file_name"]
    return names


def _downloads(site: Path, groups: dict[str, list[str]]) -> dict[str, dict[str, dict]]:
    """site.json "downloads": {step: {path: {bytes, sha256}}} for the files of each start-up
    step, paths relative to the site root; the page counts and checks them as they arrive."""
    return {
        step: {
            path: {"bytes": (site / path).stat().st_size, "sha256": sha256_file(site / path)}
            for path in paths
        }
        for step, paths in groups.items()
    }


def _worker_config(source: Path, modules: list[str]) -> dict:
    """The Python worker's PyScript configuration: ``source`` (TOML, with comments) plus a
    "files" table that puts main.py, bytecode.py and the recognizer modules into the
    interpreter's file system (the worker's entry point, worker.py, imports them)."""
    config = tomllib.loads(source.read_text(encoding="utf-8"))
    if "files" in config:
        raise BuildError(f"{source} must not define [files]; the build writes that table")
    paths = ["./main.py", "./bytecode.py", *(f"./recognizer/{name}" for name in modules)]
    config["files"] = {path: path for path in paths}
    return config


def _seed_entry(site: Path, path: str) -> dict:
    """site.json "seed": the original network's file, which the page fetches on demand."""
    return {
        "name": Path(path).stem,
        "path": path,
        "bytes": (site / path).stat().st_size,
        "sha256": sha256_file(site / path),
    }


def build_site(
    out: Path,
    wheels: Path | None = None,
    model: str = "default",
    root: Path = REPO_ROOT,
    weights_dir: Path | None = None,
    seed: str = "seed",
) -> SiteInfo:
    """Build the site into ``out`` (replaced if it exists) and return what was written.

    wheels : folder with the Pyodide wheels, or None to download them.
    model : weights preset name: <weights_dir>/<model>.npz and <model>.json (model card).
    weights_dir : folder of the presets; default <root>/weights.
    seed : preset shown beside ``model`` when the page's comparison is switched on; left
        out when <weights_dir>/<seed>.npz is absent or ``seed`` is ``model``.
    Raises BuildError on a missing input or a wheel whose sha256 does not match.
    """
    web = root / "web"
    dist = root / "node_modules" / "@pyscript" / "core" / "dist"
    pyodide = root / "node_modules" / "pyodide"
    weights_dir = weights_dir or root / "weights"
    weights = weights_dir / f"{model}.npz"
    card = weights_dir / f"{model}.json"
    seed_weights = weights_dir / f"{seed}.npz"
    seed_path = f"model/{seed}.npz" if seed != model and seed_weights.is_file() else None
    for path in (dist, pyodide, weights):
        if not path.exists():
            raise BuildError(f"missing input: {path}")
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        for path in _page_files(web):
            _copy(path, staging / path.relative_to(web))
        modules = sorted(p.name for p in (web / "recognizer").glob("*.py"))
        config = _worker_config(web / "pyscript.toml", modules)
        (staging / "pyscript.json").write_text(json.dumps(config, indent=2) + "\n")
        for name in [*pyscript_chunks(dist), "core.css"]:
            _copy(dist / name, staging / "pyscript" / name)
        for name in PYODIDE_FILES:
            _copy(pyodide / name, staging / "pyodide" / name)
        wheel_names = _add_wheels(pyodide / "pyodide-lock.json", wheels, staging / "pyodide")
        _copy(weights, staging / "model" / f"{model}.npz")
        if card.is_file():
            _copy(card, staging / "model" / f"{model}.json")
        if seed_path:
            _copy(seed_weights, staging / seed_path)
        manifest = {
            "model": {
                "name": model,
                "path": f"model/{model}.npz",
                "bytes": weights.stat().st_size,
                "sha256": sha256_file(weights),
                "card": f"model/{model}.json" if card.is_file() else None,
            },
            "seed": _seed_entry(staging, seed_path) if seed_path else None,
            "pyodide": json.loads((pyodide / "package.json").read_text())["version"],
            "pyscript": json.loads((dist.parent / "package.json").read_text())["version"],
            "wheels": sorted(wheel_names.values()),
            "page": PAGE_SETTINGS,
            "downloads": _downloads(
                staging,
                {
                    "runtime": [f"pyodide/{name}" for name in PYODIDE_FILES],
                    "packages": [f"pyodide/{wheel_names[name]}" for name in PAGE_PACKAGES],
                    "model": [f"model/{model}.npz"],
                },
            ),
        }
        (staging / "site.json").write_text(json.dumps(manifest, indent=2) + "\n")
        if (staging / SERVICE_WORKER).is_file():
            on_demand = frozenset([seed_path] if seed_path else [])
            stamp_service_worker(staging, on_demand=on_demand)  # last: it hashes every file
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    return SiteInfo(out=out, manifest=manifest)


def main(argv: list[str] | None = None) -> int:
    """Command line entry; returns the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "site", help="output folder")
    parser.add_argument(
        "--wheels",
        type=Path,
        default=Path(os.environ["PYODIDE_WHEELS"]) if os.environ.get("PYODIDE_WHEELS") else None,
        help="folder with the Pyodide wheels (default $PYODIDE_WHEELS, else download)",
    )
    parser.add_argument("--model", default="default", help="weights preset name")
    parser.add_argument(
        "--seed", default="seed", help="preset the page can compare with, loaded on demand"
    )
    parser.add_argument("--weights-dir", type=Path, help="folder of weight presets (./weights)")
    args = parser.parse_args(argv)
    try:
        info = build_site(
            args.out,
            wheels=args.wheels,
            model=args.model,
            weights_dir=args.weights_dir,
            seed=args.seed,
        )
    except BuildError as error:
        print(f"build failed: {error}", file=sys.stderr)
        return 1
    files = [p for p in info.out.rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    print(f"built {info.out}: {len(files)} files, {total / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
