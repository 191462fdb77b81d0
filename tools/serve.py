"""Serve a built site over HTTP with the MIME types the page needs.

``python -m tools.serve [--port 8000] [--out site] [--wheels DIR] [--no-build]`` builds the
site (see :mod:`tools.build_site`) and serves it on http://localhost:PORT until Ctrl+C.
:func:`start_server` runs the same server in a background thread (tests, evaluation).
"""

import argparse
import contextlib
import functools
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

from tools.build_site import ROOT
from tools.build_site import main as build_main

__all__ = ["MIME_TYPES", "SiteHandler", "main", "start_server"]

MIME_TYPES = {
    ".wasm": "application/wasm",
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".json": "application/json",
    ".toml": "text/plain",
    ".py": "text/plain",
    ".npz": "application/octet-stream",
    ".whl": "application/zip",
    ".zip": "application/zip",
}


class SiteHandler(SimpleHTTPRequestHandler):
    """Static file handler with explicit MIME types and no per-request logging."""

    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        **MIME_TYPES,
    }

    def log_message(self, format: str, *args) -> None:
        """Stay quiet: the server runs beside tests and benchmarks."""


def start_server(directory: Path, port: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Serve ``directory`` from a daemon thread; port 0 picks a free port.

    The returned server is already accepting connections; its URL is
    ``http://{host}:{server.server_port}/``. Call ``server.shutdown()`` to stop it.
    """
    handler = functools.partial(SiteHandler, directory=str(directory))
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="site-server", daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    """Build (unless --no-build) and serve until interrupted; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--out", type=Path, default=ROOT / "site")
    parser.add_argument("--wheels", help="folder with the Pyodide wheels")
    parser.add_argument("--no-build", action="store_true", help="serve the existing folder")
    args = parser.parse_args(argv)
    if not args.no_build:
        build_args = ["--out", str(args.out)] + (["--wheels", args.wheels] if args.wheels else [])
        if build_main(build_args) != 0:
            return 1
    if not (args.out / "index.html").is_file():
        print(f"nothing to serve: {args.out}/index.html is missing", file=sys.stderr)
        return 1
    handler = functools.partial(SiteHandler, directory=str(args.out))
    with ThreadingHTTPServer(("localhost", args.port), handler) as server:
        print(f"serving {args.out} on http://localhost:{args.port}/ (Ctrl+C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
