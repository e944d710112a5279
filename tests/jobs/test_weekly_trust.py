"""The weekly run when what comes in cannot be trusted: a malformed arXiv entry, an arXiv that
cannot be reached, a model endpoint that is down."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fakes import FakeArxiv, FakeChat, FakeResponse, Mutate, rate_limited
from weekly_fixtures import answer, expected_ids, week_papers

from pipeline.cli.main import cli

Run = Callable[..., Result]


@pytest.fixture
def week(arxiv_api: FakeArxiv, chat_api: FakeChat) -> FakeArxiv:
    arxiv_api.add(*week_papers())
    chat_api.default = answer
    return arxiv_api


@pytest.fixture
def config_path(make_config: Callable[..., Path]) -> Path:
    return make_config(model={"concurrency": 2})


@pytest.fixture
def run(config_path: Path) -> Run:
    def invoke(*args: str, **kwargs: Any) -> Result:
        return CliRunner().invoke(cli, [*args, "--config", str(config_path)], **kwargs)

    return invoke


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def bad_id_in_first_entry() -> Mutate:
    def change(normal: FakeResponse) -> FakeResponse:
        text = normal.data().decode()
        return replace(normal, body=re.sub(r"<id>http://arxiv\.org/abs/[^<]+</id>",
                                           "<id>urn:bogus:1</id>", text, count=1))
    return Mutate(change, "bad id")


def test_a_malformed_entry_is_skipped_and_recorded_on_the_run(
        week: FakeArxiv, run: Run, tmp_path: Path) -> None:
    week.fail_next("query", bad_id_in_first_entry())  # the LLM topic's query comes first
    result = run("weekly", "--week", "2024-W15")
    assert result.exit_code == 0, result.stderr
    drafted = set(result.stdout.split())
    assert len(drafted) >= len(expected_ids()) - 1 and drafted <= set(expected_ids())
    db = tmp_path / "output" / "paperlist.db"
    warnings = rows(db, "SELECT run_id, source, message FROM run_warnings")
    assert warnings == [(1, "arxiv", "entry 1 of the page skipped: its id 'urn:bogus:1' is "
                                     "not an arXiv id")]


def test_an_unreachable_arxiv_exits_4_and_drafts_nothing(
        make_config: Callable[..., Path], chat_api: FakeChat) -> None:
    path = make_config(arxiv={"api_url": "http://127.0.0.1:9/api/query", "num_retries": 0})
    result = CliRunner().invoke(cli, ["weekly", "--week", "2024-W15", "--config", str(path)])
    assert result.exit_code == 4
    assert result.stderr.splitlines()[-1].startswith(
        "Error: the arXiv export API failed 1 time: cannot reach the arXiv export API: ")
    assert chat_api.calls == 0


def test_an_arxiv_that_keeps_answering_429_exits_4(week: FakeArxiv, run: Run) -> None:
    week.fail_next("query", *[rate_limited(retry_after=0)] * 5)
    result = run("weekly", "--week", "2024-W15")
    assert result.exit_code == 4
    assert result.stderr.splitlines()[-1] == "Error: the arXiv export API failed 2 times: HTTP 429"
