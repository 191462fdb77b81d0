"""The service worker is stamped with every site file and a content version."""

import json
import re
from pathlib import Path

import pytest

from tools.precache import stamp_service_worker

WORKER_SOURCE = Path(__file__).resolve().parent.parent / "web" / "sw.js"


def make_site(root: Path, files: dict[str, bytes]) -> Path:
    site = root / "site"
    for name, data in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(data)
    (site / "sw.js").write_text(WORKER_SOURCE.read_text())
    return site


def stamped(site: Path) -> tuple[str, list[str]]:
    text = (site / "sw.js").read_text()
    version = json.loads(re.search(r"const BUILD_VERSION = (.+);", text).group(1))
    files = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", text, re.S).group(1))
    return version, files


def test_lists_every_file_but_itself_and_excluded_ones(tmp_path):
    site = make_site(
        tmp_path,
        {"index.html": b"<html>", "pyodide/numpy.whl": b"wheel", "bench/floor.html": b"x"},
    )
    version = stamp_service_worker(site, exclude=frozenset({"bench/floor.html"}))
    assert stamped(site) == (version, ["./", "./index.html", "./pyodide/numpy.whl"])


def test_version_changes_with_any_file_content(tmp_path):
    first = stamp_service_worker(make_site(tmp_path / "a", {"index.html": b"v1"}))
    same = stamp_service_worker(make_site(tmp_path / "b", {"index.html": b"v1"}))
    changed = stamp_service_worker(make_site(tmp_path / "c", {"index.html": b"v2"}))
    assert first == same != changed


def test_refuses_a_worker_without_placeholders(tmp_path):
    site = make_site(tmp_path, {"index.html": b""})
    stamp_service_worker(site)
    with pytest.raises(ValueError, match="placeholders"):
        stamp_service_worker(site)
