"""What each field's request is written from, and the paper's own sentences that stand in."""

from __future__ import annotations

from pipeline.draft.checks import numbers_in
from pipeline.draft.passes import focus_for, stand_in
from pipeline.models import Passages

CLAIMS = ("On ImageNet we evaluate residual nets with a depth of up to 152 layers, 8× deeper "
          "than VGG nets.",
          "We pretrain the nets on a corpus of 8.1T tokens.",
          "An ensemble of these residual nets achieves 3.57% error on the ImageNet test set.")
PASSAGES = Passages(claims=CLAIMS, headline=CLAIMS)


def test_the_metric_is_written_from_result_sentences_not_the_setup() -> None:
    assert "The authors pretrain the nets on a corpus of 8.1T tokens." not in \
        focus_for("metric", PASSAGES)


def test_a_failed_metric_is_replaced_by_the_sentence_that_gives_its_number() -> None:
    # the two best result sentences, as the rubric wants the second's result too
    assert stand_in("metric", PASSAGES) == CLAIMS[2] + " " + CLAIMS[0].replace(
        "On ImageNet we", "On ImageNet the authors")
    tried = numbers_in("Residual nets of 152 layers.")
    assert stand_in("metric", PASSAGES, tried) == "On ImageNet the authors evaluate residual " \
        "nets with a depth of up to 152 layers, 8× deeper than VGG nets."


def test_a_metric_of_two_speedups_gives_its_place_to_a_result_on_quality() -> None:
    found = Passages(results=(
        "This suggests that MoBA achieves performance comparable to full attention at 75% "
        "sparsity.",
        "In particular, it achieves a speedup of up to 6.5x when prefilling 1M tokens.",
        "Specifically, at 10M tokens MoBA achieves a speedup of 16x in attention computation "
        "time."))
    assert stand_in("metric", found, title="MoBA: Mixture of Block Attention") == (
        "At 10M tokens MoBA achieves a speedup of 16x in attention computation time. MoBA "
        "achieves performance comparable to full attention at 75% sparsity.")
    speeds = Passages(results=found.results[1:])  # no result on quality: both speedups
    assert len(focus_for("metric", speeds)) == 2


def test_a_methods_request_tells_its_parts_and_a_survey_its_outline() -> None:
    method = Passages(components=("Crawler", "Selector"),
                      method=("The crawler follows the citations of each paper it reads.",),
                      contributions=("We introduce PaSa, a paper search agent.",))
    assert focus_for("method", method) == [
        "The crawler follows the citations of each paper it reads.",
        "The authors introduce PaSa, a paper search agent."]
    survey = Passages(survey=True, outline=("Models", "Agents", "Tools"),
                      contributions=("We also review agents [12].",))
    assert focus_for("method", survey) == ["The authors also review agents.",
                                           "Its main sections cover Models, Agents and Tools."]
    position = Passages(survey=True, outline=("Writing", "Support"),
                        contributions=("We argue for writing support.",))
    assert focus_for("method", position) == ["The authors argue for writing support."]


def test_a_quoted_sentence_loses_the_word_that_tied_it_to_its_paragraph() -> None:
    found = Passages(results=("Specifically, at 10M tokens MoBA achieves a speedup of 16x.",
                              "In particular, it achieves a speedup of up to 6.5x at 1M tokens."))
    tried = numbers_in("16x at 10M tokens, 6.5x at 1M tokens")
    assert stand_in("metric", found, tried) == "At 10M tokens MoBA achieves a speedup of 16x. It " \
        "achieves a speedup of up to 6.5x at 1M tokens."
    # a first 'It' names nothing out of its paragraph: the work's name stands for it
    assert stand_in("metric", found, numbers_in("6.5x"), title="MoBA: Mixture of Block "
                    "Attention") == "MoBA achieves a speedup of up to 6.5x at 1M tokens."
    lower = Passages(results=("At 10M tokens moba achieves a speedup of 16x.",))
    assert stand_in("metric", lower, title="MoBA: Mixture of Block Attention") == \
        "At 10M tokens MoBA achieves a speedup of 16x."  # the name as the title writes it
    ours = Passages(claims=("Our model achieves 28.4 BLEU on WMT 2014 English-to-German.",),
                    headline=("Our model achieves 28.4 BLEU on WMT 2014 English-to-German.",))
    assert stand_in("metric", ours) == "The model achieves 28.4 BLEU on WMT 2014 " \
                                       "English-to-German."


