"""A summary as a digest entry, in the editors' hand-written format."""

from __future__ import annotations

import re
from pathlib import Path

from ..models import Summary
from .templates import render

MONTHLY_TITLE_LEVEL = 4
README_TITLE_LEVEL = 3


def one_line(text: str) -> str:
    """Collapse whitespace: a field must stay on its line or the markdown breaks."""
    return re.sub(r"\s+", " ", text).strip()


def entry_fields(summary: Summary) -> list[tuple[str, list[str]]]:
    fields = [("Method", summary.method)]
    if summary.metric:
        fields.append(("Metric", [summary.metric]))
    if summary.results:
        fields.append(("Results", [summary.results]))
    if summary.limitation:
        fields.append(("Limitation", [summary.limitation]))
    return [(label, [one_line(item) for item in items]) for label, items in fields]


def render_entry(
    title: str,
    summary: Summary,
    arxiv_id: str | None = None,
    *,
    level: int = MONTHLY_TITLE_LEVEL,
    root: Path | None = None,
) -> str:
    """The entry's markdown, ending with a newline; carries the arXiv link when there is an id."""
    return render(
        "entry.md.j2",
        root,
        hashes="#" * level,
        title=one_line(title),
        keypoints=[one_line(k).replace(";", ",") for k in summary.keypoints],
        objective=one_line(summary.objective),
        link=f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else None,
        fields=entry_fields(summary),
    ).text
