"""The passages each field of an entry is written from, on made-up papers and the real corpus."""

from __future__ import annotations

import pytest
from paths import SHARED

from pipeline.models import Extract, Section
from pipeline.read.extract import extract_pdf
from pipeline.read.method import leans_on_context
from pipeline.read.passages import (
    find_passages,
    limitation_passage,
    short_name,
)

ABSTRACT = ("We introduce PaSa, an LLM agent for paper search. PaSa surpasses Google by 37.78% "
            "in recall@20. Existing methods cannot follow citations.")


def paper(*sections: tuple[str, str, str], title: str = "PaSa: A Paper Search Agent") -> Extract:
    parts = (Section("abstract", "Abstract", ABSTRACT, 1),
             *(Section(kind, heading, text, 1) for kind, heading, text in sections))
    return Extract(source="x", pages=("",), sections=parts, title=title)


def test_short_name() -> None:
    assert short_name("PaSa: An LLM Agent for Comprehensive Academic Paper Search") == "PaSa"
    assert short_name("Attention Is All You Need") is None
    assert short_name("A very long name of four words: subtitle") is None


def test_headline_sentences_come_from_the_abstract_and_conclusion() -> None:
    found = find_passages(paper(
        ("experiments", "5 Results", "PaSa reaches 0.79 crawler recall on the test set."),
        ("conclusion", "6 Conclusion", "PaSa surpasses Google by 37.78% in recall@20, which "
                                       "shows that agents help search.")))
    assert found.headline == ("PaSa surpasses Google by 37.78% in recall@20.",)  # no repeat
    assert found.claims == found.headline
    assert found.results == ()  # only where the abstract and conclusion have no numbers
    assert found.contributions[0] == "We introduce PaSa, an LLM agent for paper search."


def test_sentences_that_point_elsewhere_are_not_the_method() -> None:
    found = find_passages(paper(
        ("introduction", "1 Introduction", "In Section II we introduce our model and derive its "
                                           "effective action. We propose a crawler agent that "
                                           "follows the citations of every paper it reads."),
        ("method", "2 Method", "The model follows the architecture shown in the left and right "
                               "halves of Figure 1, respectively. The crawler expands the "
                               "search with every reference list it has read so far. The "
                               "selector reads each paper found and keeps those that match "
                               "the query.")))
    assert "We propose a crawler agent that follows the citations of every paper it reads." \
        in found.contributions
    assert not any("Section II" in s for s in found.contributions)
    assert found.method == (
        "The crawler expands the search with every reference list it has read so far.",
        "The selector reads each paper found and keeps those that match the query.")


def test_findings_are_what_the_authors_found_not_that_their_method_works() -> None:
    found = find_passages(Extract(source="x", pages=("",), title="T", sections=(
        Section("abstract", "Abstract", "We study widget counters. By extensive experiments, "
                "we demonstrate the effectiveness of the proposed approaches. We show how the "
                "counting dynamics is captured by two equations. We verified the usefulness "
                "of the counter. We find that the error of "
                "the counter grows with the number of widgets.", 1),)))
    assert found.findings == ("We find that the error of the counter grows with the number of "
                              "widgets.",)


def test_without_headline_numbers_the_results_numbers_stand_in() -> None:
    found = find_passages(Extract(source="x", pages=("",), title="T", sections=(
        Section("abstract", "Abstract", "We study search agents.", 1),
        Section("experiments", "5 Results", "Our agent improves recall by 12.5% over the "
                                            "strongest baseline on the test set.", 2))))
    assert found.headline == ()
    assert found.results == ("Our agent improves recall by 12.5% over the strongest baseline "
                             "on the test set.",)


