"""The sentences with a paper's numbers (for the Metric pass), on generated `Extract` records."""

from __future__ import annotations

import re

import pytest

from pipeline.models import Extract, Section
from pipeline.read.extract import estimate_tokens
from pipeline.read.model_input import number_sentences
from pipeline.read.sentences import result_numbers, split_sentences, strip_citations

ABSTRACT = ("We present Widget, a small reasoning model for grade-school mathematics. "
            "Widget improves accuracy by +16% on GSM8K and decodes 5-10x faster than the "
            "baseline. The code and the weights are public.")
RESULTS = ("Table 3: Accuracy on GSM8K and MATH for every model size.\n"
           "Model GSM8K MATH Speed\n"
           "Ours 81.2 45.3 5.1\n"
           "Widget reaches 81.2% on GSM8K, 12.5 points above the strongest baseline. "
           "We train for 90 epochs with a learning rate of 0.1 on 8 GPUs. "
           "The model outperforms Llama by 3 points on MATH.")
CONCLUSION = ("Widget is accurate and cheap. It halves the inference cost, a 2× saving over "
              "dense models of the same size.")


def paper(**texts: str) -> Extract:
    """An Extract with a title block, the given sections in document order, and references."""
    sections = [Section("front", "", "Widget\nA. Author", 1)]
    sections += [Section(kind, kind.capitalize(), text, 1) for kind, text in texts.items()]
    sections.append(Section("references", "References",
                            "[1] A. Author. Widgets reach 99.9% accuracy. In NeurIPS, 2020.", 2))
    return Extract(source="2401.00001", pages=("",), sections=tuple(sections))


def lines(text: str) -> list[str]:
    return text.split("\n") if text else []


def test_selects_the_abstract_sentence_with_the_headline_numbers() -> None:
    result = number_sentences(paper(abstract=ABSTRACT), 500)
    assert lines(result) == [
        "[abstract] Widget improves accuracy by +16% on GSM8K and decodes 5-10x faster than the "
        "baseline."]


def test_table_captions_results_and_conclusion_in_document_order() -> None:
    result = number_sentences(
        paper(abstract=ABSTRACT, experiments=RESULTS, conclusion=CONCLUSION), 2000)
    assert lines(result) == [
        "[abstract] Widget improves accuracy by +16% on GSM8K and decodes 5-10x faster than the "
        "baseline.",
        "[table] Table 3: Accuracy on GSM8K and MATH for every model size.",
        "[results] Widget reaches 81.2% on GSM8K, 12.5 points above the strongest baseline.",
        "[results] The model outperforms Llama by 3 points on MATH.",
        "[conclusion] It halves the inference cost, a 2× saving over dense models of the same "
        "size.",
    ]  # not the table rows, not the training settings, not the sentences without numbers


def test_table_captions_that_are_not_results_are_left_out() -> None:
    method = ("Table 1: Notation used in this paper.\nx input, y label\n"
              "Table 2: Hyperparameters of the three model sizes.")
    assert number_sentences(paper(abstract="We study widgets closely.", method=method), 500) == ""
    caption = "Table 4 | Comparison with open models on MMLU. Bold marks the best."
    assert lines(number_sentences(paper(method=caption), 500)) == [
        "[table] Table 4 | Comparison with open models on MMLU."]


def test_decimals_and_abbreviations_do_not_split_a_sentence() -> None:
    sentence = ("Widget scores 12.5% higher than GPT-4 (e.g. on MMLU) and reaches 71.2 BLEU vs. "
                "65.0 for the baseline of Smith et al. in Fig. 2.")
    text = f"It is small. {sentence} It is also open."
    assert split_sentences(text) == ["It is small.", sentence, "It is also open."]
    assert lines(number_sentences(paper(abstract=text), 500)) == [f"[abstract] {sentence}"]


def test_sentences_whose_only_numbers_are_citations_years_or_references_are_dropped() -> None:
    abstract = ("Transformers were introduced in 2017 [12]. This follows earlier work "
                "(Smith et al., 2020; Lee, 2019a). Section 3 and Fig. 2 describe the method, "
                "Eq. (4) its loss and Table 1 its data. The proof is on page 5 of Appendix B.2. "
                "We make two claims: (1) widgets help and (2) they are cheap. "
                "GPT-4 and Llama-2 solve GSM8K as well.")
    assert number_sentences(paper(abstract=abstract, conclusion=abstract), 1000) == ""


def test_result_numbers_kinds() -> None:
    assert result_numbers("+16% on GSM8K, 5-10x faster, 2.5× smaller") == [
        "percent", "multiplier", "multiplier"]
    assert result_numbers("236B parameters, 128K tokens, 0.7818 against 0.7849") == [
        "magnitude", "magnitude", "decimal", "decimal"]
    assert result_numbers("GPT-4, GSM8K, Llama 3.1 8B, conv3, a 3×3 kernel, d = 0, [7], 2021") \
        == []


