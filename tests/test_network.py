"""The model file loader and the network built from it."""

import hashlib
import io
import json

import numpy as np
import pytest
from naive_layers import conv2d_naive, dense_naive, max_pool2d_naive, softmax_naive

from recognizer.network import ModelFileError, load_network, save_network

LAYERS = [
    {"type": "conv2d", "name": "c1", "activation": "relu"},  # (26, 26, 4)
    {"type": "max_pool2d"},  # (13, 13, 4)
    {"type": "conv2d", "name": "c2", "activation": "relu"},  # (11, 11, 6)
    {"type": "max_pool2d"},  # (5, 5, 6): the odd last row and column are dropped
    {"type": "flatten"},  # (150,)
    {"type": "dense", "name": "d1", "activation": "relu"},  # (16,)
    {"type": "dense", "name": "d2", "activation": "softmax"},  # (10,)
]


def make_arrays(seed: int = 0, n_classes: int = 10) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    shapes = {
        "c1/kernel": (3, 3, 1, 4),
        "c1/bias": (4,),
        "c2/kernel": (3, 3, 4, 6),
        "c2/bias": (6,),
        "d1/kernel": (5 * 5 * 6, 16),
        "d1/bias": (16,),
        "d2/kernel": (16, n_classes),
        "d2/bias": (n_classes,),
    }
    return {k: (rng.standard_normal(s) * 0.3).astype(np.float32) for k, s in shapes.items()}


def reference_forward(x: np.ndarray, w: dict[str, np.ndarray]) -> np.ndarray:
    """The same network written out with the naive layers."""
    h = max_pool2d_naive(np.maximum(conv2d_naive(x, w["c1/kernel"], w["c1/bias"]), 0))
    h = max_pool2d_naive(np.maximum(conv2d_naive(h, w["c2/kernel"], w["c2/bias"]), 0))
    h = h.reshape(len(h), -1)
    h = np.maximum(dense_naive(h, w["d1/kernel"], w["d1/bias"]), 0)
    return softmax_naive(dense_naive(h, w["d2/kernel"], w["d2/bias"]))


def write(tmp_path, arrays, layers=LAYERS, spec_overrides=None, name="model.npz"):
    """Write an .npz by hand (bypassing save_network's checks) and return its path."""
    spec = {"format": "recognizer-npz", "version": 1, "input_shape": [28, 28, 1], "layers": layers}
    spec.update(spec_overrides or {})
    path = tmp_path / name
    np.savez(path, **{"model.json": np.array(json.dumps(spec))}, **arrays)
    return path


@pytest.fixture
def images():
    return np.random.default_rng(7).random((3, 28, 28), dtype=np.float32)


def test_round_trip_matches_naive_reference(tmp_path, images):
    arrays = make_arrays()
    save_network(tmp_path / "m.npz", LAYERS, arrays, meta={"name": "tiny"})
    net = load_network(tmp_path / "m.npz")
    probs = net.predict_proba(images)
    assert probs.shape == (3, 10) and probs.dtype == np.float32
    np.testing.assert_allclose(probs, reference_forward(images[..., None], arrays), atol=1e-5)
    np.testing.assert_allclose(net.predict_proba(images[..., None]), probs)
    assert net.meta == {"name": "tiny"}


def test_relu_runs_after_the_pool_it_precedes(tmp_path, images):
    """conv+relu -> max pool is run as conv -> pool -> relu (same result, less work)."""
    save_network(tmp_path / "m.npz", LAYERS, make_arrays())
    steps = load_network(tmp_path / "m.npz").steps
    names = [getattr(step, "func", step).__name__ for step in steps]
    assert names == [
        *("conv2d", "max_pool2d", "relu"),
        *("conv2d", "max_pool2d", "relu"),
        *("flatten", "dense", "relu", "dense", "softmax"),
    ]


def test_a_not_a_digit_class_is_an_eleventh_output(tmp_path, images):
    arrays = make_arrays(n_classes=11)
    probs = load_network(write(tmp_path, arrays)).predict_proba(images)
    assert probs.shape == (3, 11)
    np.testing.assert_allclose(probs, reference_forward(images[..., None], arrays), atol=1e-5)


def test_loads_from_bytes_and_file_objects(tmp_path, images):
    path = write(tmp_path, make_arrays())
    expected = load_network(path).predict_proba(images)
    data = path.read_bytes()
    np.testing.assert_array_equal(load_network(data).predict_proba(images), expected)
    np.testing.assert_array_equal(load_network(io.BytesIO(data)).predict_proba(images), expected)


def test_float16_weights_are_used_as_float32(tmp_path, images):
    half = {k: v.astype(np.float16) for k, v in make_arrays().items()}
    net = load_network(write(tmp_path, half))
    widened = {k: v.astype(np.float32) for k, v in half.items()}
    probs = net.predict_proba(images)
    assert probs.dtype == np.float32
    np.testing.assert_allclose(probs, reference_forward(images[..., None], widened), atol=1e-5)


