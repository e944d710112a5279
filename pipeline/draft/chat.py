"""One OpenAI-compatible endpoint: asks for JSON, validates it, asks again when it is unusable.

Endpoints differ in the structured output they accept, so `ChatModel` asks for a strict
`json_schema` first, then `json_object` (with and without a schema), then plain text with the
JSON cut out of it (`answers`), and remembers what worked. A format is given up on any error
the endpoint gives for it (a 4xx or 5xx that names it), and on an answer that is not JSON of
the asked shape under a format that claims to enforce it; from then on the prompt shows the
shape itself. There is one retry layer, here (the openai client's own is switched off): 429,
5xx, timeouts and refused connections are tried `model.max_retries` more times, after their
Retry-After (an endpoint that asks for more than `model.max_retry_after` is unavailable at
once); past that the endpoint is unavailable (`EndpointUnavailableError`, exit code 4).
tenacity re-asks only when an answer is unusable, telling the model what was wrong. The API
key, and anything that looks like a credential, is redacted from every message.
"""

from __future__ import annotations

import email.utils
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import openai
from openai.types.chat import ChatCompletion
from pydantic import BaseModel
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_none

from ..config import ModelSettings
from ..errors import (
    ConfigError,
    EndpointUnavailableError,
    SummarizeError,
    UnusableAnswerError,
    redact,
    register_secret,
)
from .answers import InvalidAnswerError, parse_answer
from .templates import render

log = logging.getLogger(__name__)

OPENAI_BASE_URL = "https://api.openai.com/v1"  # where the openai client goes without a base_url
FORMATS = ("json_schema", "json_object_schema", "json_object", "text")
ENFORCED = ("json_schema", "json_object_schema")  # the endpoint itself holds the answer to it
UNENFORCED = "json_object"  # where an endpoint that does not enforce a schema goes
RETRY_STATUSES = (408, 409, 429)  # and every 5xx
_NAMES_FORMAT = re.compile(r"response[_ ]?format|json[_ ]?schema|json[_ ]?object|\bschema\b|"
                           r"grammar|structured[_ ]output|guided", re.I)
_ANSWER_ECHO_CHARS = 4000

T = TypeVar("T", bound=BaseModel)
Messages = list[dict[str, str]]
MessageBuilder = Callable[[bool], Messages]  # schema enforced by the endpoint? -> messages


@dataclass
class Tally:
    """What the calls for one paper cost, across passes and repairs."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    attempts: int = 0
    response_format: str = ""


def response_format(fmt: str, schema: dict[str, Any], name: str) -> dict[str, Any] | None:
    if fmt == "json_schema":
        return {"type": "json_schema",
                "json_schema": {"name": name, "strict": True, "schema": schema}}
    if fmt == "json_object_schema":
        return {"type": "json_object", "schema": schema}
    if fmt == "json_object":
        return {"type": "json_object"}
    return None


class _FormatRejected(Exception):
    """The endpoint refused the request's response_format."""

    def __init__(self, error: openai.APIStatusError, message: str) -> None:
        super().__init__(message)
        self.error = error
        self.message = message


