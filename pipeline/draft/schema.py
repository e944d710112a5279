"""The answer shapes asked of a model, and the JSON schemas sent for them.

`Summary` (in `models`) is the record a draft keeps; `Answer` adds the cited sentences, and
`MetricAnswer` is the numbers pass. `strict_schema` turns a shape into the schema an endpoint
gets; `with_length_limits` adds the limits llama.cpp's grammar enforces on the local model.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..models import Summary

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