def test_wrong_input_shape_is_rejected(tmp_path):
    net = load_network(write(tmp_path, make_arrays()))
    with pytest.raises(ValueError, match="expected input"):
        net.predict_proba(np.zeros((1, 27, 28), np.float32))


def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_network(tmp_path / "absent.npz")


@pytest.mark.parametrize(
    "payload, message",
    [
        (b"", "not a readable .npz"),
        (b"hello, this is text", "not a readable .npz"),
        (b"PK\x03\x04 truncated zip header", "not a readable .npz"),
    ],
)
def test_non_npz_bytes_are_rejected(payload, message):
    with pytest.raises(ModelFileError, match=message):
        load_network(payload)


def test_truncated_and_corrupted_files_are_rejected(tmp_path):
    data = write(tmp_path, make_arrays()).read_bytes()
    with pytest.raises(ModelFileError, match="not a readable .npz"):
        load_network(data[: len(data) // 2])
    corrupted = bytearray(data)
    middle = len(data) // 2
    corrupted[middle : middle + 64] = bytes(64)
    with pytest.raises(ModelFileError):
        load_network(bytes(corrupted))


def test_single_npy_and_pickles_are_rejected(tmp_path):
    npy = io.BytesIO()
    np.save(npy, np.zeros(3))
    with pytest.raises(ModelFileError, match="single .npy"):
        load_network(npy.getvalue())
    pickled = io.BytesIO()
    np.savez(pickled, **{"model.json": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(ModelFileError, match="holds Python objects"):
        load_network(pickled.getvalue())


def test_missing_spec_is_rejected(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, weights=np.zeros(3))
    with pytest.raises(ModelFileError, match="missing 'model.json'"):
        load_network(path)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"format": "other"}, "does not declare format"),
        ({"version": 2}, "unsupported format version 2"),
        ({"input_shape": [28, 28]}, r"'input_shape' must be \[28, 28, 1\]"),
        ({"input_shape": [32, 32, 1]}, r"'input_shape' must be \[28, 28, 1\]"),
        ({"layers": []}, "'layers' must be a non-empty list"),
        ({"meta": [1]}, "'meta' must be an object"),
    ],
)
def test_bad_spec_fields_are_rejected(tmp_path, overrides, message):
    with pytest.raises(ModelFileError, match=message):
        load_network(write(tmp_path, make_arrays(), spec_overrides=overrides))


def test_invalid_json_is_rejected(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, **{"model.json": np.array("{not json")})
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load_network(path)


def replace_layer(index, **fields):
    layers = [dict(layer) for layer in LAYERS]
    layers[index] = {**layers[index], **fields}
    return layers


def without(arrays, key):
    return {k: v for k, v in arrays.items() if k != key}


@pytest.mark.parametrize(
    "layers, arrays, message",
    [
        (replace_layer(1, type="avg_pool2d"), None, r"layer 1: unknown layer type 'avg_pool2d'"),
        ([*LAYERS[:5], {"type": "dropout"}, *LAYERS[5:]], None, "unknown layer type 'dropout'"),
        (replace_layer(1, type=["max_pool2d"]), None, r"unknown layer type \['max_pool2d'\]"),
        (replace_layer(0, activation="tanh"), None, r"layer 0 \(conv2d\): activation must be"),
        (replace_layer(0, activation="linear"), None, r"layer 0 \(conv2d\): activation must be"),
        (replace_layer(0, padding="same"), None, r"layer 0 \(conv2d\): unknown field 'padding'"),
        (replace_layer(0, strides=[1, 1]), None, r"layer 0 \(conv2d\): unknown field 'strides'"),
        (replace_layer(1, pool_size=[3, 3]), None, "unknown field 'pool_size'"),
        (replace_layer(5, name=""), None, "needs a 'name'"),
        (LAYERS[:4] + LAYERS[5:], None, "needs a flat input"),
        ([*LAYERS[:5], LAYERS[4], *LAYERS[5:]], None, r"layer 5 \(flatten\): needs \(H, W, C\)"),
        (replace_layer(6, activation="relu"), None, "must end in a dense layer with softmax"),
        (replace_layer(5, activation="softmax"), None, "softmax is for the last layer only"),
        (LAYERS, "five classes", "must output 10 or 11 classes, outputs 5"),
        (LAYERS, "drop c2/bias", r"layer 2 \(conv2d\): missing array 'c2/bias'"),
        (LAYERS, "shape d1/kernel", r"'d1/kernel' has shape \(100, 16\), expected \(150, 16\)"),
        (
            LAYERS,
            "shape c2/kernel",
            r"'c2/kernel' has shape \(3, 3, 5, 6\), expected \(3, 3, 4, 6\)",
        ),
        (LAYERS, "empty c1/kernel", r"'c1/kernel' has shape \(0, 3, 1, 4\), expected \(kh"),
        (LAYERS, "nan d2/bias", "'d2/bias' contains NaN or infinite"),
        (LAYERS, "int c1/bias", "'c1/bias' has dtype int64"),
        (LAYERS, "extra", "arrays not used by any layer: stray"),
        (replace_layer(2, groups=4), None, r"'groups' must be a whole number dividing 4 input"),
        (replace_layer(2, groups=0), None, "'groups' must be a whole number"),
        (replace_layer(2, groups=True), None, "'groups' must be a whole number"),
        (replace_layer(2, groups=2.0), None, "'groups' must be a whole number"),
        (
            replace_layer(2, groups=2),
            None,
            r"'c2/kernel' has shape \(3, 3, 4, 6\), expected \(3, 3, 2, 6\)",
        ),
    ],
)
def test_mismatched_files_are_rejected_with_one_clear_message(tmp_path, layers, arrays, message):
    weights = make_arrays()
    match arrays:
        case "five classes":
            weights = make_arrays(n_classes=5)
        case "drop c2/bias":
            weights = without(weights, "c2/bias")
        case "shape d1/kernel":
            weights["d1/kernel"] = np.zeros((100, 16), np.float32)
        case "shape c2/kernel":
            weights["c2/kernel"] = np.zeros((3, 3, 5, 6), np.float32)
        case "empty c1/kernel":
            weights["c1/kernel"] = np.zeros((0, 3, 1, 4), np.float32)
        case "nan d2/bias":
            weights["d2/bias"][3] = np.nan
        case "int c1/bias":
            weights["c1/bias"] = np.arange(4)
        case "extra":
            weights["stray"] = np.zeros(2, np.float32)
    with pytest.raises(ModelFileError, match=message):
        load_network(write(tmp_path, weights, layers=layers))


