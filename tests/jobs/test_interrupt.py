"""Ctrl-C and SIGTERM during a weekly run: finished drafts are kept, nothing finished is redone.

A real `python -m pipeline weekly` runs against the fake arXiv and the fake model. The fakes
hold things still so the moment of the signal is known, not guessed: the first paper's model
answers come only once the main thread is stuck in a download that never ends, and every
other paper's model calls never answer. Limits are generous (the hangs last 600 s), so a
busy machine only makes the test slower, never wrong.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fakes import FakeArxiv, FakeChat, preflight_answer
from fakes.chat_api import paper_title
from paths import REPO
from processes import interruptible, wait_for
from weekly_fixtures import answer, week_papers

from pipeline.cli.main import cli

HANG = 600.0  # seconds a held request waits; the server's stop wakes it
LIMIT = 120.0  # the most any condition below may take, even on a loaded machine



def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


class Stage:
    """The fakes' behaviour for the interrupted run (see the module docstring)."""

    def __init__(self, arxiv: FakeArxiv, chat: FakeChat) -> None:
        self.arxiv, self.chat = arxiv, chat
        self.first: str | None = None  # the title of the paper whose drafts may finish
        self.lock = threading.Lock()
        self.held = 0  # model requests held forever
        self.pdf_requests = 0
        self.hold_downloads = True
        original_pdf = arxiv._pdf

        def pdf(rest: str) -> Any:
            with self.lock:
                self.pdf_requests += 1
                number = self.pdf_requests
            if number >= 3 and self.hold_downloads:  # the second batch: the main thread waits
                arxiv.sleep(HANG)
            return original_pdf(rest)

        arxiv._pdf = pdf  # type: ignore[method-assign]
        chat.default = self.answer

    def answer(self, request: dict[str, Any]) -> Any:
        if preflight_answer(request) is not None:
            return answer(request)
        title = paper_title(request)
        with self.lock:
            self.first = self.first or title
            mine = title == self.first
            if not mine:
                self.held += 1
        if not mine:
            self.chat.sleep(HANG)  # a call in flight at the signal: abandoned
            return answer(request)
        # answer only while the main thread is stuck in the third download, so only a model
        # thread can store this draft
        deadline = time.monotonic() + LIMIT
        while self.pdf_requests < 3 and time.monotonic() < deadline:
            self.chat.sleep(0.05)
        return answer(request)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_keeps_every_finished_draft(
        arxiv_api: FakeArxiv, chat_api: FakeChat, make_config: Callable[..., Path],
        tmp_path: Path, signum: int) -> None:
    arxiv_api.add(*week_papers())
    stage = Stage(arxiv_api, chat_api)
    config = make_config(model={"concurrency": 2, "timeout": HANG},
                         arxiv={"timeout": HANG})
    db = tmp_path / "output" / "paperlist.db"
    log = tmp_path / "weekly.stderr"
    with log.open("wb") as stderr:
        victim = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "weekly", "--week", "2024-W15", "--limit", "6",
             "--config", str(config)],
            env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.DEVNULL,
            stderr=stderr, preexec_fn=interruptible)
        try:
            # the first paper is drafted and stored while the main thread waits on a download
            wait_for(lambda: rows(db, "SELECT COUNT(*) FROM drafts")[0][0] == 1,
                     "the first draft is stored", LIMIT)
            assert stage.pdf_requests == 3 and stage.held >= 1
            sent = time.monotonic()
            victim.send_signal(signum)
            code = victim.wait(timeout=LIMIT)
            stopped_in = time.monotonic() - sent
        finally:
            if victim.poll() is None:
                victim.kill()
                victim.wait()
    output = log.read_text()
    assert code == 130, output
    assert output.endswith("Interrupted.\n")
    assert "Traceback" not in output
    # the shutdown did not wait for the held model call (it would have taken HANG seconds)
    assert stopped_in < HANG / 2
    assert [title for (title,) in rows(db, "SELECT p.title FROM drafts d JOIN papers p ON "
                                           "p.id = d.paper_id")] == [stage.first]
    statuses = dict(rows(db, "SELECT id, status FROM papers WHERE status != 'candidate'"))
    assert len(statuses) == 6 and "failed" not in statuses.values()  # abandoned, not failed
    assert rows(db, "SELECT status, error FROM runs") == [
        ("interrupted", "interrupted (Ctrl-C or SIGTERM); finished drafts are kept")]

    # the next run drafts the other five and repeats no finished model call
    chat_api.default = answer
    stage.hold_downloads = False
    calls = chat_api.calls
    resumed = CliRunner().invoke(cli, ["weekly", "--week", "2024-W15", "--limit", "0",
                                       "--config", str(config)])
    assert resumed.exit_code == 0, resumed.stderr
    assert "5 left from earlier runs" in resumed.stderr
    assert chat_api.calls - calls == 1 + 5  # the preflight, then one call per paper
    assert set(dict(rows(db, "SELECT id, status FROM papers WHERE status != 'candidate'"))
               .values()) == {"drafted"}
