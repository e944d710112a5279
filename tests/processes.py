"""Child processes: started to take Ctrl-C as a terminal's foreground job does, and waited on.

A shell without job control starts background commands with SIGINT ignored, and children
inherit that: CPython then never raises KeyboardInterrupt. A suite started that way (`cmd &`,
nohup in a script) would see SIGINT do nothing, so tests that send it start their child with
the default disposition, as a terminal would.
"""

from __future__ import annotations

import signal
import sqlite3
import time
from collections.abc import Callable


def interruptible() -> None:
    """`preexec_fn` for subprocess.Popen: SIGINT back to its default before exec."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for(condition: Callable[[], bool], what: str = "the condition", timeout: float = 60
             ) -> None:
    """Poll `condition` every 50 ms until it holds; an OSError or sqlite3.Error (a file or a
    database another process is still creating) counts as not yet. AssertionError naming
    `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except (OSError, sqlite3.Error):
            pass
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout:g} s: {what}")
