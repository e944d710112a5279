"""The small records that flow between stages.

Records built by paperlist itself are frozen dataclasses; `Summary`, which arrives from a
model as JSON, is a pydantic model so that it is validated at the border.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from .errors import UsageError

_NEW_ID = re.compile(r"^(?P<yymm>\d{4})\.(?P<num>\d{4,5})(?:v(?P<v>[1-9]\d*))?$")
_OLD_ID = re.compile(
    r"^(?P<archive>[a-z]+(?:-[a-z]+)*)(?:\.[A-Z]{2})?/(?P<yymm>\d{4})(?P<num>\d{3})"
    r"(?:v(?P<v>[1-9]\d*))?$"
)
_URL_PREFIX = re.compile(r"^https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/", re.I)
_ID_EXAMPLES = "2404.07965, 2404.07965v2, arXiv:2404.07965, https://arxiv.org/abs/2404.07965"


@dataclass(frozen=True, order=True)
class ArxivId:
    """An arXiv identifier split into its stable part and an optional version."""

    base: str
    version: int | None = None

    @classmethod
    def parse(cls, text: str) -> ArxivId:
        """Accept every form an editor pastes: bare, versioned, `arXiv:` prefix, abs/pdf URLs."""
        raw = text.strip()
        candidate = _URL_PREFIX.sub("", raw)
        if candidate != raw:
            candidate = candidate.split("?", 1)[0].split("#", 1)[0].rstrip("/")
            candidate = re.sub(r"\.pdf$", "", candidate, flags=re.I)
        elif candidate[:6].lower() == "arxiv:":
            candidate = candidate[6:].strip()
        for pattern in (_NEW_ID, _OLD_ID):
            match = pattern.match(candidate)
            if match:
                break
        else:
            raise UsageError(f"{text!r} is not an arXiv id (expected e.g. {_ID_EXAMPLES} or "
                             "hep-th/9901001)")
        month = int(match["yymm"][2:])
        if not 1 <= month <= 12:
            raise UsageError(f"{text!r} is not an arXiv id: month {match['yymm'][2:]} does not "
                             "exist")
        if pattern is _NEW_ID:
            five_digits = int(match["yymm"]) >= 1501
            if five_digits != (len(match["num"]) == 5):
                width = "five" if five_digits else "four"
                raise UsageError(f"{text!r} is not an arXiv id: ids from {match['yymm']} have "
                                 f"{width} digits after the dot")
        version = int(match["v"]) if match["v"] else None
        base = candidate[: match.start("v") - 1] if version else candidate
        return cls(base=base, version=version)

    @property
    def versioned(self) -> str:
        return f"{self.base}v{self.version}" if self.version else self.base

    def __str__(self) -> str:
        return self.versioned


def split_versioned(entry_id: str) -> ArxivId:
    """Turn the `<id>` of an export-API entry (an abs URL) into an id."""
    return ArxivId.parse(entry_id.replace("http://", "https://"))


class ArxivLinks:
    """The versioned id and abstract page of anything that has an arXiv `id` and `version`."""

    id: str
    version: int

    @property
    def versioned_id(self) -> str:
        return f"{self.id}v{self.version}"

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.id}"


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
    metric: str = Field(
        min_length=10,
        description="How it is evaluated and the headline numbers (benchmarks, gains, speed)",
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

    @field_validator("results", "limitation")
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


# Sentence numbers a model cites: repeats dropped, at most two kept.
CitedSentences = Annotated[list[int], AfterValidator(lambda value: list(dict.fromkeys(value))[:2])]


class Evidence(BaseModel):
    """The numbered sentences of the paper behind each field; shown to editors, never
    published."""

    model_config = ConfigDict(extra="ignore")

    objective: CitedSentences = Field(default_factory=list,
                                      description="1 or 2 sentence numbers")
    method: CitedSentences = Field(default_factory=list, description="1 or 2 sentence numbers")
    metric: CitedSentences = Field(default_factory=list, description="1 or 2 sentence numbers")
    results: CitedSentences = Field(default_factory=list,
                                    description="1 or 2 sentence numbers, none without results")


class Answer(Summary):
    """A summary as the model returns it: the entry's fields and the sentences behind them."""

    evidence: Evidence = Field(
        default_factory=Evidence,
        description="For objective, method, metric and results: the numbers [n] of 1 or 2 "
                    "sentences of the paper that support what you wrote",
    )

    def summary(self) -> Summary:
        return Summary.model_validate(self.model_dump(exclude={"evidence"}))


