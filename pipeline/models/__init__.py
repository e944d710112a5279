"""The small records that flow between stages.

Records built by paperlist itself are frozen dataclasses; `Summary`, which arrives from a
model as JSON, is a pydantic model so that it is validated at the border.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

# The id records live in ids.py and the model's answer (pydantic) in summary.py: this package
# imports neither pydantic nor anything heavy, so the CLI parses ids before heavy imports.
from .ids import ArxivId as ArxivId
from .ids import ArxivLinks as ArxivLinks
from .ids import split_versioned as split_versioned

if TYPE_CHECKING:
    from .summary import Summary


# C0 and C1 control characters: a line break, a tab, ESC and CSI would reach a terminal.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def plain_line(text: str) -> str:
    """Text as records hold a title (or the feed's abstract, authors, comment): on one line,
    control characters and runs of white space made single spaces, stripped."""
    return " ".join(CONTROL.sub(" ", text).split())


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
    # its main parts: (heading, a paragraph on it); a survey's or a derivation's main sections
    parts: tuple[tuple[str, str], ...] = ()
    derivation: bool = False  # its method is a derivation (parts: what its sections work out)
    outline: tuple[str, ...] = ()  # its top-level section headings (what a survey covers)
    headline: tuple[str, ...] = ()  # the abstract's and conclusion's best number sentences
    claims: tuple[str, ...] = ()  # all number sentences of the abstract and the conclusion
    results: tuple[str, ...] = ()  # results-section number sentences, when headline is empty
    # what it is evaluated on (data sets, metrics, baselines), when neither gives a number
    evaluation: tuple[str, ...] = ()
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
