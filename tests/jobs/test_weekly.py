"""The weekly run, review and publish, end to end over a fake week of 28 papers."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fakes import FakeArxiv, FakeChat, FakeDailyPapers, chat_error, preflight_answer
from fakes.chat_api import PREFLIGHT_ANSWER
from paths import REPO
from processes import wait_for
from weekly_fixtures import (
    WEEK,
    answer,
    expected_entry,
    expected_ids,
    known_paper,
    late_paper,
    week_papers,
)

from pipeline.cli.main import cli
from pipeline.errors import UsageError
from pipeline.find.window import Window, last_complete_week, parse_week

SECTIONS = ["LLM", "Diffusion", "Controllable", "Diffusion Transformer", "Video Generation",
            "Image Generation"]
Run = Callable[..., Result]


@pytest.fixture
def week(arxiv_api: FakeArxiv, chat_api: FakeChat) -> FakeArxiv:
    arxiv_api.add(*week_papers(), late_paper())
    chat_api.default = answer
    return arxiv_api


@pytest.fixture
def config_path(make_config: Callable[..., Path]) -> Path:
    # a cap above the fake week's 24 papers, so that these tests follow every one of them;
    # the default cap of 15 and the ranking have their own tests in test_selection.py
    return make_config(model={"concurrency": 3}, weekly={"max_papers": 40})


@pytest.fixture
def run(config_path: Path) -> Run:
    def invoke(*args: str, **kwargs: Any) -> Result:
        return CliRunner().invoke(cli, [*args, "--config", str(config_path)], **kwargs)

    return invoke


def statuses(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT id, status FROM papers").fetchall())


def expected_monthly(ids: list[str]) -> str:
    titles = {paper_id: title for paper_id, title, _, _ in WEEK}
    sections = expected_ids()
    text = "# Introduction\n\n\n\n# PaperList\n\n## 202404\n\n"
    blocks = []
    for section in SECTIONS:
        members = sorted(i for i in ids if sections[i] == section)
        if members:
            blocks.append(f"### {section}\n" + "\n".join(
                expected_entry(i, titles[i], section) for i in members))
    return text + "\n".join(blocks)


def expected_readme(ids: list[str]) -> str:
    monthly = expected_monthly(ids)
    body = monthly.split("## 202404\n\n", 1)[1]
    body = body.replace("\n### ", "\n## ").replace("\n#### ", "\n### ")
    body = body[1:] if body.startswith("### ") else body
    return ("# Introduction\n\n# PaperLists\n- [202404 weekly papers](PaperList_202404.md)\n\n"
            "# Latest Update: April 2024\n\n" + body)


def test_windows() -> None:
    assert last_complete_week(date(2024, 4, 17)) == Window(date(2024, 4, 8), date(2024, 4, 14))
    assert last_complete_week(date(2024, 4, 15)) == Window(date(2024, 4, 8), date(2024, 4, 14))
    assert parse_week("2024-W15") == Window(date(2024, 4, 8), date(2024, 4, 14))
    assert parse_week("2024-W15").label == "2024-W15"
    assert parse_week("2024-W15").query() == "submittedDate:[202404080000 TO 202404142359]"
    with pytest.raises(UsageError, match="2024 has no week 54"):
        parse_week("2024-W54")
    with pytest.raises(UsageError, match="expected an ISO week such as 2024-W15"):
        parse_week("April")


def test_full_week_drafts_reviews_and_publishes(week: FakeArxiv, chat_api: FakeChat, run: Run,
                                                tmp_path: Path) -> None:
    db = tmp_path / "output" / "paperlist.db"
    # an earlier summarize made 2404.05000 known; its v2 this week is not drafted again
    week.add(known_paper(1))
    assert run("summarize", "2404.05000").exit_code == 0
    week.add(known_paper(2))
    calls_before = chat_api.calls

    result = run("weekly", "--week", "2024-W15")
    assert result.exit_code == 0, result.stderr
    drafted = expected_ids()
    assert sorted(result.stdout.split()) == sorted(drafted)
    # the preflight, then one request for the whole entry of every paper
    assert chat_api.calls - calls_before == 1 + len(drafted)
    assert chat_api.max_in_flight <= 3
    assert "24 new papers selected; 1 already known, 2 off topic or excluded, 0 over the cap; "\
        "0 left from earlier runs." in result.stderr
    assert "Run 1: 24 drafted, 0 failed" in result.stderr
    assert statuses(db)["2404.05000"] == "drafted"
    assert "2404.06027" not in statuses(db)  # excluded
    assert "2404.09999" not in statuses(db)  # after the week
    pdfs = sorted(p.name for p in (tmp_path / "cache" / "pdf").glob("*.pdf"))
    assert pdfs == sorted([f"{i}v1.pdf" for i in drafted] + ["2404.05000v1.pdf"])

    listed = json.loads(run("drafts", "list", "--json").stdout)
    assert len(listed) == 25
    sections = {d["id"]: d["section"] for d in listed}
    assert all(sections[i] == s for i, s in drafted.items())

    rejected, pending = "2404.06011", "2404.06020"
    approved = [i for i in drafted if i not in (rejected, pending)]
    assert run("drafts", "approve", *approved).exit_code == 0
    result = run("drafts", "reject", rejected, "--reason", "not generative modelling")
    assert result.exit_code == 0
    assert run("drafts", "reject", "2404.05000", "--reason", "old").exit_code == 0

    result = run("publish", "--month", "202404")
    assert result.exit_code == 0, result.stderr
    assert sorted(result.stdout.split()) == sorted(approved)
    monthly = (tmp_path / "output" / "PaperList_202404.md").read_text()
    readme = (tmp_path / "output" / "README.md").read_text()
    assert monthly == expected_monthly(approved)
    assert readme == expected_readme(approved)
    status = statuses(db)
    assert status[rejected] == "rejected" and status[pending] == "drafted"
    assert all(status[i] == "published" for i in approved)

    # a second weekly run and publish change nothing and call no model
    calls, pdf_requests = chat_api.calls, week.count("pdf")
    again = run("weekly", "--week", "2024-W15")
    assert again.exit_code == 0, again.stderr
    assert again.stdout == ""
    assert "0 new papers selected; 25 already known" in again.stderr
    assert (chat_api.calls, week.count("pdf")) == (calls, pdf_requests)
    republish = run("publish", "--month", "202404")
    assert republish.exit_code == 0 and republish.stdout == ""
    assert (tmp_path / "output" / "PaperList_202404.md").read_text() == monthly
    assert (tmp_path / "output" / "README.md").read_text() == readme


def test_dry_run_lists_and_calls_no_model(week: FakeArxiv, chat_api: FakeChat, run: Run,
                                          daily_api: FakeDailyPapers, tmp_path: Path) -> None:
    daily_api.feature("2024-04-10", week.paper("2404.06020"), upvotes=40)
    daily_api.feature("2024-04-16", week.paper("2404.06003"), upvotes=5)
    result = run("weekly", "--week", "2024-W15", "--dry-run", "--limit", "5")
    assert result.exit_code == 0, result.stderr
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert len(lines) == 5
    # no history: the featured papers first (the more upvoted first), then keyword hits in
    # the title, ties by id
    assert lines[0] == [
        "1", "0.550", "drafted", "2404.06020v1", "Video Generation",
        "Motion Priors for Video Generation",
        "taste 0.00 (no similar past entry); community 0.50 (Daily Papers 2024-04-10, 40 "
        "upvotes); topic 0.05 (Video Generation: keywords in the title)"]
    assert [line[:4] for line in lines[1:]] == [
        ["2", "0.421", "drafted", "2404.06003v1"], ["3", "0.050", "drafted", "2404.06001v1"],
        ["4", "0.050", "drafted", "2404.06002v1"], ["5", "0.050", "drafted", "2404.06004v1"]]
    assert chat_api.calls == 0
    assert week.count("pdf") == 0
    assert "19 over the cap" in result.stderr
    assert statuses(tmp_path / "output" / "paperlist.db") == {}


PAST_MONTH = """# PaperList

