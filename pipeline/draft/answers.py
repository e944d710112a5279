"""The object inside a model's answer, however the endpoint wrapped it.

Servers and models answer differently: reasoning first (`<think>…</think>`, with braces in
it), JSON in a fence with prose after it (with a `}` in the prose), LaTeX in the strings
(`\\frac` is a form feed and "rac" to a JSON parser, `\\beta` a backspace). So the reasoning is
stripped, escapes that only make sense as LaTeX are repaired first, and the first balanced JSON
object that validates is taken. Control characters that still come through are kept for the
checks to flag (`checks` via `trust`), never dropped silently.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

T = TypeVar("T", bound=BaseModel)

_REASONING = re.compile(r"<(think|thinking|reasoning)>.*?</\1>", re.S | re.I)
_OPEN_REASONING = re.compile(r"^\s*<(think|thinking|reasoning)>", re.I)
_CLOSE_REASONING = re.compile(r"</(?:think|thinking|reasoning)>", re.I)
_ESCAPE = re.compile(r"\\(\\|u[0-9a-fA-F]{4}|[A-Za-z]+|.)", re.S)
# LaTeX commands that begin with a letter JSON reads as an escape (\b \f \n \r \t): written
# by a model inside a JSON string with one backslash, they must stay LaTeX.
LATEX_COMMANDS = frozenset("""
    backslash bar begin beta big bigcap bigcup bigg bigl bigoplus bigotimes bigr binom bm
    bmod boldsymbol bot boxed breve bullet
    fbox flat footnote forall frac frown
    nabla ne nearrow neg neq newline ni nmid noindent nolimits not nparallel nsubseteq nu
    rangle rbrace rbrack rceil rfloor rho right rightarrow rightleftharpoons rm rtimes rvert
    tan tanh tau text textbf textit textrm textsc textsf textstyle texttt tfrac therefore theta
    tilde times tiny to top triangle triangleq tt
""".split())
_SHAPE_ERRORS = ("missing", "model_type", "model_attributes_type", "dict_type", "list_type",
                 "string_type", "int_type", "extra_forbidden")
_WORDS_SHOWN = 160


class InvalidAnswerError(Exception):
    """The endpoint answered, but not with a usable object; worth asking again.

    `shape`: the answer was not JSON, or JSON of another shape (missing fields, wrong types),
    which under a format that claims to enforce the schema means it does not."""

    def __init__(self, message: str, *, shape: bool = False) -> None:
        super().__init__(message)
        self.shape = shape


def strip_reasoning(content: str) -> str:
    """The answer without reasoning blocks; "" when it is all reasoning (cut off inside)."""
    text = _REASONING.sub("", content)
    closing = list(_CLOSE_REASONING.finditer(text))
    if closing:  # the opening tag was in the prompt's template, only the end is here
        text = text[closing[-1].end():]
    if _OPEN_REASONING.match(text):
        return ""
    return text


def repair_escapes(text: str) -> str:
    """Backslashes a JSON parser would misread doubled: LaTeX commands that start like an
    escape (\\frac, \\times, \\beta, \\nabla, \\rho), \\u without four hex digits, and escapes
    JSON does not have (\\alpha, \\%, \\_). Valid escapes (\\n, \\", \\\\, \\u00e9) stay."""

    def fix(match: re.Match[str]) -> str:
        escape = match.group(1)
        if escape in ('"', "\\", "/") or re.fullmatch(r"u[0-9a-fA-F]{4}", escape):
            return match.group(0)
        if escape[0] in "bfnrt" and escape not in LATEX_COMMANDS:
            return match.group(0)  # \n, \t, or a newline before a word: JSON's own
        return "\\\\" + escape

    return _ESCAPE.sub(fix, text)


def parse_answer(content: str | None, answer_type: type[T],
                 context: dict[str, Any] | None = None) -> T:
    """The first JSON object in the answer that validates as `answer_type`.

    Raises InvalidAnswerError saying what was wrong: empty, only reasoning, no JSON (with the
    model's own words), malformed JSON, or the first object's validation errors."""
    if not content or not content.strip():
        raise InvalidAnswerError("the answer was empty", shape=True)
    text = strip_reasoning(content)
    if not text.strip():
        raise InvalidAnswerError("the answer holds only reasoning, no JSON object", shape=True)
    text = repair_escapes(text)
    decoder = json.JSONDecoder(strict=False)  # raw control characters are flagged later
    first_error: InvalidAnswerError | None = None
    for match in re.finditer(r"\{", text):
        try:
            data, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError as exc:
            first_error = first_error or InvalidAnswerError(
                f"the JSON is malformed: {exc.msg} (char {exc.pos})", shape=True)
            continue
        if not isinstance(data, dict):
            continue
        try:
            return answer_type.model_validate(data, context=context)
        except ValidationError as exc:
            if first_error is None or first_error.shape and "malformed" in str(first_error):
                first_error = _invalid(exc)
    if first_error is not None:
        raise first_error
    raise InvalidAnswerError(f"the answer holds no JSON object: \"{_shown(text)}\"", shape=True)


def _invalid(exc: ValidationError) -> InvalidAnswerError:
    errors = exc.errors()
    problems = [f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: "
                f"{e['msg'].removeprefix('Value error, ')}" for e in errors[:5]]
    shape = any(e["type"] in _SHAPE_ERRORS for e in errors)
    return InvalidAnswerError("; ".join(problems), shape=shape)


def _shown(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _WORDS_SHOWN else text[:_WORDS_SHOWN - 1] + "…"
