"""A paper's draft from the model, in passes that an editor can trust.

1. The numbers: Metric is written from the sentences that carry the paper's numbers (a small
   model otherwise leaves the headline figures out), in a short conversation of its own.
2. The summary: every field of the entry, each backed by the numbers of the paper's sentences
   that support it; the numbers pass's Metric replaces the summary's own.
3. The checks; when they fail, one more request, continuing the summary's conversation, names
   the failures and asks again for the failing fields only. What still fails stays flagged on
   the draft for the editor.

Every request starts with the same system prompt, so a local server reuses its cached prefix.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError, create_model

from ..config import Config
from ..errors import UnusableAnswerError
from ..models import Draft, Usage
from .chat import ChatModel, MessageBuilder, Messages, Tally
from .checks import EVIDENCE_FIELDS, CheckReport, PaperText, Quote, run_checks
from .evidence import Citations
from .schema import (
    LENGTH_LIMITS,
    Answer,
    MetricAnswer,
    strict_schema,
    with_length_limits,
    writes_cjk,
)
from .templates import render, version_of

log = logging.getLogger(__name__)

PROMPT_NAME = "summarize"
PROSE_FIELDS = ("objective", "metric", "results", "limitation")  # free text, not lists
SHORT_ANSWER_TOKENS = 250  # the numbers pass: one or two sentences; a looping model stops here
PROMPT_TEMPLATES = ("summarize_system.j2", "summarize_user.j2", "numbers.j2", "fix.j2",
                    "repair.j2")


@dataclass(frozen=True)
class SectionChoice:
    """A digest section as the model sees it: the name and what belongs there."""

    name: str
    hint: str = ""


@dataclass(frozen=True)
class SummaryRequest:
    """Everything the prompts and the checks need about one paper."""

    title: str
    text: str
    sections: tuple[SectionChoice, ...]
    paper_id: str | None = None
    language: str = "English"
    suggested_section: str | None = None  # the topic whose keywords found the paper
    pages: tuple[str, ...] = ()  # the paper's text per page; empty skips the checks
    numbers: str = ""  # sentences that carry the paper's numbers; empty skips that pass
    citations: Citations = field(default_factory=Citations)  # what [n] in text/numbers means
    max_copied_words: int = 30
    link_hosts: tuple[str, ...] = ()  # besides arXiv, hosts an entry may link to

    @property
    def section_names(self) -> list[str]:
        return [s.name for s in self.sections]


def section_choices(config: Config) -> tuple[SectionChoice, ...]:
    return tuple(SectionChoice(t.name, ", ".join(t.include[:4])) for t in config.topics)


def prompt_version(root: Path | None = None) -> str:
    """Recorded with each draft; a cached draft from another prompt version is stale."""
    return version_of(PROMPT_TEMPLATES, root)


@dataclass
class _Conversation:
    """The messages of one paper's passes, rebuilt for whatever format the endpoint takes.

    Every request starts with the same system prompt, and the fix continues the summary's
    conversation, so a local llama.cpp server finds those prefixes in its prompt cache.
    """

    model: ChatModel
    request: SummaryRequest

    def system(self, enforced: bool) -> dict[str, str]:
        request = self.request
        text = render("summarize_system.j2", self.model.root, language=request.language,
                      sections=request.sections, schema_enforced=enforced).text
        return {"role": "system", "content": text}

    def first(self, enforced: bool) -> Messages:
        request = self.request
        user = render("summarize_user.j2", self.model.root, title=request.title,
                      paper_id=request.paper_id, text=request.text,
                      suggested_section=request.suggested_section)
        return [self.system(enforced), {"role": "user", "content": user.text}]

    def numbers(self, enforced: bool) -> Messages:
        user = render("numbers.j2", self.model.root, title=self.request.title,
                      numbers=self.request.numbers, schema_enforced=enforced)
        return [self.system(enforced), {"role": "user", "content": user.text}]

    def then(self, answer: str, template: str, **context: Any) -> MessageBuilder:
        """A builder for the next turn: the summary's conversation, its answer, a request."""

        def build(enforced: bool) -> Messages:
            follow = render(template, self.model.root, schema_enforced=enforced, **context)
            return [*self.first(enforced), {"role": "assistant", "content": answer},
                    {"role": "user", "content": follow.text}]

        return build