def shown_url(url: str) -> str:
    """`url` without its user and password (`http://user:key@host/v1` -> `http://host/v1`),
    for messages, the log and the state database; the password is also registered as a
    secret, so that an error echoing the whole URL is redacted."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    if parts.password:
        register_secret(parts.password)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


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
        self.endpoint = shown_url(base_url or OPENAI_BASE_URL)  # what messages and the log say
        register_secret(api_key)
        self.client = openai.OpenAI(
            base_url=base_url,
            api_key=api_key,
            timeout=settings.timeout,
            max_retries=0,  # the one retry layer is `_send`
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
        times, default model.repair_attempts). Raises UnusableAnswerError (also at once for
        a refusal, with the model's words), EndpointUnavailableError, SummarizeError,
        ConfigError."""
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
                    message, finish, fmt = self._complete(build, followups, schema, name,
                                                          tally, paper_id, limit)
                    content = message.content if message is not None else None
                    refusal = getattr(message, "refusal", None) if message is not None else None
                    if refusal:
                        raise UnusableAnswerError(f"the model refused: \"{redact(refusal)}\"",
                                                  paper_id=paper_id)
                    try:
                        if finish == "length":
                            raise InvalidAnswerError(
                                "the answer was cut off at the output limit; be more concise")
                        if not (content or "").strip() and _reasoning(message):
                            raise InvalidAnswerError("the answer holds only reasoning "
                                                     "(reasoning_content), no JSON object")
                        return parse_answer(content, answer_type, context), content or ""
                    except InvalidAnswerError as exc:
                        log.info("%s: unusable answer (%s); asking again", paper_id or "paper",
                                 redact(str(exc)))
                        if fmt in ENFORCED and exc.shape and finish != "length":
                            self._not_enforced(fmt)
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

    def _not_enforced(self, fmt: str) -> None:
        """The endpoint took `fmt` but answered outside the schema: it does not enforce it,
        so from now on the prompt shows the shape (json_object keeps the answer JSON)."""
        with self._lock:
            if self._format in (None, *ENFORCED):
                self._format = UNENFORCED
        log.warning("%s accepted response_format %s but does not hold answers to the schema; "
                    "asking with %s and the shape in the prompt", self.endpoint, fmt, UNENFORCED)

    def _complete(
        self,
        build: MessageBuilder,
        followups: Messages,
        schema: dict[str, Any],
        name: str,
        tally: Tally,
        paper_id: str | None,
        max_tokens: int,
    ) -> tuple[Any, str | None, str]:
        """One answer (message, finish reason, format), degrading the response format until
        the endpoint accepts one."""
        with self._lock:
            learned = self._format
        candidates = list(FORMATS[FORMATS.index(learned):] if learned else FORMATS)
        first_error: _FormatRejected | None = None
        for fmt in candidates:
            messages = [*build(fmt in ENFORCED), *followups]
            kwargs: dict[str, Any] = {
                "model": self.settings.name, "messages": messages,
                "temperature": self.settings.temperature, "max_tokens": max_tokens}
            wanted = response_format(fmt, schema, name)
            if wanted:
                kwargs["response_format"] = wanted
            try:
                response = self._send(kwargs, tally, paper_id, lenient=not learned)
            except _FormatRejected as exc:
                first_error = first_error or exc
                log.info("%s: endpoint rejected response_format %s (%s)", self.endpoint, fmt,
                         exc.message)
                continue
            if not isinstance(response, ChatCompletion):  # a 200 whose body is not JSON
                raise SummarizeError(f"the model endpoint answered with something that is not "
                                     f"a chat completion: {str(response)[:80]!r}",
                                     paper_id=paper_id)
            if fmt != learned:
                with self._lock:
                    self._format = fmt
                log.info("%s accepts response_format %s", self.endpoint, fmt)
            tally.response_format = fmt
            _log_timings(name, response)
            if response.usage:
                tally.prompt_tokens += response.usage.prompt_tokens or 0
                tally.completion_tokens += response.usage.completion_tokens or 0
            if not response.choices:
                return None, None, fmt
            choice = response.choices[0]
            return choice.message, choice.finish_reason, fmt
        assert first_error is not None
        raise SummarizeError(f"the endpoint rejected every response format: "
                             f"{first_error.message}", paper_id=paper_id)

    def _send(self, kwargs: dict[str, Any], tally: Tally, paper_id: str | None, *,
              lenient: bool) -> Any:
        """One completion, retried on 408/409/429/5xx, timeouts and refused connections.

        `lenient`: any 400/422 to a request with a response_format counts as a rejection of
        the format (while probing formats); otherwise only an error that names it does."""
        attempts = self.settings.max_retries + 1
        with self._lock:
            self._calls += 1  # requests, not their transport retries
        tally.calls += 1
        for attempt in range(1, attempts + 1):
            wait: float | None = None
            try:
                return self.client.chat.completions.create(**kwargs)
            except openai.APIStatusError as exc:
                message = _message(exc)
                status = exc.status_code
                if _NAMES_FORMAT.search(message) or (
                        lenient and "response_format" in kwargs and status in (400, 422)):
                    raise _FormatRejected(exc, message) from exc
                if status not in RETRY_STATUSES and status < 500:
                    raise self._wrap(exc, paper_id) from exc
                wait = _retry_after(exc)
                if wait is not None and wait > self.settings.max_retry_after:
                    raise EndpointUnavailableError(
                        f"the model endpoint {self.endpoint} answered HTTP {status} and asks to "
                        f"wait {wait:g} s (Retry-After), more than model.max_retry_after "
                        f"({self.settings.max_retry_after:g} s): {message}",
                        paper_id=paper_id) from exc
                failure: openai.APIError = exc
            except (openai.APITimeoutError, openai.APIConnectionError) as exc:
                failure = exc
            except openai.APIError as exc:
                raise self._wrap(exc, paper_id) from exc
            if attempt == attempts:
                raise self._unavailable(failure, attempts, paper_id) from failure
            delay = wait if wait is not None else min(8.0, 0.5 * 2 ** (attempt - 1))
            log.info("%s: %s; trying again in %.1f s", self.endpoint,
                     self._unavailable(failure, attempt, paper_id).message, delay)
            time.sleep(delay)
        raise AssertionError("unreachable")

    def _unavailable(self, exc: openai.APIError, attempts: int,
                     paper_id: str | None) -> EndpointUnavailableError:
        times = f"{attempts} time{'s' if attempts > 1 else ''}"
        if isinstance(exc, openai.APITimeoutError):
            text = (f"the model endpoint {self.endpoint} did not answer within "
                    f"{self.settings.timeout:g} s (model.timeout), {times}")
        elif isinstance(exc, openai.APIConnectionError):
            text = f"cannot reach the model endpoint {self.endpoint} ({times})"
        elif isinstance(exc, openai.APIStatusError):
            text = (f"the model endpoint {self.endpoint} answered HTTP {exc.status_code} "
                    f"{times}: {_message(exc)}")
        else:
            text = f"the model endpoint {self.endpoint} failed: {exc}"
        return EndpointUnavailableError(text, paper_id=paper_id)

    def _wrap(self, exc: openai.APIError, paper_id: str | None) -> Exception:
        where = self.endpoint
        if isinstance(exc, openai.AuthenticationError):
            return ConfigError(f"the model endpoint {where} refused the API key (HTTP 401); "
                               f"check ${self.settings.api_key_env}")
        if isinstance(exc, openai.NotFoundError):
            return ConfigError(f"the model endpoint {where} has no model "
                               f"{self.settings.name!r} (HTTP 404); check model.name and "
                               "model.base_url")
        if isinstance(exc, openai.APIStatusError):
            return SummarizeError(f"the model endpoint rejected the request (HTTP "
                                  f"{exc.status_code}): {_message(exc)}", paper_id=paper_id)
        return SummarizeError(f"the model endpoint gave an unreadable answer: {exc}",
                              paper_id=paper_id)


