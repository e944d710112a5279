"""Drafts the page asked for, made in a background thread so that the page stays responsive.

One thread at a time runs `jobs.requested.draft_requested` (the `summarize` path, under the run
lock) over the papers queued; what each paper is doing is kept here for the page to show. The
thread is a daemon: stopping the server stops it, and the next run takes the paper up again
(every finished step is already in the state database; a local model server is stopped by its
own exit handler).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ..config import Config
from ..errors import PipelineError
from ..jobs.requested import RequestReport, draft_requested

log = logging.getLogger(__name__)

Runner = Callable[..., RequestReport]
ACTIVE = ("queued", "drafting")


@dataclass(frozen=True)
class TaskState:
    """What the page knows of one requested draft."""

    paper_id: str
    state: str  # queued, drafting, drafted, skipped, failed
    message: str
    at: str

    @property
    def active(self) -> bool:
        return self.state in ACTIVE


class DraftTasks:
    """A queue of requested drafts and one worker thread."""

    def __init__(self, config: Config, runner: Runner = draft_requested) -> None:
        self.config = config
        self.runner = runner
        self._lock = threading.Lock()
        self._queue: list[tuple[list[str], bool]] = []
        self._states: dict[str, TaskState] = {}
        self._thread: threading.Thread | None = None

    def submit(self, paper_ids: Sequence[str], *, force: bool = False) -> list[str]:
        """Queue papers (base ids); those already queued or drafting are left out and the
        rest returned."""
        with self._lock:
            fresh = [p for p in dict.fromkeys(paper_ids)
                     if not (p in self._states and self._states[p].active)]
            if not fresh:
                return []
            for paper_id in fresh:
                self._set(paper_id, "queued", "waiting for the model")
            self._queue.append((fresh, force))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="paperlist-drafts",
                                                daemon=True)
                self._thread.start()
        return fresh

    def state(self, paper_id: str) -> TaskState | None:
        with self._lock:
            return self._states.get(paper_id)

    def states(self) -> list[TaskState]:
        """Every requested draft of this server's life, the most recent first."""
        with self._lock:
            return sorted(self._states.values(), key=lambda s: s.at, reverse=True)

    @property
    def busy(self) -> bool:
        with self._lock:
            return any(s.active for s in self._states.values())

    def wait(self, timeout: float | None = None) -> bool:
        """Until the worker has nothing left (tests, and a server shutting down)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.busy

    def _set(self, paper_id: str, state: str, message: str) -> None:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        self._states[paper_id] = TaskState(paper_id, state, message, stamp)

    def _event(self, paper_id: str, state: str, message: str) -> None:
        with self._lock:
            self._set(paper_id, state, message)

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._thread = None
                    return
                paper_ids, force = self._queue.pop(0)
            try:
                self.runner(self.config, paper_ids, force=force, events=self._event)
                failure = None
            except PipelineError as exc:  # locked, no model: nothing was drafted
                failure = exc.message
            except Exception as exc:  # a bug: shown on the page, logged in full
                log.exception("requested drafts of %s failed", ", ".join(paper_ids))
                failure = f"internal error: {exc}"
            with self._lock:
                for paper_id in paper_ids:
                    current = self._states.get(paper_id)
                    if current is None or current.active:
                        self._set(paper_id, "failed", failure or "not drafted")
