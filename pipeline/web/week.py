"""The week the "This week" page shows: its candidates in rank order, each with its draft.

The one place the page reads the shortlist, so that it follows the state database's notion of
a week's candidates. A week is a run's coverage window; its candidates are the papers
submitted within it that the database knows (the weekly run stores every candidate it ranked,
drafted or not), best score first (`PaperRecord.score`, the sum of the reasons the selection
recorded), then papers without a score by section order and id. Drafts waiting for review
from outside the window are listed too, so that nothing waiting is out of sight.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import Config
from ..models import DraftRecord, PaperRecord
from ..store import Store

WAITING = ("drafted", "approved")


@dataclass(frozen=True)
class Candidate:
    """One paper of the week's shortlist, with its draft when there is one."""

    rank: int
    paper: PaperRecord
    draft: DraftRecord | None
    score: float | None = None
    reasons: tuple[str, ...] = ()

    @property
    def drafted(self) -> bool:
        return self.draft is not None

    @property
    def draftable(self) -> bool:
        """An editor may ask for a draft: none yet, and not rejected or published."""
        return self.draft is None and self.paper.status not in ("rejected", "published")


@dataclass(frozen=True)
class Week:
    """A coverage window (ISO dates) and what the page shows of it."""

    start: str | None
    end: str | None
    windows: tuple[tuple[str, str], ...]
    candidates: tuple[Candidate, ...]
    others: tuple[DraftRecord, ...] = field(default=())

    @property
    def label(self) -> str:
        return f"{self.start} to {self.end}" if self.start else "every paper so far"


def windows(store: Store) -> list[tuple[str, str]]:
    """The coverage windows of the recorded runs, newest run first, each once."""
    seen: list[tuple[str, str]] = []
    for run in store.runs(limit=200):
        if run["window_start"] and run["window_end"]:
            window = (str(run["window_start"])[:10], str(run["window_end"])[:10])
            if window not in seen:
                seen.append(window)
    return seen


def load_week(config: Config, store: Store, start: str | None = None) -> Week:
    """The week starting on `start` (default: the newest run's window); with no run recorded
    yet, every paper the database knows."""
    known = windows(store)
    window = next((w for w in known if w[0] == start), known[0] if known else None)
    papers = store.papers()
    if window is not None:
        first, last = window
        papers = [p for p in papers if p.published and first <= p.published[:10] <= last]
    order = {name.casefold(): i for i, name in enumerate(config.sections)}

    def key(paper: PaperRecord) -> tuple[float, int, str]:
        score = paper.score
        return (-score if score is not None else float("inf"),
                order.get((paper.section or "").casefold(), len(order)), paper.id)

    candidates = tuple(
        Candidate(rank=number, paper=paper, draft=store.draft(paper.id), score=paper.score,
                  reasons=tuple(f"{r.signal} {r.value:+.2f}: {r.note}" for r in paper.reasons))
        for number, paper in enumerate(sorted(papers, key=key), start=1))
    listed = {c.paper.id for c in candidates}
    others = tuple(d for d in store.drafts(WAITING) if d.paper.id not in listed)
    return Week(window[0] if window else None, window[1] if window else None, tuple(known),
                candidates, others)
