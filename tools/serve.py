"""Serve a built site over HTTP with the MIME types and headers the page needs.

``python -m tools.serve [--port 8000] [--out site] [--wheels DIR] [--no-build]`` builds the
site (see :mod:`tools.build_site`) and serves it on http://localhost:PORT until Ctrl+C.
:func:`start_server` runs the same server in a background thread (tests, evaluation).

Like the hosts that read it (Netlify, Cloudflare Pages), the server applies the site's
``_headers`` file (:func:`read_header_rules`) and does not serve the file itself.
"""

import argparse
import contextlib
import functools
import sys
import threading
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from tools.build_site import main as build_main
from tools.paths import REPO_ROOT

__all__ = ["HEADERS_FILE", "MIME_TYPES", "SiteHandler", "main", "read_header_rules", "start_server"]

HEADERS_FILE = "_headers"

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


HeaderRules = list[tuple[str, list[tuple[str, str]]]]


def read_header_rules(path: Path) -> HeaderRules:
    """The rules of a ``_headers`` file, in file order: [(URL pattern, [(name, value)])].

    A rule is a URL path (a trailing ``*`` matches any rest) on its own line, followed by
    indented ``Name: value`` lines; ``#`` starts a comment line. A missing file has no rules.
    """
    if not path.is_file():
        return []
    rules: HeaderRules = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace():
            name, _, value = line.strip().partition(":")
            rules[-1][1].append((name.strip(), value.strip()))
        else:
            rules.append((line.strip(), []))
    return rules


def _matches(pattern: str, path: str) -> bool:
    return path.startswith(pattern[:-1]) if pattern.endswith("*") else path == pattern


class SiteHandler(SimpleHTTPRequestHandler):
    """Static file handler with explicit MIME types, the site's header rules, and no
    per-request logging."""

    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        **MIME_TYPES,
    }

    def __init__(self, *args, header_rules: HeaderRules | None = None, **kwargs):
        self.header_rules = header_rules or []  # set first: the base class handles the request
        super().__init__(*args, **kwargs)

    def send_head(self):
        """As the base class, but the header rules file is not served."""
        if urlsplit(self.path).path == f"/{HEADERS_FILE}":
            self.send_error(HTTPStatus.NOT_FOUND)
            return None
        return super().send_head()

    def end_headers(self) -> None:
        """Add the headers of every rule that matches the request's path."""
        path = urlsplit(self.path).path
        for pattern, headers in self.header_rules:
            if _matches(pattern, path):
                for name, value in headers:
                    self.send_header(name, value)
        super().end_headers()

    def log_message(self, format: str, *args) -> None:
        """Stay quiet: the server runs beside tests and benchmarks."""


def _handler(directory: Path, handler_class: type[SiteHandler] = SiteHandler):
    """The request handler for a site folder, with its header rules."""
    rules = read_header_rules(directory / HEADERS_FILE)
    return functools.partial(handler_class, directory=str(directory), header_rules=rules)


def start_server(
    directory: Path,
    port: int = 0,
    host: str = "127.0.0.1",
    handler_class: type[SiteHandler] = SiteHandler,
) -> ThreadingHTTPServer:
    """Serve ``directory`` from a daemon thread; port 0 picks a free port.

    The returned server is already accepting connections; its URL is
    ``http://{host}:{server.server_port}/``. Call ``server.shutdown()`` to stop it.
    The header rules are read once, when the server starts. ``handler_class``: a
    SiteHandler subclass that changes how the files are sent (a slower line, say).
    """
    handler = _handler(directory, handler_class)
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="site-server", daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    """Build (unless --no-build) and serve until interrupted; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "site")
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
    handler = _handler(args.out)
    with ThreadingHTTPServer(("localhost", args.port), handler) as server:
        print(f"serving {args.out} on http://localhost:{args.port}/ (Ctrl+C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
