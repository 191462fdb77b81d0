"""The MNIST database: find, download, verify and decode the four IDX gzip files.

The files are looked for in a data directory (``--data-dir``, else the environment
variable ``MNIST_DIR``, else ``~/.cache/digit-recognizer/mnist``). Missing files are
downloaded from public mirrors into that directory. Every file is checked by the
sha256 of its *decompressed* bytes (mirrors wrap the same content in different gzip
headers); a mismatch, a truncated or a corrupt gzip raises :class:`MnistError` naming
the file.
"""

import gzip
import hashlib
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "DEFAULT_CACHE_DIR",
    "DEFAULT_MIRRORS",
    "FILES",
    "SHA256",
    "Mnist",
    "MnistError",
    "decode_idx",
    "download_file",
    "load_mnist",
    "read_test_set",
    "read_verified",
    "resolve_data_dir",
]

FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
SHA256 = {  # of the decompressed bytes
    "train-images-idx3-ubyte.gz": (
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
    ),
    "train-labels-idx1-ubyte.gz": (
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
    ),
    "t10k-images-idx3-ubyte.gz": (
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
    ),
    "t10k-labels-idx1-ubyte.gz": (
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
    ),
}
DEFAULT_MIRRORS = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "digit-recognizer" / "mnist"
DOWNLOAD_TIMEOUT_S = 60
CHUNK_BYTES = 1 << 16


class MnistError(RuntimeError):
    """An MNIST file is missing, corrupt, truncated or has the wrong content."""


@dataclass(frozen=True)
class Mnist:
    """The decoded data set.

    x_train : (N_train, 28, 28) uint8, white digit on black
    y_train : (N_train,) uint8 labels 0..9
    x_test, y_test : the same for the test set
    sha256 : file name -> sha256 of its decompressed bytes, as verified
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    sha256: dict[str, str]


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The data directory: the argument, else $MNIST_DIR, else the user cache directory."""
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get("MNIST_DIR")
    return Path(env) if env else DEFAULT_CACHE_DIR


def read_verified(path: Path, expected_sha256: str) -> bytes:
    """Decompress a gzip file and check the sha256 of its content.

    returns : the decompressed bytes
    Raises MnistError (naming the file) on a corrupt or truncated gzip or a wrong hash.
    """
    try:
        with gzip.open(path, "rb") as stream:
            data = stream.read()
    except (OSError, EOFError, zlib.error) as error:
        raise MnistError(f"{path}: corrupt or truncated gzip ({error})") from error
    got = hashlib.sha256(data).hexdigest()
    if got != expected_sha256:
        raise MnistError(
            f"{path}: sha256 of the decompressed content is {got}, expected {expected_sha256}"
        )
    return data


def decode_idx(data: bytes, name: str) -> np.ndarray:
    """Decode an unsigned-byte IDX file (magic 0x0000080d, d = number of dimensions).

    returns : uint8 array of the shape the header declares
    Raises MnistError on a bad header or a size that does not match it.
    """
    if len(data) < 4 or data[:3] != b"\x00\x00\x08":
        raise MnistError(f"{name}: not an unsigned-byte IDX file")
    ndim = data[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if len(data) != header + int(np.prod(shape)):
        raise MnistError(f"{name}: {len(data) - header} data bytes, header declares shape {shape}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def download_file(
    filename: str, dest_dir: Path, expected_sha256: str, mirrors: Sequence[str] = DEFAULT_MIRRORS
) -> Path:
    """Fetch one file from the first mirror that serves verified content; keep it in dest_dir.

    The download goes to a temporary file that replaces ``dest_dir/filename`` only once
    verified. Raises MnistError listing every mirror's failure.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / filename
    failures = []
    for base in mirrors:
        url = base.rstrip("/") + "/" + filename
        fd, tmp_name = tempfile.mkstemp(prefix=filename + ".", suffix=".part", dir=dest_dir)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                _fetch(url, out)
            read_verified(tmp, expected_sha256)
            os.replace(tmp, target)
            return target
        except (OSError, urllib.error.URLError, MnistError) as error:
            failures.append(f"{url}: {error}")
        finally:
            tmp.unlink(missing_ok=True)
    raise MnistError(f"could not download {filename}:\n  " + "\n  ".join(failures))


def _fetch(url: str, out) -> None:
    """Stream url into the binary file object out, with a progress bar."""
    from tqdm import tqdm  # only downloads need it: reading the files needs NumPy alone

    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
        total = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc=url.rsplit("/", 1)[-1]) as bar:
            while chunk := response.read(CHUNK_BYTES):
                out.write(chunk)
                bar.update(len(chunk))


def load_mnist(
    data_dir: str | os.PathLike | None = None,
    *,
    mirrors: Sequence[str] = DEFAULT_MIRRORS,
    checksums: Mapping[str, str] = SHA256,
) -> Mnist:
    """Load (downloading what is missing) and verify the four MNIST files.

    data_dir : see :func:`resolve_data_dir`
    mirrors : base URLs tried in order for missing files
    checksums : file name -> expected sha256 of the decompressed bytes
    Raises MnistError on a bad file (present or downloaded) or a failed download.
    """
    directory = resolve_data_dir(data_dir)
    arrays, hashes = {}, {}
    for key, filename in FILES.items():
        path = directory / filename
        if not path.exists():
            download_file(filename, directory, checksums[filename], mirrors)
        data = read_verified(path, checksums[filename])
        arrays[key] = decode_idx(data, filename)
        hashes[filename] = checksums[filename]  # verified by read_verified
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.shape != images.shape[:1]:
            raise MnistError(
                f"{split} set: images {images.shape} and labels {labels.shape} do not match"
            )
    return Mnist(
        arrays["train_images"],
        arrays["train_labels"],
        arrays["test_images"],
        arrays["test_labels"],
        hashes,
    )


def read_test_set(directory: str | os.PathLike, limit: int | None = None):
    """The test split from a folder holding its two files, verified, without downloading.

    returns : images (N, 28, 28) uint8 white on black, labels (N,) uint8; the first
        ``limit`` of each when given
    Raises MnistError on a bad file; FileNotFoundError when one is missing.
    """
    names = FILES["test_images"], FILES["test_labels"]
    images, labels = (
        decode_idx(read_verified(Path(directory) / name, SHA256[name]), name) for name in names
    )
    return images[:limit], labels[:limit]
