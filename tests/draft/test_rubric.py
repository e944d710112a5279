"""The editor's rubric: each check catches what editors struck, and passes what they wrote."""

from __future__ import annotations

import pytest

from pipeline.draft.rubric import (
    Rubric,
    check_baseline,
    check_keypoints,
    check_limitation,
    check_metric,
    check_qualifiers,
    check_quantities,
    check_rubric,
    cut_short,
    first_person,
    keypoint_problem,
    repeats_acronym,
)
from pipeline.models import Passages
from pipeline.models.summary import Summary

TITLE = "DeepSeek-V3 Technical Report"
PAPER = ("We present DeepSeek-V3, a strong Mixture-of-Experts (MoE) language model with 671B "
         "total parameters with 37B activated for each token. DeepSeek-V3 scores 88.5 on MMLU. "
         "Its training costs 2.788M H800 GPU hours.")
CLAIMS = Passages(claims=(PAPER.split(". ")[0] + ".", "DeepSeek-V3 scores 88.5 on MMLU."))


@pytest.mark.parametrize(("text", "word"), [
    ("We propose a feedback loop.", "We"), ("It improves our baseline.", "our"),
    ("The authors propose a feedback loop.", None), ("Trained in the US.", None),
    ("Phase I of training.", None)])
def test_first_person(text: str, word: str | None) -> None:
    assert first_person(text) == word


@pytest.mark.parametrize(("text", "cut"), [
    ("The model scores 88.5 on MMLU.", False),
    ("Accuracy improves (by 2 points).", False),
    ("DeepSeek-V3 is a large Mixture-of-Experts (MoE) language 671", True),
    ("The model scores 88.5 on the.", True),
    ("It uses a latent vector (MLA.", True),
    ("", True)])
def test_cut_short(text: str, cut: bool) -> None:
    assert cut_short(text) is cut


@pytest.mark.parametrize(("keypoint", "problem"), [
    ("Multi-head latent attention", None), ("MoE", None), ("Key Frame-Conditioned LLM", None),
    ("Feedback Attention Memory (FAM)", None),
    ("DeepSeek-V3 Technical Report", "is the title"),
    ("DeepSeek-V3 is a large", "is a fragment of a sentence"),
    ("Mixture-of-Experts (MoE) language 671", "is a fragment of a sentence"),
    ("of the model", "is a fragment of a sentence"),
    ("Auxiliary-loss-free load balancing for experts", "has 5 words, not a short phrase")])
def test_keypoint_problems(keypoint: str, problem: str | None) -> None:
    assert keypoint_problem(keypoint, TITLE) == problem


def test_a_sentence_chopped_into_keypoints_is_caught() -> None:
    rubric = Rubric()
    check_keypoints(["DeepSeek-V3", "a strong Mixture-of-Experts", "MoE"], TITLE, PAPER, rubric)
    assert rubric.failures["keypoints"] == [
        'keypoint "a strong Mixture-of-Experts" is a fragment of a sentence']
    rubric = Rubric()
    check_keypoints(["Strong Mixture-of-Experts", "MoE language model", "FP8"], TITLE, PAPER,
                    rubric)
    assert rubric.failures["keypoints"] == [
        'keypoints "Strong Mixture-of-Experts" and "MoE language model" are one phrase of the '
        "paper cut in two"]
    rubric = Rubric()
    check_keypoints(["MoE", "FP8"], TITLE, PAPER, rubric)
    assert rubric.failures["keypoints"] == ["keypoints: 2 given, not 3 to 5"]


def test_a_limitation_needs_the_papers_own_limitations() -> None:
    rubric = Rubric()
    check_limitation("The model is slow.", Passages(), rubric)
    assert rubric.failures["limitation"] == [
        "limitation: the paper states no limitation of its own"]
    stated = Passages(limitations=("Our model may exhibit limited proficiency in languages "
                                   "other than Chinese and English.",))
    rubric = Rubric()
    check_limitation("Its proficiency is limited in languages other than Chinese and English.",
                     stated, rubric)
    assert rubric.passed("limitation")
    check_limitation("Training the model needs many GPUs and a large batch.", stated, rubric)
    assert rubric.failures["limitation"] == [
        "limitation: not what the paper states as its limitation"]