def summarize(model: ChatModel, request: SummaryRequest) -> Draft:
    """The draft of one paper: numbers pass, summary, checks and at most one fix."""
    started = time.monotonic()
    tally = Tally()
    sections = request.section_names
    context = {"sections": sections}
    answer_schema = strict_schema(Answer, sections)
    metric_schema = strict_schema(MetricAnswer)
    if model.local:  # a grammar holds a small model to the lengths and language asked for
        forbid_cjk = not writes_cjk(request.language)
        answer_schema, metric_schema = (with_length_limits(answer_schema, forbid_cjk=forbid_cjk),
                                        with_length_limits(metric_schema, forbid_cjk=forbid_cjk))
    talk = _Conversation(model, request)
    metric: MetricAnswer | None = None
    numbers_failed = None
    if request.numbers:
        try:
            metric, _ = model.ask(talk.numbers, MetricAnswer, metric_schema, tally=tally,
                                  paper_id=request.paper_id, name="metric",
                                  max_tokens=SHORT_ANSWER_TOKENS, repairs=1)
        except UnusableAnswerError as exc:  # the summary's own Metric stands, flagged
            log.info("%s: the numbers pass failed: %s", request.paper_id or "paper",
                     exc.message)
            numbers_failed = ("metric: not rewritten from the paper's numbers ("
                              f"{exc.message.split(': ', 1)[-1]})")
    answer, raw = model.ask(talk.first, Answer, answer_schema, tally=tally,
                            paper_id=request.paper_id, context=context, name="summary")
    if metric is not None:
        evidence = answer.evidence.model_copy(
            update={"metric": metric.sentences or answer.evidence.metric})
        answer = answer.model_copy(update={"metric": metric.metric, "evidence": evidence})
    answer = _without_markers(answer)
    if model.local:
        answer = _complete_sentences(answer)
    checks: dict[str, Any] = {}
    if request.pages:
        paper = PaperText(request.pages)
        report = _check(answer, request, paper, numbers_failed)
        if report.flags:
            log.info("%s: %d checks failed; asking once more", request.paper_id or "paper",
                     len(report.flags))
            fixed = _fix(model, talk, raw, answer, report, request, tally, answer_schema)
            if fixed is not None:
                second = _check(fixed, request, paper, numbers_failed)
                if len(second.flags) < len(report.flags):
                    answer, report = fixed, second
        checks = report.as_dict()
    usage = Usage(
        model=model.settings.name,
        prompt=PROMPT_NAME,
        prompt_version=prompt_version(model.root),
        prompt_tokens=tally.prompt_tokens,
        completion_tokens=tally.completion_tokens,
        latency_s=round(time.monotonic() - started, 3),
        response_format=tally.response_format,
        attempts=tally.calls,
    )
    log.info("%s: drafted in %.1f s, %d calls, %d+%d tokens, %s%s", request.paper_id or "paper",
             usage.latency_s, tally.calls, usage.prompt_tokens, usage.completion_tokens,
             usage.response_format, f", {len(checks.get('flags', []))} flags" if checks else "")
    return Draft(summary=answer.summary(), usage=usage, extras={"checks": checks})


def _fix(model: ChatModel, talk: _Conversation, raw: str, answer: Answer, report: CheckReport,
         request: SummaryRequest, tally: Tally, schema: dict[str, Any]) -> Answer | None:
    """One request that names the failures and asks again for the failing fields only."""
    names = [name for name in Answer.model_fields if name in report.problems]
    if not names:  # only the paper's own title is flagged: nothing for the model to fix
        return None
    partial = create_model(  # type: ignore[call-overload]
        "Fix", **{name: (Answer.model_fields[name].annotation, Answer.model_fields[name])
                  for name in names})
    partial_schema = {**schema, "properties": {n: schema["properties"][n] for n in names},
                      "required": names}
    try:
        fix, _ = model.ask(
            talk.then(raw, "fix.j2", problems=report.problems, metric=answer.metric,
                      language=request.language),
            partial, partial_schema, tally=tally,
            paper_id=request.paper_id, context={"sections": request.section_names},
            name="fix", repairs=0)
    except UnusableAnswerError as exc:  # the draft stands, with its flags
        log.info("%s: no usable fix (%s)", request.paper_id or "paper", exc.message)
        return None
    try:
        merged = {**answer.model_dump(), **fix.model_dump(include=set(names))}
        return Answer.model_validate(merged, context={"sections": request.section_names})
    except ValidationError as exc:
        log.info("%s: the fix is not a valid draft (%s)", request.paper_id or "paper", exc)
        return None


def _complete_sentences(answer: Answer) -> Answer:
    """A field the grammar cut at its length limit ends at its last whole sentence."""
    update: dict[str, Any] = {}
    for name in PROSE_FIELDS:
        value = getattr(answer, name)
        if not value or len(value) < LENGTH_LIMITS[name] - 2:
            continue
        end = value.rfind(". ")
        if end >= len(value) * 0.4:
            update[name] = value[:end + 1]
    return answer.model_copy(update=update) if update else answer


_MARKER = re.compile(r"\s*\[\d+(?:\s*[,-]\s*\d+)*\]")


def _without_markers(answer: Answer) -> Answer:
    """Models imitate the [n] sentence markers in their prose; they are no part of an entry."""
    prose: dict[str, Any] = {
        name: _MARKER.sub("", value) for name in PROSE_FIELDS
        if (value := getattr(answer, name)) and _MARKER.search(value)}
    method = [_MARKER.sub("", item) for item in answer.method]
    if method != answer.method:
        prose["method"] = method
    return answer.model_copy(update=prose) if prose else answer


def _check(answer: Answer, request: SummaryRequest, paper: PaperText,
           numbers_failed: str | None) -> CheckReport:
    """The checks of one answer; a failed numbers pass stays a flag on every version of it."""
    quotes, unknown = [], []
    for name in EVIDENCE_FIELDS:
        texts, missing = request.citations.quotes(getattr(answer.evidence, name))
        quotes += [Quote(name, text) for text in texts]
        unknown += [f"{name}: cites sentence [{n}], which the paper does not have"
                    for n in missing]
    report = run_checks(answer.summary(), quotes, paper, title=request.title,
                        language=request.language, max_copied_words=request.max_copied_words,
                        link_hosts=request.link_hosts)
    for message in unknown:
        report.flag("evidence", message, trust=True)
    if numbers_failed:
        report.flag("metric", numbers_failed)
    return report

