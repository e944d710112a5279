"""A fake OpenAI-compatible chat-completions server with a reply queue and failure injection.

    chat.reply({"keypoints": [...], ...})            # message content = that dict as JSON
    chat.reply("```json\\n{...}\\n```", "garbage")    # raw message content
    chat.reply(Completion('{"keypo', finish_reason="length"))
    chat.reply(rate_limited(retry_after=1), chat_error(500, "boom", type="server_error"))
    chat.reply(lambda request: {...} or None)        # None: the default answer

Replies are consumed in order, one per completion request whose response_format is accepted;
when the queue is empty `chat.default(request_json)` answers (a valid summary).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .http import FakeResponse, FakeServer, Mutate, Request

JSON = "application/json"
DEFAULT_SECTION = "LLM"


@dataclass
class Completion:
    """A successful completion with control over finish_reason and usage.

    `content` may be a str (sent as is), a dict/list (sent as JSON) or None.
    """

    content: str | dict[str, Any] | list[Any] | None = ""
    finish_reason: str = "stop"
    refusal: str | None = None
    reasoning_content: str | None = None  # vLLM's and DeepSeek's field for the reasoning
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


def chat_error(status: int, message: str, *, type: str = "invalid_request_error",
               param: str | None = None, code: str | None = None,
               retry_after: float | None = None) -> FakeResponse:
    """An OpenAI-shaped error: `{"error": {"message", "type", "param", "code"}}`."""
    headers = {"Content-Type": JSON}
    if retry_after is not None:
        headers["Retry-After"] = f"{retry_after:g}"
    body = {"error": {"message": message, "type": type, "param": param, "code": code}}
    return FakeResponse(status, body, headers)


def message_text(message: dict[str, Any]) -> str:
    """A message's text, whether `content` is a string or a list of parts."""
    content = message.get("content")
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def schema_of(request: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema in response_format (json_schema.schema, or llama-cpp's `schema`)."""
    fmt = request.get("response_format") or {}
    if not isinstance(fmt, dict):
        return None
    schema = (fmt.get("json_schema") or {}).get("schema") or fmt.get("schema")
    return schema if isinstance(schema, dict) else None


def requested_sections(request: dict[str, Any]) -> list[str]:
    """The allowed sections: the schema's `section` enum, else a `Sections: A, B` line, else a
    bullet list after `Sections:` or `one of:` in the prompt (hints in parentheses dropped)."""
    schema = schema_of(request) or {}
    enum = ((schema.get("properties") or {}).get("section") or {}).get("enum")
    if enum:
        return [str(s) for s in enum]
    text = "\n".join(message_text(m) for m in request.get("messages") or [])
    match = re.search(r"^[ \t]*Sections?:[ \t]*(\S.*)$", text, re.M | re.I)
    if match:
        return [s.strip().strip("\"'`") for s in re.split(r"[,;|]", match.group(1)) if s.strip()]
    # a bullet list after "Sections:" or after "... one of:" (the repo's system prompt)
    match = re.search(r"(?:Sections?:|one of:)[ \t]*\n((?:[ \t]*[-*•][^\n]*\n?)+)", text, re.I)
    bullets = match.group(1).splitlines() if match else []
    return [re.sub(r"\s*\(.*\)$", "", b.strip().lstrip("-*• ")) for b in bullets if b.strip()]


def paper_title(request: dict[str, Any]) -> str | None:
    """A `Title: ...` line from the user messages, if there is one."""
    for message in reversed(request.get("messages") or []):
        if message.get("role") == "user":
            match = re.search(r"^[ \t#*]*Title:[ \t*]*(.+?)[ \t*]*$", message_text(message),
                              re.M | re.I)
            if match:
                return match.group(1)
    return None


def citing(answer: dict[str, Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A reply of `answer` without the evidence a model once cited: paperlist now finds the
    sentences that back each field itself (kept so that older canned answers still serve)."""
    def reply(request: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in answer.items() if k not in ("evidence", "sentences")}
    return reply


def asked_fields(request: dict[str, Any]) -> list[str]:
    """The fields a request asks for: its schema's properties (the built-in model is asked one
    field per request, an endpoint all of them), else every field of an entry."""
    schema = schema_of(request) or {}
    return list(schema.get("properties") or ["keypoints", "objective", "method", "metric",
                                             "results", "limitation"])


PREFLIGHT_TITLE = "Sparse Lantern Attention for Long Documents"  # pipeline/preflight.py
PREFLIGHT_METRIC = ("On LongBench, a 1.3B model with SLA scores 41.2 versus 41.0 for dense "
                    "attention and runs 3.1 times faster on 32k-token inputs.")
PREFLIGHT_ANSWER = {
    "keypoints": ["Sparse lantern attention", "Linear-time attention",
                  "Long-document efficiency"],
    "objective": "Make attention over long documents cheaper without losing accuracy.",
    "method": ["Each token attends to 64 learned lantern tokens.",
               "The lanterns are updated with a linear-time scan after every layer."],
    "metric": PREFLIGHT_METRIC,
    "results": None,
    "limitation": "The number of lantern tokens must be chosen by hand.",
}


def preflight_answer(request: dict[str, Any]) -> dict[str, Any] | None:
    """What a capable model answers to paperlist's preflight paper; None for other papers."""
    if paper_title(request) != PREFLIGHT_TITLE:
        return None
    return dict(PREFLIGHT_ANSWER)


def default_summary(request: dict[str, Any]) -> dict[str, Any]:
    """An answer with every field of an entry (a request for one field takes its own), filed
    under the first allowed section; the preflight paper gets an answer that passes
    paperlist's checks."""
    preflight = preflight_answer(request)
    if preflight is not None:
        return preflight
    sections = requested_sections(request)
    title = paper_title(request)
    subject = f'The paper "{title}"' if title else "The paper"
    return {
        "keypoints": ["fake key idea one", "fake key idea two", "fake key idea three"],
        "objective": f"{subject} addresses a hard problem and aims to solve it more simply.",
        "method": ["Encode the input with a fake encoder.", "Decode the output with attention."],
        "metric": "Accuracy on a fake benchmark improves by 12.5% over the baseline.",
        "results": None,
        "limitation": None,
        "section": sections[0] if sections else DEFAULT_SECTION,
    }


Reply = Any  # dict | list | str | Completion | FakeResponse | Mutate | Callable[[dict], Reply]


class FakeChat(FakeServer):
    """`start()`, then `OpenAI(base_url=chat.base_url, api_key=...)`.

    `log` / `count("completion")` / `intervals("completion")` time every request (kinds
    "completion", "models", "other"); `requests` holds the completion bodies.
    """

    def __init__(self) -> None:
        super().__init__()
        self.accepts: set[str] = {"json_schema", "json_object", "text"}
        self.default: Callable[[dict[str, Any]], Reply] = default_summary
        self.latency = 0.0  # seconds before every answer
        self.api_key: str | None = None  # when set, other bearer tokens get a 401
        self.models = ["fake-model"]
        self._queue: deque[Reply] = deque()
        self._requests: list[dict[str, Any]] = []
        self._calls = 0
        self._ids = itertools.count(1)
        self._data_lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def reply(self, *items: Reply) -> None:
        """Queue answers for the next accepted completion requests, in order."""
        with self._data_lock:
            self._queue.extend(items)

    @property
    def pending(self) -> int:
        """Queued replies not yet consumed."""
        with self._data_lock:
            return len(self._queue)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every completion request body received (parsed JSON), in arrival order."""
        with self._data_lock:
            return list(self._requests)

    @property
    def calls(self) -> int:
        """Completion requests received (including rejected and failed ones)."""
        with self._data_lock:
            return self._calls

    def prompt(self, index: int = -1) -> str:
        """The text of all messages of request `index`, joined."""
        return "\n\n".join(message_text(m) for m in self.requests[index].get("messages") or [])

    # --- serving ---------------------------------------------------------------------------------
    def handle(self, request: Request) -> FakeResponse:
        path = request.path.rstrip("/")
        kind = ("completion" if path in ("/v1/chat/completions", "/chat/completions")
                else "models" if path in ("/v1/models", "/models") else "other")
        self.record(kind, request)
        if kind == "completion" and request.method == "POST":
            return self._complete(request)
        if kind == "models" and request.method == "GET":
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"}
                    for m in self.models]
            return FakeResponse(200, {"object": "list", "data": data}, {"Content-Type": JSON})
        return chat_error(404, f"Unknown request URL: {request.method} {request.path}",
                          code="unknown_url")

    def _complete(self, request: Request) -> FakeResponse:
        with self._data_lock:
            self._calls += 1
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return chat_error(400, "We could not parse the JSON body of your request.")
        with self._data_lock:
            self._requests.append(body)
        self.sleep(self.latency)
        if self.api_key is not None:
            if request.header("Authorization") != f"Bearer {self.api_key}":
                return chat_error(401, "Incorrect API key provided.", code="invalid_api_key")
        fmt = body.get("response_format")
        kind = fmt.get("type", "text") if isinstance(fmt, dict) else "text"
        if kind not in self.accepts:
            return chat_error(400, f"response_format {kind} is not supported",
                              param="response_format")
        if not body.get("messages"):
            return chat_error(400, "messages must not be empty", param="messages")
        with self._data_lock:
            item = self._queue.popleft() if self._queue else None
        return self._answer(item, body)

    def _answer(self, item: Reply, body: dict[str, Any], depth: int = 0) -> FakeResponse:
        if depth > 10:
            raise RecursionError("a reply callable kept returning callables")
        if item is None:
            item = self.default(body)
            if item is None:
                raise ValueError("FakeChat.default returned None")
        if isinstance(item, FakeResponse):
            return item
        if isinstance(item, Mutate):
            return item(self._answer(None, body, depth + 1))
        if isinstance(item, Completion):
            return self._completion(body, item)
        if isinstance(item, dict | list | str):
            return self._completion(body, Completion(item))
        if callable(item):
            return self._answer(item(body), body, depth + 1)
        raise TypeError(f"cannot reply with {item!r}")

    def _completion(self, body: dict[str, Any], reply: Completion) -> FakeResponse:
        content = reply.content
        if isinstance(content, dict | list):
            content = json.dumps(content, ensure_ascii=False)
        prompt_chars = sum(len(message_text(m)) for m in body.get("messages") or [])
        prompt_tokens = (reply.prompt_tokens if reply.prompt_tokens is not None
                         else max(1, prompt_chars // 4))
        completion_tokens = (reply.completion_tokens if reply.completion_tokens is not None
                             else max(1, len(content or "") // 4))
        message = {"role": "assistant", "content": content, "refusal": reply.refusal}
        if reply.reasoning_content is not None:
            message["reasoning_content"] = reply.reasoning_content
        completion = {
            "id": f"chatcmpl-fake{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or "fake-model",
            "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": reply.finish_reason}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }
        return FakeResponse(200, completion, {"Content-Type": JSON})
