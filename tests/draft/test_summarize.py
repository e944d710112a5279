"""The model client against a real HTTP fake: formats, fallbacks, repairs, retries, usage."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from fakes import Completion, FakeChat, FakeResponse, chat_error, default_summary

from pipeline.config import ModelSettings
from pipeline.draft.chat import ChatModel, InvalidAnswerError, parse_answer
from pipeline.draft.summarize import SummaryRequest, prompt_version, summarize
from pipeline.errors import (
    ConfigError,
    EndpointUnavailableError,
    SummarizeError,
    UnusableAnswerError,
)
from pipeline.models import Passages
from pipeline.models.summary import Summary

ABSTRACT = "We propose FAM. It improves accuracy by 12.5%."
REQUEST = SummaryRequest(title="TransformerFAM: Feedback attention is working memory",
                         section="LLM", text="## Abstract\n" + ABSTRACT,
                         passages=Passages(abstract=ABSTRACT, headline=(
                             "It improves accuracy by 12.5%.",)),
                         paper_id="2404.09173")
ModelFactory = Callable[..., ChatModel]


@pytest.fixture
def make_model(chat_api: FakeChat) -> ModelFactory:
    def build(known_format: str | None = None, local: bool = False,
              **settings: Any) -> ChatModel:
        values = {"name": "fake-model", "max_retries": 0, "timeout": 10, **settings}
        return ChatModel(ModelSettings.model_validate(values), base_url=chat_api.base_url,
                         api_key="test-key", known_format=known_format, local=local)

    return build


def valid(**change: Any) -> dict[str, Any]:
    return {"keypoints": ["Feedback attention", "Working memory", "Long context"],
            "objective": "The paper lets Transformers process indefinitely long inputs.",
            "method": ["The network attends to its own latent representations.",
                       "A feedback loop carries them across blocks."],
            "metric": "Accuracy improves by 12.5% on long-context tasks.",
            "results": None, "limitation": None, **change}


def test_json_schema_request_and_recorded_usage(chat_api: FakeChat,
                                                make_model: ModelFactory) -> None:
    chat_api.reply(Completion(valid(), prompt_tokens=900, completion_tokens=120))
    draft = summarize(make_model(max_output_tokens=700, temperature=0.1), REQUEST)
    assert draft.summary.metric == "Accuracy improves by 12.5% on long-context tasks."
    assert draft.summary.section == "LLM"  # the request's, never the model's
    assert chat_api.calls == 1  # an endpoint writes the whole entry at once
    body = chat_api.requests[0]
    assert body["model"] == "fake-model"
    assert body["max_tokens"] == 700
    assert body["temperature"] == 0.1
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["strict"] is True
    properties = fmt["json_schema"]["schema"]["properties"]
    assert list(properties) == ["keypoints", "objective", "method", "metric", "results",
                                "limitation"]
    assert "maxLength" not in str(properties) and "pattern" not in str(properties)
    system, user = body["messages"]
    assert "third person" in system["content"]
    assert "Answer with one JSON object" not in system["content"]
    assert user["content"].startswith("Title: TransformerFAM: Feedback attention is working "
                                      "memory\narXiv: 2404.09173\n\nAbstract:\n")
    assert "These sentences give the paper's headline numbers:\n- It improves accuracy by " \
           "12.5%.\n" in user["content"]
    assert "- limitation: null (the paper states no limitation of its own)." in user["content"]
    usage = draft.usage
    assert (usage.model, usage.prompt, usage.response_format) == ("fake-model", "draft",
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
    chat_api.reply("Sure! Here it is:\n```json\n" + json.dumps(valid()) + "\n```\n")
    model = make_model()
    draft = summarize(model, REQUEST)
    assert draft.summary.objective == valid()["objective"]
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
    assert str(caught.value) == ("2404.09173: the model gave no valid draft in 3 attempts: "
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
    assert default_summary(chat_api.requests[0])["objective"] == draft.summary.objective


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
    text = "Here you go: " + json.dumps({**valid(), "section": "LLM"}) + " Hope this helps."
    assert parse_answer(text, Summary, {"sections": ["LLM"]}).section == "LLM"


# -- issue 11: a field per request on the local model, the rubric, one fix per field ---------

PAGES = ("TransformerFAM: Feedback attention is working memory\nAbstract\nWe propose Feedback "
         "Attention Memory (FAM), a novel architecture that leverages a feedback loop to "
         "enable the network to attend to its own latent representations. FAM improves "
         "accuracy on long-context tasks by 16.0% across 1B, 8B and 24B models.",
         "Method\nA feedback loop lets each block attend to the latent representations of the "
         "previous block. Limitations\nFAM cannot be added to a model without fine-tuning.")
PASSAGES = Passages(
    abstract=PAGES[0].split("Abstract\n")[1],
    contributions=("We propose Feedback Attention Memory (FAM), a novel architecture that "
                   "leverages a feedback loop.",),
    method=("A feedback loop lets each block attend to the latent representations of the "
            "previous block.",),
    headline=("FAM improves accuracy on long-context tasks by 16.0% across 1B, 8B and 24B "
              "models.",),
    claims=("FAM improves accuracy on long-context tasks by 16.0% across 1B, 8B and 24B "
            "models.",),
    limitations=("FAM cannot be added to a model without fine-tuning.",))
FIELDS = {
    "keypoints": {"keypoints": ["Feedback attention memory", "Working memory", "Long context"]},
    "objective": {"objective": "The paper lets Transformers attend to their own latent "
                               "representations over indefinitely long inputs."},
    "method": {"method": ["A feedback loop lets each block attend to the previous block's "
                          "latent representations.", "It adds no new weights."]},
    "metric": {"metric": "Accuracy on long-context tasks improves by 16.0% for 1B, 8B and 24B "
                         "models."},
    "limitation": {"limitation": "FAM needs fine-tuning before it can be added to a model."},
}


def checked_request(**change: Any) -> SummaryRequest:
    """A request as paperlist builds one: passages, pages, the paper's sentences."""
    sentences = tuple(s for page in PAGES for s in page.replace("\n", " ").split(". "))
    values: dict[str, Any] = {
        "title": REQUEST.title, "section": "Diffusion", "passages": PASSAGES,
        "paper_id": "2404.09173", "pages": PAGES, "sentences": sentences, **change}
    return SummaryRequest(**values)


