"""The week's shortlist end to end: ranking, caps, candidates, drafting on request, the
window's overlap, Daily Papers down, and the empty-week alarm, over the fake servers."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fakes import FakeArxiv, FakeChat, FakeDailyPapers, FakePaper, garbage, unavailable
from weekly_fixtures import WEEK_START, abstract_for, answer, week_papers

from pipeline.cli.main import cli
from pipeline.config import load_config
from pipeline.find.window import Window
from pipeline.jobs.selection import weekly_window
from pipeline.store import Store

Run = Callable[..., Result]


@pytest.fixture
def week(arxiv_api: FakeArxiv, chat_api: FakeChat, daily_api: FakeDailyPapers) -> FakeArxiv:
    arxiv_api.add(*week_papers())
    chat_api.default = answer
    # Hugging Face featured four of the week's papers
    daily_api.feature("2024-04-09", arxiv_api.paper("2404.06019"), upvotes=30)
    daily_api.feature("2024-04-11", arxiv_api.paper("2404.06008"), upvotes=10)
    daily_api.feature("2024-04-16", arxiv_api.paper("2404.06016"), arxiv_api.paper("2404.06004"),
                      upvotes=3)
    return arxiv_api


@pytest.fixture
def config_path(make_config: Callable[..., Path]) -> Path:
    return make_config()  # the default cap: 15


@pytest.fixture
def run(config_path: Path) -> Run:
    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, [*args, "--config", str(config_path)])

    return invoke


def rows(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def candidates_json(run: Run, *args: str) -> list[dict[str, Any]]:
    result = run("candidates", "--json", *args)
    assert result.exit_code == 0, result.stderr
    data: list[dict[str, Any]] = json.loads(result.stdout)
    return data


def test_weekly_drafts_the_best_15_and_records_every_candidates_reasons(
        week: FakeArxiv, run: Run, tmp_path: Path) -> None:
    ranking = candidates_json(run, "--week", "2024-W15")
    assert len(ranking) == 24
    assert [c["id"] for c in ranking[:4]] == ["2404.06019", "2404.06008", "2404.06004",
                                              "2404.06016"]
    assert [c["drafted"] for c in ranking] == [True] * 15 + [False] * 9

    result = run("weekly", "--week", "2024-W15")
    assert result.exit_code == 0, result.stderr
    assert "15 new papers selected; 0 already known, 2 off topic or excluded, 9 over the cap" \
        in result.stderr
    assert sorted(result.stdout.split()) == sorted(c["id"] for c in ranking[:15])
    db = tmp_path / "output" / "paperlist.db"
    stored = dict(rows(db, "SELECT id, status FROM papers"))
    assert [stored[c["id"]] for c in ranking] == ["drafted"] * 15 + ["candidate"] * 9
    # each candidate's reasons are stored with it, and add up to its score
    with Store(db) as store:
        for item in ranking:
            record = store.paper(item["id"])
            assert record is not None
            assert [list(r) for r in record.reasons] == [
                [r["signal"], r["value"], r["note"]] for r in item["reasons"]]
            assert record.score == item["score"]
    # the ranking shows what is drafted now; a rerun drafts nothing more
    after = candidates_json(run, "--week", "2024-W15")
    assert [(c["id"], c["drafted"], c["status"]) for c in after] == \
        [(c["id"], c["drafted"], stored[c["id"]]) for c in ranking]
    again = run("weekly", "--week", "2024-W15")
    assert again.exit_code == 0 and again.stdout == ""
    assert "0 new papers selected; 24 already known" in again.stderr


def test_candidates_json_shape_and_text_rows(week: FakeArxiv, run: Run) -> None:
    ranking = candidates_json(run, "--since", "2024-04-08", "--until", "2024-04-14")
    first = ranking[0]
    assert set(first) >= {"id", "version", "title", "section", "score", "reasons", "drafted"}
    assert first == {
        "rank": 1, "id": "2404.06019", "version": 1,
        "title": "Video Generation with Consistent Characters",
        "url": "https://arxiv.org/abs/2404.06019", "section": "Video Generation",
        "topic": "Video Generation", "score": 0.55,
        "reasons": [
            {"signal": "taste", "value": 0.0, "note": "no similar past entry"},
            {"signal": "community", "value": 0.5, "note": "Daily Papers 2024-04-09, 30 upvotes"},
            {"signal": "topic", "value": 0.05,
             "note": "Video Generation: keywords in the title"}],
        "drafted": True, "status": None}
    scores = [c["score"] for c in ranking]
    assert scores == sorted(scores, reverse=True)
    assert candidates_json(run, "--week", "2024-W15") == ranking  # deterministic

    text = run("candidates", "--week", "2024-W15")
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert lines[0].split("\t")[:6] == ["1", "0.550", "drafted", "2404.06019v1",
                                        "Video Generation",
                                        "Video Generation with Consistent Characters"]
    assert lines[-1].split("\t")[2] == "-"
    assert text.stderr.endswith("24 candidates in 2024-W15; 15 would be drafted now, 0 known "
                                "already.\n")
    # the dry run lists the same ranking's drafted rows
    dry = run("weekly", "--week", "2024-W15", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert dry.stdout.splitlines() == lines[:15]


def test_the_groups_decisions_teach_the_ranking(arxiv_api: FakeArxiv, chat_api: FakeChat,
                                                run: Run) -> None:
    titles = {
        "2404.07001": "Sparse attention for long legal documents",
        "2404.07002": "Sparse attention kernels for long documents at scale",
        "2404.07003": "Speech recognition with noisy crowd labels",
        "2404.07004": "Speech recognition for noisy call centres",
        "2404.07005": "Graph networks for molecule property prediction",
    }
    for number, (paper_id, title) in enumerate(titles.items()):
        titles[paper_id] = title = f"{title} with LLMs"  # the LLM topic's keyword
        arxiv_api.add(FakePaper(paper_id, title=title, categories=["cs.CL"],
                                abstract=abstract_for(title),
                                published=WEEK_START + timedelta(hours=number)))
    chat_api.default = answer
    before = [c["id"] for c in candidates_json(run, "--week", "2024-W15")]
    assert before == sorted(titles)  # nothing to go by: ties, by id

    drafted = run("draft", "2404.07001", "2404.07003")
    assert drafted.exit_code == 0, drafted.stderr
    assert run("drafts", "approve", "2404.07001").exit_code == 0
    assert run("drafts", "reject", "2404.07003", "--reason", "off our topics").exit_code == 0
    after = candidates_json(run, "--week", "2024-W15")
    assert [c["id"] for c in after if c["status"] is None] == [
        "2404.07002", "2404.07005", "2404.07004"]
    notes = {c["id"]: c["reasons"][0]["note"] for c in after}
    assert notes["2404.07002"] == 'like "Sparse attention for long legal documents with LLMs"'
    assert notes["2404.07004"] == \
        'like rejected "Speech recognition with noisy crowd labels with LLMs"'


def test_draft_takes_candidates_and_any_id(week: FakeArxiv, arxiv_api: FakeArxiv, run: Run,
                                           tmp_path: Path) -> None:
    assert run("weekly", "--week", "2024-W15", "--limit", "1").exit_code == 0
    db = tmp_path / "output" / "paperlist.db"
    section = rows(db, "SELECT section FROM papers WHERE id='2404.06012'")[0][0]
    assert section == "Controllable"
    arxiv_api.add(FakePaper("2403.01234", title="An Older Large Language Model Paper",
                            abstract=abstract_for("An Older Large Language Model Paper"),
                            categories=["cs.CL"], published=WEEK_START - timedelta(days=30)))
    result = run("draft", "2404.06012", "arXiv:2403.01234v1", "2404.06019")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "2404.06012\tControllable\tControlNet++: Improving Conditional Controls with "
        "Consistency Feedback",
        "2403.01234\tLLM\tAn Older Large Language Model Paper",
        "2404.06019\tVideo Generation\tVideo Generation with Consistent Characters"]
    assert "a current draft exists" in result.stderr  # 2404.06019, drafted by the run
    assert dict(rows(db, "SELECT id, status FROM papers WHERE id IN ('2404.06012',"
                         "'2403.01234')")) == {"2404.06012": "drafted", "2403.01234": "drafted"}
    assert run("drafts", "approve", "2404.06012").exit_code == 0
    skipped = run("draft", "2404.06012")
    assert skipped.exit_code == 0 and "skipped: 2404.06012: already approved" in skipped.stderr
    bad = run("draft", "2404.06013", "not-an-id")
    assert (bad.exit_code, bad.stderr.splitlines()[-1]) == (
        2, "Error: 'not-an-id' is not an arXiv id (expected e.g. 2404.07965, 2404.07965v2, "
           "arXiv:2404.07965, https://arxiv.org/abs/2404.07965 or hep-th/9901001)")
    missing = run("draft", "2404.09998")
    assert missing.exit_code == 1
    assert missing.stderr.endswith("1 of 1 failed:\n  2404.09998: arXiv has no paper with this "
                                   "id\n")


def test_a_paper_announced_after_a_run_is_picked_up_by_the_next(
        week: FakeArxiv, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Monday 2024-04-15, 06:00 UTC: the last complete week is 2024-W15
    monkeypatch.setattr("pipeline.jobs.selection.current_date", lambda: date(2024, 4, 15))
    first = run("weekly", "--limit", "1")
    assert first.exit_code == 0, first.stderr
    assert first.stderr.startswith("Querying arXiv for 2024-W15 (6 topics)...")
    # submitted on Saturday, announced on Monday evening: after the run
    late = FakePaper("2404.09000", title="Weekend Large Language Model Paper",
                     abstract=abstract_for("Weekend Large Language Model Paper"),
                     categories=["cs.CL"], published=datetime(2024, 4, 13, 20, tzinfo=UTC))
    week.add(late)
    monkeypatch.setattr("pipeline.jobs.selection.current_date", lambda: date(2024, 4, 22))
    second = run("weekly", "--limit", "1")
    assert second.exit_code == 0, second.stderr
    assert second.stderr.startswith(
        "Querying arXiv for 2024-04-12..2024-04-21 (6 topics; earlier runs covered up to "
        "2024-04-14, 3 days of overlap)...")
    assert second.stdout.split() == ["2404.09000"]
    db = tmp_path / "output" / "paperlist.db"
    assert rows(db, "SELECT window_start, window_end, status FROM runs ORDER BY id") == [
        ("2024-04-08", "2024-04-14", "finished"), ("2024-04-12", "2024-04-21", "finished")]
    assert "up to 2024-04-21" in run("status").stdout


def test_the_default_window_follows_coverage(make_config: Callable[..., Path],
                                             tmp_path: Path) -> None:
    config = load_config(make_config(weekly={"overlap_days": 0}))
    with Store(tmp_path / "state.db") as store:
        monday = date(2024, 4, 22)
        assert weekly_window(config, store, today=monday) == Window(date(2024, 4, 15),
                                                                     date(2024, 4, 21))
        store.finish_run(store.start_run("weekly", ("2024-04-01", "2024-04-07")), "finished")
        store.finish_run(store.start_run("weekly", ("2024-04-08", "2024-04-14")), "failed")
        # a failed run covers nothing: catch up from the last successful one
        assert weekly_window(config, store, today=monday) == Window(date(2024, 4, 8),
                                                                     date(2024, 4, 21))
        assert weekly_window(config, store, week="2024-W10", today=monday).label == "2024-W10"


def test_an_empty_window_is_an_alarm_not_a_quiet_week(week: FakeArxiv, run: Run,
                                                      tmp_path: Path) -> None:
    expected = ("Error: arXiv returned no paper at all for 2024-05-13..2024-05-19: a broken "
                "query or an arXiv outage, not a quiet week; query: (cat:cs.CL OR cat:cs.LG OR "
                "cat:cs.AI) AND (ti:\"large language model\" OR abs:\"large language model\" OR "
                "ti:LLM OR abs:LLM OR ti:\"long context\" OR abs:\"long context\" OR "
                "ti:\"language model\" OR abs:\"language model\") AND "
                "submittedDate:[202405130000 TO 202405192359] (and 5 more topic queries)")
    for command in (["weekly"], ["weekly", "--dry-run"], ["candidates"]):
        result = run(*command, "--week", "2024-W20")
        assert (result.exit_code, result.stderr.splitlines()[-1]) == (4, expected), command
    db = tmp_path / "output" / "paperlist.db"
    [(status, error)] = rows(db, "SELECT status, error FROM runs")  # dry runs record nothing
    assert status == "failed" and error == expected.removeprefix("Error: ")
    assert run("status").stdout.count("weekly 2024-05-13..2024-05-19: failed") == 1
    # papers that are all known already are a quiet week, not an alarm
    assert run("weekly", "--week", "2024-W15", "--limit", "0").exit_code == 0
    assert run("weekly", "--week", "2024-W15", "--limit", "0").exit_code == 0


@pytest.mark.parametrize("failure", [unavailable(retry_after=0), garbage()])
def test_daily_papers_down_or_garbled_is_a_warning_and_ranking_goes_on(
        week: FakeArxiv, daily_api: FakeDailyPapers, run: Run, failure: Any) -> None:
    daily_api.fail_next(failure, failure)  # both tries of the first day
    result = run("weekly", "--week", "2024-W15", "--limit", "2")
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.split()) == 2
    warning = result.stderr.splitlines()[-1]
    assert warning.startswith("Warning: Hugging Face Daily Papers unavailable (the Daily Papers "
                              "of 2024-04-08 ")
    assert warning.endswith("); ranked without it")
    status = run("status").stdout
    assert f"    warning (daily papers): {warning.removeprefix('Warning: ')}\n" in status
    daily_api.fail_next(failure, failure)
    ranking = candidates_json(run, "--week", "2024-W15")
    assert {c["reasons"][1]["note"] for c in ranking} == {"Daily Papers unavailable"}


def test_the_section_comes_from_the_nearest_past_entries_when_they_agree(
        week: FakeArxiv, run: Run, tmp_path: Path) -> None:
    entries = "".join(
        f"#### {title}\n- `Keypoints:` guidance; limited interval; diffusion models;\n\n"
        for title in ("Guidance in a Limited Interval", "Limited Interval Guidance Improves "
                      "Diffusion", "Applying Guidance Only Where It Helps"))
    (tmp_path / "output").mkdir()
    (tmp_path / "output" / "PaperList_202403.md").write_text(
        f"# PaperList\n\n## 202403\n\n### Controllable\n{entries}")
    result = run("weekly", "--week", "2024-W15", "--limit", "1")
    assert result.exit_code == 0, result.stderr
    # "Applying Guidance in a Limited Interval Improves Diffusion Models" matched the
    # Diffusion topic, but the three entries like it are all filed under Controllable
    assert result.stdout.split() == ["2404.06009"]
    [draft] = json.loads(run("drafts", "list", "--json").stdout)
    assert (draft["id"], draft["section"]) == ("2404.06009", "Controllable")
    ranking = candidates_json(run, "--week", "2024-W15")
    assert next(c for c in ranking if c["id"] == "2404.06009")["topic"] == "Diffusion"
