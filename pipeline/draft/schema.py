"""The answer shapes asked of a model, and the JSON schemas sent for them.

`Summary` (in `models`) is the record a draft keeps. A capable endpoint answers `DraftAnswer`
(every field at once); the built-in model answers one field per request (`FIELD_ANSWERS`), each
in a shape its grammar holds without cutting a sentence: keypoints as 3 to 5 phrases of 1 to 4
words, the objective as one sentence, the method as 2 to 4 one-sentence bullets or, part by
part, one sentence that opens with the part's name (`part_schema`). The digest
section is never asked: it comes from the selection. `strict_schema` turns a shape into the
schema an endpoint gets; `local_schema` adds the limits llama.cpp's grammar enforces.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..models.summary import Summary


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


def _phrases(value: list[str]) -> list[str]:
    cleaned = [k.strip().strip(";,.").strip() for k in value]
    if any(not k for k in cleaned):
        raise ValueError("keypoints must not be empty")
    return cleaned


def _bullets(value: list[str]) -> list[str]:
    cleaned = [m.strip().lstrip("-*• ").strip() for m in value]
    if any(not m for m in cleaned):
        raise ValueError("method items must not be empty")
    return cleaned


class KeypointsAnswer(_Answer):
    keypoints: list[str] = Field(min_length=3, max_length=5, description=(
        "3 to 5 short noun phrases of 1 to 4 words naming the paper's key ideas"))

    _clean = field_validator("keypoints")(_phrases)


class ObjectiveAnswer(_Answer):
    objective: str = Field(min_length=20, description="One sentence: the problem and the goal")


class MethodAnswer(_Answer):
    method: list[str] = Field(min_length=2, max_length=4, description=(
        "2 to 4 bullet points, each one sentence on how the method works"))

    _clean = field_validator("method")(_bullets)


class PartAnswer(_Answer):
    """One Method bullet on one part of the method (the local model asks one per part)."""

    part: str = Field(min_length=20, description="One sentence on how this part works")


class MetricAnswer(_Answer):
    metric: str = Field(min_length=10, description=(
        "The benchmarks and the headline numbers, each number as the paper writes it"))


class ResultsAnswer(_Answer):
    results: str = Field(min_length=10, description="The main finding, in one sentence")


class LimitationAnswer(_Answer):
    limitation: str = Field(min_length=10, description=(
        "The limitation the paper states about its own work, in one sentence"))


FIELD_ANSWERS: dict[str, type[_Answer]] = {
    "keypoints": KeypointsAnswer, "objective": ObjectiveAnswer, "method": MethodAnswer,
    "metric": MetricAnswer, "results": ResultsAnswer, "limitation": LimitationAnswer,
    "part": PartAnswer}


class DraftAnswer(_Answer):
    """Every field at once, as a capable endpoint answers; no section (the selection's)."""

    keypoints: list[str] = Field(min_length=3, max_length=6, description=(
        "3 to 5 short noun phrases of 1 to 4 words naming the paper's key ideas; not the title"))
    objective: str = Field(min_length=20, description=(
        "One sentence, third person: the problem and what the paper sets out to achieve"))
    method: list[str] = Field(min_length=1, max_length=6, description=(
        "2 to 4 bullet points, each one sentence on how the method works (not the motivation)"))
    metric: str | None = Field(default=None, description=(
        "The benchmarks and the headline numbers from the abstract and conclusion, each number "
        "next to what it measures; null when the paper reports no evaluation"))
    results: str | None = Field(default=None, description=(
        "The main finding in one sentence when the paper has no numbers to report, else null"))
    limitation: str | None = Field(default=None, description=(
        "A limitation the paper states about its own work, in one sentence; null when it "
        "states none"))

    _clean_keypoints = field_validator("keypoints")(_phrases)
    _clean_method = field_validator("method")(_bullets)

    @field_validator("metric", "results", "limitation")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None


def strict_schema(model: type[BaseModel], sections: list[str] | None = None) -> dict[str, Any]:
    """The JSON schema sent to an endpoint: inlined, every key required, no extra keys, and
    the digest's sections enumerated (for `Summary`, which has one)."""
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


# Kana, CJK ideographs, Hangul and full-width forms: what a small model strays into in English.
CJK_CHARACTERS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff01-\uff5e"
NOT_IN_PATTERN_STRINGS = r"\\\x00-\x1f"  # a backslash and control characters, as regex escapes
CJK_LANGUAGES = ("chinese", "japanese", "korean", "中文", "日本語", "한국어")
# Other scripts a small model strays into (Hebrew and Arabic, Indic, Thai and Lao, Hangul
# jamo), left out of an English answer's grammar besides CJK.
OTHER_SCRIPTS = "\u0590-\u08ff\u0900-\u0dff\u0e00-\u0eff\u1100-\u11ff"

# The longest answer the local model's grammar lets through, per field: generous, so that a
# sentence ends where the model ends it (a 1.5B model does not plan for a character limit; a
# tight one cut its sentences mid-word). The output token caps in `passes` stop a loop.
LOCAL_LIMITS = {"keypoint": 60, "objective": 450, "method": 320, "metric": 520, "results": 380,
                "limitation": 320, "part": 320}
KEYPOINT_WORDS = 4  # the grammar's longest keypoint, in words (the editors': 1 to 4)


def writes_cjk(language: str) -> bool:
    return any(name in language.casefold() for name in CJK_LANGUAGES)


def _sentence(least: int, most: int, banned: str, *, one: bool = True, opening: str = ""
              ) -> dict[str, Any]:
    """A string that starts with a capital or digit (or with `opening` and a space) and ends
    with a full stop; with `one`, a single sentence: a full stop inside it must not be
    followed by a space (3.5 and e.g. pass), so the model ends its answer where it ends its
    sentence."""
    start = f"{opening} " if opening else "[A-Z0-9]"
    if not one:
        return {"type": "string", "pattern": f'^{start}[^"{banned}]{{{least},{most}}}[.]$'}
    return {"type": "string",  # after a full stop only a digit: '3.5' (a '.json' token ended
            # sentences when any character could follow)
            "pattern": f'^{start}([^".{banned}]|[.][0-9]){{{least},{most}}}[.]$'}


def _banned(language: str) -> str:
    """What the local grammar keeps out of prose in `language` (`local_schema`)."""
    banned = NOT_IN_PATTERN_STRINGS + ("" if writes_cjk(language) else CJK_CHARACTERS)
    return banned + (OTHER_SCRIPTS if language.casefold().startswith("english") else "")


def local_schema(field: str, *, language: str = "English") -> dict[str, Any]:
    """The schema of one field's answer for the local model, with what its grammar enforces.

    The prose leaves out quotes, backslashes and control characters (with a pattern llama.cpp
    writes no JSON escapes itself; the model writes single quotes instead) and, unless the
    language is Chinese, Japanese or Korean, CJK characters, which a small model otherwise
    strays into now and then. Prose ends with a full stop; keypoints are 1 to 4 words.
    """
    banned = _banned(language)
    schema = strict_schema(FIELD_ANSWERS[field])
    prop = schema["properties"][field]
    if field == "keypoints" and writes_cjk(language):
        prop["items"] = {"type": "string", "maxLength": 30}
        prop.update(minItems=3, maxItems=5)
    elif field == "keypoints":
        word = f'[^ "{banned}]+'
        first = f'[^ "{banned}a-z]'  # a phrase starts with a capital, digit or symbol
        prop["items"] = {"type": "string", "pattern": (
            f"^{first}[^ \"{banned}]*( {word}){{0,{KEYPOINT_WORDS - 1}}}$")}
        prop.update(minItems=3, maxItems=5)
    elif field == "method":
        prop["items"] = ({"type": "string", "maxLength": LOCAL_LIMITS["method"]}
                         if writes_cjk(language) else _sentence(10, LOCAL_LIMITS["method"], banned))
        prop.update(minItems=2, maxItems=4)
    elif writes_cjk(language):
        schema["properties"][field] = {"type": "string", "maxLength": LOCAL_LIMITS[field]}
    else:  # the Metric may take two sentences; the rest one
        schema["properties"][field] = _sentence(15, LOCAL_LIMITS[field], banned,
                                                one=field != "metric")
    return schema


def part_schema(opening: str, *, language: str = "English") -> dict[str, Any]:
    """The local schema of one Method bullet that starts with `opening` (the part's name,
    'Multi-head latent attention'), so that a small model says what the part does rather than
    what the question or the paper is about; an opening with a character a grammar pattern
    would have to escape ('(', '.', '*', a quote) or of more than 100 characters is not
    enforced."""
    schema = local_schema("part", language=language)
    if writes_cjk(language) or not re.fullmatch(r"[A-Za-z][^\\^$.|?*+()\[\]{}\"]{0,99}",
                                                  opening):
        return schema
    schema["properties"]["part"] = _sentence(10, LOCAL_LIMITS["part"] - len(opening),
                                             _banned(language), opening=opening)
    return schema


def summary_schema(sections: list[str]) -> dict[str, Any]:
    return strict_schema(Summary, sections)