@pytest.mark.parametrize(("kind", "heading", "text", "expected"), [
    ("conclusion", "6 Limitations", "PaSa only handles English queries. It is fast.",
     ("PaSa only handles English queries.",)),
    ("conclusion", "6 Conclusion", "One limitation is that the crawler needs many GPU hours.",
     ("One limitation is that the crawler needs many GPU hours.",)),
    ("experiments", "5 Analysis", "Retrieval works best on similar examples. RAPT would not "
     "perform as well on distant data. This can be one limitation of the method.",
     ("RAPT would not perform as well on distant data.",
      "This can be one limitation of the method.")),
    ("conclusion", "6 Conclusion", "Our agent cannot read figures in the papers it finds.",
     ("Our agent cannot read figures in the papers it finds.",)),
    # not the paper's own: others' work, a roadmap, future work, the problem it solves
    ("introduction", "1 Introduction", "Existing methods cannot follow citations.", ()),
    ("introduction", "1 Introduction", "We discuss the limitations of PaSa in Section 6.", ()),
    ("conclusion", "6 Conclusion", "In future work we plan to address the limitations of "
     "search.", ()),
    ("related", "2 Related Work", "A limitation of our earlier agent is its cost.", ()),
    ("experiments", "5 Results", "This shows the limitation of relying on BLEU alone.", ()),
    # said in passing: the paper's own method doing worse, problems that remain open
    ("experiments", "3.2 Hybrid", "We observe that PaSa sometimes results in suboptimal "
     "recall on short queries. It is fast.",
     ("PaSa sometimes results in suboptimal recall on short queries.",)),  # the clause
    # without the words that tie it to its paragraph, and with the sentence its 'such' means
    ("experiments", "4.2 Analysis", "We explore aggressively deep models of 1202 layers. Its "
     "error is fair. But there are still open problems on such aggressively deep models.",
     ("We explore aggressively deep models of 1202 layers.",
      "There are still open problems on such aggressively deep models.")),
    ("experiments", "4.2 Analysis", "But there are still open problems on such deep models.",
     ("There are still open problems on such deep models.",)),
    ("experiments", "5 Analysis", "Similar examples help. However, as a corollary these "
     "results may also suggest that RAPT would not perform as well on distant data.",
     ("The results may suggest that RAPT would not perform as well on distant data.",)),
    # a limitation's own words are never cut as if they were a link ('this shows that')
    ("conclusion", "6 Conclusion", "Our model cannot use images, and this shows that text alone "
     "is enough.", ("Our model cannot use images, and this shows that text alone is enough.",)),
    # 'such loss landscapes' points to a sentence on losses, not to one on 'low-rank' layers
    ("experiments", "5 Analysis", "We train with a sharp loss. The low-rank layers save memory. "
     "Our method is not able to handle such loss landscapes.",
     ("We train with a sharp loss.", "Our method is not able to handle such loss landscapes.")),
    ("experiments", "5 Analysis", "Similar examples help. These results show that RAPT would "
     "not perform as well on distant data.",
     ("RAPT would not perform as well on distant data.",)),
    ("introduction", "1 Introduction", "Our lattice is simple. In general, one must keep in "
     "mind the limitations of the lattice as a model for real crystals.",
     ("One must keep in mind the limitations of the lattice as a model for real crystals.",)),
    ("experiments", "4.2 Analysis", "Baselines give worse recall than PaSa. This hypothesis "
     "is still an open question. Search is an open problem for AI support.", ()),
])
def test_limitations_only_where_the_paper_states_its_own(
        kind: str, heading: str, text: str, expected: tuple[str, ...]) -> None:
    sections = [Section(kind, heading, text, 1)]
    assert limitation_passage(sections, "RAPT" if "RAPT" in text else "PaSa") == expected


CORPUS = SHARED / "corpus" / "pdf"


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
def test_the_corpus_papers_that_state_their_own_limitations() -> None:
    """Of the ten papers, five state limitations of their own work: DeepSeek-V2 (a section
    titled so), the paraphrase paper (one sentence in its analysis), and in passing ResNet
    (open problems on its 1202-layer nets), MoBA (worse after SFT) and the Bethe lattice paper
    (a caution on the lattice as a model)."""
    stated = {}
    for pdf in sorted(CORPUS.glob("*.pdf")):
        if pdf.name.startswith("2407"):  # the 380k-character review: slow, and it states none
            continue
        found = find_passages(extract_pdf(pdf))
        if found.limitations:
            stated[pdf.stem] = found.limitations
    assert sorted(stated) == ["1111.2011v2", "1512.03385v1", "2202.00535v1", "2405.04434",
                              "2502.13189"]
    assert "limitations of the Bethe lattice as a model" in stated["1111.2011v2"][0]
    assert stated["1512.03385v1"] == (
        "We explore an aggressively deep model of over 1000 layers.",
        "There are still open problems on such aggressively deep models.")
    assert "MoBA sometimes results in suboptimal performance during SFT" in " ".join(
        stated["2502.13189"])
    assert "limited proficiency in other languages" in " ".join(stated["2405.04434"])
    assert stated["2202.00535v1"] == (
        "The results may suggest that RAPT-based methods would not perform as well on a "
        "testing dataset where the examples are semantically distant from anything in the "
        "training dataset.",
        "This can be one limitation of the method.")