def asked_field(request: dict[str, Any]) -> str:
    schema = request["response_format"]["json_schema"]["schema"]
    return next(iter(schema["properties"]))


def by_field(**change: Any) -> Callable[[dict[str, Any]], Any]:
    """Answers each local request with its field's answer (overridden by `change`)."""
    def reply(request: dict[str, Any]) -> Any:
        name = asked_field(request)
        return change[name] if name in change else FIELDS[name]
    return reply


def test_the_local_model_is_asked_one_field_per_request_over_one_prefix(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    chat_api.default = by_field()
    draft = summarize(make_model(local=True), checked_request())
    asked = [asked_field(r) for r in chat_api.requests]
    assert asked == ["keypoints", "objective", "method", "metric", "limitation"]
    prefixes = {(r["messages"][0]["content"], r["messages"][1]["content"].split("\n\nQuestion")[0]
                 .split("\n\nThese sentences")[0].split("\n\nThe authors state")[0])
                for r in chat_api.requests}
    assert len(prefixes) == 1  # the same system prompt and paper: one prompt-cache prefix
    paper = chat_api.requests[0]["messages"][1]["content"]
    assert paper.startswith("Title: TransformerFAM")
    assert "The authors propose Feedback Attention Memory" in paper  # the paper, third person
    assert "We propose" not in paper
    metric = chat_api.requests[3]["messages"][1]["content"]
    assert metric.rstrip().endswith("(never one they do not give).")
    assert "These sentences give the paper's headline numbers:\n- FAM improves accuracy" in metric
    assert draft.summary.section == "Diffusion"
    assert draft.summary.limitation == FIELDS["limitation"]["limitation"]
    assert draft.extras["checks"]["rubric"] == dict.fromkeys(asked, [])
    assert draft.usage.attempts == 5


def test_the_local_models_grammar_holds_each_fields_shape(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    chat_api.default = by_field()
    summarize(make_model(local=True), checked_request())
    schemas = {asked_field(r): r["response_format"]["json_schema"]["schema"]["properties"]
               for r in chat_api.requests}
    keypoint = re.compile(schemas["keypoints"]["keypoints"]["items"]["pattern"])
    assert keypoint.match("Feedback attention memory") and keypoint.match("FAM")
    assert not keypoint.match("Feedback attention is working memory")  # five words
    assert not keypoint.match("the feedback")  # a sentence's piece starts in lower case
    assert schemas["keypoints"]["keypoints"]["maxItems"] == 5
    objective = re.compile(schemas["objective"]["objective"]["pattern"])
    assert objective.match("The paper makes attention cheaper.")
    assert not objective.match("The paper makes attention")  # a sentence ends
    assert not objective.match('The "paper" makes it 注意.')
    assert schemas["method"]["method"]["maxItems"] == 4
    assert "section" not in str(schemas)
    limits = {asked_field(r): r["max_tokens"] for r in chat_api.requests}
    assert limits["keypoints"] < limits["objective"] < limits["method"]


def test_fields_the_paper_does_not_have_are_not_asked(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    chat_api.default = by_field(results={"results": "Generalisation error grows with size."})
    plain = Passages(abstract=PASSAGES.abstract,
                     findings=("We find that the error grows with the network size.",))
    draft = summarize(make_model(local=True), checked_request(passages=plain))
    assert [asked_field(r) for r in chat_api.requests] == [
        "keypoints", "objective", "method", "results"]
    assert draft.summary.metric is None and draft.summary.limitation is None
    assert draft.summary.results == "Generalisation error grows with size."


def test_an_endpoints_limitation_without_a_stated_one_is_dropped(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    chat_api.reply(valid(limitation="It is slow."))
    draft = summarize(make_model(), REQUEST)
    assert draft.summary.limitation is None


def test_first_person_and_labels_become_the_editors_third_person(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    chat_api.default = by_field(objective={
        "objective": "Objective: We make our Transformers attend to their own latent "
                     "representations over long inputs."})
    draft = summarize(make_model(local=True), checked_request())
    assert draft.summary.objective == ("The authors make their Transformers attend to their own "
                                       "latent representations over long inputs.")
    assert chat_api.calls == 5  # no fix needed


def test_a_failing_field_is_asked_once_more_and_the_better_answer_kept(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    wrong = {"metric": "Accuracy improves on long-context tasks for every model size."}
    chat_api.default = by_field(metric=wrong)
    chat_api.reply(*[by_field(metric=wrong)] * 5, FIELDS["metric"])
    draft = summarize(make_model(local=True), checked_request())
    assert chat_api.calls == 6
    fix = chat_api.requests[5]["messages"]
    assert asked_field(chat_api.requests[5]) == "metric"
    assert fix[2] == {"role": "assistant", "content": json.dumps(wrong)}
    assert fix[3]["content"].startswith(
        "Your answer fails the editors' checks:\n- metric: metric: none of the headline "
        "numbers of the abstract or conclusion (16%, 1B, 8B, 24B)")
    assert draft.summary.metric == FIELDS["metric"]["metric"]
    assert draft.extras["checks"]["rubric"]["metric"] == []


def test_what_the_fix_does_not_mend_stays_flagged(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    title_copy = {"keypoints": ["TransformerFAM", "Feedback attention is working memory",
                                "Working memory is key"]}
    chat_api.default = by_field(keypoints=title_copy)
    draft = summarize(make_model(local=True), checked_request())
    assert chat_api.calls == 6  # five fields, one fix for the keypoints
    rubric = draft.extras["checks"]["rubric"]
    assert rubric["keypoints"] == [
        'keypoint "Feedback attention is working memory" is the title',
        'keypoint "Working memory is key" is a fragment of a sentence',
        'keypoints "TransformerFAM" and "Feedback attention is working memory" are one phrase '
        "of the paper cut in two"]
    assert set(rubric["keypoints"]) <= set(draft.extras["checks"]["flags"])
    assert draft.summary.keypoints == title_copy["keypoints"]


def test_a_fix_the_model_cannot_give_keeps_the_draft(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    cut = {"limitation": "FAM cannot be added to a model without the."}
    chat_api.reply(*[by_field(limitation=cut)] * 5, "not json")
    chat_api.default = by_field()
    draft = summarize(make_model(local=True), checked_request())
    assert chat_api.calls == 6
    assert draft.summary.limitation == cut["limitation"]
    assert draft.extras["checks"]["rubric"]["limitation"] == [
        'limitation: a sentence is cut short: "… cannot be added to a model without the."']


def test_the_evidence_is_the_papers_sentences_that_back_each_field(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    chat_api.default = by_field()
    draft = summarize(make_model(local=True), checked_request())
    evidence = draft.extras["checks"]["evidence"]
    assert evidence["metric"][0]["text"].startswith("FAM improves accuracy on long-context")
    assert evidence["metric"][0]["verified"] is True
    assert evidence["method"][0]["page"] == 2


def test_one_sentence_is_one_sentence_in_the_grammar(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    chat_api.default = by_field()
    summarize(make_model(local=True), checked_request())
    schemas = {asked_field(r): r["response_format"]["json_schema"]["schema"]["properties"]
               for r in chat_api.requests}
    objective = re.compile(schemas["objective"]["objective"]["pattern"])
    assert objective.match("The paper scores 3.5 points higher.")
    assert not objective.match("The paper works. It is good.")  # a second sentence
    metric = re.compile(schemas["metric"]["metric"]["pattern"])
    assert metric.match("It scores 3.5 on X. It is 2x faster.")  # the Metric may take two


def test_a_sentence_the_grammar_cut_ends_whole_or_is_flagged(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    from pipeline.draft.schema import LOCAL_LIMITS

    limit = LOCAL_LIMITS["objective"]
    whole = "The paper lets Transformers attend to their own latent representations."
    cut = (whole + " It" + " also works" * 60)[:limit - 1] + "."
    chat_api.default = by_field(objective={"objective": cut})
    draft = summarize(make_model(local=True), checked_request())
    assert draft.summary.objective == whole
    one = ("The paper lets Transformers attend to" + " their own" * 60)[:limit - 1] + "."
    chat_api.default = by_field(objective={"objective": one})
    draft = summarize(make_model(local=True), checked_request())
    assert draft.extras["checks"]["rubric"]["objective"][0].startswith(
        "objective: a sentence is cut short")
    # one sentence cut in its last clause ends at the comma before it
    first = ("The paper lets Transformers attend to their own latent representations over "
             "indefinitely long inputs without adding any new weights to the pretrained model")
    clauses = (first + ", with a feedback loop" + " over blocks" * 60)[:limit - 1] + "."
    chat_api.default = by_field(objective={"objective": clauses})
    draft = summarize(make_model(local=True), checked_request())
    assert draft.summary.objective == first + "."


def test_a_method_bullet_cut_mid_sentence_is_dropped_while_others_remain(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    whole = "A feedback loop lets each block attend to the previous block's latent states."
    cut = "The large number of couplings is similar to a"
    chat_api.default = by_field(method={"method": [whole, cut]})
    draft = summarize(make_model(local=True), checked_request())
    assert draft.summary.method == [whole]  # never a misquote that stops at 'a'
    chat_api.default = by_field(method={"method": [cut, "Each block attends to the"]})
    alone = summarize(make_model(local=True), checked_request())
    assert any(m.startswith("method: a sentence is cut short")
               for m in alone.extras["checks"]["rubric"]["method"])  # none whole: kept, flagged


def test_a_metric_the_local_model_keeps_cutting_off_is_the_papers_own_sentence(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    looping = Completion('{"metric": "FAM improves accuracy by 16.0% 16.0% 16.0%',
                         finish_reason="length")
    chat_api.default = by_field(metric=looping)
    draft = summarize(make_model(local=True), checked_request())  # no failed paper
    assert draft.summary.metric == ("FAM improves accuracy on long-context tasks by 16.0% "
                                    "across 1B, 8B and 24B models.")
    chat_api.default = by_field(method=looping)
    with pytest.raises(UnusableAnswerError, match="no valid method"):
        summarize(make_model(local=True), checked_request())  # an entry needs its method


def test_a_metric_still_without_numbers_quotes_the_papers_own_sentence(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    vague = {"metric": "Accuracy improves on long-context tasks for every model size."}
    chat_api.default = by_field(metric=vague)
    draft = summarize(make_model(local=True), checked_request())
    assert chat_api.calls == 6  # the fix was asked, and did not mend it
    assert draft.summary.metric == PASSAGES.headline[0]
    assert draft.extras["checks"]["rubric"]["metric"] == []


def test_a_metric_that_keeps_losing_a_qualifier_is_the_papers_sentence_for_its_number(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    ensemble = "An ensemble of these feedback models improves accuracy by 16.0% on long tasks."
    passages = dataclasses.replace(PASSAGES, claims=(ensemble, PASSAGES.claims[0].replace(
        "16.0%", "12.5%")), headline=(ensemble,))
    pages = (PAGES[0] + " " + ensemble, PAGES[1])
    lost = {"metric": "Feedback models improve accuracy on long tasks by 16.0%."}
    chat_api.default = by_field(metric=lost)
    draft = summarize(make_model(local=True), checked_request(passages=passages, pages=pages))
    assert chat_api.calls == 6  # the five fields, then the metric once more
    assert draft.summary.metric == ensemble
    assert draft.extras["checks"]["flags"] == [
        "metric: the paper's own sentence, as the model's failed: metric: the paper gives 16% "
        'as "ensemble"; say so beside it']


def test_a_metric_that_swaps_two_results_is_the_papers_sentences(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    two = ("FAM improves accuracy on the LongBench tasks by 16.0% for the 24B model.",
           "On the Needle tasks FAM improves accuracy by 12.5% for the 8B model.")
    passages = dataclasses.replace(PASSAGES, claims=two, headline=two)
    pages = (PAGES[0] + " " + " ".join(two), PAGES[1])
    swapped = {"metric": "Accuracy on the Needle tasks improves by 16.0% for the 24B model, "
                         "and by 12.5% for the 8B model."}
    chat_api.default = by_field(metric=swapped)
    draft = summarize(make_model(local=True), checked_request(passages=passages, pages=pages))
    assert chat_api.calls == 6  # the five fields, then the metric once more
    assert draft.summary.metric == " ".join(two)  # the sentences that give its numbers
    assert draft.extras["checks"]["flags"][0].startswith(
        "metric: the paper's own sentence, as the model's failed: metric: 16% is put with "
        '"Needle", which the paper says of another result')


def test_a_looping_metric_is_the_papers_sentence_for_its_numbers(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    listed = "16.0% Accuracy Gain, Long-context Tasks, Feedback Memory, Working Memory, "
    chat_api.default = by_field(metric={"metric": "Results: " + listed * 3 + "16.0% Acc."})
    draft = summarize(make_model(local=True), checked_request())
    assert chat_api.calls == 6  # the five fields, then the metric once more
    assert draft.summary.metric == PASSAGES.claims[0]  # its headline number, in its words
    assert draft.extras["checks"]["flags"][0].startswith(
        "metric: the paper's own sentence, as the model's failed: metric: the same words over "
        "and over, not a sentence")


PARTS = (("Feedback Loop", "A feedback loop lets each block attend to the latent "
                           "representations of the previous block. It adds no new weights."),
         ("Basic Architecture", "Each block keeps a working memory of its own activations. "
                                "The memory is carried to the next block."))


def test_a_method_with_parts_is_asked_a_bullet_per_part(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    """A small model asked for the whole Method copies the abstract; asked about one part's
    paragraph, with the bullet opening with the part's name, it says how that part works."""
    bullets = iter(["Feedback loop works by letting each block attend to the previous block.",
                    "The basic architecture keeps a working memory of each block's "
                    "activations."])
    fields = by_field()
    chat_api.default = lambda request: ({"part": next(bullets)} if asked_field(request) == "part"
                                        else fields(request))
    draft = summarize(make_model(local=True), checked_request(
        passages=dataclasses.replace(PASSAGES, parts=PARTS)))
    asked = [asked_field(r) for r in chat_api.requests]
    assert asked == ["keypoints", "objective", "part", "part", "metric", "limitation"]
    first = chat_api.requests[2]
    question = first["messages"][1]["content"]
    assert "These sentences of the paper's method describe Feedback loop:\nA feedback loop " \
           "lets each block" in question
    assert question.rstrip().endswith("Question: how does Feedback loop work? Answer with one "
                                      "sentence of at most 30 words, in your own words; not why "
                                      "it is needed, not the results.")
    pattern = first["response_format"]["json_schema"]["schema"]["properties"]["part"]["pattern"]
    assert pattern.startswith("^Feedback loop ")  # the bullet opens with the part's name
    assert draft.summary.method == [
        "Feedback loop lets each block attend to the previous block.",
        "The basic architecture keeps a working memory of each block's activations."]
    second = chat_api.requests[3]["messages"][1]["content"]
    assert "how does the basic architecture work?" in second


def test_an_overview_part_is_asked_for_the_methods_components(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    """Asked how 'FAM' works from its overview, a small model made FAM do one component's work;
    asked for its components, it names them and what each does."""
    overview = (("Overview", "FAM has two components: a feedback loop and a working memory. "
                             "The loop lets each block attend to the memory."), PARTS[0])
    fields = by_field()
    bullets = iter(["TransformerFAM consists of a feedback loop and a working memory.",
                    "Feedback loop lets each block attend to the previous block."])
    chat_api.default = lambda request: ({"part": next(bullets)} if asked_field(request) == "part"
                                        else fields(request))
    draft = summarize(make_model(local=True), checked_request(
        passages=dataclasses.replace(PASSAGES, parts=overview)))
    questions = [r["messages"][1]["content"] for r in chat_api.requests
                 if asked_field(r) == "part"]
    assert "Question: what are the components of TransformerFAM, and what does each do?" \
        in questions[0]
    assert "Question: how does Feedback loop work?" in questions[1]
    assert draft.summary.method[0] == ("TransformerFAM consists of a feedback loop and a "
                                       "working memory.")


def test_a_derivations_and_a_surveys_sections_are_asked_as_such(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    """A theory paper's bullet opens 'For <section>, the authors' and asks what they work out;
    a survey's 'On <section>, the authors' and asks what they cover."""
    sections = (("", "We derive an effective action for one node."),  # the whole (WHOLE)
                ("Corrections at Finite N", "We evaluate the 1/N correction to the propagator. "
                                            "We derive its self-energy."),
                ("Critical Point", "We find the critical point of the effective action. "
                                   "We introduce a constraint on the zero mode."))
    bullets = iter(["The authors derive an effective action for a single node.",
                    "For corrections at finite N, the authors derive the self-energy.",
                    "For critical point, the authors constrain the zero mode."])
    fields = by_field()
    chat_api.default = lambda request: ({"part": next(bullets)} if asked_field(request) == "part"
                                        else fields(request))
    derivation = dataclasses.replace(PASSAGES, parts=sections, derivation=True)
    draft = summarize(make_model(local=True), checked_request(passages=derivation))
    whole = chat_api.requests[2]
    assert "what do the authors work out about the problem as a whole, and how?" in whole[
        "messages"][1]["content"]
    assert whole["response_format"]["json_schema"]["schema"]["properties"]["part"][
        "pattern"].startswith("^The authors ")
    first = chat_api.requests[3]
    question = first["messages"][1]["content"]
    assert "These sentences of the paper say what the authors work out about corrections at " \
           "finite N:\nThe authors evaluate the 1/N correction" in question
    assert "Question: what do the authors work out about corrections at finite N, and how?" \
        in question
    pattern = first["response_format"]["json_schema"]["schema"]["properties"]["part"]["pattern"]
    assert pattern.startswith("^For corrections at finite N, the authors ")
    assert draft.summary.method == [
        "The authors derive an effective action for a single node.",
        "For corrections at finite N, the authors derive the self-energy.",
        "For critical point, the authors constrain the zero mode."]

    before = len(chat_api.requests)
    bullets = iter(["On large language models, the authors cover transformer layers.",
                    "On LLM-based agents, the authors cover planning, memory and tools."])
    review = dataclasses.replace(PASSAGES, survey=True, parts=(
        ("Large Language Models", "Its subsections: The Transformer; Model Types."),
        ("LLM-based Agents", "Its subsections: Memory; Planning; Tools.")))
    draft = summarize(make_model(local=True), checked_request(passages=review))
    question = chat_api.requests[before + 2]["messages"][1]["content"]
    assert "These sentences of the paper are about large language models:\nIts subsections: " \
           "The Transformer; Model Types." in question
    assert "Question: what do the authors cover on large language models?" in question
    pattern = chat_api.requests[before + 2]["response_format"]["json_schema"]["schema"][
        "properties"]["part"]["pattern"]
    assert pattern.startswith("^On large language models, the authors ")
    assert draft.summary.method == [
        "On large language models, the authors cover transformer layers.",
        "On LLM-based agents, the authors cover planning, memory and tools."]


def test_a_paper_whose_numbers_are_in_tables_gets_a_metric_of_its_evaluation(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    evaluation = ("Data sets: QQP; MSRPC.", "Metrics: BLEU; Self-BLEU.",
                  "RAPT substantially outperforms the baselines on all metrics.")
    passages = dataclasses.replace(PASSAGES, headline=(), claims=(), results=(),
                                   evaluation=evaluation)
    said = {"metric": "Evaluated on QQP and MSRPC with BLEU and Self-BLEU, where it "
                      "outperforms the baselines."}
    chat_api.default = by_field(metric=said)
    draft = summarize(make_model(local=True), checked_request(passages=passages))
    metric = next(r for r in chat_api.requests if asked_field(r) == "metric")
    question = metric["messages"][1]["content"]
    assert "These sentences say what the paper is evaluated on (its numbers are only in " \
           "tables):\n- Data sets: QQP; MSRPC.\n- Metrics: BLEU; Self-BLEU." in question
    assert "naming the data sets and the metrics the paper is evaluated on and how it " \
           "compares, with no numbers" in question
    assert draft.summary.metric == said["metric"]
    assert draft.extras["checks"]["rubric"].get("metric", []) == []


def test_a_method_whose_parts_fail_is_asked_as_a_whole_and_never_twice(
        chat_api: FakeChat, make_model: ModelFactory) -> None:
    passages = dataclasses.replace(PASSAGES, parts=PARTS)
    chat_api.default = by_field(part=Completion('{"part": "Feedback loop loops loops',
                                                 finish_reason="length"))
    draft = summarize(make_model(local=True), checked_request(passages=passages))
    asked = [asked_field(r) for r in chat_api.requests]
    assert asked == ["keypoints", "objective", "part", "part", "method", "metric", "limitation"]
    assert draft.summary.method == FIELDS["method"]["method"]
    before = len(chat_api.requests)
    first_person = {"part": "Feedback loop lets my model attend to the previous block."}
    chat_api.default = by_field(part=first_person)  # flagged, and not asked again
    draft = summarize(make_model(local=True), checked_request(passages=passages))
    assert [asked_field(r) for r in chat_api.requests[before:]] == [
        "keypoints", "objective", "part", "part", "metric", "limitation"]
    assert draft.extras["checks"]["rubric"]["method"]