def test_a_bullet_on_a_part_opens_with_its_name() -> None:
    from pipeline.draft.passes import opening
    abstract = "DeepSeek-V2 adopts Multi-head Latent Attention (MLA) and DeepSeekMoE."
    assert opening("Multi-Head Latent Attention", abstract) == "Multi-head Latent Attention"
    assert opening("Identity Mapping by Shortcuts") == "Identity mapping by shortcuts"
    assert opening("MoBA Architecture") == "MoBA architecture"
    assert opening("Basic Architecture") == "The basic architecture"
    assert opening("Corrections at Finite N") == "Corrections at finite N"  # a symbol kept
    from pipeline.draft.passes import _led
    assert _led("Self-Consistent action in the large z limit", "For") == \
        "For self-consistent action in the large z limit, the authors"
    assert _led("MLA at finite N", "For") == "For MLA at finite N, the authors"
    assert _led("LLMs for chemistry", "On") == "On LLMs for chemistry, the authors"
    assert opening("Proposed Approaches") == "The proposed approaches"
    assert opening("Crawler", "a crawler and a selector") == "Crawler"
    assert opening("Overview", title="PaSa: An LLM Agent for Paper Search") == "PaSa"
    assert opening("Overview", title="Attention Is All You Need") == "The method"
    # a heading that defines an abbreviation: the name the paper then uses
    assert opening("Novelty Conditioned RAPT (NC-RAPT)") == "NC-RAPT"
    assert opening("Sparse Attention (Ours)") == "Sparse attention (ours)"  # no abbreviation


def test_the_grammar_of_a_part_holds_its_opening_and_one_sentence() -> None:
    import re

    from pipeline.draft.schema import part_schema
    pattern = re.compile(part_schema("MoBA architecture")["properties"]["part"]["pattern"])
    assert pattern.match("MoBA architecture divides the context into blocks.")
    assert not pattern.match("The paper describes MoBA architecture, which divides blocks.")
    assert not pattern.match("MoBA architecture divides blocks. It gates them.")  # one sentence
    derived = re.compile(part_schema("For critical point in N → ∞ limit, the authors")[
        "properties"]["part"]["pattern"])  # a comma and symbols need no escape
    assert derived.match("For critical point in N → ∞ limit, the authors solve the saddle point.")
    assert not derived.match("The authors solve the saddle point.")
    free = part_schema("Scaled (dot) product")["properties"]["part"]["pattern"]
    assert re.match(free, "The scaled dot product divides by the square root.")  # not enforced


def test_a_method_of_fewer_than_two_parts_is_asked_as_a_whole() -> None:
    from pipeline.draft.passes import method_parts
    one = Passages(parts=(("Crawler", "The Crawler reads."),))
    assert method_parts(one) == []
    two = Passages(parts=(("Multi-Head Latent Attention: Boosting Inference", "MLA compresses."),
                          ("DeepSeekMoE", "Experts are fine-grained.")))
    assert [name for name, _ in method_parts(two)] == ["Multi-Head Latent Attention",
                                                        "DeepSeekMoE"]


def test_a_paper_with_numbers_only_in_tables_has_a_metric_of_what_it_is_evaluated_on() -> None:
    from pipeline.draft.passes import fields_for
    evaluation = ("Data sets: QQP; MSRPC.", "Metrics: BLEU; Self-BLEU.")
    tables = Passages(evaluation=evaluation, findings=("We find that RAPT keeps meaning.",))
    assert fields_for(tables) == ["keypoints", "objective", "method", "metric", "results"]
    assert focus_for("metric", tables) == list(evaluation)
    assert fields_for(Passages(findings=("We find that RAPT keeps meaning.",))) == [
        "keypoints", "objective", "method", "results"]
    assert fields_for(Passages(survey=True, evaluation=evaluation)) == [
        "keypoints", "objective", "method"]
