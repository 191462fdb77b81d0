"""Bytecode kept between visits, so that a later start does not compile the same sources.

Pyodide's NumPy and Pillow wheels and the page's own modules hold Python source only, and
Pyodide's file system lives in memory, so every start compiled them all again: about half
of what importing ``main`` takes. A start first puts back what an earlier one kept
(:func:`unpack`), then imports with :func:`write_while_importing` on, so that Python writes
the ``.pyc`` file of each module it still has to compile. When there were some
(:func:`compiled`: a first visit, a new build's modules), :func:`pack` gathers every
:func:`current` ``.pyc`` file into one zip, which the page keeps (``bytecode.js``) for the
next start.

The packed files are hash-checked ``.pyc`` files (PEP 552): each holds a hash of its source,
and Python uses one only while the source is byte for byte the one it was compiled from
(and the Python version the one that wrote it); otherwise it compiles the source as usual.
A kept zip that no longer fits (a new NumPy, a changed module) costs time, never
correctness.
"""

import importlib.util
import io
import os
import sys
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType

__all__ = ["compiled", "current", "pack", "unpack", "write_while_importing"]

HEADER_BYTES = 16  # magic, flags, then a timestamp and size or a source hash (PEP 552)
SOURCE_HASH = slice(8, HEADER_BYTES)  # where a hash-checked .pyc holds its source's hash
CHECKED_HASH_FLAGS = (0b11).to_bytes(4, "little")  # hash-based, check the source


def write_while_importing() -> None:
    """Let the imports from now on write the ``.pyc`` file of each module they compile
    (Pyodide starts Python with ``PYTHONDONTWRITEBYTECODE``)."""
    sys.dont_write_bytecode = False


def current(modules: Iterable[ModuleType]) -> dict[str, bytes]:
    """The hash-checked ``.pyc`` file (absolute path -> bytes) of each of ``modules`` whose
    ``.pyc`` was written from its present source. Modules without one (built in,
    extensions, read from a zip) are left out."""
    entries = (_checked_pyc(getattr(module, "__spec__", None)) for module in modules)
    return dict(filter(None, entries))


def pack(pycs: Mapping[str, bytes]) -> bytes:
    """A zip of :func:`current`'s ``.pyc`` files, each named by its absolute path."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for path, pyc in pycs.items():
            archive.writestr(path, pyc)
    return buffer.getvalue()


def _checked_pyc(spec) -> tuple[str, bytes] | None:
    """(path, bytes) of the hash-checked ``.pyc`` file of a module's spec, or None."""
    source, cached = getattr(spec, "origin", None), getattr(spec, "cached", None)
    if not (isinstance(source, str) and isinstance(cached, str) and source.endswith(".py")):
        return None
    try:
        pyc, code, stat = Path(cached).read_bytes(), Path(source).read_bytes(), os.stat(source)
    except OSError:  # never written (or not a file: a module read from a zip)
        return None
    magic, flags, validation = pyc[:4], int.from_bytes(pyc[4:8], "little"), pyc[SOURCE_HASH]
    if len(pyc) <= HEADER_BYTES or magic != importlib.util.MAGIC_NUMBER:
        return None
    source_hash = importlib.util.source_hash(code)
    if flags & 1:  # hash-based already: it must be this source's
        fits = validation == source_hash
    else:  # timestamp-based: written from a source of this modification time and size
        fits = validation == b"".join(
            (value & 0xFFFFFFFF).to_bytes(4, "little") for value in (int(stat.st_mtime), len(code))
        )
    if not fits:
        return None
    return cached, magic + CHECKED_HASH_FLAGS + source_hash + pyc[HEADER_BYTES:]


def unpack(data: bytes) -> dict[str, bytes]:
    """Write a :func:`pack` zip's ``.pyc`` files where Python looks for them; returns each
    written file's path and the source hash it holds. Entries that are not this Python's
    ``.pyc`` file of a source present here are skipped, and a damaged zip ends the writing
    quietly (it is only a speed-up)."""
    suffix = f".{sys.implementation.cache_tag}.pyc"
    written = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                path = Path(name)
                in_cache = path.is_absolute() and path.parent.name == "__pycache__"
                if not (in_cache and name.endswith(suffix)):
                    continue
                if not Path(importlib.util.source_from_cache(name)).is_file():
                    continue
                pyc = archive.read(name)
                path.parent.mkdir(exist_ok=True)
                path.write_bytes(pyc)
                written[name] = pyc[SOURCE_HASH]
    except (zipfile.BadZipFile, OSError, ValueError):
        pass
    return written


def compiled(pycs: Mapping[str, bytes], restored: Mapping[str, bytes]) -> int:
    """How many of :func:`current`'s ``.pyc`` files this start compiled from source: those
    that :func:`unpack` did not put back (``restored``), or that were written again because
    their source had changed. Zero means a kept zip still fits."""
    return sum(restored.get(path) != pyc[SOURCE_HASH] for path, pyc in pycs.items())
