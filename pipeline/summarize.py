"""Prompts a chat-completions endpoint for a paper's summary and validates the answer.

Endpoints differ in the structured output they accept, so `ChatModel` asks for a strict
`json_schema` first, then `json_object` (with and without a schema), then plain text with the
JSON cut out of it, and remembers what worked. The openai client retries 429/5xx and timeouts
itself; tenacity only re-asks when an answer is unusable, telling the model what was wrong.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
from openai.types.chat import ChatCompletion
from pydantic import ValidationError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_none

from .config import Config, ModelSettings
from .errors import ConfigError, SummarizeError
from .models import Draft, Summary, Usage, summary_schema
from .templates import render, version_of

log = logging.getLogger(__name__)

FORMATS = ("json_schema", "json_object_schema", "json_object", "text")
PROMPT_NAME = "summarize"
PROMPT_TEMPLATES = ("summarize_system.j2", "summarize_user.j2", "repair.j2")
_FENCE = re.compile(r"^\s*```(?:json|JSON)?\s*\n?|\n?\s*```\s*$")
_ANSWER_ECHO_CHARS = 4000


@dataclass(frozen=True)
class SectionChoice:
    """A digest section as the model sees it: the name and what belongs there."""

    name: str
    hint: str = ""


@dataclass(frozen=True)
class SummaryRequest:
    """Everything the prompt needs about one paper."""

    title: str
    text: str
    sections: tuple[SectionChoice, ...]
    paper_id: str | None = None
    language: str = "English"
    suggested_section: str | None = None  # the topic whose keywords found the paper

    @property
    def section_names(self) -> list[str]:
        return [s.name for s in self.sections]


def section_choices(config: Config) -> tuple[SectionChoice, ...]:
    return tuple(SectionChoice(t.name, ", ".join(t.include[:4])) for t in config.topics)


class InvalidAnswerError(Exception):
    """The endpoint answered, but not with a usable summary; worth asking again."""


def parse_summary(content: str | None, sections: list[str]) -> Summary:
    """The summary inside an answer: fences stripped, the outermost JSON object validated."""
    if not content or not content.strip():
        raise InvalidAnswerError("the answer was empty")
    text = _FENCE.sub("", content.strip())
    start, end = text.find("{"), text.rfind("}")
    if start == -1 or end <= start:
        raise InvalidAnswerError("the answer holds no JSON object")
    try:
        data = json.loads(text[start:end + 1])
    except json.JSONDecodeError as exc:
        raise InvalidAnswerError(f"the JSON is malformed: {exc.msg} (char {exc.pos})") from exc
    if not isinstance(data, dict):
        raise InvalidAnswerError("the answer is not a JSON object")
    try:
        return Summary.model_validate(data, context={"sections": sections})
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: "
                    f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors()[:5]]
        raise InvalidAnswerError("; ".join(problems)) from exc


def prompt_version(root: Path | None = None) -> str:
    """Recorded with each draft; a cached draft from another prompt version is stale."""
    return version_of(PROMPT_TEMPLATES, root)


def _response_format(fmt: str, schema: dict[str, Any]) -> dict[str, Any] | None:
    if fmt == "json_schema":
        return {"type": "json_schema",
                "json_schema": {"name": "paper_summary", "strict": True, "schema": schema}}
    if fmt == "json_object_schema":
        return {"type": "json_object", "schema": schema}
    if fmt == "json_object":
        return {"type": "json_object"}
    return None


class ChatModel:
    """One OpenAI-compatible endpoint; safe to share between threads."""

    def __init__(
        self,
        settings: ModelSettings,
        *,
        base_url: str | None,
        api_key: str,
        root: Path | None = None,
        known_format: str | None = None,
        http_client: Any = None,
        local: bool = False,
    ) -> None:
        self.settings = settings
        self.local = local
        self.root = root
        self.endpoint = base_url or "https://api.openai.com/v1"
        self.client = openai.OpenAI(
            base_url=base_url,
            api_key=api_key,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
            http_client=http_client,
        )
        self._format = known_format if known_format in FORMATS else None
        self._lock = threading.Lock()
        self.calls = 0

    @property
    def learned_format(self) -> str | None:
        """The response format this endpoint accepted, to remember for the next run."""
        return self._format

    def close(self) -> None:
        self.client.close()

    def summarize(self, request: SummaryRequest) -> Draft:
        started = time.monotonic()
        schema = summary_schema(request.section_names)
        followups: list[dict[str, str]] = []
        totals = {"prompt": 0, "completion": 0, "attempts": 0}
        label = request.paper_id or request.title[:60]
        fmt_used = ""

        retrying = Retrying(
            retry=retry_if_exception_type(InvalidAnswerError),
            stop=stop_after_attempt(1 + self.settings.repair_attempts),
            wait=wait_none(),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    totals["attempts"] += 1
                    content, finish, fmt_used = self._complete(
                        request, schema, followups, totals)
                    try:
                        if finish == "length":
                            raise InvalidAnswerError(
                                "the answer was cut off at the output limit; be more concise")
                        summary = parse_summary(content, request.section_names)
                    except InvalidAnswerError as exc:
                        log.info("%s: unusable answer (%s); asking again", label, exc)
                        repair = render("repair.j2", self.root, error=str(exc))
                        followups += [
                            {"role": "assistant", "content": (content or "")[:_ANSWER_ECHO_CHARS]},
                            {"role": "user", "content": repair.text},
                        ]
                        raise
        except InvalidAnswerError as exc:
            raise SummarizeError(
                f"the model gave no valid summary in {totals['attempts']} attempts: {exc}",
                paper_id=request.paper_id) from exc
        usage = Usage(
            model=self.settings.name,
            prompt=PROMPT_NAME,
            prompt_version=prompt_version(self.root),
            prompt_tokens=totals["prompt"],
            completion_tokens=totals["completion"],
            latency_s=round(time.monotonic() - started, 3),
            response_format=fmt_used,
            attempts=totals["attempts"],
        )
        log.info("%s: summarized in %.1f s, %d+%d tokens, %s", label, usage.latency_s,
                 usage.prompt_tokens, usage.completion_tokens, fmt_used)
        return Draft(summary=summary, usage=usage)

    def _complete(
        self,
        request: SummaryRequest,
        schema: dict[str, Any],
        followups: list[dict[str, str]],
        totals: dict[str, int],
    ) -> tuple[str | None, str | None, str]:
        """One answer, degrading the response format until the endpoint accepts one."""
        with self._lock:
            learned = self._format
        candidates = [learned] if learned else list(FORMATS)
        first_error: openai.APIStatusError | None = None
        for fmt in candidates:
            system = render("summarize_system.j2", self.root, language=request.language,
                            sections=request.sections, schema_enforced=fmt != "text")
            user = render("summarize_user.j2", self.root, title=request.title,
                          paper_id=request.paper_id, text=request.text,
                          suggested_section=request.suggested_section)
            messages = [{"role": "system", "content": system.text},
                        {"role": "user", "content": user.text}, *followups]
            kwargs: dict[str, Any] = {}
            response_format = _response_format(fmt, schema)
            if response_format:
                kwargs["response_format"] = response_format
            try:
                self.calls += 1
                response = self.client.chat.completions.create(
                    model=self.settings.name,
                    messages=messages,  # type: ignore[arg-type]
                    temperature=self.settings.temperature,
                    max_tokens=self.settings.max_output_tokens,
                    **kwargs,
                )
            except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
                if learned:
                    raise SummarizeError(f"the endpoint rejected the request: {_message(exc)}",
                                         paper_id=request.paper_id) from exc
                first_error = first_error or exc
                log.info("%s: endpoint rejected response_format %s (%s)", self.endpoint, fmt,
                         _message(exc))
                continue
            except openai.APIError as exc:
                raise self._wrap(exc, request.paper_id) from exc
            if not isinstance(response, ChatCompletion):  # a 200 whose body is not JSON
                raise SummarizeError(f"the model endpoint answered with something that is not "
                                     f"a chat completion: {str(response)[:80]!r}",
                                     paper_id=request.paper_id)
            if not learned:
                with self._lock:
                    self._format = fmt
                log.info("%s accepts response_format %s", self.endpoint, fmt)
            if response.usage:
                totals["prompt"] += response.usage.prompt_tokens or 0
                totals["completion"] += response.usage.completion_tokens or 0
            if not response.choices:
                return None, None, fmt
            choice = response.choices[0]
            return choice.message.content, choice.finish_reason, fmt
        assert first_error is not None
        raise SummarizeError(f"the endpoint rejected every response format: "
                             f"{_message(first_error)}", paper_id=request.paper_id)

    def _wrap(self, exc: openai.APIError, paper_id: str | None) -> Exception:
        where = self.endpoint
        if isinstance(exc, openai.AuthenticationError):
            return ConfigError(f"the model endpoint {where} refused the API key (HTTP 401); "
                               f"check ${self.settings.api_key_env}")
        if isinstance(exc, openai.NotFoundError):
            return ConfigError(f"the model endpoint {where} has no model "
                               f"{self.settings.name!r} (HTTP 404); check model.name and "
                               "model.base_url")
        if isinstance(exc, openai.APITimeoutError):
            return SummarizeError(f"the model did not answer within {self.settings.timeout:g} s",
                                  paper_id=paper_id)
        if isinstance(exc, openai.APIConnectionError):
            return SummarizeError(f"cannot reach the model endpoint {where}", paper_id=paper_id)
        if isinstance(exc, openai.APIStatusError):
            return SummarizeError(f"the model endpoint answered HTTP {exc.status_code}: "
                                  f"{_message(exc)}", paper_id=paper_id)
        return SummarizeError(f"the model endpoint gave an unreadable answer: {exc}",
                              paper_id=paper_id)


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:300]
        if isinstance(inner, str):
            return inner[:300]
    return str(exc.message)[:300]


def api_key_for(settings: ModelSettings) -> str | None:
    return os.environ.get(settings.api_key_env) or None
