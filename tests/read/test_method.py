"""The main parts of a paper's method, each with a paragraph a small model puts into a bullet."""

from __future__ import annotations

import pytest
from paths import SHARED

from pipeline.models import Section
from pipeline.read.extract import extract_pdf
from pipeline.read.method import method_parts
from pipeline.read.passages import find_passages

TOPIC = ("PaSa: An LLM Agent for Paper Search\nWe introduce PaSa, a paper search agent with "
         "a Crawler and a Selector, trained with reinforcement learning.")
CRAWLER = ("The Crawler reads the user's query and issues search queries to a search tool. "
           "It expands each paper it finds by following the citations in its text. "
           "Every paper found is added to a queue that the Selector reads.")
SELECTOR = ("The Selector reads one paper at a time and decides whether it meets the query. "
            "It writes a short rationale before its decision. "
            "The decision token is used as a reward for the Crawler.")
TRAINING = ("We train both agents with reinforcement learning on synthetic queries. "
            "Rewards come from the papers the Selector accepts. "
            "Training runs for two epochs on eight GPUs.")


def body(*sections: tuple[str, str]) -> list[Section]:
    return [Section("abstract", "Abstract", TOPIC, 1),
            *(Section("method", heading, text, 2) for heading, text in sections)]


def test_parts_are_the_method_sections_that_name_what_the_abstract_names() -> None:
    parts = method_parts(body(("4 Methodology", ""), ("4.1 Crawler", CRAWLER),
                              ("4.2 Selector", SELECTOR), ("4.3 Implementation", TRAINING)),
                         TOPIC)
    assert [name for name, _ in parts] == ["Crawler", "Selector"]  # not "Implementation"
    assert parts[0][1] == CRAWLER  # the paragraph, in the paper's order
    # a heading that names nothing the abstract names comes only to make two parts
    three = method_parts(body(("4.1 Crawler", CRAWLER), ("4.2 Hardware", TRAINING),
                              ("4.3 Reinforcement Learning", TRAINING),
                              ("4.4 Selector", SELECTOR)), TOPIC)
    assert [name for name, _ in three] == ["Crawler", "Reinforcement Learning", "Selector"]
    one = method_parts(body(("4.1 Crawler", CRAWLER), ("4.2 Hardware", TRAINING),
                            ("4.3 Budget", TRAINING)), TOPIC)
    assert [name for name, _ in one] == ["Crawler", "Hardware"]


def test_preliminaries_comparisons_and_maths_are_no_parts() -> None:
    maths = ("Let q = W x + b denote the query. Then s = softmax(q k) ∝ exp(q k). "
             "The gradient ∂L/∂q follows from (3). The loss θ = argmin L is minimised.")
    parts = method_parts(body(("3.1 Preliminaries: the Crawler", CRAWLER),
                              ("3.2 Crawler", CRAWLER), ("3.3 Comparison with the Selector",
                                                         SELECTOR),
                              ("3.4 Selector", SELECTOR + " " + maths)), TOPIC)
    assert [name for name, _ in parts] == ["Crawler", "Selector"]
    assert parts[1][1] == SELECTOR  # the formulas left out of its paragraph


def test_a_derivation_has_no_parts() -> None:
    """A theory paper's method is equations between short sentences: no paragraph to put in a
    bullet, so its Method is written the usual way."""
    derivation = ("We now write the action as S = ∫ dτ φ(τ) G0 φ(τ). "
                  "Here G0 is the propagator. Integrating out φ gives (12). "
                  "Then ∂F/∂r = 0 at the critical point rc = z t0. ") * 4
    assert method_parts(body(("II Self-consistent action", derivation),
                             ("III Critical point", derivation)), TOPIC) == ()


def test_a_generic_heading_takes_its_parents_name_and_a_paragraph_its_opening() -> None:
    leaning = ("Most retrieval agents rely on keyword search (Smith et al., 2020). "
               "Each agent has two stages. The first stage reads the query and the second "
               "searches. We use a queue of papers between the two stages.")
    parts = method_parts(body(("2 Crawler: Reading Citations", ""),
                              ("2.1 Basic Architecture", leaning),
                              ("2.2 Selector", SELECTOR)), TOPIC)
    assert parts[0][0] == "Crawler"
    # from the sentence before the first that says what the method does, not others' work
    assert parts[0][1].startswith("Each agent has two stages. The first stage")


def test_a_long_section_stands_for_two_parts_only_when_it_is_the_only_part() -> None:
    long = " ".join(f"The Crawler step {n} reads the queue and expands paper number {n} further."
                    for n in range(12))
    alone = method_parts(body(("4.1 Crawler", long), ("4.2 Budget", TRAINING[:40])), TOPIC)
    assert [name for name, _ in alone] == ["Crawler", "Crawler"]
    assert "step 0 " in alone[0][1] and "step 6 " in alone[1][1]
    # beside another part its middle is a detail: ResNet's shortcut, a garbled bullet
    parts = method_parts(body(("4.1 Crawler", long), ("4.2 Selector", SELECTOR)), TOPIC)
    assert [name for name, _ in parts] == ["Crawler", "Selector"]