def test_a_grouped_convolution_reads_its_own_input_channels(tmp_path, images):
    weights = make_arrays()
    weights["c2/kernel"] = weights["c2/kernel"][:, :, :2]  # (3, 3, 4 / 2, 6)
    path = write(tmp_path, weights, layers=replace_layer(2, groups=2))
    network = load_network(path)
    assert network.layers[2].groups == 2 and network.layers[2].entry()["groups"] == 2
    assert network.layers[2].macs == 11 * 11 * 3 * 3 * 2 * 6
    x = images[..., None]
    h = max_pool2d_naive(np.maximum(conv2d_naive(x, weights["c1/kernel"], weights["c1/bias"]), 0))
    h = np.maximum(conv2d_naive(h, weights["c2/kernel"], weights["c2/bias"], groups=2), 0)
    h = np.maximum(dense_naive(max_pool2d_naive(h).reshape(3, -1), *_dense(weights, "d1")), 0)
    expected = softmax_naive(dense_naive(h, *_dense(weights, "d2")))
    np.testing.assert_allclose(network.predict_proba(images), expected, atol=1e-5)


def _dense(weights, name):
    return weights[f"{name}/kernel"], weights[f"{name}/bias"]


def test_save_refuses_an_invalid_network_and_writes_nothing(tmp_path):
    target = tmp_path / "never.npz"
    with pytest.raises(ModelFileError, match="missing array"):
        save_network(target, LAYERS, without(make_arrays(), "d2/kernel"))
    assert not target.exists()


def test_kernel_too_big_for_input_is_rejected(tmp_path):
    layers = [
        {"type": "conv2d", "name": "c", "activation": "relu"},
        {"type": "flatten"},
        {"type": "dense", "name": "d", "activation": "softmax"},
    ]
    arrays = {
        "c/kernel": np.zeros((29, 29, 1, 2), np.float32),
        "c/bias": np.zeros(2, np.float32),
        "d/kernel": np.zeros((2, 10), np.float32),
        "d/bias": np.zeros(10, np.float32),
    }
    with pytest.raises(ModelFileError, match="does not fit"):
        load_network(write(tmp_path, arrays, layers=layers))


def test_kernel_with_wrong_rank_is_rejected(tmp_path):
    weights = make_arrays()
    weights["c1/kernel"] = weights["c1/kernel"][0]
    with pytest.raises(
        ModelFileError, match=r"'c1/kernel' has shape \(3, 1, 4\), expected \(kh, kw"
    ):
        load_network(write(tmp_path, weights))


def test_checksum_is_verified_when_given(tmp_path, images):
    path = write(tmp_path, make_arrays())
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    expected = load_network(path).predict_proba(images)
    for source, checksum in [(path, digest), (data, digest), (io.BytesIO(data), digest.upper())]:
        probs = load_network(source, checksum).predict_proba(images)
        np.testing.assert_array_equal(probs, expected)
    tampered = bytearray(data)
    tampered[-100] ^= 1
    with pytest.raises(ModelFileError, match="checksum mismatch"):
        load_network(bytes(tampered), digest)
