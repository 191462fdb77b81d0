"""The Python bytecode the page keeps between visits (web/bytecode.py): packed from what an
import wrote, put back before the next import, used only while its source is unchanged."""

import importlib
import importlib.util
import io
import marshal
import shutil
import sys
import zipfile

import bytecode
import pytest

PACKAGE = "kept_bytecode_sample"


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A package on sys.path (``PACKAGE.answer`` returns 1), and one in a zip beside it
    (``PACKAGE_zipped``); their modules are forgotten after."""
    root = tmp_path / "lib"
    (root / PACKAGE).mkdir(parents=True)
    (root / PACKAGE / "__init__.py").write_text("")
    (root / PACKAGE / "answer.py").write_text("def answer():\n    return 1\n")
    with zipfile.ZipFile(tmp_path / "zipped.zip", "w") as archive:
        archive.writestr(f"{PACKAGE}_zipped.py", "VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path / "zipped.zip"))
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    yield root / PACKAGE
    for name in [name for name in sys.modules if name.startswith(PACKAGE)]:
        del sys.modules[name]


def fresh_import(name: str):
    """Import name as a new process would (nothing of it in sys.modules)."""
    for loaded in [loaded for loaded in sys.modules if loaded.startswith(PACKAGE)]:
        del sys.modules[loaded]
    importlib.invalidate_caches()
    return importlib.import_module(name)


def written_zip() -> bytes:
    """Import the package with writing on, as a first start does, and pack what it wrote
    (with the sys module, which is built in and has no .pyc)."""
    bytecode.write_while_importing()
    module = fresh_import(f"{PACKAGE}.answer")
    return bytecode.pack(bytecode.current([sys.modules[PACKAGE], module, sys]))


def test_pack_holds_a_hash_checked_pyc_per_module_it_wrote(package):
    with zipfile.ZipFile(io.BytesIO(written_zip())) as archive:
        names = sorted(archive.namelist())
        pyc = archive.read(str(importlib.util.cache_from_source(str(package / "answer.py"))))
    assert names == sorted(
        importlib.util.cache_from_source(str(package / name))
        for name in ("__init__.py", "answer.py")
    )
    assert pyc[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(pyc[4:8], "little") == 0b11  # hash-based, source checked
    assert pyc[8:16] == importlib.util.source_hash((package / "answer.py").read_bytes())


def test_unpacked_bytecode_is_what_the_next_import_runs(package):
    data = written_zip()
    shutil.rmtree(package / "__pycache__")
    restored = bytecode.unpack(data)
    assert sorted(restored) == sorted(
        importlib.util.cache_from_source(str(package / name))
        for name in ("__init__.py", "answer.py")
    )
    # Proof that the .pyc is run, not the source compiled again: a .pyc of other code, under
    # the hash of this source, is what the import runs.
    other = compile("def answer():\n    return 2\n", str(package / "answer.py"), "exec")
    cached = importlib.util.cache_from_source(str(package / "answer.py"))
    with open(cached, "rb") as file:
        header = file.read(16)
    with open(cached, "wb") as file:
        file.write(header + marshal.dumps(other))
    assert fresh_import(f"{PACKAGE}.answer").answer() == 2


def test_a_changed_source_is_compiled_again_and_counted(package):
    data = written_zip()
    shutil.rmtree(package / "__pycache__")
    (package / "answer.py").write_text("def answer():\n    return 3\n")
    restored = bytecode.unpack(data)
    module = fresh_import(f"{PACKAGE}.answer")
    assert module.answer() == 3
    assert (
        bytecode.compiled(bytecode.current([sys.modules[PACKAGE], module]), restored) == 1
    )  # answer only


def test_a_start_that_restored_everything_compiled_nothing(package):
    data = written_zip()
    shutil.rmtree(package / "__pycache__")
    restored = bytecode.unpack(data)
    module = fresh_import(f"{PACKAGE}.answer")
    assert bytecode.compiled(bytecode.current([sys.modules[PACKAGE], module, sys]), restored) == 0
    assert (
        bytecode.compiled(bytecode.current([sys.modules[PACKAGE], module]), {}) == 2
    )  # a first start


def test_modules_read_from_a_zip_are_not_packed(package):
    bytecode.write_while_importing()
    module = fresh_import(f"{PACKAGE}_zipped")
    assert module.__spec__.origin.endswith(f"zipped.zip/{PACKAGE}_zipped.py")
    with zipfile.ZipFile(io.BytesIO(bytecode.pack(bytecode.current([module])))) as archive:
        assert archive.namelist() == []


def test_a_pyc_older_than_its_source_is_not_packed(package):
    bytecode.write_while_importing()
    module = fresh_import(f"{PACKAGE}.answer")
    (package / "answer.py").write_text("def answer():\n    return 10\n")  # another size
    with zipfile.ZipFile(io.BytesIO(bytecode.pack(bytecode.current([module])))) as archive:
        assert archive.namelist() == []


def test_unpack_writes_only_this_pythons_pyc_of_a_present_source(package, tmp_path):
    source = package / "answer.py"
    good = importlib.util.cache_from_source(str(source))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(good, b"pyc")
        archive.writestr(good.lstrip("/"), b"relative")
        archive.writestr(str(package / "answer.pyc"), b"not in __pycache__")
        archive.writestr(good.replace(sys.implementation.cache_tag, "cpython-27"), b"other")
        archive.writestr(importlib.util.cache_from_source(str(package / "gone.py")), b"no source")
    assert list(bytecode.unpack(buffer.getvalue())) == [good]
    assert sorted(p.name for p in (package / "__pycache__").iterdir()) == [good.rsplit("/", 1)[1]]


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04 not a zip", b"\x00" * 64])
def test_a_damaged_zip_writes_nothing_and_raises_nothing(package, data):
    assert bytecode.unpack(data) == {}
    assert not (package / "__pycache__").exists()
