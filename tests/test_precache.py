"""The service worker is stamped with the sha256 of every site file."""

import hashlib
import json
import re
from pathlib import Path

import pytest

from tools.paths import REPO_ROOT
from tools.precache import stamp_service_worker

WORKER_SOURCE = REPO_ROOT / "web" / "sw.js"


def make_site(root: Path, files: dict[str, bytes]) -> Path:
    site = root / "site"
    for name, data in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(data)
    (site / "sw.js").write_text(WORKER_SOURCE.read_text())
    return site


def stamped(site: Path, name: str = "FILES") -> dict[str, str]:
    """The FILES (or ON_DEMAND) object written into site/sw.js."""
    text = (site / "sw.js").read_text()
    return json.loads(re.search(rf"const {name} = (\{{.*?\}});", text, re.S).group(1))


def test_records_the_hash_of_every_file_but_itself_and_excluded_ones(tmp_path):
    site = make_site(
        tmp_path,
        {
            "index.html": b"<html>",
            "pyodide/numpy.whl": b"wheel",
            "bench/floor.html": b"x",
            "_headers": b"/*\n  X-Content-Type-Options: nosniff\n",
        },
    )
    files = stamp_service_worker(site, exclude=frozenset({"bench/floor.html"}))
    assert files == stamped(site)
    assert list(files) == ["index.html", "pyodide/numpy.whl"]
    assert files["index.html"] == hashlib.sha256(b"<html>").hexdigest()
    assert files["pyodide/numpy.whl"] == hashlib.sha256(b"wheel").hexdigest()


def test_files_on_demand_are_listed_apart(tmp_path):
    site = make_site(tmp_path, {"index.html": b"<html>", "model/seed.npz": b"seed"})
    files = stamp_service_worker(site, on_demand=frozenset({"model/seed.npz"}))
    assert files == stamped(site) == {"index.html": hashlib.sha256(b"<html>").hexdigest()}
    assert stamped(site, "ON_DEMAND") == {"model/seed.npz": hashlib.sha256(b"seed").hexdigest()}
    site = make_site(tmp_path / "none", {"index.html": b""})
    stamp_service_worker(site)
    assert stamped(site, "ON_DEMAND") == {}


def test_the_worker_changes_with_any_file_content(tmp_path):
    workers = []
    for folder, content in (("a", b"v1"), ("b", b"v1"), ("c", b"v2")):
        site = make_site(tmp_path / folder, {"index.html": content})
        stamp_service_worker(site)
        workers.append((site / "sw.js").read_bytes())
    assert workers[0] == workers[1] != workers[2]


def test_refuses_a_worker_without_placeholder(tmp_path):
    site = make_site(tmp_path, {"index.html": b""})
    stamp_service_worker(site)
    with pytest.raises(ValueError, match="placeholder"):
        stamp_service_worker(site)