def test_a_metric_needs_a_headline_number() -> None:
    rubric = Rubric()
    check_metric("DeepSeek-V3 is evaluated on MMLU and scores 88.5.", CLAIMS, rubric)
    assert rubric.passed("metric")
    check_metric("DeepSeek-V3 is evaluated on MMLU and beats open models.", CLAIMS, rubric)
    assert rubric.failures["metric"] == [
        "metric: none of the headline numbers of the abstract or conclusion (671B, 37B, 88.5)"]
    rubric = Rubric()
    check_metric(None, CLAIMS, rubric)
    assert rubric.failures["metric"] == [
        "metric: missing, though the paper reports numbers"]
    check_metric("Evaluated on a benchmark.", Passages(), rubric)  # no numbers to report
    assert len(rubric.failures["metric"]) == 1
    rubric = Rubric()  # a size is no result where the paper gives results
    check_metric("Strong results with only 37B activated parameters.", CLAIMS, rubric)
    assert rubric.failures["metric"] == [
        "metric: none of the headline numbers of the abstract or conclusion that measure a "
        "result (88.5)"]


def test_a_metric_gives_the_result_of_both_sentences_it_is_written_from() -> None:
    bleu = ("Our model achieves 28.4 BLEU on the WMT 2014 English-to-German task.",
            "On English-to-French, our model establishes a new BLEU score of 41.8.",
            "We train on 8 GPUs for 12 hours.")
    transformer = Passages(claims=bleu, headline=bleu)
    rubric = Rubric()
    check_metric("28.4 BLEU on English-to-German and 41.8 on English-to-French.", transformer,
                 rubric)
    assert rubric.passed("metric")
    check_metric("28.4 BLEU on the WMT 2014 English-to-German task.", transformer, rubric)
    assert rubric.failures["metric"] == [
        "metric: leaves out the paper's other headline result (41.8)"]
    sizes = ("It saves 42.5% of training costs.", "It has only 21B activated parameters.")
    rubric = Rubric()  # a second sentence with no result to give: nothing left out
    check_metric("It saves 42.5% of training costs.", Passages(claims=sizes, headline=sizes),
                 rubric)
    assert rubric.passed("metric")


def test_a_number_put_with_another_results_name_is_caught() -> None:
    bleu = ("Our model achieves 28.4 BLEU on the WMT 2014 English-to-German task.",
            "On WMT 2014 English-to-French, our model establishes a BLEU score of 41.8.")
    transformer = Passages(claims=bleu, headline=bleu)
    swapped = "BLEU score on WMT 2014 English-to-German translation task: 41.8 BLEU."
    rubric = check_rubric(Summary(keypoints=["Transformer", "Attention", "Translation"],
                                  objective="The paper proposes the Transformer.",
                                  method=["It relies on attention alone."], metric=swapped,
                                  section="LLM"), transformer, "Attention Is All You Need",
                          " ".join(bleu))
    assert rubric.failures["metric"] == [
        'metric: 41.8 is put with "English-to-German", which the paper says of another result']
    from pipeline.draft.attribution import check_attribution
    assert check_attribution("28.4 BLEU on English-to-German and 41.8 on English-to-French.",
                             transformer) == []
    # a name both sentences write, and one of another clause, are no swap
    assert check_attribution("On WMT 2014 the model scores 28.4 BLEU, and English-to-French "
                             "reaches 41.8.", transformer) == []
    # the work's own name is every result's, though a sentence calls it 'it'
    speed = Passages(results=("MoBA matches full attention at 75% sparsity.",
                              "It is 6.5x faster at 1M tokens."))
    assert check_attribution("MoBA is 6.5x faster.", speed) != []
    assert check_attribution("MoBA is 6.5x faster.", speed, "MoBA: Mixture of Block "
                                                            "Attention") == []
    # nor a name the abstract gives the work, a year, a name of the number's own result beside
    # the other's, or numbers paired with names 'respectively'
    ours = ("The Transformer achieves 28.4 BLEU on WMT 2014 English-to-German.",
            "On English-to-French, our model reaches 41.8 BLEU.")
    paper = Passages(claims=ours, headline=ours, abstract="We propose the Transformer. " +
                     " ".join(ours))
    assert check_attribution("The Transformer reaches 41.8 BLEU on WMT 2014 English-to-French.",
                             paper) == []
    assert check_attribution("It achieves 28.4 and 41.8 BLEU on English-to-German and "
                             "English-to-French respectively.", paper) == []
    assert check_attribution("English-to-German: 41.8 BLEU.", paper) == [
        '41.8 is put with "English-to-German", which the paper says of another result']


