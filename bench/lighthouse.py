"""Lighthouse on the served site: performance, accessibility and best-practices scores.

``python -m bench.lighthouse [URL]`` prints the figures as JSON; without a URL the site is
built into a temporary folder and served. :func:`run` is what ``python -m bench`` calls.

Lighthouse (the pinned npm package) drives the given Chromium with its default mobile
settings: a phone-sized screen, simulated slow 4G and a 4x slower CPU. Targets (reported,
not asserted): performance >= 90, accessibility 100, best practices >= 95.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tools.paths import REPO_ROOT

__all__ = ["CATEGORIES", "METRICS", "main", "run", "summarize"]

LIGHTHOUSE = REPO_ROOT / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices")
# Lighthouse audit id -> key in the result, with the audit's own unit.
METRICS = {
    "total-blocking-time": "tbt_ms",
    "cumulative-layout-shift": "cls",
    "largest-contentful-paint": "lcp_ms",
}
TIMEOUT_S = 600
# A run on a busy machine can time out waiting for the browser (Lighthouse then reports a
# "runtimeError" with whatever it measured): such a run is tried once more.
ATTEMPTS = 2


def _failed_audits(report: dict, category: str) -> list[str]:
    """Ids of the audits that count towards ``category``'s score and did not pass."""
    audits = report["audits"]
    refs = report["categories"][category]["auditRefs"]
    scored = [audits[ref["id"]] for ref in refs if ref["weight"] > 0]
    return sorted(audit["id"] for audit in scored if audit.get("score") not in (None, 1))


def summarize(report: dict) -> dict:
    """The scores (0-100), the three metrics and the failed audits of a Lighthouse report,
    and the run's error (Lighthouse's message, or None)."""
    categories = report["categories"]
    return {
        "lighthouse": report["lighthouseVersion"],
        "form_factor": report["configSettings"]["formFactor"],
        "scores": {name: round(100 * categories[name]["score"]) for name in CATEGORIES},
        **{key: report["audits"][audit]["numericValue"] for audit, key in METRICS.items()},
        "failed": {name: _failed_audits(report, name) for name in CATEGORIES},
        "runtime_error": (report.get("runtimeError") or {}).get("message"),
    }


def _lighthouse(url: str, chromium: str, out: Path) -> dict:
    """One Lighthouse run; its JSON report (written even when the run hit an error)."""
    command = [
        str(LIGHTHOUSE),
        url,
        "--output=json",
        f"--output-path={out}",
        f"--only-categories={','.join(CATEGORIES)}",
        "--chrome-flags=--headless=new --no-sandbox",
        "--quiet",
    ]
    env = {**os.environ, "CHROME_PATH": chromium}
    finished = subprocess.run(command, env=env, timeout=TIMEOUT_S, check=False)
    if not out.is_file():
        raise subprocess.CalledProcessError(finished.returncode, command)
    return json.loads(out.read_text(encoding="utf-8"))


def run(url: str, chromium: str) -> dict:
    """Lighthouse against ``url`` with the Chromium at ``chromium``: the summary of the
    first run without an error, else of the last run.

    Raises FileNotFoundError when the npm package is not installed (npm ci), and
    subprocess.CalledProcessError when Lighthouse writes no report.
    """
    if not LIGHTHOUSE.is_file():
        raise FileNotFoundError(f"{LIGHTHOUSE} is missing (npm ci)")
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as folder:
        for attempt in range(ATTEMPTS):
            report = _lighthouse(url, chromium, Path(folder) / f"report-{attempt}.json")
            if "runtimeError" not in report:
                break
    return summarize(report)


def main(argv: list[str] | None = None) -> int:
    """Command line entry: print the summary for a URL, or for a freshly built site."""
    args = sys.argv[1:] if argv is None else argv
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if args:
        print(json.dumps(run(args[0], chromium), indent=2))
        return 0
    from tools.build_site import build_site
    from tools.serve import start_server

    with tempfile.TemporaryDirectory(prefix="lighthouse-site-") as folder:
        wheels = os.environ.get("PYODIDE_WHEELS")
        info = build_site(Path(folder) / "site", wheels=Path(wheels) if wheels else None)
        server = start_server(info.out)
        try:
            url = f"http://127.0.0.1:{server.server_port}/"
            print(json.dumps(run(url, chromium), indent=2))
        finally:
            server.shutdown()
            server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
