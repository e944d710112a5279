"""One OpenAI-compatible endpoint: asks for JSON, validates it, asks again when it is unusable.

Endpoints differ in the structured output they accept, so `ChatModel` asks for a strict
`json_schema` first, then `json_object` (with and without a schema), then plain text with the
JSON cut out of it, and remembers what worked. The openai client retries 429/5xx and timeouts
itself; tenacity only re-asks when an answer is unusable, telling the model what was wrong.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import openai
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_none

from ..config import ModelSettings
from ..errors import ConfigError, SummarizeError, UnusableAnswerError
from .templates import render

log = logging.getLogger(__name__)

OPENAI_BASE_URL = "https://api.openai.com/v1"  # where the openai client goes without a base_url
FORMATS = ("json_schema", "json_object_schema", "json_object", "text")
ENFORCED = ("json_schema", "json_object_schema")  # the endpoint itself holds the answer to it
_FENCE = re.compile(r"^\s*```(?:json|JSON)?\s*\n?|\n?\s*```\s*$")
_ANSWER_ECHO_CHARS = 4000

T = TypeVar("T", bound=BaseModel)
Messages = list[dict[str, str]]
MessageBuilder = Callable[[bool], Messages]  # schema enforced by the endpoint? -> messages


class InvalidAnswerError(Exception):
    """The endpoint answered, but not with a usable object; worth asking again."""


@dataclass
class Tally:
    """What the calls for one paper cost, across passes and repairs."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    attempts: int = 0
    response_format: str = ""


def parse_answer(content: str | None, answer_type: type[T],
                 context: dict[str, Any] | None = None) -> T:
    """The object inside an answer: fences stripped, the outermost JSON object validated."""
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
        return answer_type.model_validate(data, context=context)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: "
                    f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors()[:5]]
        raise InvalidAnswerError("; ".join(problems)) from exc


def response_format(fmt: str, schema: dict[str, Any], name: str) -> dict[str, Any] | None:
    if fmt == "json_schema":
        return {"type": "json_schema",
                "json_schema": {"name": name, "strict": True, "schema": schema}}
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
        self.endpoint = base_url or OPENAI_BASE_URL
        self.client = openai.OpenAI(
            base_url=base_url,
            api_key=api_key,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
            http_client=http_client,
        )
        self._format = known_format if known_format in FORMATS else None
        self._lock = threading.Lock()
        self._calls = 0

    @property
    def learned_format(self) -> str | None:
        """The response format this endpoint accepted, to remember for the next run."""
        return self._format

    @property
    def calls(self) -> int:
        with self._lock:
            return self._calls

    def close(self) -> None:
        self.client.close()

    def ask(
        self,
        build: MessageBuilder,
        answer_type: type[T],
        schema: dict[str, Any],
        *,
        tally: Tally,
        paper_id: str | None,
        context: dict[str, Any] | None = None,
        name: str = "answer",
        max_tokens: int | None = None,
        repairs: int | None = None,
    ) -> tuple[T, str]:
        """A validated answer and its raw text; unusable answers are asked again (`repairs`
        times, default model.repair_attempts)."""
        followups: Messages = []
        repairs = self.settings.repair_attempts if repairs is None else repairs
        limit = min(max_tokens or self.settings.max_output_tokens,
                    self.settings.max_output_tokens)
        retrying = Retrying(
            retry=retry_if_exception_type(InvalidAnswerError),
            stop=stop_after_attempt(1 + repairs),
            wait=wait_none(),
            reraise=True,
        )
        attempts = 0
        try:
            for attempt in retrying:
                with attempt:
                    attempts += 1
                    tally.attempts += 1
                    content, finish = self._complete(build, followups, schema, name, tally,
                                                     paper_id, limit)
                    try:
                        if finish == "length":
                            raise InvalidAnswerError(
                                "the answer was cut off at the output limit; be more concise")
                        return parse_answer(content, answer_type, context), content or ""
                    except InvalidAnswerError as exc:
                        log.info("%s: unusable answer (%s); asking again", paper_id or "paper",
                                 exc)
                        repair = render("repair.j2", self.root, error=str(exc))
                        followups += [
                            {"role": "assistant", "content": (content or "")[:_ANSWER_ECHO_CHARS]},
                            {"role": "user", "content": repair.text},
                        ]
                        raise
        except InvalidAnswerError as exc:
            raise UnusableAnswerError(f"the model gave no valid {name.replace('_', ' ')} in "
                                      f"{attempts} attempts: {exc}", paper_id=paper_id) from exc
        raise AssertionError("unreachable")

    def _complete(
        self,
        build: MessageBuilder,
        followups: Messages,
        schema: dict[str, Any],
        name: str,
        tally: Tally,
        paper_id: str | None,
        max_tokens: int,
    ) -> tuple[str | None, str | None]:
        """One answer, degrading the response format until the endpoint accepts one."""
        with self._lock:
            learned = self._format
        candidates = [learned] if learned else list(FORMATS)
        first_error: openai.APIStatusError | None = None
        for fmt in candidates:
            messages = [*build(fmt in ENFORCED), *followups]
            kwargs: dict[str, Any] = {}
            wanted = response_format(fmt, schema, name)
            if wanted:
                kwargs["response_format"] = wanted
            try:
                with self._lock:
                    self._calls += 1
                tally.calls += 1
                response = self.client.chat.completions.create(
                    model=self.settings.name,
                    messages=messages,  # type: ignore[arg-type]
                    temperature=self.settings.temperature,
                    max_tokens=max_tokens,
                    **kwargs,
                )
            except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
                if learned:
                    raise SummarizeError(f"the endpoint rejected the request: {_message(exc)}",
                                         paper_id=paper_id) from exc
                first_error = first_error or exc
                log.info("%s: endpoint rejected response_format %s (%s)", self.endpoint, fmt,
                         _message(exc))
                continue
            except openai.APIError as exc:
                raise self._wrap(exc, paper_id) from exc
            if not isinstance(response, ChatCompletion):  # a 200 whose body is not JSON
                raise SummarizeError(f"the model endpoint answered with something that is not "
                                     f"a chat completion: {str(response)[:80]!r}",
                                     paper_id=paper_id)
            if not learned:
                with self._lock:
                    self._format = fmt
                log.info("%s accepts response_format %s", self.endpoint, fmt)
            tally.response_format = fmt
            _log_timings(name, response)
            if response.usage:
                tally.prompt_tokens += response.usage.prompt_tokens or 0
                tally.completion_tokens += response.usage.completion_tokens or 0
            if not response.choices:
                return None, None
            choice = response.choices[0]
            return choice.message.content, choice.finish_reason
        assert first_error is not None
        raise SummarizeError(f"the endpoint rejected every response format: "
                             f"{_message(first_error)}", paper_id=paper_id)

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


def _log_timings(name: str, response: ChatCompletion) -> None:
    """llama.cpp reports where the time went; worth having in the log on a CPU."""
    timings = (response.model_extra or {}).get("timings")
    if isinstance(timings, dict) and timings.get("predicted_ms") is not None:
        log.info("%s: prompt %s tokens in %.1f s (%s cached), %s generated in %.1f s", name,
                 timings.get("prompt_n"), (timings.get("prompt_ms") or 0) / 1000,
                 timings.get("cache_n", "?"), timings.get("predicted_n"),
                 (timings.get("predicted_ms") or 0) / 1000)


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:300]
        if isinstance(inner, str):
            return inner[:300]
    return str(exc.message)[:300]
