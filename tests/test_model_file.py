"""The model file reader refuses oversized and malformed archives before paying for them:
no RecursionError, MemoryError or inflated gigabytes, only ModelFileError."""

import io
import json
import tracemalloc
import zipfile

import numpy as np
import pytest
from test_network import LAYERS, make_arrays

from recognizer.model_file import (
    MAX_FILE_BYTES,
    MAX_JSON_DEPTH,
    MAX_MEMBER_BYTES,
    MAX_MEMBERS,
    MAX_SPEC_CHARS,
    MAX_TOTAL_BYTES,
    ModelFileError,
    read_model_file,
    save_network,
)

SPEC = {"format": "recognizer-npz", "version": 1, "input_shape": [28, 28, 1], "layers": LAYERS}


def npy(array: np.ndarray) -> bytes:
    """The .npy bytes np.save writes for ``array``."""
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def spec_member(text: str) -> bytes:
    return npy(np.array(text))


def members(spec_text: str | None = None) -> dict[str, bytes]:
    """A valid model file's members (name -> bytes); ``spec_text`` replaces its JSON."""
    text = json.dumps(SPEC) if spec_text is None else spec_text
    arrays = {f"{name}.npy": npy(value) for name, value in make_arrays().items()}
    return {"model.json.npy": spec_member(text), **arrays}


