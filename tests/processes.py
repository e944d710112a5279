"""Child processes that take Ctrl-C as a terminal's foreground job does.

A shell without job control starts background commands with SIGINT ignored, and children
inherit that: CPython then never raises KeyboardInterrupt. A suite started that way (`cmd &`,
nohup in a script) would see SIGINT do nothing, so tests that send it start their child with
the default disposition, as a terminal would.
"""

from __future__ import annotations

import signal


def interruptible() -> None:
    """`preexec_fn` for subprocess.Popen: SIGINT back to its default before exec."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