def test_a_short_subsection_takes_in_its_subsections() -> None:
    """'2.1 Multi-Head Latent Attention' says what MLA is in two sentences; '2.1.2 Low-Rank
    Key-Value Joint Compression' says how it works, before its formulas."""
    short = ("The Crawler is the agent that finds papers for a query. "
             "It is trained with reinforcement learning on synthetic queries.")
    inner = ("The core of the Crawler is a queue of papers to expand: q_t = W x_t + b, (3) "
             "where x_t is the paper read at step t. "
             "Formally, each expansion step is defined as: e_t = f(q_t). "
             "Each paper in the queue is expanded by reading its reference list in full.")
    parts = method_parts(body(("4 Method", ""), ("4.1 Crawler", short),
                              ("4.1.1 Preliminaries", TRAINING), ("4.1.2 Queue", inner),
                              ("4.2 Selector", SELECTOR)), TOPIC)
    assert [name for name, _ in parts] == ["Crawler", "Selector"]  # 'Queue' is the Crawler's
    assert parts[0][1] == (short + " The core of the Crawler is a queue of papers to expand. "
                           "Each paper in the queue is expanded by reading its reference list "
                           "in full.")  # not the preliminaries, nor '... defined as.'


def test_a_section_counting_parameters_is_no_part() -> None:
    parts = method_parts(body(("4.1 Crawler", CRAWLER), ("4.2 Number of Parameters", TRAINING),
                              ("4.3 Selector", SELECTOR)), TOPIC)
    assert [name for name, _ in parts] == ["Crawler", "Selector"]


def test_a_surveys_parts_are_its_sections() -> None:
    survey = [Section("abstract", "Abstract", "This survey reviews paper search agents.", 1),
              Section("method", "2 Crawler", CRAWLER, 2),
              Section("method", "3 Selector", SELECTOR, 2)]
    from pipeline.models import Extract
    found = find_passages(Extract(source="x", pages=("",), sections=tuple(survey),
                                  title="A Survey of Paper Search Agents"))
    assert found.survey and not found.derivation
    assert found.parts == (("Crawler", CRAWLER), ("Selector", SELECTOR))  # `coverage`'s


CORPUS = SHARED / "corpus" / "pdf"


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
def test_the_corpus_papers_methods_parts() -> None:
    """The parts an editor's Method names, found by the rule, not by paper: DeepSeek-V2's
    attention (MLA) and expert layer (DeepSeekMoE), PaSa's two agents, MoBA's block attention,
    the paraphrase paper's RAPT and NC-RAPT;
    the two theory papers' derivations have their sections instead (`coverage`)."""
    found = {}
    for name in ("2405.04434", "2501.10120v1", "2502.13189", "1111.2011v2", "1906.08632v2",
                 "2202.00535v1"):
        found[name] = find_passages(extract_pdf(CORPUS / f"{name}.pdf")).parts
    names = {paper: " | ".join(n for n, _ in parts) for paper, parts in found.items()}
    assert "Multi-Head Latent Attention" in names["2405.04434"]
    assert "DeepSeekMoE" in names["2405.04434"]
    assert "Crawler" in names["2501.10120v1"] and "Selector" in names["2501.10120v1"]
    assert "MoBA Architecture" in names["2502.13189"]
    # the paraphrase paper's unnumbered subsections (AAAI style), one part each
    assert names["2202.00535v1"] == ("Retrieval Augmented Prompt Tuning (RAPT) | "
                                     "Novelty Conditioned RAPT (NC-RAPT)")
    # what the derivation does as a whole (''), then its sections that say most of it
    assert names["1111.2011v2"] == (" | Self-Consistent Action in the Large z Limit | "
                                    "Corrections at Finite N")
    assert found["1906.08632v2"][0][1].startswith("We show how the dynamics of stochastic "
                                                  "gradient descent (SGD) is captured by a "
                                                  "set of differential equations")
    assert "Training both layers" in names["1906.08632v2"]


def test_an_overview_is_a_part_and_a_quoted_question_is_not_prose() -> None:
    overview = ("As illustrated in Figure 1, the system consists of two agents that work in turn. "
                "Is there any work that analyses the scaling law of multi-module models. "
                "The first agent searches and the second agent judges each paper it finds.")
    long = " ".join(f"The Crawler step {n} reads the queue and expands paper number {n} further."
                    for n in range(12))
    parts = method_parts(body(("4.1 Overview", overview), ("4.2 Crawler", long),
                              ("4.3 Selector", SELECTOR)), TOPIC)
    # the overview, not a second part from the long section
    assert [name for name, _ in parts] == ["Overview", "Crawler", "Selector"]
    assert "Is there" not in parts[0][1]  # an example query the paper quotes
    # without the pointer that opened it, which made it no readable sentence
    assert parts[0][1].startswith("The system consists of two agents that work in turn.")
