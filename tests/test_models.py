"""arXiv ids in every form editors paste, and the summary's validation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pipeline.draft.schema import summary_schema
from pipeline.errors import UsageError
from pipeline.models import ArxivId
from pipeline.models.summary import Summary


@pytest.mark.parametrize(
    ("text", "base", "version"),
    [
        ("2404.07965", "2404.07965", None),
        ("2404.07965v2", "2404.07965", 2),
        ("arXiv:2404.07965", "2404.07965", None),
        ("ARXIV:2404.07965v3", "2404.07965", 3),
        ("https://arxiv.org/abs/2404.07965", "2404.07965", None),
        ("https://arxiv.org/pdf/2404.07965v1", "2404.07965", 1),
        ("http://arxiv.org/pdf/2404.07965v1.pdf", "2404.07965", 1),
        ("https://export.arxiv.org/abs/2404.07965/", "2404.07965", None),
        ("  2404.07965  ", "2404.07965", None),
        ("0704.0001", "0704.0001", None),
        ("hep-th/9901001", "hep-th/9901001", None),
        ("hep-th/9901001v2", "hep-th/9901001", 2),
        ("math.GT/0309136", "math.GT/0309136", None),
        ("https://arxiv.org/abs/cond-mat/0102536v1", "cond-mat/0102536", 1),
    ],
)
def test_every_id_form_parses(text: str, base: str, version: int | None) -> None:
    parsed = ArxivId.parse(text)
    assert (parsed.base, parsed.version) == (base, version)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "'abc' is not an arXiv id (expected e.g. 2404.07965, 2404.07965v2, "
                "arXiv:2404.07965, https://arxiv.org/abs/2404.07965 or hep-th/9901001)"),
        ("", "'' is not an arXiv id (expected e.g. 2404.07965, 2404.07965v2, "
             "arXiv:2404.07965, https://arxiv.org/abs/2404.07965 or hep-th/9901001)"),
        ("2413.00001", "'2413.00001' is not an arXiv id: month 13 does not exist"),
        ("2404.0796", "'2404.0796' is not an arXiv id: ids from 2404 have five digits after "
                      "the dot"),
        ("1204.07965", "'1204.07965' is not an arXiv id: ids from 1204 have four digits after "
                       "the dot"),
        ("2404.07965v0", None),
        ("https://example.com/abs/2404.07965", None),
        ("HEP-TH/9901001", None),
        ("2404.07965 2404.07966", None),
    ],
)
def test_malformed_ids_are_refused_with_one_line(text: str, message: str | None) -> None:
    with pytest.raises(UsageError) as caught:
        ArxivId.parse(text)
    assert "\n" not in str(caught.value)
    if message:
        assert str(caught.value) == message


def test_versioned_and_str() -> None:
    assert str(ArxivId("2404.07965", 2)) == "2404.07965v2"
    assert ArxivId("2404.07965").versioned == "2404.07965"


GOOD = {
    "keypoints": ["Feedback attention", "Working memory", "Long context"],
    "objective": "Let Transformers process indefinitely long inputs.",
    "method": ["A feedback loop attends to its own latent representations."],
    "metric": "Better long-context scores at 1B, 8B and 24B.",
    "results": "",
    "limitation": None,
    "section": "llm",
}


def test_summary_normalises_section_and_empty_optionals() -> None:
    summary = Summary.model_validate(GOOD, context={"sections": ["LLM", "Diffusion"]})
    assert summary.section == "LLM"
    assert summary.results is None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"keypoints": ["one", "two"]}, "keypoints"),
        ({"keypoints": ["a", "b", " ; "]}, "keypoints must not be empty"),
        ({"section": "Robotics"}, "section must be one of LLM, Diffusion; got 'Robotics'"),
        ({"method": []}, "method"),
        ({"objective": "short"}, "objective"),
    ],
)
def test_summary_rejects(change: dict[str, object], problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Summary.model_validate({**GOOD, **change}, context={"sections": ["LLM", "Diffusion"]})
    assert problem in str(caught.value)


def test_schema_is_strict_and_enumerates_sections() -> None:
    schema = summary_schema(["LLM", "Diffusion"])
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == set(schema["properties"]) == {
        "keypoints", "objective", "method", "metric", "results", "limitation", "section"}
    assert schema["properties"]["section"]["enum"] == ["LLM", "Diffusion"]
