"""`publish`: the month an entry goes to, what a killed publish left, a local PDF's way from
`summarize --pdf` through review into the monthly list."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fakes import FakeArxiv, FakeChat, citing
from pdfgen import make_pdf, paper_pages

from pipeline.cli.main import cli
from pipeline.config import load_config
from pipeline.jobs.drafting import save
from pipeline.models import Draft, Paper, Usage
from pipeline.models.summary import Summary
from pipeline.publish.months import by_month, week_month
from pipeline.publish.writer import PublishItem
from pipeline.store import Store

Run = Callable[..., Result]
# (id, title, submitted): the weeks of 2024-03-25 (March), 2024-04-08 (April) and 2024-04-29,
# whose Thursday is May 2nd (May)
PAPERS = [("2403.00001", "March Paper", datetime(2024, 3, 31, 20, tzinfo=UTC)),
          ("2404.00002", "April Paper", datetime(2024, 4, 10, 9, tzinfo=UTC)),
          ("2404.00003", "Turn of the Month Paper", datetime(2024, 4, 29, 9, tzinfo=UTC))]


def test_the_month_of_a_week_is_the_month_of_its_thursday() -> None:
    assert week_month(date(2024, 4, 29)) == "202405"  # Mon; Thu is May 2
    assert week_month(date(2024, 5, 5)) == "202405"  # Sun of the same week
    assert week_month(date(2024, 3, 31)) == "202403"  # Sun; Thu is Mar 28
    assert week_month(date(2024, 4, 1)) == "202404"
    assert week_month(date(2024, 12, 30)) == "202501"  # 2025-W01
    items = [PublishItem("a", "A", "LLM", "#### A\n", date(2024, 4, 29)),
             PublishItem("b", "B", "LLM", "#### B\n", date(2024, 3, 5)),
             PublishItem("c", "C", "LLM", "#### C\n", None)]
    assert [(m, [i.paper_id for i in group]) for m, group in
            by_month(items, today=date(2024, 6, 12))] == [
        ("202403", ["b"]), ("202405", ["a"]), ("202406", ["c"])]
    assert [m for m, _ in by_month(items, "202404")] == ["202404"]


@pytest.fixture
def config_path(make_config: Callable[..., Path]) -> Path:
    path = make_config()
    config = load_config(path)
    summary = Summary.model_validate({
        "keypoints": ["One idea", "Two ideas", "Three ideas"],
        "objective": "The objective of this paper, in a sentence.",
        "method": ["Does something clever."], "metric": "Improves X by 3.2 points.",
        "section": "LLM"})
    usage = Usage("fake-model", "summarize", "abc123", 1000, 200, 1.5, "json_schema")
    with Store(config.path(config.output.database)) as store:
        for paper_id, title, submitted in PAPERS:
            store.add_paper(Paper(id=paper_id, version=1, title=title, abstract="An abstract.",
                                  published=submitted), section="LLM", run_id=None)
            save(config, store, paper_id, 1, title, Draft(summary, usage))
    return path


@pytest.fixture
def run(config_path: Path) -> Run:
    def invoke(*args: str, **kwargs: Any) -> Result:
        return CliRunner().invoke(cli, [*args, "--config", str(config_path)], **kwargs)

    return invoke


def test_entries_go_to_the_month_of_their_week(run: Run, tmp_path: Path) -> None:
    assert run("drafts", "approve", *[p[0] for p in PAPERS]).exit_code == 0
    result = run("publish")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "2403.00001\n2404.00002\n2404.00003\n"
    assert result.stderr == ("Published 1 entries to PaperList_202403.md.\n"
                             "Published 1 entries to PaperList_202404.md.\n"
                             "Published 1 entries to PaperList_202405.md.\n")
    output = tmp_path / "output"
    for month, title in (("202403", "March Paper"), ("202404", "April Paper"),
                         ("202405", "Turn of the Month Paper")):
        assert re.findall(r"^#### (.*)$", (output / f"PaperList_{month}.md").read_text(),
                          re.M) == [title]
    readme = (output / "README.md").read_text()
    assert "# Latest Update: May 2024\n" in readme
    assert [line for line in readme.splitlines() if line.startswith("- [")] == [
        "- [202403 weekly papers](PaperList_202403.md)",
        "- [202404 weekly papers](PaperList_202404.md)",
        "- [202405 weekly papers](PaperList_202405.md)"]


def test_month_overrides_and_dry_run(run: Run, tmp_path: Path) -> None:
    run("drafts", "approve", "2403.00001", "2404.00003")
    dry = run("publish", "--dry-run")
    assert dry.stderr == ("Would add 1 entries to PaperList_202403.md (0 already there).\n"
                          "Would add 1 entries to PaperList_202405.md (0 already there).\n")
    assert not (tmp_path / "output" / "PaperList_202403.md").exists()
    result = run("publish", "--month", "202404")
    assert result.stderr == "Published 2 entries to PaperList_202404.md.\n"
    assert sorted((tmp_path / "output").glob("PaperList_*.md")) == [
        tmp_path / "output" / "PaperList_202404.md"]


def test_nothing_approved(run: Run) -> None:
    result = run("publish")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0, "", "Nothing approved to publish.\n")


def test_a_killed_publish_leaves_temporary_files_the_next_one_removes(run: Run,
                                                                      tmp_path: Path) -> None:
    output = tmp_path / "output"
    stale = [output / ".PaperList_202404.md.deadbeef.tmp", output / ".README.md.0123abcd.tmp"]
    kept = [output / ".notes.md.12345678.tmp", output / ".README.md.draft.tmp",
            output / "PaperList_202404.md.0123abcd.tmp"]
    for path in (*stale, *kept):
        path.write_text("x" * 1000)
    run("drafts", "approve", "2404.00002")
    dry = run("publish", "--dry-run")
    assert dry.exit_code == 0 and all(p.exists() for p in stale)  # a dry run writes nothing
    assert run("publish").exit_code == 0
    assert [p for p in stale if p.exists()] == []
    assert all(p.exists() for p in kept)
    assert f"removed {stale[0]}, left by an interrupted publish" in (
        output / "paperlist.log").read_text()


# -- a local PDF -----------------------------------------------------------------------------

SUMMARY = {
    "keypoints": ["Local widgets", "Offline drafts", "No arXiv"],
    "objective": "Study a problem and propose a method that improves accuracy.",
    "method": ["The method encodes the input and decodes a summary with attention."],
    "metric": "Improves accuracy by 12.5% on a standard benchmark.",
    "results": None, "limitation": None, "section": "Diffusion",
    "evidence": {"objective": ["We study a problem and propose a method"],
                 "method": ["Our method encodes the input and decodes a summary"],
                 "metric": ["We presented a method that improves accuracy by 12.5%"],
                 "results": []},
}  # evidence: phrases of tests/pdfgen.py's paper_pages, turned into sentence numbers


def test_a_local_pdf_goes_through_review_into_the_monthly_list(
        arxiv_api: FakeArxiv, chat_api: FakeChat, run: Run, tmp_path: Path) -> None:
    pdf = tmp_path / "local.pdf"
    pdf.write_bytes(make_pdf(paper_pages("Local Paper About Diffusion Models"),
                             title="Local Paper About Diffusion Models"))
    chat_api.reply(citing(SUMMARY))  # an endpoint is asked for the whole entry at once
    result = run("summarize", "--pdf", str(pdf), "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    paper_id = data["id"]
    assert re.fullmatch(r"pdf:[0-9a-f]{12}", paper_id)
    assert (data["url"], data["pdf"], data["status"]) == (None, str(pdf), "drafted")
    # like `drafts show --json`: the evidence and the checks, and what it cost
    assert data["evidence"]["metric"][0]["verified"] is True
    assert data["checks"]["evidence"] == data["evidence"] and data["flags"] == []
    assert data["usage"]["model"] == "fake-model"
    assert "[arXiv]" not in data["entry"]
    assert result.stderr.endswith(f"Stored as {paper_id} (drafted). Checks: verified.\n")
    assert arxiv_api.log == []
    shown = run("drafts", "show", paper_id, "--json")
    assert {k: v for k, v in json.loads(shown.stdout).items()} == {
        k: v for k, v in data.items() if k != "usage"}
    # the same file again: the stored draft, no model call
    calls = chat_api.calls
    again = run("summarize", "--pdf", str(pdf))
    assert again.exit_code == 0 and chat_api.calls == calls
    assert "(stored draft of " in again.stderr

    assert run("drafts", "approve", paper_id).exit_code == 0
    published = run("publish", "--month", "202404")
    assert (published.exit_code, published.stdout) == (0, f"{paper_id}\n"), published.stderr
    monthly = (tmp_path / "output" / "PaperList_202404.md").read_text()
    assert (f"#### Local Paper About Diffusion Models\n<!-- {paper_id} -->\n- `Keypoints:` Local "
            "widgets; Offline drafts; No arXiv;\n") in monthly
    assert "arxiv.org" not in monthly
    # a second publish recognises it by its id
    assert run("publish", "--month", "202404").stderr == (
        "Nothing approved to publish.\n")
    assert run("drafts", "list", "--status", "published").stdout.startswith(
        f"{paper_id}\tpublished\tDiffusion\tLocal Paper About Diffusion Models")


def test_summarize_prints_the_flags(chat_api: FakeChat, run: Run, tmp_path: Path) -> None:
    pdf = tmp_path / "local.pdf"
    pdf.write_bytes(make_pdf(paper_pages("Local Paper About Diffusion Models")))
    invented = "Improves accuracy by 99.5%."
    chat_api.reply(citing({**SUMMARY, "metric": invented}), {"metric": invented})
    result = run("summarize", "--pdf", str(pdf), "--title", "Local Paper")
    assert result.exit_code == 0, result.stderr
    # the invented number survives the fix request, so the paper's own sentence stands in
    assert re.search(r"^Stored as pdf:[0-9a-f]{12} \(drafted\)\. Checks: 1 flag: metric: the "
                     r"paper's own sentence, as the model's failed: metric: numbers not in the "
                     r"paper: 99\.5%; .*\.$", result.stderr, re.M)
    assert result.stdout.startswith("#### Local Paper\n")
