"""The ranking's signals and sections, as plain functions over records."""

from __future__ import annotations

import random
from datetime import date

import pytest

from pipeline.config import Config, RankSettings, RankWeights
from pipeline.find.community import community_signal
from pipeline.find.daily_papers import Featured
from pipeline.find.ranking import rank
from pipeline.find.sections import agreed_section, choose_section, paper_section
from pipeline.find.taste import Neighbour, PastEntry, taste
from pipeline.find.topics import Candidate, match
from pipeline.models import Paper
from pipeline.publish.digest import title_key

TOPICS = Config().topics
SECTIONS = [t.name for t in TOPICS]


def paper(paper_id: str, title: str, abstract: str = "",
          categories: tuple[str, ...] = ("cs.CL",)) -> Paper:
    return Paper(id=paper_id, version=1, title=title, categories=categories,
                 abstract=abstract or f"We study {title.lower()} with a large language model.")


def candidate(p: Paper) -> Candidate:
    found = match(p, TOPICS)
    assert found is not None, p.title
    return found


def entry(title: str, text: str, section: str | None = "LLM", positive: bool = True
          ) -> PastEntry:
    return PastEntry(title, f"{title}. {text}", section, positive, key=title_key(title))


WEEK = [
    paper("2404.00001", "Sparse attention for long documents"),
    paper("2404.00002", "Speech recognition with noisy labels"),
    paper("2404.00003", "Graph networks for molecules"),
    paper("2404.00004", "Retrieval augmented generation for question answering"),
]
HISTORY = [
    entry("Sparse Attention Kernels", "Keypoints: sparse attention; long documents; kernels."),
    entry("Long Documents Need Sparse Attention", "Sparse attention over long documents."),
    entry("Retrieval for Open Question Answering", "Retrieval augmented question answering."),
]


def ranked_ids(entries: list[PastEntry], featured: dict[str, Featured] | None = None,
               settings: RankSettings | None = None) -> list[str]:
    result = rank([candidate(p) for p in WEEK], entries, featured or {},
                  settings or RankSettings(), SECTIONS, title_key)
    return [r.paper.id for r in result]


def test_taste_ranks_papers_like_the_groups_entries_first() -> None:
    assert ranked_ids([]) == ["2404.00001", "2404.00002", "2404.00003", "2404.00004"]  # by id
    assert ranked_ids(HISTORY)[:2] == ["2404.00001", "2404.00004"]


def test_a_rejected_draft_pushes_papers_like_it_below_unrelated_ones() -> None:
    rejected = entry("Speech Recognition under Label Noise", "speech recognition noisy labels",
                     None, positive=False)
    order = ranked_ids([*HISTORY, rejected])
    assert order[-1] == "2404.00002"
    result = rank([candidate(p) for p in WEEK], [*HISTORY, rejected], {}, RankSettings(),
                  SECTIONS, title_key)
    speech = next(r for r in result if r.paper.id == "2404.00002")
    assert speech.reasons[0].value < 0
    assert speech.reasons[0].note == 'like rejected "Speech Recognition under Label Noise"'
    # with rank.rejected 0 a rejection teaches nothing
    assert ranked_ids([*HISTORY, rejected], settings=RankSettings(rejected=0))[-1] != \
        "2404.00002"


def test_a_paper_is_never_compared_with_its_own_entry() -> None:
    own = entry("Graph networks for molecules", "graph networks molecules")
    found = taste(["Graph networks for molecules. We study graph networks for molecules."],
                  [title_key("Graph Networks for Molecules")], [own], 3)
    assert found[0].similarity == 0 and found[0].nearest == ()


