"""The draft checks: quotes, numbers, keypoints, language, copying."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.draft.checks import PaperText, Quote, numbers_in, run_checks
from pipeline.models.summary import Summary

PAGES = [
    "TransformerFAM: Feedback attention is working memory\nAbstract\nWe propose Feedback "
    "Attention Memory (FAM), a novel architecture that lever-\nages a feedback loop to enable "
    "the network to attend to its own latent representations.",
    "Results\nFAM improves the accuracy on long-context tasks by 16.0% and runs 5-10x faster "
    "than the baseline on 1,024 samples. The e\ufb03cient design keeps the memory constant.",
]
TITLE = "TransformerFAM: Feedback attention is working memory"


def summary(**change: Any) -> Summary:
    return Summary.model_validate({
        "keypoints": ["Feedback attention memory", "Working memory", "Long context"],
        "objective": "Let Transformers process very long inputs with a working memory.",
        "method": ["A feedback loop over the network's latent representations."],
        "metric": "Accuracy on long-context tasks improves by 16%; 5-10x faster on 1024 "
                  "samples.",
        "section": "LLM", **change})


QUOTES = [
    Quote("objective", "a novel architecture that leverages a feedback loop", 1),
    Quote("method", "enable the network to attend to its own latent representations", 1),
    Quote("metric", "improves the accuracy on long-context tasks by 16.0%", 2),
]


def check(value: Summary, quotes: list[Quote] = QUOTES, language: str = "English",
          limit: int = 20) -> list[str]:
    report = run_checks(value, quotes, PaperText(PAGES), title=TITLE, language=language,
                        max_copied_words=limit)
    return report.flags


def test_a_good_draft_is_verified() -> None:
    report = run_checks(summary(), QUOTES, PaperText(PAGES), title=TITLE, language="English",
                        max_copied_words=20)
    assert report.flags == []
    assert report.verified
    assert report.numbers_cited == report.numbers_found == 4
    assert report.evidence["metric"] == [{"text": QUOTES[2].text, "page": 2, "verified": True}]


@pytest.mark.parametrize("quote", [
    "a novel archi-\ntecture that leverages a feedback loop",   # hyphenation across a line
    "A NOVEL ARCHITECTURE   that leverages\ta feedback loop",    # case and spacing
    "The efficient design keeps the memory constant",            # the paper has a ligature
    "latent representations. Results FAM improves the accuracy",  # across a page break
])
def test_quotes_verify_despite_hyphens_ligatures_spacing(quote: str) -> None:
    paper = PaperText(PAGES)
    assert paper.find(quote) is not None


def test_quote_pages() -> None:
    paper = PaperText(PAGES)
    assert paper.find("leverages a feedback loop to enable") == 1
    assert paper.find("runs 5-10x faster than the baseline") == 2
    assert paper.find("latent representations. Results FAM improves") == 1


def test_invented_quote_and_missing_evidence_are_flagged() -> None:
    quotes = [Quote("objective", "we solve artificial general intelligence once and for all"),
              QUOTES[1]]
    assert check(summary(), quotes) == [
        'objective: quote not found in the paper: "we solve artificial general intelligence '
        'once and for all"',
        "metric: no supporting quote",
    ]


def test_results_need_evidence_only_when_present() -> None:
    assert check(summary(results="It works well.")) == ["results: no supporting quote"]


def test_invented_numbers_are_flagged() -> None:
    flags = check(summary(metric="Improves accuracy by 23.4% and is 7x faster, 16% better."))
    assert flags == ["metric: numbers not in the paper: 23.4%, 7x"]


def test_numbers_are_compared_as_numbers() -> None:
    assert numbers_in("1,024 samples, 16.0% and 2.50x; v2 and GPT-4") == [
        "1024", "16%", "2.5x", "4"]
    assert numbers_in("a 1.3B model, 3.1 times faster, 32k tokens, 45 percent") == [
        "1.3B", "3.1x", "32K", "45%"]


def test_a_number_with_a_unit_needs_the_unit_in_the_paper() -> None:
    paper = PaperText(["We stack 8 layers and 24 heads; accuracy improves by 16.0 %."])
    report = run_checks(summary(metric="Models of 8B and 24B params gain 16%."), QUOTES, paper,
                        title=TITLE, language="English", max_copied_words=20)
    assert "metric: numbers not in the paper: 8B, 24B" in report.flags


def test_title_and_repeated_keypoints_are_flagged() -> None:
    flags = check(summary(keypoints=["TransformerFAM: Feedback attention is working memory",
                                     "Working memory", "working  memory"]))
    assert flags == ['keypoint is the title: "TransformerFAM: Feedback attention is working '
                     'memory"', 'keypoint repeated: "working  memory"']


def test_cjk_in_english_output_is_flagged() -> None:
    flags = check(summary(keypoints=["Feedback attention", "工作记忆", "Long context"]))
    assert flags == ["keypoints: characters outside English: 工作记忆"]
    chinese = check(summary(keypoints=["Feedback attention", "工作记忆", "Long context"]),
                    language="Chinese")
    assert not any("characters outside" in flag for flag in chinese)
    # the prose is English, though: language identification says so (tests/draft/test_trust.py)
    assert "objective: written in English (100% sure), not Chinese" in chinese


def test_long_verbatim_copies_are_flagged() -> None:
    copied = ("We propose Feedback Attention Memory (FAM), a novel architecture that leverages "
              "a feedback loop to enable the network to attend to its own latent "
              "representations.")
    assert check(summary(objective=copied), limit=10) == [
        "objective copies 25 consecutive words of the paper"]
    assert check(summary(objective=copied), limit=30) == []


def test_a_real_passage_wrapped_in_a_few_words_is_trimmed_to_the_paper() -> None:
    paper = PaperText(PAGES)
    assert paper.locate("Main finding: FAM improves the accuracy on long-context tasks by "
                        "16.0%") == ("FAM improves the accuracy on long-context tasks by 16.0%",
                                     2)
    assert paper.locate("the network to attend to its own latent representations, as shown "
                        "here") == ("the network to attend to its own latent representations,",
                                    1)
    # mostly invented: not rescued
    assert paper.locate("They show that FAM is great and improves everything a lot") is None
    assert paper.locate("In short we propose Feedback Attention") is None  # too little left


def test_a_short_sentence_of_the_paper_quoted_whole_is_found() -> None:
    paper = PaperText(["1 Introduction\nGenerating long documents is hard. We address it."])
    assert paper.locate("Generating long documents is hard.") == (
        "Generating long documents is hard.", 1)
