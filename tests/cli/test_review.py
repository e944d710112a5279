"""The editors' commands: drafts list/show/approve/reject/edit and the interactive review."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pipeline.cli.main import cli
from pipeline.config import load_config
from pipeline.jobs.drafting import save
from pipeline.models import Draft, Paper, Usage
from pipeline.models.summary import Summary
from pipeline.store import Store

Run = Callable[..., Result]
PAPERS = [("2404.00001", "Alpha: A Language Model", "LLM"),
          ("2404.00002", "Beta: A Diffusion Model", "Diffusion"),
          ("2404.00003", "Gamma: Another Language Model", "LLM")]


def summary(section: str, **change: object) -> Summary:
    return Summary.model_validate({
        "keypoints": ["One idea", "Two ideas", "Three ideas"],
        "objective": "The objective of this paper, in a sentence.",
        "method": ["Does something clever."], "metric": "Improves X by 3.2 points.",
        "section": section, **change})


@pytest.fixture
def config_path(make_config: Callable[..., Path]) -> Path:
    path = make_config()
    config = load_config(path)
    with Store(config.path(config.output.database)) as store:
        for paper_id, title, section in PAPERS:
            store.add_paper(Paper(id=paper_id, version=1, title=title,
                                  abstract=f"The abstract of {title}."),
                            section=section, run_id=None)
            usage = Usage("fake-model", "summarize", "abc123", 1000, 200, 1.5, "json_schema")
            save(config, store, paper_id, 1, title, Draft(summary(section), usage))
    return path


@pytest.fixture
def run(config_path: Path) -> Run:
    def invoke(*args: str, **kwargs: object) -> Result:
        return CliRunner().invoke(cli, [*args, "--config", str(config_path)], **kwargs)

    return invoke


def test_list_is_a_table_and_json(run: Run) -> None:
    result = run("drafts", "list")
    assert result.stdout == (
        "2404.00002\tdrafted\tDiffusion\tBeta: A Diffusion Model\n"
        "2404.00001\tdrafted\tLLM\tAlpha: A Language Model\n"
        "2404.00003\tdrafted\tLLM\tGamma: Another Language Model\n")
    data = json.loads(run("drafts", "list", "--json").stdout)
    assert [d["id"] for d in data] == ["2404.00002", "2404.00001", "2404.00003"]
    assert data[0]["summary"]["metric"] == "Improves X by 3.2 points."
    assert data[0]["prompt_tokens"] == 1000 and data[0]["model"] == "fake-model"


def test_show_tells_an_editor_what_the_paper_is(run: Run) -> None:
    result = run("drafts", "show", "arXiv:2404.00001v1")
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "Alpha: A Language Model\n"
        "https://arxiv.org/abs/2404.00001  (v1, drafted, section LLM)\n\n"
        "Abstract:\n  The abstract of Alpha: A Language Model.\n\n"
        "Entry:\n#### Alpha: A Language Model\n- `Keypoints:` One idea; Two ideas; Three ideas;\n")
    assert "Model: fake-model, prompt abc123, 1000+200 tokens, 1.5 s\n" in result.stdout


def test_approve_reject_and_their_errors(run: Run) -> None:
    assert run("drafts", "approve", "2404.00001", "2404.00002").exit_code == 0
    again = run("drafts", "approve", "2404.00001")
    assert again.stderr == "2404.00001: already approved\n"
    result = run("drafts", "reject", "2404.00003", "--reason", "off topic")
    assert (result.exit_code, result.stderr) == (0, "2404.00003: rejected\n")
    assert run("drafts", "list", "--status", "rejected").stdout.startswith("2404.00003\trejected")
    shown = run("drafts", "show", "2404.00003").stdout
    assert "Rejected: off topic\n" in shown
    missing = run("drafts", "approve", "2404.99999")
    assert (missing.exit_code, missing.stderr) == (
        2, "Error: 2404.99999: no draft for this paper\n")
    blank = run("drafts", "reject", "2404.00001", "--reason", "  ")
    assert (blank.exit_code, blank.stderr) == (
        2, "Error: 2404.00001: a rejection needs a reason (--reason TEXT)\n")
    bad = run("drafts", "show", "not-an-id")
    assert bad.exit_code == 2 and bad.stderr.startswith("Error: 'not-an-id' is not an arXiv id")
    no_reason = run("drafts", "reject", "2404.00001")
    assert no_reason.exit_code == 2 and "Missing option '--reason'" in no_reason.stderr


def _editor(tmp_path: Path, body: str) -> str:
    script = tmp_path / "editor.py"
    script.write_text("import sys, pathlib\n"
                      "p = pathlib.Path(sys.argv[1])\n"
                      f"{body}\n")
    return f"{sys.executable} {script}"


def test_edit_in_the_editor_is_kept_and_published(run: Run, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITOR", _editor(
        tmp_path, "p.write_text(p.read_text().replace('One idea', 'Edited idea'))"))
    result = run("drafts", "edit", "2404.00001")
    assert (result.exit_code, result.stderr) == (0, "2404.00001: edit saved\n")
    shown = run("drafts", "show", "2404.00001").stdout
    assert "Entry (edited by an editor):\n" in shown
    assert "- `Keypoints:` Edited idea; Two ideas; Three ideas;" in shown
    run("drafts", "approve", "2404.00001")
    assert run("publish", "--month", "202404").exit_code == 0
    monthly = (tmp_path / "output" / "PaperList_202404.md").read_text()
    assert "- `Keypoints:` Edited idea; Two ideas; Three ideas;" in monthly


def test_an_edit_without_the_title_heading_is_refused(run: Run, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITOR", _editor(tmp_path, "p.write_text('just some text')"))
    result = run("drafts", "edit", "2404.00001")
    kept = list((tmp_path / "output" / "edits").glob("2404.00001-*.md"))
    assert len(kept) == 1 and kept[0].read_text() == "just some text"
    assert (result.exit_code, result.stderr) == (
        2, "Error: 2404.00001: an entry must start with its title heading (#### Title); your "
        f"edit is kept in {kept[0]}\n")
    assert "Entry:\n#### Alpha" in run("drafts", "show", "2404.00001").stdout  # not saved


def test_an_unchanged_edit_saves_nothing(run: Run, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITOR", _editor(tmp_path, "p.write_text(p.read_text())"))
    result = run("drafts", "edit", "2404.00001")
    assert (result.exit_code, result.stderr) == (0, "2404.00001: no changes\n")


def test_interactive_review(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITOR", _editor(
        tmp_path, "p.write_text(p.read_text().replace('Two ideas', 'Better idea'))"))
    # Beta: edit, then approve; Alpha: reject with a reason; Gamma: quit before deciding
    result = run("review", input="e\na\nr\nnot for us\nx\nq\n")
    assert result.exit_code == 0, result.output
    assert "[1/3] " in result.stdout and "[2/3] " in result.stdout
    assert "Beta: A Diffusion Model\nhttps://arxiv.org/abs/2404.00002" in result.stdout
    assert result.stdout.count("Better idea") >= 1
    assert "Error: 'x' is not one of 'a', 'e', 'r', 's', 'q'." in result.output
    assert result.stderr.endswith("1 approved, 1 rejected, 1 edited, 0 skipped\n")
    listed = {d["id"]: d for d in json.loads(run("drafts", "list", "--status", "all",
                                                 "--json").stdout)}
    assert listed["2404.00002"]["status"] == "approved" and listed["2404.00002"]["edited"]
    assert listed["2404.00001"]["status"] == "rejected"
    assert listed["2404.00001"]["reject_reason"] == "not for us"
    assert listed["2404.00003"]["status"] == "drafted"
    assert run("review", input="s\ns\n").stderr.endswith(
        "0 approved, 0 rejected, 0 edited, 1 skipped\n")


def test_nothing_to_review(run: Run) -> None:
    run("drafts", "approve", "2404.00001", "2404.00002", "2404.00003")
    result = run("review")
    assert (result.exit_code, result.stderr) == (0, "Nothing to review.\n")


def test_publish_dry_run_prints_a_diff_and_writes_nothing(run: Run, tmp_path: Path) -> None:
    run("drafts", "approve", "2404.00002")
    result = run("publish", "--month", "202404", "--dry-run")
    assert result.exit_code == 0
    assert result.stdout.startswith("--- /dev/null\n+++ ")
    assert "+#### Beta: A Diffusion Model\n" in result.stdout
    assert result.stderr == ("Would add 1 entries to PaperList_202404.md (0 already "
                             "there).\n")
    assert not (tmp_path / "output" / "PaperList_202404.md").exists()
    listed = json.loads(run("drafts", "list", "--status", "approved", "--json").stdout)
    assert [d["id"] for d in listed] == ["2404.00002"]


def test_a_published_draft_is_refused_before_the_editor_opens(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run("drafts", "approve", "2404.00001")
    assert run("publish", "--month", "202404").exit_code == 0
    opened = tmp_path / "editor-was-opened"
    monkeypatch.setenv("EDITOR", _editor(tmp_path, f"pathlib.Path({str(opened)!r}).touch()"))
    result = run("drafts", "edit", "2404.00001")
    assert (result.exit_code, result.stderr) == (
        2, "Error: 2404.00001: already published; edit the monthly list itself\n")
    assert not opened.exists()


def test_a_refused_edit_in_review_is_kept_and_the_review_goes_on(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITOR", _editor(tmp_path, "p.write_text('no heading here')"))
    result = run("review", input="e\ns\nq\n")
    assert result.exit_code == 0, result.output
    kept = list((tmp_path / "output" / "edits").glob("2404.00002-*.md"))
    assert len(kept) == 1 and kept[0].read_text() == "no heading here"
    assert (f"Error: 2404.00002: an entry must start with its title heading (#### Title); your "
            f"edit is kept in {kept[0]}\n") in result.stderr
    assert result.stderr.endswith("0 approved, 0 rejected, 0 edited, 1 skipped\n")


def test_the_end_of_the_input_ends_the_review(run: Run) -> None:
    result = run("review", input="a\n")
    assert result.exit_code == 0, result.output
    assert result.stderr.endswith("(end of input: stopping)\n"
                                  "1 approved, 0 rejected, 0 edited, 0 skipped\n")
    assert run("drafts", "list", "--status", "approved").stdout.startswith("2404.00002\t")


def test_verbose_anywhere_on_the_line(run: Run) -> None:
    run("drafts", "approve", "2404.00001")
    quiet = run("publish", "--month", "202404", "--dry-run")
    assert "INFO " not in quiet.stderr
    for args in (("-v", "publish", "--month", "202404", "--dry-run"),
                 ("publish", "-v", "--month", "202404", "--dry-run"),
                 ("publish", "--month", "202404", "--dry-run", "-v")):
        result = run(*args)
        assert result.exit_code == 0, args
        assert "INFO publish 202404: 1 added, 0 already present" in result.stderr, args
    debug = run("drafts", "-v", "list", "-v")
    assert debug.exit_code == 0
