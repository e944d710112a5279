"""The model client against a real HTTP fake: formats, fallbacks, repairs, retries, usage."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from fakes import Completion, FakeChat, FakeResponse, chat_error, default_summary

from pipeline.config import ModelSettings
from pipeline.draft.chat import ChatModel, InvalidAnswerError, parse_answer
from pipeline.draft.evidence import Citations
from pipeline.draft.summarize import SectionChoice, SummaryRequest, prompt_version, summarize
from pipeline.errors import ConfigError, EndpointUnavailableError, SummarizeError
from pipeline.models import Summary

SECTIONS = (SectionChoice("LLM", "large language model"), SectionChoice("Diffusion"))
REQUEST = SummaryRequest(title="TransformerFAM: Feedback attention is working memory",
                         text="## Abstract\nWe propose FAM. It improves accuracy by 12.5%.",
                         sections=SECTIONS, paper_id="2404.09173")
ModelFactory = Callable[..., ChatModel]


@pytest.fixture
def make_model(chat_api: FakeChat) -> ModelFactory:
    def build(known_format: str | None = None, local: bool = False,
              **settings: Any) -> ChatModel:
        values = {"name": "fake-model", "max_retries": 0, "timeout": 10, **settings}
        return ChatModel(ModelSettings.model_validate(values), base_url=chat_api.base_url,
                         api_key="test-key", known_format=known_format, local=local)

    return build


def valid(section: str = "LLM", **change: Any) -> dict[str, Any]:
    return {"keypoints": ["Feedback attention", "Working memory", "Long context"],
            "objective": "Let Transformers process indefinitely long inputs.",
            "method": ["Attend to the network's own latent representations."],
            "metric": "Improves accuracy by 12.5% on long-context tasks.",
            "results": None, "limitation": None, "section": section, **change}


def test_json_schema_request_and_recorded_usage(chat_api: FakeChat,
                                                make_model: ModelFactory) -> None:
    chat_api.reply(Completion(valid(), prompt_tokens=900, completion_tokens=120))
    draft = summarize(make_model(max_output_tokens=700, temperature=0.1), REQUEST)
    assert draft.summary.metric == "Improves accuracy by 12.5% on long-context tasks."
    body = chat_api.requests[0]
    assert body["model"] == "fake-model"
    assert body["max_tokens"] == 700
    assert body["temperature"] == 0.1
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["properties"]["section"]["enum"] == ["LLM", "Diffusion"]
    system, user = body["messages"]
    assert "  - LLM (large language model)\n  - Diffusion\n" in system["content"]
    assert "Answer with one JSON object" not in system["content"]
    assert user["content"].startswith("Title: TransformerFAM: Feedback attention is working "
                                      "memory\narXiv: 2404.09173\n\n## Abstract\n")
    usage = draft.usage
    assert (usage.model, usage.prompt, usage.response_format) == ("fake-model", "summarize",
                                                                  "json_schema")
    assert (usage.prompt_tokens, usage.completion_tokens, usage.attempts) == (900, 120, 1)
    assert usage.prompt_version == prompt_version() and len(usage.prompt_version) == 12
    assert usage.latency_s >= 0


def test_falls_back_to_json_object_with_schema_and_remembers(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    chat_api.accepts = {"json_object", "text"}
    model = make_model()
    summarize(model, REQUEST)
    summarize(model, REQUEST)
    kinds = [(r.get("response_format") or {}).get("type") for r in chat_api.requests]
    assert kinds == ["json_schema", "json_object", "json_object"]
    assert chat_api.requests[1]["response_format"]["schema"]["additionalProperties"] is False
    assert model.learned_format == "json_object_schema"


def test_falls_back_to_plain_text_with_fenced_json(chat_api: FakeChat,
                                                   make_model: ModelFactory) -> None:
    chat_api.accepts = {"text"}
    chat_api.reply("Sure! Here it is:\n```json\n" + json.dumps(valid("Diffusion")) + "\n```\n")
    model = make_model()
    draft = summarize(model, REQUEST)
    assert draft.summary.section == "Diffusion"
    assert draft.usage.response_format == "text"
    assert model.learned_format == "text"
    assert [r.get("response_format") for r in chat_api.requests][-1] is None
    assert "Answer with one JSON object" in chat_api.requests[-1]["messages"][0]["content"]


def test_a_known_format_is_used_without_probing(chat_api: FakeChat,
                                                make_model: ModelFactory) -> None:
    summarize(make_model(known_format="json_object"), REQUEST)
    assert chat_api.requests[0]["response_format"] == {"type": "json_object"}
    assert chat_api.calls == 1


def test_every_format_rejected_is_one_error(chat_api: FakeChat,
                                            make_model: ModelFactory) -> None:
    chat_api.accepts = set()
    with pytest.raises(SummarizeError) as caught:
        summarize(make_model(), REQUEST)
    assert str(caught.value) == ("2404.09173: the endpoint rejected every response format: "
                                 "response_format json_schema is not supported")
    assert chat_api.calls == 4


def test_invalid_answer_is_asked_again_with_the_error(chat_api: FakeChat,
                                                      make_model: ModelFactory) -> None:
    chat_api.reply(valid(keypoints=["only one"]), Completion(valid(), completion_tokens=50))
    draft = summarize(make_model(), REQUEST)
    assert draft.usage.attempts == 2
    retry = chat_api.requests[1]["messages"]
    assert retry[2]["role"] == "assistant"
    assert json.loads(retry[2]["content"])["keypoints"] == ["only one"]
    assert retry[3] == {"role": "user", "content": (
        "Your answer could not be used: keypoints: List should have at least 3 items after "
        "validation, not 1\nAnswer again with the corrected JSON object only.\n")}


def test_truncated_answer_is_asked_again(chat_api: FakeChat, make_model: ModelFactory) -> None:
    chat_api.reply(Completion('{"keypoints": ["Feedback', finish_reason="length"), valid())
    draft = summarize(make_model(), REQUEST)
    assert draft.usage.attempts == 2
    assert "cut off at the output limit" in chat_api.requests[1]["messages"][-1]["content"]


def test_garbage_every_time_gives_up_after_the_repairs(chat_api: FakeChat,
                                                       make_model: ModelFactory) -> None:
    chat_api.reply("no json here", "{not json", ["a", "list"])
    with pytest.raises(SummarizeError) as caught:
        summarize(make_model(repair_attempts=2), REQUEST)
    assert str(caught.value) == ("2404.09173: the model gave no valid summary in 3 attempts: "
                                 'the answer holds no JSON object: "["a", "list"]"')
    assert chat_api.calls == 3


def test_429_is_retried_by_the_client_not_twice_over(chat_api: FakeChat,
                                                     make_model: ModelFactory) -> None:
    chat_api.reply(chat_error(429, "Rate limit reached", retry_after=1), valid())
    draft = summarize(make_model(max_retries=2), REQUEST)
    assert draft.usage.attempts == 1
    assert chat_api.calls == 2
    assert chat_api.intervals("completion")[0] >= 0.9


def test_persistent_503_fails_after_the_clients_retries(chat_api: FakeChat,
                                                        make_model: ModelFactory) -> None:
    chat_api.reply(*[chat_error(503, "overloaded", type="server_error", retry_after=0)] * 5)
    with pytest.raises(EndpointUnavailableError) as caught:
        summarize(make_model(max_retries=2), REQUEST)
    assert str(caught.value) == (f"2404.09173: the model endpoint {chat_api.base_url} answered "
                                 "HTTP 503 3 times: overloaded")
    assert caught.value.exit_code == 4
    assert chat_api.calls == 3


def test_wrong_key_and_model_are_configuration_errors(chat_api: FakeChat,
                                                      make_model: ModelFactory) -> None:
    chat_api.api_key = "the-right-key"
    with pytest.raises(ConfigError) as caught:
        summarize(make_model(), REQUEST)
    assert str(caught.value) == (f"the model endpoint {chat_api.base_url} refused the API key "
                                 "(HTTP 401); check $OPENAI_API_KEY")
    chat_api.api_key = None
    chat_api.reply(chat_error(404, "The model `nope` does not exist", code="model_not_found"))
    with pytest.raises(ConfigError, match="has no model 'fake-model' \\(HTTP 404\\)"):
        summarize(make_model(), REQUEST)


def test_slow_answer_times_out(chat_api: FakeChat, make_model: ModelFactory) -> None:
    chat_api.latency = 3
    with pytest.raises(EndpointUnavailableError) as caught:
        summarize(make_model(timeout=0.5), REQUEST)
    assert str(caught.value) == (f"2404.09173: the model endpoint {chat_api.base_url} did not "
                                 "answer within 0.5 s (model.timeout), 1 time")


def test_non_json_http_body_is_an_error(chat_api: FakeChat, make_model: ModelFactory) -> None:
    chat_api.reply(FakeResponse(200, b"<html>proxy error</html>",
                                {"Content-Type": "text/html"}))
    with pytest.raises(SummarizeError) as caught:
        summarize(make_model(), REQUEST)
    assert str(caught.value) == ("2404.09173: the model endpoint answered with something that "
                                 "is not a chat completion: '<html>proxy error</html>'")


def test_unreachable_endpoint(make_model: ModelFactory) -> None:
    model = ChatModel(ModelSettings(name="m", max_retries=0, timeout=2),
                      base_url="http://127.0.0.1:9/v1", api_key="k")
    with pytest.raises(EndpointUnavailableError) as caught:
        summarize(model, REQUEST)
    assert str(caught.value) == ("2404.09173: cannot reach the model endpoint "
                                 "http://127.0.0.1:9/v1 (1 time)")


def test_the_default_fake_summary_is_valid(chat_api: FakeChat, make_model: ModelFactory) -> None:
    draft = summarize(make_model(), REQUEST)
    assert draft.summary.section == "LLM"
    assert default_summary(chat_api.requests[0])["section"] == "LLM"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "the answer was empty"),
        ("I cannot help with that.", "the answer holds no JSON object"),
        ('{"keypoints": [}', "the JSON is malformed: Expecting value (char 15)"),
        ('```json\n{"objective": "x"}\n```', "keypoints: Field required"),
    ],
)
def test_parse_answer_problems(content: str, problem: str) -> None:
    with pytest.raises(InvalidAnswerError) as caught:
        parse_answer(content, Summary, {"sections": ["LLM"]})
    assert str(caught.value).startswith(problem)


def test_parse_answer_takes_the_json_out_of_prose() -> None:
    text = "Here you go: " + json.dumps(valid()) + " Hope this helps."
    assert parse_answer(text, Summary, {"sections": ["LLM"]}).section == "LLM"


# -- issue 5: evidence, the numbers pass, checks and one fix --------------------------------

PAGES = ("TransformerFAM: Feedback attention is working memory\nAbstract\nWe propose Feedback "
         "Attention Memory (FAM), a novel architecture that leverages a feedback loop to "
         "enable the network to attend to its own latent representations.",
         "Results\nFAM improves accuracy on long-context tasks by 16.0% across 1B, 8B and 24B "
         "models.")


def checked_request() -> SummaryRequest:
    """A request as paperlist builds one: numbered sentences, number sentences, pages."""
    citations = Citations()
    text = citations.mark_text("## Abstract\n" + PAGES[0].split("Abstract\n")[1]
                               + "\n\n## Results\n" + PAGES[1].split("Results\n")[1])
    numbers = citations.mark_lines("[results] FAM improves accuracy on long-context tasks by "
                                   "16.0% across 1B, 8B and 24B models.")
    return SummaryRequest(title=REQUEST.title, text=text, sections=SECTIONS,
                          paper_id="2404.09173", pages=PAGES, numbers=numbers,
                          citations=citations)


EVIDENCE = {"objective": [1], "method": [1], "metric": [2], "results": []}
NUMBERS = {"metric": "Accuracy on long-context tasks improves by 16% for 1B, 8B and 24B "
                     "models.", "sentences": [2]}


def test_the_paper_reaches_the_model_with_numbered_sentences(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    chat_api.reply(NUMBERS, valid(evidence=EVIDENCE))
    summarize(make_model(), checked_request())
    numbers, first = chat_api.requests
    assert first["messages"][1]["content"].endswith(
        "## Abstract\n[1] We propose Feedback Attention Memory (FAM), a novel architecture that "
        "leverages a feedback loop to enable the network to attend to its own latent "
        "representations.\n\n## Results\n[2] FAM improves accuracy on long-context tasks by "
        "16.0% across 1B, 8B and 24B models.\n")
    assert numbers["messages"][-1]["content"].startswith(
        f"Title: {REQUEST.title}\n\nThese sentences of the paper carry its numbers:\n\n"
        "[2] FAM improves accuracy")
    # a conversation of its own that starts like the summary's, for a server's prompt cache
    assert len(numbers["messages"]) == 2
    assert numbers["messages"][0] == first["messages"][0]


def test_a_verified_draft_takes_two_requests(chat_api: FakeChat,
                                             make_model: ModelFactory) -> None:
    chat_api.reply(NUMBERS, valid(evidence=EVIDENCE))
    draft = summarize(make_model(), checked_request())
    assert draft.summary.metric == NUMBERS["metric"]
    checks = draft.extras["checks"]
    assert checks["verified"] is True and checks["flags"] == []
    assert checks["numbers_cited"] == checks["numbers_found"] == 4
    assert checks["evidence"]["metric"] == [
        {"text": "FAM improves accuracy on long-context tasks by 16.0% across 1B, 8B and 24B "
                 "models.", "page": 2, "verified": True}]
    assert draft.usage.attempts == 2
    numbers_request = chat_api.requests[0]
    assert numbers_request["response_format"]["json_schema"]["name"] == "metric"
    assert numbers_request["max_tokens"] == 250


def test_invented_numbers_are_asked_again_once_then_flagged(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    invented = "Accuracy improves by 23.4%, 7x faster."
    chat_api.reply({"metric": invented, "sentences": [2]}, valid(evidence=EVIDENCE),
                   {"metric": invented})
    draft = summarize(make_model(), checked_request())
    assert chat_api.calls == 3
    fix = chat_api.requests[2]
    assert ("- metric: metric: numbers not in the paper: 23.4%, 7x. Rewrite it in your own words "
            "in at most 40 words, with only numbers the paper writes.\n"
            in fix["messages"][-1]["content"])
    assert list(fix["response_format"]["json_schema"]["schema"]["properties"]) == ["metric"]
    assert draft.extras["checks"]["flags"] == ["metric: numbers not in the paper: 23.4%, 7x"]
    assert draft.extras["checks"]["verified"] is False
    assert draft.summary.metric == invented


def test_a_fix_that_makes_things_worse_is_not_taken(chat_api: FakeChat,
                                                    make_model: ModelFactory) -> None:
    chat_api.reply(NUMBERS | {"sentences": []}, valid(evidence={**EVIDENCE, "metric": []}),
                   {"evidence": {"objective": [99], "method": [], "metric": [], "results": []}})
    draft = summarize(make_model(), checked_request())
    assert draft.extras["checks"]["flags"] == ["metric: no supporting quote"]
    assert draft.extras["checks"]["evidence"]["objective"][0]["verified"] is True


def test_a_fixed_draft_is_verified(chat_api: FakeChat, make_model: ModelFactory) -> None:
    chat_api.reply(NUMBERS,
                   valid(keypoints=["TransformerFAM: Feedback attention is working memory",
                                    "Working memory", "Long context"], evidence=EVIDENCE),
                   {"keypoints": ["Feedback attention", "Working memory", "Long context"]})
    draft = summarize(make_model(), checked_request())
    assert draft.extras["checks"]["verified"] is True
    assert draft.summary.keypoints[0] == "Feedback attention"
    assert draft.summary.metric == NUMBERS["metric"]
    fix = chat_api.requests[2]["messages"][-1]["content"]
    assert '- keypoints: keypoint is the title: "TransformerFAM' in fix


def test_a_citation_of_a_sentence_that_does_not_exist_is_flagged(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    chat_api.reply(NUMBERS, valid(evidence={**EVIDENCE, "objective": [42]}),
                   {"evidence": {**EVIDENCE, "objective": [43]}})
    draft = summarize(make_model(), checked_request())
    assert draft.extras["checks"]["flags"] == [
        "objective: no supporting quote",
        "objective: cites sentence [42], which the paper does not have"]


def test_a_failed_fix_request_keeps_the_draft(chat_api: FakeChat,
                                              make_model: ModelFactory) -> None:
    chat_api.reply(NUMBERS | {"sentences": []}, valid(evidence={**EVIDENCE, "metric": []}),
                   "not json at all")
    draft = summarize(make_model(), checked_request())
    assert chat_api.calls == 3  # the fix is not re-asked
    assert draft.extras["checks"]["flags"] == ["metric: no supporting quote"]


def test_a_failed_numbers_pass_keeps_the_first_metric_flagged(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    chat_api.reply(Completion("16% 16% 16%", finish_reason="length"),
                   Completion("16% 16%", finish_reason="length"), valid(evidence=EVIDENCE), "{}")
    draft = summarize(make_model(), checked_request())
    assert draft.summary.metric == "Improves accuracy by 12.5% on long-context tasks."
    assert chat_api.calls == 4  # summary, numbers pass and its one repair, one fix
    assert draft.extras["checks"]["flags"] == [
        "metric: numbers not in the paper: 12.5%",
        "metric: not rewritten from the paper's numbers (the answer was cut off at the output "
        "limit; be more concise)"]


def test_the_local_model_is_held_to_lengths_and_cut_fields_end_whole(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    whole = "".join(f"Accuracy improves by 16% on long-context tasks in the {n} setting that "
                    "was tried. " for n in ("first", "second", "third", "fourth", "fifth"))
    cut = (whole + "It also runs faster than the baseline on")[:400]
    chat_api.reply({"metric": cut, "sentences": [2]}, valid(evidence=EVIDENCE))
    draft = summarize(make_model(local=True), checked_request())
    assert draft.summary.metric == whole[:whole.rfind(". ", 0, 400) + 1]
    numbers, summary = chat_api.requests
    schema = summary["response_format"]["json_schema"]["schema"]["properties"]
    keypoint = re.compile(schema["keypoints"]["items"]["pattern"])
    assert keypoint.match("Feedback attention memory, 16% gains")
    assert keypoint.match("x" * 60) and not keypoint.match("x" * 61)
    assert schema["evidence"]["properties"]["metric"]["maxItems"] == 2
    metric = re.compile(numbers["response_format"]["json_schema"]["schema"]["properties"][
        "metric"]["pattern"])
    assert metric.match("x" * 400) and not metric.match("x" * 401)
    assert metric.match("x" * 10) and not metric.match("x" * 9)  # its minLength, in the pattern


@pytest.mark.parametrize("text", ["Long context 传统", "注意", "ＦＡＭ", 'A "quoted" word',
                                  "A back\\slash", "Two\nlines"])
def test_the_local_models_grammar_leaves_out_cjk_and_what_json_must_escape(
        chat_api: FakeChat, make_model: ModelFactory, text: str) -> None:
    chat_api.reply(NUMBERS, valid(evidence=EVIDENCE))
    summarize(make_model(local=True), checked_request())
    schema = chat_api.requests[1]["response_format"]["json_schema"]["schema"]["properties"]
    assert not re.match(schema["keypoints"]["items"]["pattern"], text)
    assert not re.match(schema["objective"]["pattern"], text)


def test_a_local_model_writing_chinese_gets_plain_length_limits(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    chat_api.reply(NUMBERS, valid(evidence=EVIDENCE))
    summarize(make_model(local=True), replace(checked_request(), language="Chinese"))
    schema = chat_api.requests[1]["response_format"]["json_schema"]["schema"]["properties"]
    assert schema["keypoints"]["items"] == {"type": "string", "maxLength": 60}


def test_an_api_model_gets_no_length_limits(chat_api: FakeChat,
                                            make_model: ModelFactory) -> None:
    chat_api.reply(NUMBERS, valid(evidence=EVIDENCE))
    summarize(make_model(), checked_request())
    schema = chat_api.requests[1]["response_format"]["json_schema"]["schema"]["properties"]
    assert "maxLength" not in schema["keypoints"]["items"]


def test_sentence_markers_in_the_prose_are_removed(chat_api: FakeChat,
                                                   make_model: ModelFactory) -> None:
    chat_api.reply({"metric": "Accuracy improves by 16% [2] for 1B, 8B and 24B models [1, 2].",
                    "sentences": [2]},
                   valid(evidence=EVIDENCE, method=["Feedback loop [1]."]))
    draft = summarize(make_model(), checked_request())
    assert draft.summary.metric == "Accuracy improves by 16% for 1B, 8B and 24B models."
    assert draft.summary.method == ["Feedback loop."]
    assert draft.extras["checks"]["flags"] == []
