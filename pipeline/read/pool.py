"""Several PDFs extracted at once, in a pool of worker processes.

One document per worker at a time, each with a deadline: a worker that overruns it is
terminated and replaced, and a worker that dies takes only its own document with it. The
deadline runs from the moment the worker reports that it started the document, not from
when it was sent, so a slow start (a spawned process importing pypdf on a busy machine) is
not counted against the document. The pool is given the function that extracts one PDF, so
it does not import the extract stage.
"""

from __future__ import annotations

import contextlib
import logging
import math
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from ..errors import ExtractError
from ..models import Extract

log = logging.getLogger(__name__)

ExtractOne = Callable[[Path, str], Extract]
# How long a fresh worker may take to start its first document (spawn, imports) before it
# counts as hung; generous, as a loaded machine is slow at it and a real hang is rare.
START_GRACE = 120.0


def one_line(exc: BaseException) -> str:
    """An exception's message on one line of at most 160 characters, for an error message."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _worker_main(conn: Connection, extract_one: ExtractOne) -> None:
    """A pool process: extract each (index, path, source) it is sent until it gets None."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        index, path, source = task
        try:
            conn.send(("started", index))  # the document's deadline runs from here
        except (OSError, ValueError):
            return
        try:
            reply: tuple[Any, ...] = ("ok", index, extract_one(path, source))
        except ExtractError as exc:
            reply = ("error", index, exc.message, exc.paper_id)
        except Exception as exc:  # a bug, not a bad PDF: still only this document's slot
            reply = ("error", index, f"extraction failed ({type(exc).__name__}: "
                     f"{one_line(exc)})", source)
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    index: int = -1
    deadline: float = math.inf
    started: bool = False  # the worker reported that it began its current document

    @classmethod
    def start(cls, ctx: Any, extract_one: ExtractOne) -> _Worker:
        parent, child = ctx.Pipe()
        process = ctx.Process(target=_worker_main, args=(child, extract_one), daemon=True,
                              name="paperlist-extract")
        process.start()
        child.close()
        return cls(process, parent)

    def stop(self, *, force: bool = False) -> None:
        if not force and self.process.is_alive():
            with contextlib.suppress(OSError, ValueError):
                self.conn.send(None)
            self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=2)
        if self.process.is_alive():  # pragma: no cover - ignores SIGTERM
            self.process.kill()
            self.process.join()
        self.conn.close()


def run_pool(
    extract_one: ExtractOne,
    paths: Sequence[Path],
    *,
    sources: Sequence[str] | None = None,
    workers: int | None = None,
    timeout: float = 120.0,
) -> list[Extract | ExtractError]:
    """`extract_one` on each PDF in worker processes; a slot holds its Extract or ExtractError.

    A document that takes longer than `timeout` seconds has its worker terminated and
    replaced; a worker that dies takes only its own document with it.
    """
    paths = [Path(p) for p in paths]
    names = list(sources) if sources is not None else [p.name for p in paths]
    if len(names) != len(paths):
        raise ValueError(f"{len(paths)} paths but {len(names)} sources")
    if not paths:
        return []
    results: list[Extract | ExtractError | None] = [None] * len(paths)
    ctx = multiprocessing.get_context("spawn")  # not fork: the caller may hold threads
    pending = deque(sorted(range(len(paths)), key=lambda i: -_size(paths[i])))  # big ones first
    pool: list[_Worker] = []
    idle: list[_Worker] = []
    busy: dict[Connection, _Worker] = {}

    def fail(worker: _Worker, message: str) -> None:
        """The worker's document failed with it: stop it, and start another if work remains."""
        results[worker.index] = ExtractError(message, paper_id=names[worker.index])
        busy.pop(worker.conn, None)
        worker.stop(force=True)
        pool.remove(worker)
        if pending:
            pool.append(replacement := _Worker.start(ctx, extract_one))
            idle.append(replacement)

    try:
        for _ in range(max(1, min(workers or os.cpu_count() or 1, len(paths)))):
            pool.append(_Worker.start(ctx, extract_one))
        idle = list(pool)
        while pending or busy:
            while pending and idle:
                worker = idle.pop()
                worker.index = pending.popleft()
                worker.deadline = time.monotonic() + timeout + START_GRACE
                worker.started = False
                try:
                    worker.conn.send((worker.index, paths[worker.index], names[worker.index]))
                except OSError:
                    fail(worker, "extraction worker died before starting")
                    continue
                busy[worker.conn] = worker
            if not busy:
                continue
            soonest = min(w.deadline for w in busy.values())
            for conn in wait(list(busy), timeout=max(0.0, soonest - time.monotonic())):
                assert isinstance(conn, Connection)
                worker = busy[conn]
                try:
                    reply = conn.recv()
                except (EOFError, OSError):
                    worker.process.join(timeout=1)
                    fail(worker, f"extraction worker died (exit code {worker.process.exitcode})")
                    continue
                if reply[0] == "started":
                    worker.deadline = time.monotonic() + timeout
                    worker.started = True
                    continue
                del busy[conn]
                results[worker.index] = _from_reply(reply)
                idle.append(worker)
            now = time.monotonic()
            for worker in [w for w in busy.values() if w.deadline <= now]:
                log.debug("%s: timed out after %gs, terminating its worker",
                          names[worker.index], timeout)
                fail(worker, f"extraction timed out after {timeout:g} s" if worker.started
                     else f"the extraction worker did not start within "
                          f"{timeout + START_GRACE:g} s")
    finally:
        for worker in pool:
            worker.stop(force=worker.conn in busy)
    return [r if r is not None else ExtractError("not extracted") for r in results]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _from_reply(reply: tuple[Any, ...]) -> Extract | ExtractError:
    if reply[0] == "ok":
        extract: Extract = reply[2]
        return extract
    return ExtractError(reply[2], paper_id=reply[3])

