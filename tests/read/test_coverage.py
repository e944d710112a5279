"""What a survey covers and what a derivation works out, one top-level section at a time."""

from __future__ import annotations

import pytest
from paths import SHARED

from pipeline.models import Section
from pipeline.read.coverage import MAX_SECTIONS, WHOLE, derivation_parts, survey_parts
from pipeline.read.extract import extract_pdf
from pipeline.read.passages import find_passages

MODELS = ("The transformer encodes a sequence with self-attention layers. Encoder-only models "
          "such as BERT learn representations of molecules. Decoder-only models generate new "
          "molecules one token at a time.")
AGENTS = ("An agent receives an observation from its environment and executes an action. "
          "Its memory module stores what it has seen before. Its planning module breaks a "
          "task into steps.")


def survey(*sections: tuple[str, str, str]) -> list[Section]:
    return [Section("abstract", "Abstract", "This review covers LLMs and agents.", 1),
            Section("introduction", "1 Introduction", "LLMs are everywhere in chemistry.", 1),
            *(Section(kind, heading, text, 2) for kind, heading, text in sections),
            Section("conclusion", "7 Conclusions", "LLMs will change chemistry.", 9)]


def test_a_survey_covers_its_top_level_sections_with_their_subsections() -> None:
    parts = survey_parts(survey(
        ("method", "2 Large Language Models", MODELS),
        ("method", "2.1 The Transformer", MODELS), ("method", "2.2 Model Types", MODELS),
        ("method", "2.2.1 Encoder-only Models", MODELS),  # a third level is not listed
        ("other", "3 LLM-based Agents", AGENTS), ("other", "3.1 Memory Module", AGENTS),
        ("other", "6 Challenges and Opportunities", AGENTS),  # its outlook, not its coverage
        ("other", "Acknowledgments", "We thank our funders for their support of this work.")))
    assert [name for name, _ in parts] == ["Large Language Models", "LLM-based Agents"]
    assert parts[0][1].startswith("Its subsections: The Transformer; Model Types. "
                                  "The transformer encodes a sequence")
    assert parts[1][1].startswith("Its subsections: Memory Module. An agent receives")
    assert len(parts[0][1].split()) <= 110  # a paragraph, not the section


def test_at_most_max_sections_and_headings_in_capitals_recased() -> None:
    many = survey(*(("other", f"{n} AGENTS FOR TOPIC {n}", AGENTS) for n in range(2, 8)))
    parts = survey_parts(many)
    assert len(parts) == MAX_SECTIONS
    assert parts[0][0] == "Agents for Topic 2"  # as the text writes the words
    # a section with no readable sentence and no subsections gives nothing
    assert survey_parts(survey(("other", "2 Tables", "| 1 | 2 | 3 |"))) == ()


DERIVATION = ("We begin with the action S = ∫ dτ φ(τ) G0 φ(τ) on each node. "
              "In order to avoid condensation we introduce a constraint that eliminates the "
              "uniform mode from the spectrum of the graph. "
              "Then ∂F/∂r = 0 at the critical point rc = z t0. "
              "We derive a self-consistent equation for the propagator G of a single node. "
              "Throughout we use relativistic notation with p ∼ (ω, p). "
              "This is consistent with the scaling limit we used to obtain (14).")


def test_a_derivation_as_a_whole_then_its_sections_that_say_most() -> None:
    said = ("We study nodes on a Bethe lattice.",
            "We derive a self-consistent effective action for a single node.")
    sections = [Section("abstract", "Abstract", "We study nodes on a Bethe lattice.", 1),
                *(Section("method", f"{number} Part {number}", DERIVATION + " We compute it "
                          "exactly for every node of the lattice." * size, 2)
                  for number, size in (("II", 0), ("III", 2), ("IV", 1)))]
    parts = derivation_parts(sections, said)
    assert parts[0] == (WHOLE, "We derive a self-consistent effective action for a single "
                               "node.")  # what it derives, not what it studies
    assert [name for name, _ in parts[1:]] == ["Part III", "Part IV"]  # most said, in order


def test_a_derivations_sections_say_what_the_authors_work_out() -> None:
    body = [Section("abstract", "Abstract", "We study nodes on a Bethe lattice.", 1),
            Section("method", "II SELF-CONSISTENT ACTION IN THE LARGE z LIMIT", DERIVATION, 2),
            Section("method", "A Ordered Phase", "We obtain the order parameter of the "
                    "ordered phase from the saddle point equation.", 2),
            Section("method", "III Preliminaries", DERIVATION, 2),
            Section("method", "IV Critical Point", "It follows that r = rc. Hence G = 1.", 3),
            Section("method", "V Corrections", "We derive the 1/N correction to the "
                                               "propagator of a single node.", 3)]
    parts = derivation_parts(body)
    # a section that says nothing of what the authors do gives nothing; one sentence does
    assert [name for name, _ in parts] == ["Self-Consistent Action in the Large z Limit",
                                           "Corrections"]
    text = parts[0][1]
    assert text.startswith("In order to avoid condensation we introduce a constraint")
    assert "We obtain the order parameter" in text  # its subsection 'A' is part of it
    assert "∂F/∂r" not in text and "notation" not in text  # formulas and notation left out
    assert "to obtain" not in text  # a sentence whose object is an equation's number


CORPUS = SHARED / "corpus" / "pdf"


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
def test_the_corpus_surveys_cover_their_sections() -> None:
    """The position paper's two sections, the second with its three components (the
    380k-character chemistry review is left out: slow)."""
    position = find_passages(extract_pdf(CORPUS / "2304.02623v1.pdf"))
    assert [name for name, _ in position.parts] == [
        "Characterizing Expository Writing", "Designing AI Supports for Expository Writing"]
    assert "three components" in position.parts[1][1]
