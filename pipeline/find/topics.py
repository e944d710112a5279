"""The configured topics: the export-API query for each, and which topic a paper matches."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..config import TopicSettings
from ..models import Paper
from .window import Window


def _term(field_name: str, keyword: str) -> str:
    keyword = keyword.replace('"', "").strip()
    return f'{field_name}:"{keyword}"' if " " in keyword or "-" in keyword else \
        f"{field_name}:{keyword}"


def topic_query(topic: TopicSettings, window: Window) -> str:
    """An export-API query for one topic's categories and keywords in the window."""
    cats = " OR ".join(f"cat:{c}" for c in topic.categories)
    words = " OR ".join(f"{_term('ti', k)} OR {_term('abs', k)}" for k in topic.include)
    return f"({cats}) AND ({words}) AND {window.query()}"


def _hits(text: str, keywords: list[str]) -> int:
    """How many keywords occur as whole words (a plural counts: LLM finds LLMs)."""
    return sum(1 for k in keywords
               if re.search(rf"(?<!\w){re.escape(k)}(?:s|es)?(?!\w)", text, re.IGNORECASE))


@dataclass(frozen=True)
class Candidate:
    """A paper of the week, the topic it matched and how strongly."""

    paper: Paper
    topic: str
    title_hits: int
    abstract_hits: int


def topic_signal(candidate: Candidate) -> tuple[float, str]:
    """The topic signal, 0 to 1, and its note: 1 when a keyword is in the title, 0.5 when only
    in the abstract. Weak on purpose: keyword hits say little about what editors pick (on the
    April 2024 weeks the picks ranked 22nd to 287th by hits), but they order papers when
    there is no history and no Daily Papers."""
    if candidate.title_hits:
        return 1.0, f"{candidate.topic}: keywords in the title"
    return 0.5, f"{candidate.topic}: keywords in the abstract"


def match(paper: Paper, topics: list[TopicSettings]) -> Candidate | None:
    """The best topic for a paper, or None when it is off topic or excluded: one of the
    topic's categories, one of its include keywords in the title or abstract (more in the
    title wins) and none of its exclude keywords. A paper without categories (a local PDF)
    is matched on keywords alone."""
    best: Candidate | None = None
    for topic in topics:
        if paper.categories and not set(paper.categories) & set(topic.categories):
            continue
        if _hits(paper.title, topic.exclude) or _hits(paper.abstract, topic.exclude):
            continue
        title, abstract = _hits(paper.title, topic.include), _hits(paper.abstract, topic.include)
        if not title and not abstract:
            continue
        if best is None or (title, abstract) > (best.title_hits, best.abstract_hits):
            best = Candidate(paper, topic.name, title, abstract)
    return best
