"""The history the taste signal learns from: monthly lists, the README block, decisions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from paths import SHARED

from pipeline.config import load_config
from pipeline.jobs.history import file_entries, past_entries
from pipeline.models import Draft, Paper, Usage
from pipeline.models.summary import Summary
from pipeline.store import Store

MONTHLY = (
    "# PaperList\r\n\r\n## 202403\r\n\r\n### LLM\r\n"
    "#### Sparse Attention Kernels\r\n"
    "- `Keypoints:` sparse attention; kernels;\r\n"
    "- `Objective:` Faster <b>attention</b> for [long](https://example.org) documents.\r\n"
    "-   <details>\r\n    <summary>Details</summary>\r\n\r\n"
    "    - `Method:` Block-sparse kernels. <img src=\"fig.png\">\r\n    </details>\r\n\r\n"
    "### Diffusion\r\n#### Guidance Schedules\r\n- `Keypoints:` CFG;\r\n"
)
README = ("# Latest Update: March 2024\n\n## LLM\n### Sparse attention kernels\n- copy\n\n"
          "## Controllable\n### Layout Control\n- `Keypoints:` layout;\n")


def test_entries_of_a_monthly_list_with_their_sections_and_plain_text() -> None:
    entries = file_entries(MONTHLY)
    assert [(e.title, e.section) for e in entries] == [
        ("Sparse Attention Kernels", "LLM"), ("Guidance Schedules", "Diffusion")]
    assert entries[0].text == ("Sparse Attention Kernels - sparse attention; kernels; - Faster "
                               "attention for long documents. - Details - Block-sparse "
                               "kernels.")
    assert all(e.positive for e in entries)


def test_history_from_files_and_decisions_each_paper_once(
        make_config: Callable[..., Path], tmp_path: Path) -> None:
    config = load_config(make_config())
    output = config.path(config.output.dir)
    output.mkdir(parents=True)
    (output / "PaperList_202403.md").write_text(MONTHLY, newline="")
    (output / "README.md").write_text(README)
    (output / "PaperList_202402.md").write_bytes(b"\xff\xfe not UTF-8")
    with Store(config.path(config.output.database)) as store:
        for number, (status, title) in enumerate([("approved", "Approved Paper"),
                                                  ("rejected", "Rejected Paper"),
                                                  ("drafted", "Waiting Paper")]):
            paper = Paper(id=f"2404.0000{number}", version=1, title=title,
                          abstract=f"The abstract of {title}.")
            store.add_paper(paper, section="LLM", run_id=None)
            summary = Summary(keypoints=["a", "b", "c"], objective="An objective long enough.",
                              method=["m"], metric="A metric of it.", section="Controllable")
            usage = Usage("m", "p", "v", 1, 1, 0.1, "json_schema")
            store.save_draft(paper.id, 1, Draft(summary, usage), f"#### {title}\n- body\n")
            if status != "drafted":
                store.review(paper.id, status, reason="no" if status == "rejected" else None)
        entries, problems = past_entries(config, store)
    assert [(e.title, e.section, e.positive) for e in entries] == [
        ("Sparse Attention Kernels", "LLM", True), ("Guidance Schedules", "Diffusion", True),
        ("Layout Control", "Controllable", True), ("Approved Paper", "Controllable", True),
        ("Rejected Paper", None, False)]
    assert entries[-1].text == "Rejected Paper. The abstract of Rejected Paper."
    assert problems == ["PaperList_202402.md left out of the history: "
                        f"{output / 'PaperList_202402.md'} is not UTF-8 (byte 0); not editing it"]


@pytest.mark.skipif(not (SHARED / "format").is_dir(), reason="../shared/format is absent")
def test_the_editors_real_april_list() -> None:
    entries = file_entries((SHARED / "format" / "README.example.md").read_text())
    assert len(entries) == 21
    assert {e.section for e in entries} == {"LLM", "Diffusion", "Controllable",
                                            "Diffusion Transformer"}
