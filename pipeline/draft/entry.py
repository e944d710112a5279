"""A summary as a digest entry, in the editors' hand-written format.

Every value from the paper (its title) or the model (every field) goes through
`markup.inline_markdown` on its way in: the entry shows it as text, with no tag, image or
link but to arXiv and `output.link_hosts`, and the Details block stays balanced.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

from ..models.summary import Summary
from .markup import inline_markdown
from .templates import render

MONTHLY_TITLE_LEVEL = 4
README_TITLE_LEVEL = 3


def one_line(text: str) -> str:
    """Collapse whitespace: a field must stay on its line or the markdown breaks."""
    return re.sub(r"\s+", " ", text).strip()


def entry_fields(summary: Summary, link_hosts: Collection[str] = ()
                 ) -> list[tuple[str, list[str]]]:
    """The Details block's fields as (label, escaped one-line items)."""
    fields = [("Method", summary.method)]
    if summary.metric:
        fields.append(("Metric", [summary.metric]))
    if summary.results:
        fields.append(("Results", [summary.results]))
    if summary.limitation:
        fields.append(("Limitation", [summary.limitation]))
    return [(label, [inline_markdown(item, link_hosts) for item in items])
            for label, items in fields]


def render_entry(
    title: str,
    summary: Summary,
    arxiv_id: str | None = None,
    *,
    level: int = MONTHLY_TITLE_LEVEL,
    root: Path | None = None,
    link_hosts: Collection[str] = (),
) -> str:
    """The entry's markdown, ending with a newline; carries the arXiv link when there is an id.
    Title and fields are escaped (`markup.inline_markdown`), whatever they hold."""
    return render(
        "entry.md.j2",
        root,
        hashes="#" * level,
        title=inline_markdown(title, link_hosts),
        keypoints=[inline_markdown(k.replace(";", ","), link_hosts) for k in summary.keypoints],
        objective=inline_markdown(summary.objective, link_hosts),
        link=f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else None,
        fields=entry_fields(summary, link_hosts),
    ).text
