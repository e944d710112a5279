"""The fields of a digest entry as a model must return them: the one record validated with
pydantic, because it arrives from outside (a model's JSON answer or a stored one)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator


class Summary(BaseModel):
    """The fields of a digest entry, as the model must return them."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    keypoints: list[str] = Field(
        min_length=3, max_length=6,
        description="3 to 6 short noun phrases naming the paper's key ideas (not the title)",
    )
    objective: str = Field(
        min_length=20, description="One to three sentences: the problem and the paper's goal"
    )
    method: list[str] = Field(
        min_length=1, max_length=6,
        description="How the paper does it: one paragraph, or 2 to 5 short bullet points",
    )
    metric: str | None = Field(
        default=None,
        description="How it is evaluated and the headline numbers (benchmarks, gains, speed); "
                    "null for a paper without an evaluation",
    )
    results: str | None = Field(default=None, description="Main findings, or null")
    limitation: str | None = Field(default=None, description="A stated limitation, or null")
    section: str = Field(description="The digest section this paper belongs to")

    @field_validator("keypoints")
    @classmethod
    def _clean_keypoints(cls, value: list[str]) -> list[str]:
        cleaned = [k.strip().strip(";,").strip() for k in value]
        if any(not k for k in cleaned):
            raise ValueError("keypoints must not be empty")
        return cleaned  # a long one is flagged by the checks, not refused

    @field_validator("method")
    @classmethod
    def _clean_method(cls, value: list[str]) -> list[str]:
        cleaned = [m.strip().lstrip("-*• ").strip() for m in value]
        if any(not m for m in cleaned):
            raise ValueError("method items must not be empty")
        return cleaned

    @field_validator("metric", "results", "limitation")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("section")
    @classmethod
    def _known_section(cls, value: str, info: ValidationInfo) -> str:
        sections: list[str] | None = (info.context or {}).get("sections")
        if sections is None:
            return value
        for name in sections:
            if name.casefold() == value.casefold():
                return name
        raise ValueError(f"section must be one of {', '.join(sections)}; got {value!r}")
