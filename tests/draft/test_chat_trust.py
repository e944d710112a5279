"""Model answers as real servers give them (llama.cpp, vLLM, Ollama, hosted APIs), against the
fake chat server: formats refused with a 500, schemas accepted but not enforced, reasoning
before the JSON, prose after it, LaTeX in it, refusals, and transport failures."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fakes import Completion, FakeChat, chat_error, rate_limited

from pipeline.config import ModelSettings
from pipeline.draft.answers import parse_answer, repair_escapes, strip_reasoning
from pipeline.draft.chat import ChatModel
from pipeline.draft.summarize import SummaryRequest, summarize
from pipeline.errors import EndpointUnavailableError, UnusableAnswerError
from pipeline.models import Passages
from pipeline.models.summary import Summary

ABSTRACT = "We propose FAM. It improves accuracy by 12.5%."
REQUEST = SummaryRequest(title="TransformerFAM: Feedback attention is working memory",
                         section="LLM", text="## Abstract\n" + ABSTRACT,
                         passages=Passages(abstract=ABSTRACT,
                                           headline=("It improves accuracy by 12.5%.",)),
                         paper_id="2404.09173")
ModelFactory = Callable[..., ChatModel]
SHAPE_SHOWN = "Answer with one JSON object and nothing else, in this shape:"


@pytest.fixture
def make_model(chat_api: FakeChat) -> ModelFactory:
    def build(known_format: str | None = None, **settings: Any) -> ChatModel:
        values = {"name": "fake-model", "max_retries": 0, "timeout": 10, **settings}
        return ChatModel(ModelSettings.model_validate(values), base_url=chat_api.base_url,
                         api_key="sk-test-secret-key", known_format=known_format)

    return build


def valid(**change: Any) -> dict[str, Any]:
    return {"keypoints": ["Feedback attention", "Working memory", "Long context"],
            "objective": "Let Transformers process indefinitely long inputs.",
            "method": ["Attend to the network's own latent representations."],
            "metric": "Improves accuracy by 12.5% on long-context tasks.",
            "results": None, "limitation": None, "section": "LLM", **change}


def prompt(request: dict[str, Any]) -> str:
    """What a request asked, all its messages."""
    return "\n".join(str(m.get("content")) for m in request["messages"])


def kinds(chat_api: FakeChat) -> list[str | None]:
    return [(r.get("response_format") or {}).get("type") for r in chat_api.requests]


def test_a_500_that_names_the_format_degrades_it_without_retrying(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    chat_api.reply(chat_error(500, "json_schema response format is not supported",
                              type="server_error"), valid())
    model = make_model(max_retries=2)
    draft = summarize(model, REQUEST)
    assert draft.summary.metric == valid()["metric"]
    assert kinds(chat_api) == ["json_schema", "json_object"]
    assert model.learned_format == "json_object_schema"


def test_a_schema_accepted_but_not_enforced_is_given_up_and_the_shape_shown(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    def unenforced(request: dict[str, Any]) -> Any:
        return valid() if SHAPE_SHOWN in prompt(request) else {"summary": "A paper about memory."}

    chat_api.default = unenforced
    model = make_model()
    draft = summarize(model, REQUEST)
    assert draft.summary.keypoints == valid()["keypoints"]
    assert kinds(chat_api) == ["json_schema", "json_object"]
    assert SHAPE_SHOWN not in prompt(chat_api.requests[0])
    assert SHAPE_SHOWN in prompt(chat_api.requests[1])
    assert model.learned_format == "json_object"  # remembered: the next run shows the shape
    summarize(model, REQUEST)
    assert kinds(chat_api)[2] == "json_object"


def test_prose_under_an_enforced_schema_degrades_the_format(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    chat_api.reply("Sure, here is a summary of the paper.", valid())
    model = make_model(known_format="json_schema")
    summarize(model, REQUEST)
    assert kinds(chat_api) == ["json_schema", "json_object"]
    assert model.learned_format == "json_object"


def test_a_constraint_miss_under_a_schema_keeps_the_format(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    chat_api.reply(valid(keypoints=["only one"]), valid())
    model = make_model(known_format="json_schema")
    summarize(model, REQUEST)
    assert kinds(chat_api) == ["json_schema", "json_schema"]


def test_reasoning_with_braces_before_the_json(chat_api: FakeChat,
                                               make_model: ModelFactory) -> None:
    thinking = ("<think>The user wants {keypoints, objective}. Let me write {\"draft\": 1} "
                "first... {not json}</think>\n")
    chat_api.reply(thinking + json.dumps(valid()))
    draft = summarize(make_model(), REQUEST)
    assert draft.usage.attempts == 1
    assert draft.summary.objective == valid()["objective"]


def test_reasoning_content_is_never_taken_for_the_answer() -> None:
    assert strip_reasoning('<think>{"a": 1}</think>{"b": 2}') == '{"b": 2}'
    assert strip_reasoning('I think {"a": 1}</think>\n{"b": 2}') == '\n{"b": 2}'
    assert strip_reasoning("<think>cut off inside {\"a\"") == ""


def test_an_answer_that_is_only_reasoning_content_is_asked_again(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    chat_api.reply(Completion("", reasoning_content='I should answer {"keypoints": [...]}'),
                   Completion(json.dumps(valid()), reasoning_content="{not the answer}"))
    draft = summarize(make_model(), REQUEST)
    assert draft.usage.attempts == 2
    assert draft.summary.objective == valid()["objective"]
    assert ("the answer holds only reasoning (reasoning_content), no JSON object"
            in chat_api.requests[1]["messages"][-1]["content"])


def test_prose_after_a_fenced_block_with_a_brace(chat_api: FakeChat,
                                                 make_model: ModelFactory) -> None:
    chat_api.reply("```json\n" + json.dumps(valid()) + "\n```\nNote: fields follow the {schema}"
                   " you gave; tell me if you want changes }.")
    draft = summarize(make_model(), REQUEST)
    assert draft.usage.attempts == 1


def test_latex_backslashes_survive(chat_api: FakeChat, make_model: ModelFactory) -> None:
    raw = json.dumps(valid(metric="Loss falls as \\frac{1}{n} \\times 2, with \\beta = 0.9 "
                                  "and \\alpha \\% set; \\nabla f is \\rho-smooth."))
    raw = raw.replace("\\\\", "\\")  # as a model writes it: one backslash, not JSON's two
    chat_api.reply(raw)
    draft = summarize(make_model(), REQUEST)
    assert draft.summary.metric == ("Loss falls as \\frac{1}{n} \\times 2, with \\beta = 0.9 "
                                    "and \\alpha \\% set; \\nabla f is \\rho-smooth.")
    assert not any(ord(c) < 32 for c in draft.summary.metric)


def test_json_escapes_that_are_not_latex_stay_json() -> None:
    text = '{"a": "line\\nNext \\"q\\" \\u00e9 \\\\frac \\tTab"}'
    assert json.loads(repair_escapes(text)) == {"a": 'line\nNext "q" é \\frac \tTab'}


def test_a_refusal_is_reported_with_the_models_words(chat_api: FakeChat,
                                                    make_model: ModelFactory) -> None:
    chat_api.reply(Completion(None, refusal="I can't help summarize this document."))
    with pytest.raises(UnusableAnswerError) as caught:
        summarize(make_model(repair_attempts=2), REQUEST)
    assert str(caught.value) == ('2404.09173: the model refused: "I can\'t help summarize this '
                                 'document."')
    assert chat_api.calls == 1


def test_a_refusal_in_prose_keeps_the_models_words() -> None:
    with pytest.raises(Exception, match='no JSON object: "I\'m sorry, I cannot do that."'):
        parse_answer("I'm sorry, I cannot do that.", Summary)


def test_a_retry_after_over_the_cap_is_unavailable_at_once(chat_api: FakeChat,
                                                          make_model: ModelFactory) -> None:
    chat_api.reply(chat_error(429, "Rate limit reached", retry_after=3600))
    with pytest.raises(EndpointUnavailableError) as caught:
        summarize(make_model(max_retries=3, max_retry_after=120), REQUEST)
    assert str(caught.value) == (f"2404.09173: the model endpoint {chat_api.base_url} answered "
                                 "HTTP 429 and asks to wait 3600 s (Retry-After), more than "
                                 "model.max_retry_after (120 s): Rate limit reached")
    assert chat_api.calls == 1


def test_429s_are_retried_after_retry_after(chat_api: FakeChat,
                                           make_model: ModelFactory) -> None:
    chat_api.reply(rate_limited(retry_after=0.5), rate_limited(retry_after=0.5), valid())
    draft = summarize(make_model(max_retries=2), REQUEST)
    assert draft.summary.section == "LLM"
    assert chat_api.calls == 3
    assert min(chat_api.intervals("completion")) >= 0.45


def test_the_api_key_never_reaches_a_message(chat_api: FakeChat,
                                            make_model: ModelFactory) -> None:
    echo = ("upstream failed for request headers {'Authorization': 'Bearer sk-test-secret-key'}"
            ", key sk-test-secret-key")
    chat_api.reply(*[chat_error(502, echo, type="server_error")] * 2)
    with pytest.raises(EndpointUnavailableError) as caught:
        summarize(make_model(max_retries=1), REQUEST)
    assert "sk-test-secret-key" not in str(caught.value)
    assert "[redacted]" in str(caught.value)


def test_a_password_in_the_endpoint_url_is_never_shown() -> None:
    from pipeline.draft.chat import shown_url
    from pipeline.errors import redact

    url = "http://user:pa55-w0rd-in-url@127.0.0.1:18777/v1"
    model = ChatModel(ModelSettings(base_url=url), base_url=url, api_key="k")
    assert model.endpoint == "http://127.0.0.1:18777/v1"
    assert redact(f"error from {url}") == "error from http://user:[redacted]@127.0.0.1:18777/v1"
    assert shown_url("https://[::1]:8080/v1") == "https://[::1]:8080/v1"
    assert shown_url("https://u@[::1]:8080/v1") == "https://[::1]:8080/v1"