def test_never_from_references_or_appendix() -> None:
    extract = paper(abstract=ABSTRACT)
    appendix = Section("appendix", "A More results",
                       "Table 9: Accuracy on MATH.\nWidget reaches 99.1% on MATH.", 3)
    extract = Extract(extract.source, extract.pages, (*extract.sections, appendix))
    result = number_sentences(extract, 2000)
    assert "99" not in result and "MATH" not in result
    assert len(lines(result)) == 1


def test_duplicates_are_kept_once_under_the_higher_priority() -> None:
    repeated = "Widget improves accuracy by +16% on GSM8K."
    conclusion = f"In short, widgets help. {repeated}"
    result = number_sentences(paper(abstract=repeated, conclusion=conclusion), 500)
    assert lines(result) == [f"[abstract] {repeated}"]
    result = number_sentences(paper(abstract="Widgets.", experiments=repeated,
                                    conclusion=repeated), 500)
    assert lines(result) == [f"[conclusion] {repeated}"]


def test_priority_when_over_budget() -> None:
    extract = paper(abstract=ABSTRACT, experiments=RESULTS, conclusion=CONCLUSION)
    full = lines(number_sentences(extract, 2000))
    abstract_and_table = "\n".join(full[:2])
    budget = estimate_tokens(abstract_and_table) + 5  # too little for any further sentence
    assert number_sentences(extract, budget) == abstract_and_table
    # room for the conclusion as well, but for one results sentence only: the most result-like
    kept = [full[0], full[1], full[4]]
    budget = estimate_tokens("\n".join([*kept, full[2]]))
    result = lines(number_sentences(extract, budget))
    assert result == [full[0], full[1], full[2], full[4]]
    assert "outperforms Llama by 3 points" not in "\n".join(result)


@pytest.mark.parametrize("chars_per_token", [1.0, 3.5, 4.2])
def test_never_over_the_budget(chars_per_token: float) -> None:
    extract = paper(abstract=ABSTRACT, experiments=RESULTS, conclusion=CONCLUSION)
    for budget in range(1, 200):
        result = number_sentences(extract, budget, chars_per_token)
        assert estimate_tokens(result, chars_per_token) <= budget
        assert all(re.match(r"\[(?:abstract|table|conclusion|results)\] \S", line)
                   for line in lines(result))


def test_empty_when_nothing_is_numeric() -> None:
    assert number_sentences(paper(abstract="We argue that widgets matter. They do."), 500) == ""
    assert number_sentences(Extract("x", ("",), ()), 500) == ""


def test_rejects_a_nonpositive_budget() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        number_sentences(paper(abstract=ABSTRACT), 0)


@pytest.mark.parametrize(("text", "plain"), [
    ("We use the teacher-student framework 17,18, where the data come from a teacher.",
     "We use the teacher-student framework, where the data come from a teacher."),
    ("Gradients can vanish, 69,70 preventing effective use of earlier information.",
     "Gradients can vanish, preventing effective use of earlier information."),
    ("Recurrent networks (RNNs), 25–29 Convolutional networks and graphs.",
     "Recurrent networks (RNNs), Convolutional networks and graphs."),
    ("As implemented by Hochreiter and Schmidhuber 68 .", "As implemented by Hochreiter and "
                                                          "Schmidhuber."),
    ("As noted in DMFT studies.3 The lack of divergence.", "As noted in DMFT studies. The lack "
                                                            "of divergence."),
    ("Deeper than VGG nets [41, 44] but simpler.", "Deeper than VGG nets but simpler."),
    # numbers that report something stay
    ("We train nets with 100 and 1000 layers on 1,000 images, 3.57% error.",
     "We train nets with 100 and 1000 layers on 1,000 images, 3.57% error."),
    ("Section 2.3 The model has 12 layers.", "Section 2.3 The model has 12 layers."),
    ("We derive an effective action (11) which recasts the system.",
     "We derive an effective action which recasts the system."),
    ("Two aims: (1) we propose RAPT and (2) we propose NC-RAPT.",
     "Two aims: (1) we propose RAPT and (2) we propose NC-RAPT."),
    # pointers a digest cannot follow, and on which a small model loops ('Sec.4.0.3.0')
    ("We reduce it to eight equations for any K and M in Sec. C. It is exact.",
     "We reduce it to eight equations for any K and M. It is exact."),
    ("The order parameters m (see SM Sec. B) evolve.", "The order parameters m evolve."),
    ("MoBA is worse during SFT, as shown in Figure 5b.", "MoBA is worse during SFT."),
    ("The gain is large (see Table 4) on QQP.", "The gain is large on QQP."),
    # a pointer that the sentence needs, or a table with a number in brackets, stays
    ("As in Section 3, we derive it.", "As in Section 3, we derive it."),
    ("Its test error is fairly good (7.93%, Table 6).",
     "Its test error is fairly good (7.93%, Table 6)."),
])
def test_citation_markers_are_stripped(text: str, plain: str) -> None:
    assert strip_citations(text) == plain