def _reasoning(message: Any) -> bool:
    """The message carries reasoning in a field of its own (vLLM, DeepSeek, llama.cpp)."""
    extra = getattr(message, "model_extra", None) or {}
    return bool(extra.get("reasoning_content") or extra.get("reasoning"))


def _retry_after(exc: openai.APIStatusError) -> float | None:
    """Seconds the endpoint asks to wait, from Retry-After (seconds or an HTTP date)."""
    value = (exc.response.headers.get("retry-after") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _log_timings(name: str, response: ChatCompletion) -> None:
    """llama.cpp reports where the time went; worth having in the log on a CPU."""
    timings = (response.model_extra or {}).get("timings")
    if isinstance(timings, dict) and timings.get("predicted_ms") is not None:
        log.info("%s: prompt %s tokens in %.1f s (%s cached), %s generated in %.1f s", name,
                 timings.get("prompt_n"), (timings.get("prompt_ms") or 0) / 1000,
                 timings.get("cache_n", "?"), timings.get("predicted_n"),
                 (timings.get("predicted_ms") or 0) / 1000)


def _message(exc: openai.APIStatusError) -> str:
    """The endpoint's own words about an error, credentials redacted."""
    body = exc.body
    text = str(exc.message)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            text = str(inner["message"])
        elif isinstance(inner, str):
            text = inner
    return redact(text)[:300]
