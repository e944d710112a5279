"""The week's shortlist: every topic's papers, without duplicates, known and off-topic ones,
ranked and capped."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import Config
from ..models import Paper
from ..store import Store
from .arxiv import ArxivSource
from .topics import Candidate, match, topic_query
from .window import Window


@dataclass
class WeekPlan:
    """What a week's query turned up and what will be drafted."""

    window: Window
    selected: list[Candidate] = field(default_factory=list)
    known: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    over_cap: list[str] = field(default_factory=list)
    duplicates: int = 0


def plan_week(config: Config, source: ArxivSource, store: Store, window: Window,
              limit: int | None = None) -> WeekPlan:
    """Query every topic, drop duplicates, known and off-topic papers, rank and cap."""
    plan = WeekPlan(window)
    seen: dict[str, Paper] = {}
    for topic in config.topics:
        for paper in source.search(topic_query(topic, window)):
            if paper.id in seen:
                plan.duplicates += 1
                if paper.version > seen[paper.id].version:
                    seen[paper.id] = paper
                continue
            seen[paper.id] = paper
    known = store.known_ids()
    candidates = []
    for paper in seen.values():
        if paper.id in known:
            plan.known.append(paper.id)
            continue
        candidate = match(paper, config.topics) if window.contains(paper.published) else None
        if candidate is None:
            plan.unmatched.append(paper.id)
            continue
        candidates.append(candidate)
    candidates.sort(key=Candidate.rank_key)
    cap = limit if limit is not None else config.weekly.max_papers
    plan.selected, over = candidates[:cap], candidates[cap:]
    plan.over_cap = [c.paper.id for c in over]
    return plan