def test_a_number_next_to_another_quantity_is_caught() -> None:
    rubric = Rubric()
    check_quantities("metric", "It has 671B total parameters and scores 88.5 on MMLU.", PAPER,
                     rubric)
    assert rubric.passed("metric")
    check_quantities("metric", "It has 37B parameters, of which 37B are activated.", PAPER,
                     rubric)
    assert rubric.failures["metric"] == ["metric: 37B stands for two different quantities"]
    rubric = Rubric()  # an aside restates a name, it is no second quantity
    check_quantities("metric", "Data sets: Quora Question Pairs 50K split (QQP 50K) and MSRPC.",
                     "We use the Quora Question Pairs 50K split (QQP 50K) of 50K pairs.", rubric)
    assert rubric.passed("metric")
    rubric = Rubric()
    check_quantities("metric", "It scores 671B on MMLU.", PAPER, rubric)
    assert rubric.failures["metric"] == ['metric: 671B is next to "mmlu…" here, but not in the '
                                         "paper"]


def test_a_draft_an_editor_would_take_passes_the_whole_rubric() -> None:
    summary = Summary(
        keypoints=["Mixture-of-Experts", "Multi-head latent attention", "FP8 training"],
        objective="The paper builds a strong open MoE language model that is cheap to train.",
        method=["Each token activates 37B of the 671B parameters.",
                "Training runs in FP8 mixed precision."],
        metric="DeepSeek-V3 scores 88.5 on MMLU with 671B total parameters.",
        section="LLM")
    rubric = check_rubric(summary, CLAIMS, TITLE, PAPER)
    assert rubric.failures == {}


def test_metric_names_and_figure_residue_are_no_headline_numbers() -> None:
    pasa = Passages(claims=("PaSa-7B surpasses Google by 37.78% in recall@20 and 39.90% in "
                            "recall@50.",))
    rubric = Rubric()
    check_metric("PaSa is evaluated with recall@20 and recall@50 on GPT-4 queries.", pasa,
                 rubric)
    assert rubric.failures["metric"] == [
        "metric: none of the headline numbers of the abstract or conclusion (37.78%, 39.9%)"]
    no_claims = Passages(results=("MoBA achieves a speedup of up to 6.5x at 1M tokens.",))
    rubric = Rubric()
    check_metric("MoBA matches full attention on long-context tasks.", no_claims, rubric)
    assert rubric.failures["metric"] == [
        "metric: none of the headline numbers of the results (6.5x, 1M)"]
    summary = Summary(keypoints=["MoE", "MLA", "FP8"], objective="The paper builds a model.",
                      method=["It is trained.", "Code at https://github.com/x/y."],
                      metric="Scores 0 20 40 60 80 100 5.76 on it.", section="LLM")
    failures = check_rubric(summary, Passages(), TITLE, PAPER).failures
    assert failures == {"metric": ["metric: a run of bare numbers, not a sentence"],
                        "method": ["method: a link, not a sentence about the paper"]}


def test_years_and_model_sizes_in_names_are_no_headline_numbers() -> None:
    transformer = Passages(claims=("Our model achieves 28.4 BLEU on the WMT 2014 task.",))
    rubric = Rubric()
    check_metric("BLEU on the WMT 2014 task improves by over 2 BLEU.", transformer, rubric)
    assert rubric.failures["metric"] == [
        "metric: none of the headline numbers of the abstract or conclusion (28.4)"]
    deepseek = Passages(claims=("Compared with DeepSeek 67B, it saves 42.5% of training costs.",))
    rubric = Rubric()
    check_metric("It improves on DeepSeek 67B in performance and cost.", deepseek, rubric)
    assert rubric.failures["metric"] == [
        "metric: none of the headline numbers of the abstract or conclusion (42.5%)"]


