"""Stamp the service worker with the sha256 of every file of the built site.

The service worker (``sw.js``) holds two placeholders that the site build fills in, each a
JSON object mapping a file's path (relative to the site root) to the sha256 of its bytes:
``"__FILES__"``, the files it saves when it installs, and ``"__ON_DEMAND__"``, the files it
saves only once the page asks for them (the original network, which most visits never
load). The worker stores a file only when its bytes match, keyed by that hash; any change
to any file changes the worker's own bytes, so the browser installs the new one.
"""

import hashlib
import json
from pathlib import Path

__all__ = ["NOT_PRECACHED", "SERVICE_WORKER", "stamp_service_worker"]

SERVICE_WORKER = "sw.js"
PLACEHOLDER = '"__FILES__"'
ON_DEMAND_PLACEHOLDER = '"__ON_DEMAND__"'
# The worker is fetched by the browser itself; _headers holds a host's header rules
# (Netlify, Cloudflare Pages), which such hosts apply and do not serve.
NOT_PRECACHED = frozenset({SERVICE_WORKER, "_headers"})


def stamp_service_worker(
    site: Path, exclude: frozenset[str] = frozenset(), on_demand: frozenset[str] = frozenset()
) -> dict[str, str]:
    """Fill in ``site/sw.js`` from the files under ``site``; return the installed mapping.

    exclude : relative posix paths the worker never serves (e.g. bench-only pages)
    on_demand : relative posix paths it saves when first asked for, not when it installs
    Returns {path: sha256 hex} for every file except NOT_PRECACHED, ``exclude`` and
    ``on_demand``, sorted by path (what "__FILES__" becomes).
    Raises FileNotFoundError if ``site/sw.js`` or an ``on_demand`` file is missing,
    ValueError if the worker lacks a placeholder.
    """
    worker = site / SERVICE_WORKER
    source = worker.read_text(encoding="utf-8")
    for placeholder in (PLACEHOLDER, ON_DEMAND_PLACEHOLDER):
        if placeholder not in source:
            raise ValueError(f"{worker} has no {placeholder} placeholder")
    paths = sorted(
        path.relative_to(site).as_posix()
        for path in site.rglob("*")
        if path.is_file()
        and path.relative_to(site).as_posix() not in NOT_PRECACHED | exclude | on_demand
    )
    files = {name: _sha256(site / name) for name in paths}
    later = {name: _sha256(site / name) for name in sorted(on_demand)}
    source = source.replace(PLACEHOLDER, json.dumps(files, indent=2))
    source = source.replace(ON_DEMAND_PLACEHOLDER, json.dumps(later, indent=2))
    worker.write_text(source, encoding="utf-8")
    return files


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
