"""The small records that flow between stages.

Records built by paperlist itself are frozen dataclasses; `Summary`, which arrives from a
model as JSON, is a pydantic model so that it is validated at the border.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

# The id records live in ids.py, which imports no pydantic (the CLI parses ids before heavy
# imports); they are re-exported here with the other records.
from .ids import ArxivId as ArxivId
from .ids import ArxivLinks as ArxivLinks
from .ids import split_versioned as split_versioned


@dataclass(frozen=True)
class Paper(ArxivLinks):
    """An arXiv paper's metadata, as the export API describes it."""

    id: str
    version: int
    title: str
    abstract: str
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    primary_category: str = ""
    published: datetime | None = None
    updated: datetime | None = None
    comment: str = ""


@dataclass(frozen=True)
class Section:
    """A stretch of a paper's text under one heading, classified by what it holds."""

    kind: str  # abstract, introduction, related, method, experiments, conclusion, references,
    # appendix, front (before the abstract) or other
    heading: str
    text: str
    page: int  # 1-based page where the section starts


@dataclass(frozen=True)
class Extract:
    """A PDF's cleaned text: per page for quoting, and split into sections for the prompt."""

    source: str
    pages: tuple[str, ...]
    sections: tuple[Section, ...]
    title: str = ""
    warnings: int = 0  # pypdf's warnings while reading (logged at DEBUG, never printed)

    @property
    def page_count(self) -> int:
        return len(self.pages)

    @property
    def text(self) -> str:
        return "\n".join(self.pages)

    def section(self, kind: str) -> Section | None:
        return next((s for s in self.sections if s.kind == kind), None)


@dataclass(frozen=True)
class Passages:
    """The sentences of a paper each field of an entry is written from (`read.passages`)."""

    abstract: str = ""
    survey: bool = False  # a survey, review or position paper: no method or results of its own
    contributions: tuple[str, ...] = ()  # where the paper says what it does
    method: tuple[str, ...] = ()  # the opening of its method, preliminaries skipped
    components: tuple[str, ...] = ()  # the method's sub-headings: names of its parts
    headline: tuple[str, ...] = ()  # the abstract's and conclusion's best number sentences
    claims: tuple[str, ...] = ()  # all number sentences of the abstract and the conclusion
    results: tuple[str, ...] = ()  # results-section number sentences, when headline is empty
    findings: tuple[str, ...] = ()  # 'we find/show ...' sentences of abstract and conclusion
    conclusion: str = ""
    limitations: tuple[str, ...] = ()  # where it states its own limitations; () if nowhere


@dataclass(frozen=True)
class ModelInput:
    """The part of a paper that is sent to the model, with what it costs."""

    text: str
    tokens: int
    full_tokens: int
    sections: tuple[str, ...] = ()


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


@dataclass(frozen=True)
class Usage:
    """What one summary cost, recorded beside it."""

    model: str
    prompt: str
    prompt_version: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    response_format: str
    attempts: int = 1


@dataclass(frozen=True)
class Draft:
    """A model's summary of a paper together with what produced it."""

    summary: Summary
    usage: Usage
    extras: dict[str, Any] = field(default_factory=dict)


class Reason(NamedTuple):
    """What one signal added to a candidate's score, and why, in words an editor reads."""

    signal: str  # taste, community or topic
    value: float  # weight x strength (0 to 1; taste -1 to 1); a score is the sum of them
    note: str  # e.g. 'like "LLoCO: ..."', "Daily Papers 2024-04-12, 35 upvotes"


@dataclass(frozen=True)
class PaperRecord(ArxivLinks):
    """A paper as the state database knows it."""

    id: str
    version: int
    title: str
    abstract: str
    status: str
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    published: str | None = None
    section: str | None = None
    attempts: int = 0
    error: str | None = None
    error_stage: str | None = None
    pdf_path: str | None = None
    updated_at: str = ""
    reasons: tuple[Reason, ...] = ()  # from the weekly run that ranked it; () otherwise

    @property
    def score(self) -> float | None:
        """The rank score a weekly run gave the paper (None when none ranked it)."""
        return round(sum(r.value for r in self.reasons), 4) if self.reasons else None

    def as_paper(self) -> Paper:
        published = datetime.fromisoformat(self.published) if self.published else None
        return Paper(id=self.id, version=self.version, title=self.title, abstract=self.abstract,
                     authors=self.authors, categories=self.categories, published=published)


@dataclass(frozen=True)
class DraftRecord:
    """A stored draft with its paper, the editor's edit and the review decision."""

    paper: PaperRecord
    summary: Summary
    entry: str
    edited_entry: str | None
    model: str
    prompt: str
    prompt_version: str
    response_format: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    attempts: int
    created_at: str
    checks: dict[str, Any] = field(default_factory=dict)
    reject_reason: str | None = None
    published_month: str | None = None

    @property
    def final_entry(self) -> str:
        """What gets published: the editor's edit when there is one."""
        return self.edited_entry or self.entry

    @property
    def flags(self) -> list[str]:
        return list(self.checks.get("flags", []))

    @property
    def usage(self) -> Usage:
        """What the draft cost, as it was recorded."""
        return Usage(model=self.model, prompt=self.prompt, prompt_version=self.prompt_version,
                     prompt_tokens=self.prompt_tokens, completion_tokens=self.completion_tokens,
                     latency_s=self.latency_s, response_format=self.response_format,
                     attempts=self.attempts)