def test_a_headline_number_keeps_the_word_that_qualifies_it() -> None:
    found = Passages(claims=("An ensemble of these residual nets achieves 3.57% error on the "
                             "ImageNet test set.",
                             "It achieves a speedup of up to 6.5x when prefilling 1M tokens."))
    rubric = Rubric()
    check_qualifiers("metric", "An ensemble of residual nets reaches 3.57% ImageNet test "
                               "error; attention is up to 6.5x faster at 1M tokens.", found, rubric)
    assert rubric.passed("metric")
    check_qualifiers("metric", "152-layer residual nets reach 3.57% error on ImageNet, and "
                               "6.5x faster prefilling.", found, rubric)
    assert rubric.failures["metric"] == [
        'metric: the paper gives 3.57% as "ensemble"; say so beside it',
        'metric: the paper gives 6.5x as "up to"; say so beside it']
    rubric = Rubric()  # the word moved to another number qualifies the wrong one
    check_qualifiers("metric", "Residual nets reach 3.57% error on the ImageNet test set, and "
                               "an ensemble gives a relative gain on detection of up to 6.5x.",
                     found, rubric)
    assert rubric.failures["metric"] == [
        'metric: the paper gives 3.57% as "ensemble"; say so beside it']
    # a word far from the number, or one that only understates it, is no qualifier of it
    wmt = Passages(claims=("Our model establishes a new single-model state-of-the-art BLEU score "
                           "of 41.8 after training for 3.5 days on eight GPUs, a small fraction "
                           "of the cost of the best ensembles from the literature.",))
    rubric = Rubric()
    check_qualifiers("metric", "41.8 BLEU on WMT 2014 English-to-French after 3.5 days of "
                               "training on eight GPUs.", wmt, rubric)
    assert rubric.passed("metric")


def test_an_acronym_beside_its_long_form_is_one_keypoint() -> None:
    keypoints = ["LLMs", "Large language models", "Chemistry", "MoE", "Agents"]
    assert [k for k in keypoints if repeats_acronym(k, keypoints)] == ["LLMs"]
    rubric = Rubric()
    check_keypoints(keypoints, "A Review", "", rubric)
    assert rubric.failures["keypoints"] == ['keypoint "LLMs" is the acronym of another']


def test_a_size_in_a_setup_sentence_is_no_result() -> None:
    found = Passages(claims=("We pretrain the model on a corpus of 8.1T tokens.",
                             "It saves 42.5% of training costs and boosts throughput 5.76 times."))
    rubric = Rubric()
    check_metric("Pretrained on a corpus of 8.1T tokens.", found, rubric)
    assert rubric.failures["metric"] == [
        "metric: none of the headline numbers of the abstract or conclusion that measure a "
        "result (42.5%, 5.76x)"]


def test_a_comparison_the_paper_does_not_make_is_caught() -> None:
    found = Passages(results=("At 10M tokens MoBA achieves a speedup ratio of 16x over full "
                              "attention in computation time.",),
                     claims=("Residual nets are 8x deeper than VGG nets.",))
    rubric = Rubric()
    check_baseline("metric", "MoBA is 16x faster than full attention at 10M tokens; the nets "
                             "are 8x deeper than VGG nets.", found, rubric)
    assert rubric.passed("metric")
    check_baseline("metric", "A 16x reduction compared to traditional sink or window "
                             "mechanisms.", found, rubric)
    assert rubric.failures["metric"] == [
        'metric: "traditional sink or window mechanisms" is not what the paper compares with']


def test_all_baselines_where_the_paper_names_one_is_caught() -> None:
    found = Passages(claims=("PaSa-7B surpasses the best Google-based baseline, Google with "
                             "GPT-4o, by 37.78% in recall@20.",))
    rubric = Rubric()
    check_baseline("metric", "PaSa outperforms Google with GPT-4o by 37.78% in recall@20.",
                   found, rubric)
    assert rubric.passed("metric")
    check_baseline("metric", "PaSa outperforms all baselines by 37.78% in recall@20.", found,
                   rubric)
    assert rubric.failures["metric"] == [
        'metric: "all baselines" is not what the paper compares with']
    said = Passages(claims=("PaSa-7B outperforms all baselines by at least 37.78% in "
                            "recall@20.",))
    rubric = Rubric()
    check_baseline("metric", "PaSa outperforms all the baselines by 37.78%.", said, rubric)
    assert rubric.passed("metric")


def test_a_model_caught_in_a_loop_is_no_sentence() -> None:
    from pipeline.draft.rubric import loops
    assert loops("A review of LLMs in Chemistry in Chemistry in Chemistry in Chemistry.")
    assert loops("Accuracy improves by 16.0% 16.0% 16.0%")
    assert not loops("It was a very very good idea, layer by layer by layer.")
    assert not loops("The encoder and the decoder use attention, attention and more.")
    listed = "42.5% Training Cost Reduction, 93.3% KV Cache Reduction, 5.76 Times Throughput, "
    assert loops("Performance, " + listed * 2 + "42.5% Train")  # a long list, written twice
    assert not loops("It saves 42.5% of training costs and 93.3% of the KV cache, and saves "
                     "42.5% of training costs over DeepSeek 67B.")  # a phrase again, not a loop
