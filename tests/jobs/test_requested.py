"""Drafts an editor asks for: the summarize path under the run lock, recorded as a run, and
the lock's holder as the review page reads it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fakes import FakeArxiv, FakeChat, FakePaper, html_page
from paths import REPO
from weekly_fixtures import abstract_for, answer

from pipeline.config import load_config
from pipeline.errors import LockedError, SourceUnavailableError
from pipeline.jobs.requested import draft_requested
from pipeline.jobs.runlock import lock_holder, lock_path, run_lock
from pipeline.store import Store

TITLES = {"2404.08001": "A Long Context Language Model", "2404.08002": "Another LLM Paper"}


@pytest.fixture
def config_path(make_config: Callable[..., Path], arxiv_api: FakeArxiv,
                chat_api: FakeChat) -> Path:
    chat_api.default = answer
    for paper_id, title in TITLES.items():
        arxiv_api.add(FakePaper(paper_id, title=title, abstract=abstract_for(title),
                                categories=["cs.CL"]))
    return make_config()


def test_each_paper_is_drafted_and_a_failure_stops_none(config_path: Path,
                                                       arxiv_api: FakeArxiv) -> None:
    config = load_config(config_path)
    arxiv_api.fail_next("pdf", html_page())  # the first download: not a PDF
    events: list[tuple[str, str]] = []
    report = draft_requested(config, ["arXiv:2404.08001", "2404.08002v1"],
                             events=lambda paper_id, state, _: events.append((paper_id, state)))
    assert report.drafted == ["2404.08002"]
    assert [paper_id for paper_id, _ in report.failed] == ["2404.08001"]
    assert events == [("2404.08001", "drafting"), ("2404.08001", "failed"),
                      ("2404.08002", "drafting"), ("2404.08002", "drafted")]
    with Store(config.path(config.output.database)) as store:
        run = store.runs(limit=1)[0]
        assert (run["command"], run["status"], run["drafted"], run["failed"]) == (
            "draft", "finished", 1, 1)
        assert store.draft("2404.08002") is not None


def test_an_unreachable_arxiv_stops_the_drafting_and_is_recorded(
        make_config: Callable[..., Path], chat_api: FakeChat) -> None:
    chat_api.default = answer
    config = load_config(make_config(arxiv={"api_url": "http://127.0.0.1:9/api/query",
                                            "num_retries": 0}))
    events: list[str] = []
    with pytest.raises(SourceUnavailableError):
        draft_requested(config, ["2404.08001", "2404.08002"],
                        events=lambda paper_id, state, _: events.append(paper_id))
    assert events == ["2404.08001"]  # the second paper was not tried: it could not fare better
    with Store(config.path(config.output.database)) as store:
        run = store.runs(limit=1)[0]
    assert (run["command"], run["status"], run["failed"]) == ("draft", "failed", 0)
    assert run["error"].startswith("2404.08001: the arXiv export API failed 1 time: cannot "
                                   "reach the arXiv export API")


def test_a_held_lock_refuses_before_anything(config_path: Path) -> None:
    config = load_config(config_path)
    output = config.path(config.output.dir)
    with run_lock(lock_path(output), "weekly"), \
            pytest.raises(LockedError, match=r"another paperlist run is in progress \(pid "):
        draft_requested(config, ["2404.08001"])
    with Store(config.path(config.output.database)) as store:
        assert store.runs() == [] and store.paper("2404.08001") is None


def test_the_lock_holder_is_read_without_taking_the_lock(tmp_path: Path) -> None:
    path = lock_path(tmp_path)
    assert lock_holder(path) is None
    with run_lock(path, "publish"):
        assert lock_holder(path) == path.read_text()
        assert f"pid {os.getpid()}, publish, since " in (lock_holder(path) or "")
    assert lock_holder(path) is None and path.read_text() == ""
    # a holder killed outright leaves its line behind: a dead pid holds nothing
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, cwd=REPO, check=True)
    path.write_text(f"pid {child.stdout.strip()}, weekly, since 2024-04-15T06:00:00+00:00")
    assert lock_holder(path) is None
