"""The ``.npz`` model file: reading it with every size checked before it is paid, and
writing it.

File format (version 1): a zip archive as ``np.savez`` writes it (stored or deflated
members, no archive comment, no pickles) holding

* ``model.json`` -- a 0-d unicode array with the JSON document
  ``{"format": "recognizer-npz", "version": 1, "input_shape": [28, 28, 1],
  "layers": [...], "meta": {...}}``; the layer entries are described in
  ``architecture``, ``meta`` is free-form (model card fields);
* one ``<layer name>/kernel`` and ``<layer name>/bias`` array per conv2d or dense layer,
  float16 or float32.

The reader trusts nothing in the file: the zip's end record bounds its directory before
the directory is parsed, each member's declared size is bounded before it is inflated
(and inflation stops at that size), each array's header must declare exactly the bytes
its member holds before the data is read, and the JSON's length and nesting depth are
bounded before it is parsed. Every problem raises :class:`ModelFileError`.
"""

import hashlib
import io
import json
import math
import os
import re
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from .architecture import INPUT_SHAPE, Layer, ModelFileError, walk

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MAX_DIRECTORY_BYTES",
    "MAX_FILE_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_MEMBERS",
    "MAX_MEMBER_BYTES",
    "MAX_SPEC_CHARS",
    "MAX_TOTAL_BYTES",
    "SPEC_KEY",
    "ModelFile",
    "ModelFileError",
    "read_model_file",
    "save_network",
]

FORMAT_NAME = "recognizer-npz"
FORMAT_VERSION = 1
SPEC_KEY = "model.json"
# Limits, each several times what the committed files need (the largest, seed.npz, is
# 2.4 MB with one 2.4 MB array; stored as float32 it would be twice that).
MAX_FILE_BYTES = 16 * 2**20  # the file itself
MAX_MEMBERS = 64  # arrays in the archive, model.json included
MAX_DIRECTORY_BYTES = 64 * 2**10  # the zip's central directory
MAX_MEMBER_BYTES = 8 * 2**20  # one member, inflated (.npy header and data)
MAX_TOTAL_BYTES = 16 * 2**20  # all members, inflated
MAX_SPEC_CHARS = 2**17  # model.json's text (the default file's is about 5,400)
MAX_JSON_DEPTH = 32  # nesting of [...] and {...} in model.json (the default file's is 6)

READ_CHUNK_BYTES = 2**18  # arrays are inflated and copied this much at a time
NPY_MAGIC = b"\x93NUMPY"
END_RECORD = b"PK\x05\x06"  # zip end of central directory, 22 bytes with no comment
END_RECORD_SIZE = 22
ZIP64_LOCATOR = b"PK\x06\x07"  # precedes the end record in zip64 archives, 20 bytes
JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


@dataclass(frozen=True)
class ModelFile:
    """A checked model file.

    layers : one ``architecture`` layer per entry, holding its weights as stored (float16
        or float32) and its shapes; the first takes ``INPUT_SHAPE``
    meta : the file's free-form ``meta`` object (model card fields)
    """

    layers: tuple[Layer, ...]
    meta: Mapping[str, Any]

    def entries(self) -> list[dict[str, Any]]:
        """The file's "layers" list, one JSON object per layer."""
        return [layer.entry() for layer in self.layers]

    def arrays(self) -> dict[str, np.ndarray]:
        """'<layer name>/kernel' and '/bias' arrays as stored, in layer order."""
        return {key: value for layer in self.layers for key, value in layer.arrays().items()}


