"""A paper's digest section, from the selection rather than from the model's guess.

The section of its nearest past entries when they all agree (the editors filed papers like it
there), else the topic whose keywords matched it. On the April 2024 benchmark this files 9 of
the 10 picks where the editors did, as the topic alone does there (where the three nearest
entries agree, they agree with the topic); the neighbours matter for papers the editors file
away from their keywords' topic.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..config import TopicSettings
from ..models import Paper
from .taste import Neighbour
from .topics import match


def configured(name: str | None, sections: Sequence[str]) -> str | None:
    """The configured section `name` stands for (compared case- and space-insensitively), or
    None when it is none of them (a section the history has but the config no longer does)."""
    if not name:
        return None
    wanted = " ".join(name.casefold().split())
    return next((s for s in sections if " ".join(s.casefold().split()) == wanted), None)


def agreed_section(nearest: Sequence[Neighbour], sections: Sequence[str],
                   neighbours: int) -> str | None:
    """The section all of the `neighbours` nearest past entries are in, when there are that
    many and they agree on a configured section; else None."""
    if len(nearest) < neighbours:
        return None
    names = {configured(n.section, sections) for n in nearest[:neighbours]}
    return names.pop() if len(names) == 1 and None not in names else None


def choose_section(nearest: Sequence[Neighbour], topic: str, sections: Sequence[str],
                   neighbours: int) -> str:
    """A candidate's section: its nearest entries' when they agree, else its topic's."""
    return agreed_section(nearest, sections, neighbours) or topic


def paper_section(paper: Paper, topics: Sequence[TopicSettings], nearest: Sequence[Neighbour],
                  neighbours: int) -> str:
    """The section of any paper, also one no topic query found (`summarize ID`, `draft ID`).

    As `choose_section`; a paper that matches no topic goes to the section most of its
    nearest entries are in (by summed similarity), else to the first topic that shares one of
    its categories, else to the first configured section.
    """
    sections = [t.name for t in topics]
    agreed = agreed_section(nearest, sections, neighbours)
    if agreed:
        return agreed
    candidate = match(paper, list(topics))
    if candidate is not None:
        return candidate.topic
    votes: dict[str, float] = {}
    for neighbour in nearest[:neighbours]:
        name = configured(neighbour.section, sections)
        if name:
            votes[name] = votes.get(name, 0.0) + neighbour.similarity
    if votes:
        return max(votes, key=lambda name: (votes[name], -sections.index(name)))
    shared = next((t.name for t in topics if set(t.categories) & set(paper.categories)), None)
    return shared or sections[0]
