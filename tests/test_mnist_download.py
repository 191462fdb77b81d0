"""MNIST loading and downloading, against a local HTTP server serving small fake files."""

import functools
import gzip
import hashlib
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tqdm")  # training.mnist needs the train extra

from training.mnist import FILES, SHA256, MnistError, decode_idx, load_mnist, read_verified

N_FAKE = 7


def idx_bytes(array: np.ndarray) -> bytes:
    """An unsigned-byte IDX file holding array."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture(scope="module")
def fake_mnist(tmp_path_factory):
    """Small fake MNIST files: (content dict name -> array, raw IDX bytes, their sha256)."""
    rng = np.random.default_rng(0)
    arrays = {
        FILES["train_images"]: rng.integers(0, 256, (N_FAKE, 28, 28), dtype=np.uint8),
        FILES["train_labels"]: rng.integers(0, 10, N_FAKE, dtype=np.uint8),
        FILES["test_images"]: rng.integers(0, 256, (N_FAKE - 2, 28, 28), dtype=np.uint8),
        FILES["test_labels"]: rng.integers(0, 10, N_FAKE - 2, dtype=np.uint8),
    }
    raw = {name: idx_bytes(value) for name, value in arrays.items()}
    checksums = {name: hashlib.sha256(data).hexdigest() for name, data in raw.items()}
    return arrays, raw, checksums


def write_mirror(root: Path, raw: dict[str, bytes], damage=None) -> Path:
    """Write gzip files into root; damage(name, gz_bytes) -> bytes alters what is served."""
    root.mkdir(parents=True)
    for name, data in raw.items():
        payload = gzip.compress(data)
        (root / name).write_bytes(damage(name, payload) if damage else payload)
    return root


@pytest.fixture
def serve():
    """Start HTTP servers on 127.0.0.1 for folders; returns their base URLs."""
    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        handler.log_message = lambda *args: None
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        # Polled often, so that shutdown() returns at once (not after up to half a second).
        poll = {"poll_interval": 0.01}
        threading.Thread(target=server.serve_forever, kwargs=poll, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_downloads_verifies_and_caches(tmp_path, fake_mnist, serve):
    arrays, raw, checksums = fake_mnist
    url = serve(write_mirror(tmp_path / "mirror", raw))
    cache = tmp_path / "cache"
    data = load_mnist(cache, mirrors=[url], checksums=checksums)
    np.testing.assert_array_equal(data.x_train, arrays[FILES["train_images"]])
    np.testing.assert_array_equal(data.y_test, arrays[FILES["test_labels"]])
    assert data.x_train.dtype == np.uint8 and data.x_test.shape == (N_FAKE - 2, 28, 28)
    assert data.sha256 == checksums
    assert sorted(p.name for p in cache.iterdir()) == sorted(FILES.values())  # no .part left
    # Cached: a second load needs no server.
    again = load_mnist(cache, mirrors=["http://127.0.0.1:9/"], checksums=checksums)
    np.testing.assert_array_equal(again.x_test, data.x_test)


def test_falls_back_to_the_next_mirror(tmp_path, fake_mnist, serve):
    arrays, raw, checksums = fake_mnist
    bad = serve(write_mirror(tmp_path / "bad", raw, lambda name, gz: gzip.compress(b"junk")))
    good = serve(write_mirror(tmp_path / "good", raw))
    data = load_mnist(tmp_path / "cache", mirrors=[bad, good], checksums=checksums)
    np.testing.assert_array_equal(data.y_train, arrays[FILES["train_labels"]])


def test_rejects_wrong_content(tmp_path, fake_mnist, serve):
    _, raw, checksums = fake_mnist
    name = FILES["test_images"]

    def corrupt(file, gz):  # valid gzip, one content byte changed
        if file != name:
            return gz
        data = bytearray(gzip.decompress(gz))
        data[-1] ^= 0xFF
        return gzip.compress(bytes(data))

    url = serve(write_mirror(tmp_path / "mirror", raw, corrupt))
    cache = tmp_path / "cache"
    with pytest.raises(MnistError) as error:
        load_mnist(cache, mirrors=[url], checksums=checksums)
    message = str(error.value)
    assert name in message and checksums[name] in message and "sha256" in message
    assert not (cache / name).exists()  # a rejected download is not cached


def test_rejects_truncated_gzip(tmp_path, fake_mnist, serve):
    _, raw, checksums = fake_mnist
    name = FILES["train_images"]
    url = serve(
        write_mirror(
            tmp_path / "mirror", raw, lambda file, gz: gz[: len(gz) // 2] if file == name else gz
        )
    )
    with pytest.raises(MnistError, match=rf"{name}(.|\n)*truncated"):
        load_mnist(tmp_path / "cache", mirrors=[url], checksums=checksums)


def test_unreachable_mirror_is_reported(tmp_path, fake_mnist):
    _, _, checksums = fake_mnist
    with pytest.raises(MnistError, match="could not download"):
        load_mnist(tmp_path / "cache", mirrors=["http://127.0.0.1:9/"], checksums=checksums)


def test_present_corrupt_file_is_rejected_not_replaced(tmp_path, fake_mnist):
    _, raw, checksums = fake_mnist
    folder = write_mirror(tmp_path / "data", raw)
    name = FILES["train_labels"]
    (folder / name).write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(MnistError, match=f"{name}.*corrupt or truncated gzip"):
        load_mnist(folder, mirrors=[], checksums=checksums)
    assert (folder / name).read_bytes() == b"\x1f\x8b not really gzip"


def test_data_dir_from_environment(tmp_path, fake_mnist, monkeypatch):
    arrays, raw, checksums = fake_mnist
    monkeypatch.setenv("MNIST_DIR", str(write_mirror(tmp_path / "env", raw)))
    data = load_mnist(mirrors=[], checksums=checksums)
    np.testing.assert_array_equal(data.x_train, arrays[FILES["train_images"]])


def test_decode_idx_rejects_bad_files():
    good = idx_bytes(np.zeros((2, 3), np.uint8))
    np.testing.assert_array_equal(decode_idx(good, "x"), np.zeros((2, 3), np.uint8))
    with pytest.raises(MnistError, match="not an unsigned-byte IDX"):
        decode_idx(b"\x00\x00\x0b\x01" + good[4:], "x")
    with pytest.raises(MnistError, match="header declares"):
        decode_idx(good[:-1], "x")


def test_real_mnist_matches_published_checksums(mnist_dir):
    data = load_mnist(mnist_dir, mirrors=[])
    assert data.x_train.shape == (60000, 28, 28) and data.y_train.shape == (60000,)
    assert data.x_test.shape == (10000, 28, 28) and data.y_test.shape == (10000,)
    assert data.x_train.dtype == np.uint8 and set(np.unique(data.y_test)) == set(range(10))
    assert data.sha256 == SHA256
    for name, expected in SHA256.items():
        read_verified(mnist_dir / name, expected)