def test_scores_are_the_sum_of_the_reasons_and_the_ranking_is_deterministic() -> None:
    featured = {"2404.00003": Featured("2404.00003", (date(2024, 4, 10),))}
    settings = RankSettings()
    first = rank([candidate(p) for p in WEEK], HISTORY, featured, settings, SECTIONS,
                 title_key)
    shuffled = [candidate(p) for p in WEEK]
    random.Random(7).shuffle(shuffled)
    again = rank(shuffled, list(reversed(HISTORY)), featured, settings, SECTIONS, title_key)
    assert [(r.paper.id, r.score, r.reasons) for r in first] == \
        [(r.paper.id, r.score, r.reasons) for r in again]
    for item in first:
        assert [r.signal for r in item.reasons] == ["taste", "community", "topic"]
        assert item.score == pytest.approx(sum(r.value for r in item.reasons), abs=1e-4)
    best = first[0]
    assert best.paper.id == "2404.00001"
    assert best.reasons[0].value == 1.0  # the window's closest paper
    assert best.reasons[0].note == 'like "Long Documents Need Sparse Attention"'
    featured_one = next(r for r in first if r.paper.id == "2404.00003")
    assert featured_one.reasons[1].value == 0.5 and \
        featured_one.reasons[1].note == "Daily Papers 2024-04-10"


def test_weights_decide_between_taste_and_community() -> None:
    featured = {"2404.00003": Featured("2404.00003", (date(2024, 4, 10),))}
    taste_first = RankSettings(weights=RankWeights(taste=1.0, community=0.5))
    community_first = RankSettings(weights=RankWeights(taste=1.0, community=2.0))
    assert ranked_ids(HISTORY, featured, taste_first)[0] == "2404.00001"
    assert ranked_ids(HISTORY, featured, community_first)[0] == "2404.00003"


def test_community_signal_refined_by_upvotes() -> None:
    day = (date(2024, 4, 10),)
    featured = {"a": Featured("a", day, 99), "b": Featured("b", day, 9),
                "c": Featured("c", day, None)}
    signals = community_signal(["a", "b", "c", "d"], featured, upvote_share=0.5)
    assert [round(s, 3) for s, _ in signals] == [1.0, 0.75, 0.5, 0.0]
    assert signals[1][1] == "Daily Papers 2024-04-10, 9 upvotes"
    assert signals[3][1] == "not on Daily Papers"
    no_counts = {"a": Featured("a", day)}
    assert community_signal(["a"], no_counts, 0.5) == [(1.0, "Daily Papers 2024-04-10")]
    assert community_signal(["a"], None, 0.5) == [(0.0, "Daily Papers unavailable")]


def near(*sections: str | None) -> list[Neighbour]:
    return [Neighbour(f"entry {n}", s, 0.5 - n / 10) for n, s in enumerate(sections)]


def test_the_section_of_agreeing_neighbours_else_the_topic() -> None:
    assert choose_section(near("Controllable", "controllable", "Controllable"), "Diffusion",
                          SECTIONS, 3) == "Controllable"
    assert choose_section(near("Controllable", "Diffusion", "Controllable"), "Diffusion",
                          SECTIONS, 3) == "Diffusion"
    # fewer neighbours than asked for, or a section no longer configured: the topic
    assert choose_section(near("Controllable", "Controllable"), "LLM", SECTIONS, 3) == "LLM"
    assert agreed_section(near("Old Section", "Old Section", "Old Section"), SECTIONS, 3) is None


def test_any_papers_section_even_off_the_topics() -> None:
    on_topic = paper("2404.00009", "A large language model for proofs")
    assert paper_section(on_topic, TOPICS, [], 3) == "LLM"
    off_topic = paper("2404.00010", "Quantum error correction", "Surface codes.", ("quant-ph",))
    assert paper_section(off_topic, TOPICS, near("Diffusion", "LLM", "Diffusion"), 3) == \
        "Diffusion"  # the section most of its nearest entries are in
    assert paper_section(off_topic, TOPICS, [], 3) == "LLM"  # nothing to go by: the first
    vision = paper("2404.00011", "Segmentation benchmarks", "A study.", ("cs.CV",))
    assert paper_section(vision, TOPICS, [], 3) == "Diffusion"  # the first sharing a category
