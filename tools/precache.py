"""Stamp the service worker with the built site's file list and a content version.

The service worker (``sw.js``) holds two placeholders that the site build fills in:
``"__BUILD_VERSION__"`` (a hash over every file's path and bytes) and ``"__PRECACHE__"``
(the relative URL of every file the app may load). Changing any file changes the version,
so a new deploy gets a fresh cache and old caches are deleted.
"""

import hashlib
import json
from pathlib import Path

__all__ = ["stamp_service_worker"]

SERVICE_WORKER = "sw.js"
NOT_PRECACHED = {SERVICE_WORKER}  # the worker is fetched by the browser itself


def stamp_service_worker(site: Path, exclude: frozenset[str] = frozenset()) -> str:
    """Fill in ``site/sw.js`` from the files under ``site``; return the build version.

    exclude : relative paths (posix) to leave out of the precache list, e.g. bench-only pages.
    Raises FileNotFoundError if ``site/sw.js`` is missing, ValueError if it has no placeholders.
    """
    worker = site / SERVICE_WORKER
    source = worker.read_text(encoding="utf-8")
    if '"__BUILD_VERSION__"' not in source or '"__PRECACHE__"' not in source:
        raise ValueError(f"{worker} has no __BUILD_VERSION__/__PRECACHE__ placeholders")
    files = sorted(
        path.relative_to(site).as_posix()
        for path in site.rglob("*")
        if path.is_file() and path.relative_to(site).as_posix() not in NOT_PRECACHED | exclude
    )
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode() + b"\0" + (site / name).read_bytes() + b"\0")
    version = digest.hexdigest()[:16]
    urls = ["./"] + [f"./{name}" for name in files]
    worker.write_text(
        source.replace('"__BUILD_VERSION__"', json.dumps(version)).replace(
            '"__PRECACHE__"', json.dumps(urls, indent=2)
        ),
        encoding="utf-8",
    )
    return version
