"""Reading and atomically rewriting the hand-written files that `publish` edits."""

from __future__ import annotations

import logging
import os
import re
import secrets
import stat
from pathlib import Path

from ..errors import PublishError, output_error

log = logging.getLogger(__name__)

# `.README.md.1a2b3c4d.tmp`: what atomic_write_text writes before the rename
_TEMP = re.compile(r"^\.(?P<name>.+)\.[0-9a-f]{8}\.tmp$")


def _temp_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` exactly (UTF-8, no newline translation) via a temporary file in the same
    directory, fsync and os.replace: a crash leaves either the old file or the new one."""
    target = path.resolve() if path.is_symlink() else path
    tmp = _temp_path(target)
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = None
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "wb") as handle:
                if mode is not None:
                    os.fchmod(handle.fileno(), mode)
                handle.write(text.encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise output_error(exc, path) from exc
    _fsync_dir(target.parent)


def remove_stale_temps(folder: Path, names: re.Pattern[str]) -> list[Path]:
    """Delete the temporary files a killed writer left in `folder` for the files whose names
    match `names`; returns them. Only safe while no other writer runs (publish holds the run
    lock). A temporary file that cannot be removed is logged and left."""
    removed = []
    try:
        candidates = list(folder.iterdir())
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise output_error(exc, folder, "read") from exc
    for path in candidates:
        match = _TEMP.match(path.name)
        if match and names.fullmatch(match["name"]) and path.is_file():
            try:
                path.unlink()
            except OSError as exc:
                log.warning("cannot remove the stale temporary file %s: %s", path, exc.strerror)
                continue
            log.info("removed %s, left by an interrupted publish", path)
            removed.append(path)
    return removed


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable; best effort (not every platform can open a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_text(path: Path) -> str | None:
    """A file's exact text (line endings kept), None when missing; only UTF-8 is edited."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise output_error(exc, path, "read") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PublishError(f"{path} is not UTF-8 (byte {exc.start}); not editing it") from exc
