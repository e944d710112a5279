"""Rank a window's candidates the way the editors pick: a weighted sum of three signals.

    score = w_taste * taste + w_community * community + w_topic * topic

each signal scaled to 0..1: taste (`taste.py`) relative to the window's closest candidate
(below 0 for a paper closer to rejected drafts than to any approved entry),
community (`community.py`) 1 for a paper Hugging Face featured, topic (`topics.py`) 1 for a
keyword in the title. The weights are `rank.weights`; their defaults were chosen on the April
2024 weeks (bench/selection.py), where the result hardly moves for a community weight
anywhere from 0.5 to 2 and a topic weight from 0 to 0.2. Community 0.5 rather than more: a
paper the history predicts well can still beat a featured one it does not resemble (and a
paper announced late in the week may not be featured yet when the run ranks it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..config import RankSettings
from ..models import Paper, Reason
from .community import community_signal
from .daily_papers import Featured
from .sections import choose_section
from .taste import PastEntry, Taste, taste
from .topics import Candidate, topic_signal

DIGITS = 4  # scores and contributions are rounded, so that equal papers tie exactly


@dataclass(frozen=True)
class Ranked:
    """A candidate with its score, what each signal added to it, and its section."""

    candidate: Candidate
    score: float
    reasons: tuple[Reason, ...]
    section: str

    @property
    def paper(self) -> Paper:
        return self.candidate.paper


def candidate_text(paper: Paper) -> str:
    """What taste compares with the history: the title and the abstract."""
    return f"{paper.title}. {paper.abstract}"


def rank(candidates: Sequence[Candidate], entries: Sequence[PastEntry],
         featured: Mapping[str, Featured] | None, settings: RankSettings,
         sections: Sequence[str], title_key: Callable[[str], str]) -> list[Ranked]:
    """The candidates best first (ties by arXiv id), each with its score and reasons.

    `entries` is the history (`PastEntry.key` made with `title_key`, as the candidates' titles
    are); `featured` the Daily Papers of the window, {} when the signal is off and None when it
    could not be read. Deterministic: the same input gives the same ranking.
    """
    ordered = sorted(candidates, key=lambda c: c.paper.id)
    tastes = taste([candidate_text(c.paper) for c in ordered],
                   [title_key(c.paper.title) for c in ordered], entries, settings.neighbours)
    raw = [t.raw(settings.rejected) for t in tastes]
    scale = max(raw, default=0.0)
    if scale <= 0:  # nothing like a positive entry: the one most like a rejected draft is -1
        scale = max((-value for value in raw), default=0.0)
    community = community_signal([c.paper.id for c in ordered], featured, settings.upvotes)
    weights = settings.weights
    ranked = []
    for candidate, found, value, (social, social_note) in zip(ordered, tastes, raw, community,
                                                             strict=True):
        strength = max(-1.0, min(1.0, value / scale)) if scale > 0 else 0.0
        topical, topic_note = topic_signal(candidate)
        reasons = (
            Reason("taste", round(weights.taste * strength, DIGITS), _taste_note(found, value)),
            Reason("community", round(weights.community * social, DIGITS), social_note),
            Reason("topic", round(weights.topic * topical, DIGITS), topic_note),
        )
        section = choose_section(found.nearest, candidate.topic, sections, settings.neighbours)
        ranked.append(Ranked(candidate, round(sum(r.value for r in reasons), DIGITS), reasons,
                             section))
    ranked.sort(key=lambda r: (-r.score, r.paper.id))
    return ranked


def _taste_note(found: Taste, value: float) -> str:
    if value < 0 and found.nearest_rejected:
        return f'like rejected "{found.nearest_rejected[0].title}"'
    if found.nearest:
        return f'like "{found.nearest[0].title}"'
    return "no similar past entry"
