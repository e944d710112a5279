"""What a paper is evaluated on, when its numbers are only in its tables."""

from __future__ import annotations

import pytest
from paths import SHARED

from pipeline.models import Extract, Section
from pipeline.read.evaluation import evaluation_setup
from pipeline.read.extract import extract_pdf
from pipeline.read.passages import find_passages

DATASETS = ("We use three datasets for our experiments as discussed below.\n"
            "• Quora Question Pairs (QQP)2: QQP is a paraphrase detection dataset.\n"
            "• ParaSCI-ACL: a paraphrase generation dataset in the scientific domain.\n"
            "We only use the true paraphrase pairs.")
METRICS = ("• BLEU: Like most prior work, we use BLEU4.\n"
           "• Self-BLEU: BLEU between the input and the prediction.")
RESULTS = ("As shown in Table 4, RAPT substantially outperforms the baselines on all metrics "
           "except BERT. Prior models do better than ours on short inputs (Smith et al., 2020). "
           "RAPT gains 4.2 BLEU over prompt tuning.")


def test_the_lists_of_data_sets_and_metrics_and_a_comparison_in_words() -> None:
    body = [Section("experiments", "4 Experiments", DATASETS, 5),
            Section("experiments", "4.1 Evaluation Metrics", METRICS, 5),
            Section("experiments", "4.2 Results", RESULTS, 6)]
    assert evaluation_setup(body) == (
        "Data sets: Quora Question Pairs (QQP); ParaSCI-ACL.",  # by the sentence before it
        "Metrics: BLEU; Self-BLEU.",  # by its heading
        # without its pointer; not the one citing others, nor the one with a number
        "RAPT substantially outperforms the baselines on all metrics except BERT.")


def test_nothing_listed_is_no_evaluation() -> None:
    assert evaluation_setup([Section("experiments", "4.2 Results", RESULTS, 6)]) == ()
    assert evaluation_setup([Section("method", "3 Method", METRICS, 4)]) == ()  # not experiments


def test_the_evaluation_is_kept_only_for_a_paper_without_numbers() -> None:
    sections = (Section("abstract", "Abstract", "We propose RAPT for paraphrase generation.", 1),
                Section("experiments", "4 Experiments", DATASETS, 5),
                Section("experiments", "4.1 Evaluation Metrics", METRICS, 5))
    found = find_passages(Extract(source="x", pages=("",), title="RAPT", sections=sections))
    assert found.evaluation[0].startswith("Data sets: Quora Question Pairs")
    numbers = find_passages(Extract(source="x", pages=("",), title="RAPT", sections=(
        Section("abstract", "Abstract", "RAPT improves BLEU by 12.5% on QQP over prompt "
                                        "tuning.", 1), *sections[1:])))
    assert numbers.headline and numbers.evaluation == ()


CORPUS = SHARED / "corpus" / "pdf"


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
def test_the_paraphrase_papers_numbers_are_in_tables_and_its_evaluation_in_lists() -> None:
    found = find_passages(extract_pdf(CORPUS / "2202.00535v1.pdf"))
    assert found.headline == found.results == ()
    assert found.evaluation == (
        "Data sets: Quora Question Pairs 50K split (QQP 50K); Microsoft Research Paraphrase "
        "Corpus (MSRPC); ParaSCI-ACL.",
        "Metrics: BLEU; Self-BLEU; Self-TER; BERT; iBLEU; SARI.",
        "RAPT substantially outperforms the baselines on all metrics except BERT in general.")
