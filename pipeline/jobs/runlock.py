"""One paperlist run at a time per output folder: an flock on a file that names its holder."""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ..errors import LockedError
from ..store import process_alive

_HOLDER = re.compile(r"^pid (\d+), ")
_held_here: set[Path] = set()  # locks this process holds (a thread of the review page, say)


def lock_path(output_dir: Path) -> Path:
    """The lock file of an output folder, shared by every command and the review page."""
    return output_dir / "paperlist.lock"


@contextmanager
def run_lock(path: Path, what: str) -> Iterator[None]:
    """One run at a time per output folder; the OS drops the lock when a process dies."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise LockedError(f"another paperlist run is in progress ({holder}); "
                              f"not starting {what}") from None
        handle.seek(0)
        handle.truncate()
        since = datetime.now(UTC).isoformat(timespec="seconds")
        handle.write(f"pid {os.getpid()}, {what}, since {since}")
        handle.flush()
        _held_here.add(path.resolve())
        try:
            yield
        finally:
            _held_here.discard(path.resolve())
            handle.seek(0)
            handle.truncate()  # released: the file names no holder any more
            handle.flush()
    finally:
        handle.close()


def lock_holder(path: Path) -> str | None:
    """Who holds the lock ("pid 123, weekly, since ..."), or None when nobody does.

    Read from the file without taking the lock, so that asking never makes a starting run
    fail: the named process must still be alive (one killed outright leaves its line
    behind), and this process counts only while it holds the lock itself.
    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
    match = _HOLDER.match(text)
    if not match:
        return None
    pid = int(match[1])
    if pid == os.getpid():
        return text if path.resolve() in _held_here else None
    return text if process_alive(pid) else None