def archive(
    contents: dict[str, bytes], compression: int = zipfile.ZIP_STORED, comment: bytes = b""
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zipped:
        for name, data in contents.items():
            zipped.writestr(name, data)
        zipped.comment = comment
    return buffer.getvalue()


def nested_meta_spec(depth: int) -> str:
    """The spec's JSON text with ``"meta": {"x": [[...]]}``, nesting ``depth`` deep in all."""
    lists = depth - 2  # the document's object, then meta's object
    return json.dumps(SPEC)[:-1] + ', "meta": {"x": ' + "[" * lists + "]" * lists + "}}"


def test_a_hand_built_archive_reads():
    model = read_model_file(archive(members()))
    assert [layer.entry() for layer in model.layers] == LAYERS


def test_deep_nesting_is_refused_before_parsing():
    """json.loads would raise RecursionError here (and overflow Pyodide's stack)."""
    text = nested_meta_spec(50_000)
    assert len(text) <= MAX_SPEC_CHARS
    with pytest.raises(ModelFileError, match=f"nests 50000 deep \\(at most {MAX_JSON_DEPTH}\\)"):
        read_model_file(archive(members(text)))


def test_nesting_up_to_the_limit_reads_and_brackets_in_strings_do_not_count():
    assert read_model_file(archive(members(nested_meta_spec(MAX_JSON_DEPTH)))).meta["x"]
    with pytest.raises(ModelFileError, match="nests"):
        read_model_file(archive(members(nested_meta_spec(MAX_JSON_DEPTH + 1))))
    text = json.dumps({**SPEC, "meta": {"note": '[{"\\"' * 1000}})
    assert read_model_file(archive(members(text))).meta["note"].startswith('[{"')


def test_overlong_json_is_refused():
    text = json.dumps({**SPEC, "meta": {"note": "x" * MAX_SPEC_CHARS}})
    with pytest.raises(ModelFileError, match=f"characters \\(at most {MAX_SPEC_CHARS}\\)"):
        read_model_file(archive(members(text)))


def test_a_huge_integer_in_json_is_refused():
    text = json.dumps(SPEC)[:-1] + ', "meta": {"n": ' + "9" * 5000 + "}}"
    with pytest.raises(ModelFileError, match="not valid JSON"):
        read_model_file(archive(members(text)))


def test_an_npy_header_claiming_two_to_the_40_elements_is_refused():
    """np.load would try to allocate 4 TiB and raise MemoryError."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (2**40,)}
    )
    contents = {**members(), "c1/bias.npy": header.getvalue() + bytes(16)}
    with pytest.raises(ModelFileError, match=r"'c1/bias.npy' declares \(1099511627776,\)"):
        read_model_file(archive(contents))


def test_a_header_shape_that_its_member_does_not_hold_is_refused():
    contents = members()
    contents["c1/bias.npy"] = contents["c1/bias.npy"][:-4]  # one float32 short
    with pytest.raises(ModelFileError, match="'c1/bias.npy' declares .* do not hold"):
        read_model_file(archive(contents))


def test_a_member_declared_larger_than_the_limit_is_refused_before_inflating():
    """9 MiB of zeros deflate to a few kilobytes: a small file that would inflate."""
    big = npy(np.zeros((MAX_MEMBER_BYTES + 2**20) // 4, np.float32))
    data = archive({**members(), "stray.npy": big}, zipfile.ZIP_DEFLATED)
    assert len(data) < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match=f"'stray.npy' inflates to .* {MAX_MEMBER_BYTES}"):
            read_model_file(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20


def test_members_declared_larger_than_the_total_limit_are_refused():
    part = npy(np.zeros(MAX_MEMBER_BYTES // 4 - 64, np.float32))
    count = MAX_TOTAL_BYTES // len(part) + 1
    extra = {f"stray{i}.npy": part for i in range(count)}
    data = archive({**members(), **extra}, zipfile.ZIP_DEFLATED)
    with pytest.raises(ModelFileError, match=f"the members inflate to .* {MAX_TOTAL_BYTES}"):
        read_model_file(data)


def understate_size(data: bytes, name: str, size: int) -> bytes:
    """The archive with its central directory declaring ``size`` inflated bytes for ``name``."""
    out = bytearray(data)
    entry = out.rindex(name.encode()) - 46  # the directory entry's fixed part precedes it
    assert out[entry : entry + 4] == b"PK\x01\x02"
    out[entry + 24 : entry + 28] = size.to_bytes(4, "little")
    return bytes(out)


def test_inflation_stops_at_the_declared_size():
    """A directory that understates a member's size gets that many bytes inflated, then a
    checksum error: the 9 MiB behind them are never inflated."""
    bias = npy(np.zeros(4, np.float32))
    padded = bias + bytes(MAX_MEMBER_BYTES + 2**20)
    data = archive({**members(), "c1/bias.npy": padded}, zipfile.ZIP_DEFLATED)
    data = understate_size(data, "c1/bias.npy", len(bias))
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match="CRC"):
            read_model_file(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20


def test_too_many_members_are_refused_before_the_directory_is_parsed():
    extra = {f"stray{i}.npy": npy(np.zeros(1, np.float32)) for i in range(MAX_MEMBERS)}
    with pytest.raises(ModelFileError, match=f"lists {MAX_MEMBERS + 9} members"):
        read_model_file(archive({**members(), **extra}))


def test_an_oversized_file_is_refused_unread():
    with pytest.raises(ModelFileError, match=f"larger than {MAX_FILE_BYTES} bytes"):
        read_model_file(bytes(MAX_FILE_BYTES + 1))
    with pytest.raises(ModelFileError, match="larger than"):
        read_model_file(io.BytesIO(bytes(MAX_FILE_BYTES + 1)))


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda m: archive(m, comment=b"hello"), "no zip end record at its end"),
        (lambda m: archive(m, zipfile.ZIP_BZIP2), "encrypted or oddly compressed"),
        (lambda m: archive({**m, "notes.txt": b"hi"}), "'notes.txt' is not an .npy array"),
        (lambda m: archive(m) + b"\0", "no zip end record at its end"),
    ],
)
def test_archives_np_savez_would_not_write_are_refused(damage, message):
    with pytest.raises(ModelFileError, match=message):
        read_model_file(damage(members()))


def test_compressed_files_read_like_stored_ones(tmp_path):
    path = tmp_path / "m.npz"
    np.savez_compressed(
        path, **{"model.json": np.array(json.dumps({**SPEC, "meta": {}}))}, **make_arrays()
    )
    assert read_model_file(path).entries() == LAYERS


def test_save_refuses_what_the_reader_would_refuse(tmp_path):
    deep: list = []
    for _ in range(MAX_JSON_DEPTH):
        deep = [deep]
    target = tmp_path / "never.npz"
    with pytest.raises(ModelFileError, match="nests"):
        save_network(target, LAYERS, make_arrays(), meta={"x": deep})
    assert not target.exists()


def test_a_checked_file_gives_back_what_was_saved(tmp_path):
    arrays = {k: v.astype(np.float16) for k, v in make_arrays().items()}
    save_network(tmp_path / "m.npz", LAYERS, arrays, meta={"name": "tiny"})
    model = read_model_file(tmp_path / "m.npz")
    assert model.entries() == LAYERS and dict(model.meta) == {"name": "tiny"}
    assert list(model.arrays()) == list(arrays)
    for key, value in model.arrays().items():
        assert value.dtype == np.float16
        np.testing.assert_array_equal(value, arrays[key])