class MetricAnswer(BaseModel):
    """The Metric field written again from the sentences that carry the paper's numbers."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    metric: str = Field(min_length=10, description="How the paper is evaluated and its "
                        "headline numbers, each number exactly as the paper writes it")
    sentences: CitedSentences = Field(default_factory=list, description="the numbers [n] of 1 "
                                      "or 2 of the given sentences that back the metric")


def strict_schema(model: type[BaseModel], sections: list[str] | None = None) -> dict[str, Any]:
    """The JSON schema sent to an endpoint: inlined, every key required, no extra keys, and
    the digest's sections enumerated."""
    raw = model.model_json_schema()
    defs = raw.pop("$defs", {})

    def tidy(node: Any) -> Any:
        if isinstance(node, list):
            return [tidy(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:  # inline it, keeping the field's own description
            extra = {k: v for k, v in node.items() if k != "$ref"}
            return {**tidy(defs[node["$ref"].rsplit("/", 1)[-1]]), **extra}
        out = {k: tidy(v) for k, v in node.items() if k not in ("title", "default")}
        if "properties" in node:
            out["properties"] = {name: tidy(prop) for name, prop in node["properties"].items()}
            out["required"] = list(node["properties"])
            out["additionalProperties"] = False
        return out

    schema: dict[str, Any] = tidy(raw)
    schema.pop("description", None)
    if sections is not None and "section" in schema.get("properties", {}):
        schema["properties"]["section"]["enum"] = list(sections)
    return schema


# Lengths a grammar-constrained local model is held to; a 1.5B model otherwise writes
# sentences as keypoints and copies paragraphs, and on a CPU every generated token costs.
LENGTH_LIMITS = {"keypoints": 60, "objective": 300, "method": 200, "metric": 400,
                 "results": 300, "limitation": 250}


# Kana, CJK ideographs, Hangul and full-width forms: what a small model strays into in English.
CJK_CHARACTERS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff01-\uff5e"
NOT_IN_PATTERN_STRINGS = r"\\\x00-\x1f"  # a backslash and control characters, as regex escapes
CJK_LANGUAGES = ("chinese", "japanese", "korean", "中文", "日本語", "한국어")


def writes_cjk(language: str) -> bool:
    return any(name in language.casefold() for name in CJK_LANGUAGES)


def with_length_limits(schema: dict[str, Any], *, forbid_cjk: bool = False) -> dict[str, Any]:
    """The schema with maxLength on the prose fields, at most 4 method points and at most
    two cited sentences per field (an unbounded list of numbers is where a small model loops).

    With `forbid_cjk` the prose fields take a pattern instead that also leaves CJK characters
    out, so that the grammar keeps a small model from straying out of a non-CJK language. The
    pattern leaves out quotes, backslashes and control characters too: with it, llama.cpp no
    longer writes JSON escapes itself.
    """

    def limit_string(string: dict[str, Any], limit: int) -> dict[str, Any]:
        if not forbid_cjk:
            return {**string, "maxLength": limit}
        least = string.get("minLength", 0)  # llama.cpp reads no minLength beside a pattern
        return {**string, "pattern": f'^[^"{NOT_IN_PATTERN_STRINGS}{CJK_CHARACTERS}]'
                                     f'{{{least},{limit}}}$'}

    props = {name: dict(prop) for name, prop in schema["properties"].items()}
    numbers = {"type": "array", "maxItems": 2,
               "items": {"type": "integer", "minimum": 1, "maximum": 9999}}
    if "sentences" in props:
        props["sentences"] = {**props["sentences"], **numbers}
    if "evidence" in props:
        cited = props["evidence"]["properties"]
        props["evidence"] = {**props["evidence"], "properties": {
            name: {**prop, **numbers} for name, prop in cited.items()}}
    for name, limit in LENGTH_LIMITS.items():
        if name not in props:
            continue
        prop = props[name]
        if prop.get("type") == "array":
            prop["items"] = limit_string(prop["items"], limit)
            if name == "method":
                prop["maxItems"] = 4
        elif "anyOf" in prop:
            prop["anyOf"] = [limit_string(option, limit) if option.get("type") == "string"
                             else option for option in prop["anyOf"]]
        else:
            props[name] = limit_string(prop, limit)
    return {**schema, "properties": props}


def summary_schema(sections: list[str]) -> dict[str, Any]:
    return strict_schema(Summary, sections)


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
