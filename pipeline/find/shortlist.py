"""The window's candidates and its shortlist: every topic's papers without duplicates and
off-topic ones (`gather`), then, once ranked, the best new ones up to the cap (`shortlist`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..config import Config
from ..errors import SourceUnavailableError
from ..models import Paper
from .arxiv import ArxivSource
from .ranking import Ranked
from .topics import Candidate, match, topic_query
from .window import Window

# A paper in one of these states has been taken up (a draft exists or is on its way); a
# "candidate" was ranked below an earlier run's cap and waits for `paperlist draft`.
TAKEN_UP = ("found", "downloaded", "extracted", "drafted", "approved", "rejected", "published",
            "failed")


class EmptyWindowError(SourceUnavailableError):
    """Every topic query returned no paper at all: a broken query or an arXiv outage, which
    must not pass for a quiet week."""


@dataclass(frozen=True)
class Gathered:
    """What the topic queries turned up for a window."""

    window: Window
    candidates: list[Candidate]
    unmatched: list[str]
    duplicates: int
    returned: int  # papers the queries returned, duplicates included


def gather(config: Config, source: ArxivSource, window: Window) -> Gathered:
    """Query every topic; keep each paper once (its newest version) and the on-topic ones
    submitted in the window. EmptyWindowError when no query returned any paper."""
    seen: dict[str, Paper] = {}
    duplicates = returned = 0
    queries = [topic_query(topic, window) for topic in config.topics]
    for query in queries:
        for paper in source.search(query):
            returned += 1
            if paper.id in seen:
                duplicates += 1
                if paper.version <= seen[paper.id].version:
                    continue
            seen[paper.id] = paper
    if not returned:
        more = f" (and {len(queries) - 1} more topic queries)" if len(queries) > 1 else ""
        raise EmptyWindowError(
            f"arXiv returned no paper at all for {window.first}..{window.last}: a broken "
            f"query or an arXiv outage, not a quiet week; query: {queries[0]}{more}")
    candidates, unmatched = [], []
    for paper in seen.values():
        candidate = match(paper, config.topics) if window.contains(paper.published) else None
        if candidate is None:
            unmatched.append(paper.id)
        else:
            candidates.append(candidate)
    return Gathered(window, candidates, unmatched, duplicates, returned)


@dataclass
class WeekPlan:
    """A window's ranking and what will be drafted from it."""

    window: Window
    ranked: list[Ranked] = field(default_factory=list)  # every candidate, best first
    selected: list[Ranked] = field(default_factory=list)  # new, within the cap: drafted
    over_cap: list[Ranked] = field(default_factory=list)  # new, below the cap: recorded
    known: dict[str, str] = field(default_factory=dict)  # candidates known before, by status
    unmatched: list[str] = field(default_factory=list)
    duplicates: int = 0
    warnings: list[str] = field(default_factory=list)

    def drafted(self, ranked: Ranked) -> bool:
        """Whether the paper is drafted (or on its way): taken up before, or selected now."""
        paper_id = ranked.paper.id
        return self.known.get(paper_id) in TAKEN_UP or any(
            chosen.paper.id == paper_id for chosen in self.selected)


def shortlist(gathered: Gathered, ranked: list[Ranked], known: Mapping[str, str],
              cap: int) -> WeekPlan:
    """The best `cap` candidates that no earlier run or command has recorded. `known` maps
    every paper the state database holds to its status."""
    plan = WeekPlan(gathered.window, ranked, unmatched=gathered.unmatched,
                    duplicates=gathered.duplicates)
    fresh = []
    for item in ranked:
        status = known.get(item.paper.id)
        if status is None:
            fresh.append(item)
        else:
            plan.known[item.paper.id] = status
    plan.selected, plan.over_cap = fresh[:cap], fresh[cap:]
    return plan
