"""Where the project's files and its shared data are, for tools, benchmarks and tests.

The data that is not in the repository (MNIST, the pen digits, the Pyodide wheels) is found
through an environment variable, else in ``../shared`` beside the checkout.
"""

import os
from pathlib import Path

__all__ = ["REPO_ROOT", "SHARED_DEFAULTS", "shared_path"]

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DEFAULTS = {  # environment variable -> its default under ../shared
    "MNIST_DIR": Path("data") / "mnist",
    "PENDIGITS_FILE": Path("data") / "pendigits" / "pendigits-orig.tra",
    "PYODIDE_WHEELS": Path("pyodide"),
}


def shared_path(variable: str) -> Path:
    """The path in environment ``variable`` (one of SHARED_DEFAULTS), else its default."""
    value = os.environ.get(variable)
    return Path(value) if value else REPO_ROOT.parent / "shared" / SHARED_DEFAULTS[variable]