def read_model_file(
    source: str | os.PathLike | bytes | BinaryIO, expected_sha256: str | None = None
) -> ModelFile:
    """Read and check a model file (a path, its bytes, or a binary file object).

    expected_sha256 : hex digest the file's bytes must have; None skips the check.
    Raises ModelFileError naming the problem (checksum mismatch and every limit above
    included); OSError if a path cannot be opened.
    """
    data = _read_bytes(source)
    if expected_sha256 is not None:
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected_sha256.lower():
            raise ModelFileError(
                f"checksum mismatch: sha256 {actual[:12]}…, expected {expected_sha256[:12]}…"
            )
    if data.startswith(NPY_MAGIC):
        raise ModelFileError("not an .npz model file (found a single .npy array)")
    arrays = _read_archive(data)
    if SPEC_KEY not in arrays:
        raise ModelFileError(f"missing '{SPEC_KEY}' (not a model file of this format)")
    spec = _parse_spec(arrays.pop(SPEC_KEY))
    if spec.get("input_shape") != list(INPUT_SHAPE):
        raise ModelFileError(
            f"'input_shape' must be {list(INPUT_SHAPE)}, got {spec.get('input_shape')!r}"
        )
    meta = spec.get("meta", {})
    if not isinstance(meta, dict):
        raise ModelFileError("'meta' must be an object")
    return ModelFile(walk(spec.get("layers"), arrays), meta)


def save_network(
    path: str | os.PathLike,
    entries: Sequence[Mapping[str, Any]],
    arrays: Mapping[str, np.ndarray],
    meta: Mapping[str, Any] | None = None,
) -> None:
    """Write a model file, after checking that it reads back as a valid network.

    entries : the "layers" list (see ``architecture``)
    arrays : '<layer name>/kernel' and '/bias' arrays, float16 or float32, stored as given
    Raises ModelFileError if the description is invalid or breaks a limit; nothing is
    written then.
    """
    spec = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "input_shape": list(INPUT_SHAPE),
        "layers": [dict(entry) for entry in entries],
        "meta": dict(meta or {}),
    }
    buffer = io.BytesIO()
    stored = {name: np.asarray(value) for name, value in arrays.items()}
    np.savez(buffer, **{SPEC_KEY: np.array(json.dumps(spec))}, **stored)
    read_model_file(buffer.getvalue())
    Path(path).write_bytes(buffer.getvalue())