## 202403

### Controllable
#### Consistency Feedback for Conditional Controls
- `Keypoints:` ControlNet; conditional controls; consistency feedback;
- `Objective:` Improving conditional controls of ControlNet with consistency feedback.

### Image Generation
#### Readable Typography in Text-to-Image Generation
- `Keypoints:` typography; readable text; text-to-image;
- `Objective:` Text-to-image generation that renders readable typography.

### LLM
#### Large Language Models for Diffusion Model Editing
- `Keypoints:` editing; large language models guide diffusion;
- `Objective:` Language models guide diffusion model editing.
"""


def test_the_cap_keeps_the_best_ranked(week: FakeArxiv, run: Run, tmp_path: Path) -> None:
    # the group's history: three entries like three of the week's papers
    (tmp_path / "output").mkdir()
    (tmp_path / "output" / "PaperList_202403.md").write_text(PAST_MONTH)
    result = run("weekly", "--week", "2024-W15", "--limit", "3")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split() == ["2404.06012", "2404.06021", "2404.06024"]
    status = statuses(tmp_path / "output" / "paperlist.db")
    assert sorted(status.values()).count("candidate") == 21


def test_failing_papers_are_named_retried_and_exit_1(week: FakeArxiv, chat_api: FakeChat,
                                                     daily_api: FakeDailyPapers, run: Run,
                                                     tmp_path: Path) -> None:
    daily_api.feature("2024-04-12", week.paper("2404.06024"), week.paper("2404.06021"))
    week.paper("2404.06024").pdf = b"<html>captcha</html>"
    week.paper("2404.06021").pdf = b"%PDF-1.4\nnot really a pdf\n%%EOF\n"
    result = run("weekly", "--week", "2024-W15", "--limit", "4")
    assert result.exit_code == 1
    assert "2 of 4 failed:" in result.stderr
    assert ("  2404.06024 (download): the download is not a PDF (got application/pdf)"
            in result.stderr)
    assert "  2404.06021 (extract): " in result.stderr
    status = run("status")
    assert "Failures:" in status.stdout
    assert "2404.06024 (download, 1 of 3 attempts, will retry)" in status.stdout

    week.paper("2404.06024").pdf = None  # arXiv serves the real PDF again
    again = run("weekly", "--week", "2024-W15", "--limit", "0")
    assert again.exit_code == 1  # 2404.06021 is still broken
    assert "1 of 2 failed:" in again.stderr
    db = tmp_path / "output" / "paperlist.db"
    assert statuses(db)["2404.06024"] == "drafted"
    for _ in range(2):
        run("weekly", "--week", "2024-W15", "--limit", "0")
    assert "2404.06021 (extract, 3 of 3 attempts, gave up)" in run("status").stdout
    last = run("weekly", "--week", "2024-W15", "--limit", "0")
    assert last.exit_code == 0 and "0 left from earlier runs" in last.stderr


def test_an_auth_error_stops_the_run_with_exit_2(week: FakeArxiv, chat_api: FakeChat,
                                                 run: Run, tmp_path: Path) -> None:
    chat_api.api_key = "another-key"
    result = run("weekly", "--week", "2024-W15", "--limit", "3")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith("Error: the model endpoint ")
    # the preflight met the error: nothing was downloaded; the three best wait as found, the
    # others are recorded as candidates
    found = list(statuses(tmp_path / "output" / "paperlist.db").values())
    assert (found.count("found"), found.count("candidate")) == (3, 21)
    assert week.count("pdf") == 0
    chat_api.api_key = None
    resumed = run("weekly", "--week", "2024-W15", "--limit", "0")
    assert resumed.exit_code == 0, resumed.stderr
    assert len(resumed.stdout.split()) == 3


def test_an_edit_survives_a_forced_resummarize(week: FakeArxiv, chat_api: FakeChat, run: Run,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("summarize", "2404.06001").exit_code == 0
    monkeypatch.setattr("click.edit", lambda text, **kw: text.replace("Main idea", "Edited"))
    assert run("drafts", "edit", "2404.06001").exit_code == 0
    assert run("drafts", "approve", "2404.06001").exit_code == 0
    refused = run("summarize", "2404.06001")
    assert refused.exit_code == 2
    assert refused.stderr.splitlines()[-1] == ("Error: 2404.06001: already approved; pass "
                                               "--force to summarize it again")
    forced = run("summarize", "2404.06001", "--force")
    assert forced.exit_code == 0
    assert "- `Keypoints:` Edited; Key component;" in forced.stdout


def test_a_second_run_is_refused_while_one_holds_the_lock(week: FakeArxiv, chat_api: FakeChat,
                                                          config_path: Path,
                                                          tmp_path: Path) -> None:
    chat_api.latency = 1.0
    first = _spawn(config_path, "weekly", "--week", "2024-W15", "--limit", "3")
    lock = tmp_path / "output" / "paperlist.lock"
    try:
        wait_for(lambda: lock.exists() and "weekly" in lock.read_text())
        second = CliRunner().invoke(cli, ["weekly", "--config", str(config_path)])
        assert second.exit_code == 3
        assert second.stderr.startswith("Error: another paperlist run is in progress (pid "
                                         f"{first.pid}, weekly, since ")
        assert second.stderr.endswith("); not starting weekly\n")
    finally:
        assert first.wait(timeout=60) == 0


def test_a_killed_run_resumes_to_the_same_files(week: FakeArxiv, chat_api: FakeChat,
                                                config_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "output" / "paperlist.db"
    chat_api.latency = 0.5
    victim = _spawn(config_path, "weekly", "--week", "2024-W15")
    wait_for(lambda: db.exists() and list(statuses(db).values()).count("drafted") >= 4)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    partial = statuses(db)
    assert 4 <= list(partial.values()).count("drafted") < 24
    calls = chat_api.calls
    chat_api.latency = 0

    resumed = CliRunner().invoke(cli, ["weekly", "--week", "2024-W15", "--config",
                                       str(config_path)])
    assert resumed.exit_code == 0, resumed.stderr
    assert "left from earlier runs" in resumed.stderr
    final = statuses(db)
    assert set(final) == set(expected_ids()) and set(final.values()) == {"drafted"}
    # no paper drafted before the kill was drafted again: the preflight, then one call for
    # each of the others
    assert chat_api.calls - calls == 1 + (24 - list(partial.values()).count("drafted"))
    with sqlite3.connect(db) as conn:
        runs = conn.execute("SELECT status FROM runs ORDER BY id").fetchall()
    assert runs == [("crashed",), ("finished",)]

    runner = CliRunner()
    assert runner.invoke(cli, ["drafts", "approve", *expected_ids(), "--config",
                               str(config_path)]).exit_code == 0
    assert runner.invoke(cli, ["publish", "--month", "202404", "--config",
                               str(config_path)]).exit_code == 0
    ids = list(expected_ids())
    assert (tmp_path / "output" / "PaperList_202404.md").read_text() == expected_monthly(ids)
    assert (tmp_path / "output" / "README.md").read_text() == expected_readme(ids)


def test_status_reports_counts_and_runs(week: FakeArxiv, run: Run) -> None:
    assert run("weekly", "--week", "2024-W15", "--limit", "2").exit_code == 0
    result = run("status")
    assert result.stdout.startswith("Papers: 2 drafted, 22 candidate\nRuns:\n  #1 weekly "
                                    "2024-04-08..2024-04-14: finished, started ")
    assert result.stdout.endswith("Coverage: weekly runs have covered submissions up to "
                                  "2024-04-14; the next one starts 3 days before that.\n")


def test_usage_errors(run: Run) -> None:
    result = run("weekly", "--week", "2024-W15", "--since", "2024-04-01", "--until",
                 "2024-04-02")
    assert (result.exit_code, result.stderr) == (
        2, "Error: give --week or --since/--until, not both\n")
    result = run("weekly", "--since", "2024-04-01")
    assert (result.exit_code, result.stderr) == (2, "Error: --since and --until go together\n")
    result = run("weekly", "--since", "2024-04-09", "--until", "2024-04-01")
    assert (result.exit_code, result.stderr) == (
        2, "Error: --until 2024-04-01 is before --since 2024-04-09\n")
    for month in ("2024-04", "202413", "April"):
        result = run("publish", "--month", month)
        assert (result.exit_code, result.stderr) == (
            2, f"Error: {month!r} is not a month: expected YYYYMM, e.g. 202404\n")


def test_weekly_stops_when_the_model_stays_overloaded(week: FakeArxiv, chat_api: FakeChat,
                                                       run: Run) -> None:
    overloaded = chat_error(503, "overloaded", type="server_error", retry_after=0)
    chat_api.default = lambda request: preflight_answer(request) or overloaded
    result = run("weekly", "--week", "2024-W15", "--limit", "2")
    assert result.exit_code == 4  # the endpoint is unavailable: no paper is marked failed
    assert result.stderr.splitlines()[-1].endswith(
        f": the model endpoint {chat_api.base_url} answered HTTP 503 3 times: overloaded")
    assert "failed:" not in result.stderr


def _spawn(config: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "pipeline", *args, "--config", str(config)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)



def test_a_model_that_cannot_follow_the_format_stops_the_run(week: FakeArxiv, chat_api: FakeChat,
                                                            run: Run, tmp_path: Path) -> None:
    chat_api.default = lambda request: "I am a helpful assistant! Here is a poem."
    result = run("weekly", "--week", "2024-W15")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: model preflight failed: fake-model at {chat_api.base_url} cannot follow the "
        "summary format: the model gave no valid draft in 3 attempts: the answer holds no "
        'JSON object: "I am a helpful assistant! Here is a poem."')
    assert chat_api.calls == 3  # three attempts at the draft
    assert week.count("pdf") == 0
    check = run("check-model")
    assert check.exit_code == 2
    assert check.stderr.splitlines()[-1].startswith("Error: model preflight failed: ")


def test_a_model_whose_test_draft_fails_the_checks_stops_the_run(
        week: FakeArxiv, chat_api: FakeChat, run: Run) -> None:
    metric = "Scores 99.9 on LongBench, 50 times faster."
    chat_api.default = lambda request: {**PREFLIGHT_ANSWER, "metric": metric}
    result = run("weekly", "--week", "2024-W15")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: model preflight failed: fake-model at {chat_api.base_url} drafted a test paper "
        "that fails the checks: metric: the paper's own sentence, as the model's failed: "
        "metric: numbers not in the paper: 99.9, 50x; metric: none of the headline numbers of "
        "the abstract or conclusion (1.3B, 41.2, 41, 3.1x)")
    assert chat_api.calls == 4  # twice: the draft and one fix
    assert week.count("pdf") == 0


def test_check_model_passes_a_capable_model(chat_api: FakeChat, run: Run) -> None:
    result = run("check-model")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("ok: fake-model drafted the test paper in ")
    assert "every check passed." in result.stdout


def test_style_flags_on_the_test_paper_do_not_stop_the_run(week: FakeArxiv, chat_api: FakeChat,
                                                           run: Run) -> None:
    long_keypoints = ["Sparse Lantern Attention is an attention mechanism in which tokens "
                      "attend to lanterns", "Linear-time attention", "Long documents"]
    chat_api.default = lambda request: (
        {**PREFLIGHT_ANSWER, "keypoints": long_keypoints}
        if "Sparse Lantern" in str(request["messages"][1]) else answer(request))
    result = run("check-model")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith(
        "quotes, numbers and language check out; style flags: keypoint is not a short phrase: "
        "\"Sparse Lantern Attention is an attention mechanism in which tokens attend to la…\"; "
        "keypoint \"Sparse Lantern Attention is an attention mechanism in which tokens attend "
        "to lanterns\" has 13 words, not a short phrase.\n")


def test_one_slip_in_the_preflight_is_forgiven(week: FakeArxiv, chat_api: FakeChat,
                                               run: Run) -> None:
    slips = iter([True, True])  # the first test draft and its fix

    def sometimes_chinese(request: dict[str, Any]) -> dict[str, Any] | None:
        good = preflight_answer(request)
        if good is None or not next(slips, False):
            return good
        return {**good, "keypoints": ["Sparse attention", "工作记忆", "Long documents"]}

    chat_api.default = sometimes_chinese
    result = run("check-model")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("every check passed.\n")
    assert chat_api.calls == 3  # the draft and its fix; then the draft
