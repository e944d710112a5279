"""One paperlist run at a time per output folder: an flock on a file that names its holder."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ..errors import LockedError


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
        yield
    finally:
        handle.close()
