"""An editor's edit is rendered as a draft is: links only to arXiv and output.link_hosts."""

from __future__ import annotations

from web_fixtures import CANDIDATES, WebWeek, web_week  # noqa: F401  (the fixture)

from pipeline.jobs.editing import save_fields

DRAFTED = CANDIDATES[0][0]


def fields(method: str) -> dict[str, str]:
    return {"keypoints": "Long context; Retrieval; Benchmark gain",
            "objective": "The paper asks how long a context a language model really uses.",
            "method": method,
            "metric": "Improves the main benchmark by 12.5% with 3x less compute.",
            "results": "", "limitation": "", "section": "LLM"}


def test_an_edit_keeps_links_to_configured_hosts_only(web_week: WebWeek) -> None:  # noqa: F811
    settings = web_week.config
    config = settings.model_copy(update={"output": settings.output.model_copy(
        update={"link_hosts": ["github.com"]})})
    method = ("Code at https://github.com/group/tool for all.\n"
              "A mirror at https://evil.example/x now.")
    with web_week.store() as store:
        outcome = save_fields(config, store, DRAFTED, fields(method))
        record = store.draft(DRAFTED)
    assert outcome.saved and record is not None
    # a URL to a configured host stays a link; any other is shown as code, as in the drafts
    assert "- Code at https://github.com/group/tool for all.\n" in record.final_entry
    assert "- A mirror at `https://evil.example/x` now.\n" in record.final_entry
