"""The model preflight and the CLI when the endpoint misbehaves: an outage is "endpoint
unavailable" (exit 4), not a format failure (exit 2); a format the endpoint refuses with a 500
is given up; the API key never reaches stderr, the log or the database."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fakes import FakeArxiv, FakeChat, FakePaper, chat_error, citing, rate_limited
from fakes.chat_api import PREFLIGHT_ANSWER
from paths import REPO

from pipeline.cli.main import cli

Run = Callable[..., Result]
UNAVAILABLE = "Error: model preflight: the endpoint is unavailable: "


@pytest.fixture
def run(make_config: Callable[..., Path]) -> Run:
    def invoke(*args: str, config: dict[str, Any] | None = None, **kwargs: Any) -> Result:
        path = make_config(config or {})
        return CliRunner().invoke(cli, [*args, "--config", str(path)], **kwargs)

    return invoke


@pytest.mark.parametrize("failure", [
    rate_limited(retry_after=0),
    chat_error(500, "Internal error", type="server_error"),
    chat_error(503, "overloaded", type="server_error", retry_after=0),
], ids=["429", "500", "503"])
def test_a_short_outage_in_the_preflight_is_unavailable_not_a_format_failure(
        chat_api: FakeChat, run: Run, failure: Any) -> None:
    chat_api.reply(*[failure] * 3)
    result = run("check-model")
    assert result.exit_code == 4
    last = result.stderr.splitlines()[-1]
    assert last.startswith(f"{UNAVAILABLE}the model endpoint {chat_api.base_url} answered HTTP ")
    assert " 3 times: " in last
    assert "cannot follow the summary format" not in result.stderr


def test_a_long_retry_after_in_the_preflight_is_unavailable_at_once(chat_api: FakeChat,
                                                                    run: Run) -> None:
    chat_api.reply(chat_error(429, "Rate limit reached", retry_after=3600))
    result = run("check-model")
    assert result.exit_code == 4
    assert result.stderr.splitlines()[-1] == (
        f"{UNAVAILABLE}the model endpoint {chat_api.base_url} answered HTTP 429 and asks to "
        "wait 3600 s (Retry-After), more than model.max_retry_after (120 s): Rate limit reached")
    assert chat_api.calls == 1


def test_a_silent_endpoint_names_the_timeout_setting(chat_api: FakeChat, run: Run) -> None:
    chat_api.latency = 3
    result = run("check-model", config={"model": {"timeout": 0.5, "max_retries": 0}})
    assert result.exit_code == 4
    assert result.stderr.splitlines()[-1] == (
        f"{UNAVAILABLE}the model endpoint {chat_api.base_url} did not answer within 0.5 s "
        "(model.timeout), 1 time")


def test_weekly_stops_with_exit_4_before_downloading(arxiv_api: FakeArxiv, chat_api: FakeChat,
                                                     run: Run) -> None:
    arxiv_api.add(FakePaper("2404.06001", title="A Large Language Model Paper",
                            categories=["cs.CL"]))
    chat_api.reply(*[rate_limited(retry_after=0)] * 3)
    result = run("weekly", "--week", "2024-W15")
    assert result.exit_code == 4
    assert result.stderr.splitlines()[-1].startswith(UNAVAILABLE)
    assert arxiv_api.count("pdf") == 0


def test_an_endpoint_that_refuses_json_schema_with_500_passes_the_preflight(
        chat_api: FakeChat, run: Run) -> None:
    chat_api.reply(chat_error(500, "unsupported response_format type json_schema",
                              type="server_error"))
    result = run("check-model")
    assert result.exit_code == 0, result.stderr
    assert "response format json_object" in result.stdout


def test_the_api_key_reaches_no_message_log_or_database(
        arxiv_api: FakeArxiv, chat_api: FakeChat, make_config: Callable[..., Path],
        tmp_path: Path) -> None:
    key = "sk-live-0123456789abcdef"
    arxiv_api.add(FakePaper("2404.07001"))
    echo = (f"bad gateway; request was POST /v1/chat/completions with Authorization: Bearer "
            f"{key}; your key {key} is rate limited")
    chat_api.reply(*[chat_error(502, echo, type="server_error")] * 3)
    path = make_config(model={"api_key_env": "PAPERLIST_TEST_KEY", "max_retries": 2})
    env = {**os.environ, "PAPERLIST_TEST_KEY": key, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "pipeline", "-v", "summarize", "2404.07001",
                           "--config", str(path)], capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    assert done.returncode == 4, done.stderr
    assert "[redacted]" in done.stderr.splitlines()[-1]
    log = (tmp_path / "output" / "paperlist.log").read_text()
    assert "502" in log
    with sqlite3.connect(tmp_path / "output" / "paperlist.db") as conn:
        stored = "\n".join(str(v) for row in conn.execute("SELECT * FROM papers") for v in row)
    assert "[redacted]" in stored
    for text in (done.stderr, done.stdout, log, stored):
        assert key not in text


FRENCH = {**PREFLIGHT_ANSWER,
          "objective": "Rendre l'attention sur les longs documents moins coûteuse sans perdre "
                       "en précision.",
          "method": ["Chaque jeton porte son attention sur 64 jetons lanternes appris.",
                     "Les lanternes sont mises à jour par un balayage linéaire après chaque "
                     "couche."],
          "metric": "Sur LongBench, un modèle de 1.3B avec SLA obtient 41.2 contre 41.0 pour "
                    "l'attention dense et va 3.1 fois plus vite.",
          "limitation": "Le nombre de jetons lanternes doit être choisi à la main."}


def test_a_model_answering_in_another_language_fails_the_preflight(chat_api: FakeChat,
                                                                   run: Run) -> None:
    def french(request: dict[str, Any]) -> Any:
        if "These sentences of the paper carry its numbers:" in str(request["messages"][-1]):
            return citing({"metric": FRENCH["metric"], "sentences": [
                "SLA runs 3.1 times faster on 32k-token inputs"]})(request)
        return citing(FRENCH)(request)

    chat_api.default = french
    result = run("check-model")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith(
        f"Error: model preflight failed: fake-model at {chat_api.base_url} drafted a test paper "
        "that fails the checks: objective: written in French")
