"""Stamp the service worker with the sha256 of every file of the built site.

The service worker (``sw.js``) holds one placeholder that the site build fills in,
``"__FILES__"``: a JSON object mapping each file's path (relative to the site root) to the
sha256 of its bytes. The worker stores a file only when its bytes match, keyed by that hash;
any change to any file changes the worker's own bytes, so the browser installs the new one.
"""

import hashlib
import json
from pathlib import Path

__all__ = ["NOT_PRECACHED", "SERVICE_WORKER", "stamp_service_worker"]

SERVICE_WORKER = "sw.js"
PLACEHOLDER = '"__FILES__"'
# The worker is fetched by the browser itself; _headers holds a host's header rules
# (Netlify, Cloudflare Pages), which such hosts apply and do not serve.
NOT_PRECACHED = frozenset({SERVICE_WORKER, "_headers"})


def stamp_service_worker(site: Path, exclude: frozenset[str] = frozenset()) -> dict[str, str]:
    """Fill in ``site/sw.js`` from the files under ``site``; return the stamped mapping.

    Returns {path: sha256 hex} for every file except NOT_PRECACHED and ``exclude``
    (relative posix paths, e.g. bench-only pages), sorted by path.
    Raises FileNotFoundError if ``site/sw.js`` is missing, ValueError if it has no placeholder.
    """
    worker = site / SERVICE_WORKER
    source = worker.read_text(encoding="utf-8")
    if PLACEHOLDER not in source:
        raise ValueError(f"{worker} has no {PLACEHOLDER} placeholder")
    paths = sorted(
        path.relative_to(site).as_posix()
        for path in site.rglob("*")
        if path.is_file() and path.relative_to(site).as_posix() not in NOT_PRECACHED | exclude
    )
    files = {name: hashlib.sha256((site / name).read_bytes()).hexdigest() for name in paths}
    worker.write_text(source.replace(PLACEHOLDER, json.dumps(files, indent=2)), encoding="utf-8")
    return files
