"""``build_weights.py --quick`` for each preset, run in the background beside other tests.

The runs are CPU work that is not urgent: they run at a lower priority (nice 10), so they
take the time the page tests spend waiting (on a page's start, a slow line, a stall) rather
than slowing those tests down. What each run prints goes to files (a pipe nobody reads
could fill up and stop it).
"""

import os
import subprocess
import sys
from pathlib import Path

from tools.paths import REPO_ROOT

__all__ = ["PRESETS", "QuickBuilds"]

PRESETS = ("default", "seed")
MEMBERS = {"default": ("--members", "2")}  # the default's quick build also merges two members
TIMEOUT_S = 900


class QuickBuilds:
    """One quick build per preset into ``folder / preset``, each also writing its
    reliability diagram there (``reliability.png``, the default for an output folder other
    than weights/)."""

    def __init__(self, folder: Path, mnist_dir: Path, pendigits_file: Path):
        self.runs: dict[str, subprocess.Popen] = {}
        for preset in PRESETS:
            out = folder / preset
            out.mkdir()
            command = [
                *(sys.executable, str(REPO_ROOT / "build_weights.py"), "--preset", preset),
                *("--quick", "--out", str(out), "--data-dir", str(mnist_dir)),
                *("--pen-file", str(pendigits_file)),
                *MEMBERS.get(preset, ()),
            ]
            with (out / "stdout").open("w") as stdout, (out / "stderr").open("w") as stderr:
                self.runs[preset] = subprocess.Popen(
                    command,
                    cwd=REPO_ROOT,
                    stdout=stdout,
                    stderr=stderr,
                    preexec_fn=lambda: os.nice(10),
                )
        self.folder = folder

    def result(self, preset: str) -> Path:
        """Wait for ``preset``'s build; its output folder. Raises AssertionError (with what
        it printed on stderr) if it failed."""
        code = self.runs[preset].wait(timeout=TIMEOUT_S)
        out = self.folder / preset
        assert code == 0, (out / "stderr").read_text()[-4000:]
        return out

    def stop(self) -> None:
        """End the builds still running."""
        for run in self.runs.values():
            if run.poll() is None:
                run.kill()
                run.wait()