def test_passages_fit_the_local_models_budget() -> None:
    from pipeline.models import Passages
    from pipeline.read.passages import fit_passages

    passages = Passages(abstract="A" * 100, contributions=("B" * 40, "C" * 40),
                        conclusion="First sentence here. Second sentence here.")
    assert fit_passages(passages, 1000) == passages
    tight = fit_passages(passages, 170)  # 100 + 43 + 21: the abstract, one more, one sentence
    assert tight.contributions == ("B" * 40,)
    assert tight.conclusion == "First sentence here."
    assert fit_passages(passages, 120).conclusion == ""


def test_the_method_is_told_by_each_of_its_parts() -> None:
    """One sentence per part before a second from any, spread over both components even when
    the first has more subsections than there is room for."""
    sections = [("method", "2 Architecture", "We design an attention layer and an expert "
                                              "layer for the model.")]
    for n in range(1, 6):
        sections.append(("method", f"2.1.{n} Attention part {n}",
                         f"We compress the keys of attention part {n} into a small latent "
                         "vector for every token."))
    sections.append(("method", "2.2 Experts", "The expert layer splits every expert into many "
                                              "small experts and keeps two shared ones."))
    found = find_passages(paper(*sections))
    assert len(found.method) == 5
    assert found.method[0] == "We design an attention layer and an expert layer for the model."
    assert "The expert layer splits every expert into many small experts and keeps two shared " \
           "ones." in found.method


@pytest.mark.parametrize("sentence", [
    "Such a procedure shall be shown to be valid in the large connectivity limit.",
    "It can be checked that it makes no difference whether this correction is included.",
    "We consider nodes of finite spatial extent, as in the superconductor example mentioned "
    "above.",
    "Our model achieves 28.4 BLEU on the WMT 2014 English-to-German translation task.",
    "We show that the crawler generalizes well to other tasks and other query sets.",
    "The first term describes a quantum rotor on each node of the lattice:",
    "Second, (14) was obtained with the first scaling of the hopping on the lattice.",
])
def test_sentences_that_lean_on_others_or_report_results_are_not_the_method(
        sentence: str) -> None:
    kept = "The crawler expands the search with every reference list it has read so far."
    found = find_passages(paper(("method", "2 Method", f"{sentence}\n{kept}")))
    assert found.method == (kept,)


def test_results_and_plans_are_not_what_the_paper_does() -> None:
    found = find_passages(paper(("conclusion", "6 Conclusion",
                                 "We propose a crawler that follows citations of each paper. "
                                 "Our crawler achieves 41.8 recall on the hard query set. "
                                 "We plan to extend the crawler to images and other media.")))
    assert "We propose a crawler that follows citations of each paper." in found.contributions
    assert not any("41.8" in s or "plan" in s for s in found.contributions)


def test_a_survey_has_an_outline_and_says_what_it_reviews() -> None:
    found = find_passages(Extract(source="x", pages=("",), title="A Review of Agents in "
                                                                 "Chemistry", sections=(
        Section("abstract", "Abstract", "This review highlights agents in chemistry. We also "
                                        "review agents for laboratories and their tools.", 1),
        Section("other", "Contents", "1 Introduction 2 Models", 1),
        Section("introduction", "1 Introduction", "Chemistry is hard.", 1),
        Section("method", "2 Large Language Models", "Text.", 1),
        Section("method", "2.1 The Transformer", "Text.", 1),
        Section("other", "3 Agents in the Laboratory", "Text.", 1),
        Section("other", "4 Challenges and Opportunities", "Text.", 1),
        Section("conclusion", "5 Conclusions", "Text.", 1))))
    assert found.survey
    assert found.outline == ("Large Language Models", "Agents in the Laboratory",
                             "Challenges and Opportunities")
    assert found.contributions == ("This review highlights agents in chemistry.",
                                   "We also review agents for laboratories and their tools.")


def test_a_sentence_that_points_at_what_follows_leans_on_context() -> None:
    assert leans_on_context("To provide instances, we describe two models for ImageNet as "
                            "follows.")
    assert leans_on_context("Such a procedure is valid in the limit.")
    assert not leans_on_context("This approach splits the context into blocks.")


def test_a_surveys_outline_in_capitals_takes_the_papers_case() -> None:
    found = find_passages(Extract(source="x", pages=("",), title="A Survey of Writing Support",
                                  sections=(
        Section("abstract", "Abstract", "This survey reviews AI support for writing.", 1),
        Section("method", "2 DESIGNING AI SUPPORTS", "Designing AI supports is hard. The "
                                                    "supports help writers.", 1),
        Section("method", "3 EXPOSITORY WRITING", "Expository writing cites sources.", 1))))
    assert found.outline == ("Designing AI Supports", "Expository Writing")