def _read_bytes(source: str | os.PathLike | bytes | BinaryIO) -> bytes:
    """The file's bytes, refused past ``MAX_FILE_BYTES`` without reading further."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        with open(source, "rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    else:
        data = source.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ModelFileError(f"the file is larger than {MAX_FILE_BYTES} bytes")
    return data


def _read_archive(data: bytes) -> dict[str, np.ndarray]:
    """name -> array of every member, each checked before it is inflated."""
    _check_end_record(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            _check_members(members)
            return {info.filename[: -len(".npy")]: _read_array(archive, info) for info in members}
    except ModelFileError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise ModelFileError(f"not a readable .npz model file ({error})") from error


def _check_end_record(data: bytes) -> None:
    """The zip's end record, read before ``zipfile`` parses the directory it points to:
    at the very end (no comment), no zip64 records, a directory of bounded size."""
    end = data[-END_RECORD_SIZE:]
    if not end.startswith(END_RECORD):
        raise ModelFileError("not a readable .npz model file (no zip end record at its end)")
    if data[-END_RECORD_SIZE - 20 : -END_RECORD_SIZE].startswith(ZIP64_LOCATOR):
        raise ModelFileError("not a readable .npz model file (zip64 archive)")
    count = int.from_bytes(end[10:12], "little")  # entries in the whole directory
    directory_bytes = int.from_bytes(end[12:16], "little")
    if count > MAX_MEMBERS or directory_bytes > MAX_DIRECTORY_BYTES:
        raise ModelFileError(
            f"the archive lists {count} members in {directory_bytes} bytes "
            f"(at most {MAX_MEMBERS} in {MAX_DIRECTORY_BYTES})"
        )


def _check_members(members: list[zipfile.ZipInfo]) -> None:
    """Member names, count, compression and declared inflated sizes."""
    names = [info.filename for info in members]
    if len(members) > MAX_MEMBERS or len(set(names)) != len(names):
        raise ModelFileError(f"the archive must list at most {MAX_MEMBERS} distinct members")
    for info in members:
        if not info.filename.endswith(".npy"):
            raise ModelFileError(f"member '{info.filename}' is not an .npy array")
        if info.flag_bits & 0x1 or info.compress_type not in (
            zipfile.ZIP_STORED,
            zipfile.ZIP_DEFLATED,
        ):
            raise ModelFileError(f"member '{info.filename}' is encrypted or oddly compressed")
        if info.file_size > MAX_MEMBER_BYTES:
            raise ModelFileError(
                f"member '{info.filename}' inflates to {info.file_size} bytes "
                f"(at most {MAX_MEMBER_BYTES})"
            )
    total = sum(info.file_size for info in members)
    if total > MAX_TOTAL_BYTES:
        raise ModelFileError(f"the members inflate to {total} bytes (at most {MAX_TOTAL_BYTES})")


def _read_array(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """One member's array: its .npy header must declare exactly the bytes the member holds
    before any data is inflated; no more than that is ever inflated."""
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version not in ((1, 0), (2, 0)):
            raise ModelFileError(f"member '{info.filename}': unsupported .npy version {version}")
        read_header = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        shape, fortran_order, dtype = read_header(member)
        if dtype.hasobject:
            raise ModelFileError(f"member '{info.filename}' holds Python objects (a pickle)")
        size = math.prod(shape) * dtype.itemsize
        if min(shape, default=0) < 0 or member.tell() + size != info.file_size:
            raise ModelFileError(
                f"member '{info.filename}' declares {shape} {dtype} ({size} bytes), "
                f"which its {info.file_size} bytes do not hold"
            )
        data = bytearray(size)
        view, filled = memoryview(data), 0
        while filled < size:  # in chunks, as np.load reads: a few fast copies
            chunk = member.read(min(READ_CHUNK_BYTES, size - filled))
            if not chunk:
                raise ModelFileError(f"member '{info.filename}' is truncated")
            view[filled : filled + len(chunk)] = chunk
            filled += len(chunk)
    return np.frombuffer(data, dtype).reshape(shape, order="F" if fortran_order else "C")


def _parse_spec(raw: np.ndarray) -> dict:
    """The JSON document of ``model.json``, bounded in length and depth before parsing."""
    if raw.dtype.kind != "U" or raw.ndim != 0:
        raise ModelFileError(
            f"'{SPEC_KEY}' must be a 0-d string array, got {raw.dtype} {raw.shape}"
        )
    text = str(raw)
    if len(text) > MAX_SPEC_CHARS:
        raise ModelFileError(
            f"'{SPEC_KEY}' holds {len(text)} characters (at most {MAX_SPEC_CHARS})"
        )
    depth = _nesting_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise ModelFileError(f"'{SPEC_KEY}' nests {depth} deep (at most {MAX_JSON_DEPTH})")
    try:
        spec = json.loads(text)
    except ValueError as error:  # JSONDecodeError, or an integer too long to convert
        raise ModelFileError(f"'{SPEC_KEY}' is not valid JSON ({error})") from error
    if not isinstance(spec, dict) or spec.get("format") != FORMAT_NAME:
        raise ModelFileError(f"'{SPEC_KEY}' does not declare format '{FORMAT_NAME}'")
    if spec.get("version") != FORMAT_VERSION:
        raise ModelFileError(
            f"unsupported format version {spec.get('version')!r} (expected {FORMAT_VERSION})"
        )
    return spec


def _nesting_depth(text: str) -> int:
    """Deepest nesting of [...] and {...} in JSON text, brackets inside strings aside."""
    bare = JSON_STRING.sub('""', text)
    codes = np.array(bare).reshape(1).view(np.uint32)  # one code point each, as stored
    opens = (codes == ord("[")) | (codes == ord("{"))
    closes = (codes == ord("]")) | (codes == ord("}"))
    return int(np.cumsum(opens.astype(np.int32) - closes).max(initial=0))
