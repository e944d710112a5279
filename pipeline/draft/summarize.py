"""A paper's draft from the model, in passes that an editor can use with light edits.

1. The fields. On the built-in model each field is its own request over the same paper prefix
   (`passes.ask_fields`); a capable endpoint writes the whole entry in one (`passes.ask_all`).
   A field is only asked for where the paper has it: Metric where it reports numbers, Results
   (a finding) where it does not, Limitation only where it states one of its own.
2. Tidying that needs no model: the third person, labels the model put before a field, a
   field cut at its length limit ending at its last whole sentence, keypoints that repeat.
3. The checks (`checks`: quotes, numbers, language, copying) and the editor's rubric
   (`rubric`); a field that fails is asked for once more, and the new version is kept where it
   fails fewer checks. What still fails stays flagged on the draft for the editor.

The digest section is never asked of the model: it comes with the request, from the selection.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UnusableAnswerError
from ..models import Draft, Passages, Usage
from ..models.summary import Summary
from .chat import ChatModel, Tally
from .checks import EVIDENCE_FIELDS, CheckReport, PaperText, Quote, numbers_in, run_checks
from .evidence import supporting
from .passes import (
    PROMPT_TEMPLATES,
    Talk,
    ask_again,
    ask_all,
    ask_fields,
    fields_for,
    stand_in,
)
from .rubric import RUBRIC_FIELDS, Rubric, check_rubric
from .schema import LOCAL_LIMITS
from .templates import version_of
from .tidy import keypoints, method_items, tidy_text

log = logging.getLogger(__name__)

PROMPT_NAME = "draft"


@dataclass(frozen=True)
class SummaryRequest:
    """Everything the prompts and the checks need about one paper."""

    title: str
    section: str  # the digest section, from the selection (never asked of the model)
    text: str = ""  # the budgeted model input an endpoint reads; the local model reads passages
    passages: Passages = Passages()
    paper_id: str | None = None
    language: str = "English"
    pages: tuple[str, ...] = ()  # the paper's text per page; empty skips the checks
    sentences: tuple[str, ...] = ()  # the paper's sentences, where evidence is looked up
    max_copied_words: int = 30
    link_hosts: tuple[str, ...] = ()  # besides arXiv, hosts an entry may link to


def prompt_version(root: Path | None = None) -> str:
    """Recorded with each draft; a cached draft from another prompt version is stale."""
    return version_of(PROMPT_TEMPLATES, root)


def summarize(model: ChatModel, request: SummaryRequest) -> Draft:
    """The draft of one paper: its fields, tidied, checked and at most one fix per field.

    Raises UnusableAnswerError (or another SummarizeError) when the model gives no usable
    answer for a field at all; a fix that fails only leaves the draft flagged.
    """
    started = time.monotonic()
    tally = Tally()
    passages = request.passages
    names = fields_for(passages)
    talk = Talk(model, request.title, request.paper_id, passages, request.language,
                text="" if model.local else request.text)
    if model.local:
        values, raws = ask_fields(model, talk, names, tally)
    else:
        values, raw = ask_all(model, talk, tally)
        values = {name: values.get(name) for name in names}  # only the fields it has
        raws = dict.fromkeys(names, raw)
    summary = _summary(values, request, local=model.local)
    checks: dict[str, Any] = {}
    if request.pages:
        paper = PaperText(request.pages)
        report, rubric = _check(summary, request, paper)
        # a Method written part by part was tidied bullet by bullet; asked again as a whole,
        # a small model would copy the abstract again
        failing = [n for n in names if report.problems.get(n)
                   and not (n == "method" and talk.parted)]
        if failing:
            log.info("%s: %s fail the checks; asking once more", request.paper_id or "paper",
                     ", ".join(failing))
            summary, report, rubric = _fix(model, talk, request, paper, summary, report,
                                           rubric, failing, raws, tally)
        checks = {**report.as_dict(), "fields": names,
                  "rubric": {n: rubric.failures.get(n, []) for n in names}}
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
    return Draft(summary=summary, usage=usage, extras={"checks": checks})


def _fix(model: ChatModel, talk: Talk, request: SummaryRequest, paper: PaperText,
         summary: Summary, report: CheckReport, rubric: Rubric, failing: list[str],
         raws: dict[str, str], tally: Tally) -> tuple[Summary, CheckReport, Rubric]:
    """Ask once more for the failing fields; keep each new version that fails fewer checks."""
    try:
        fixed = ask_again(model, talk, failing, {n: report.problems[n] for n in failing},
                          raws, tally)
    except UnusableAnswerError as exc:  # the draft stands, with its flags
        log.info("%s: no usable fix (%s)", request.paper_id or "paper", exc.message)
        return summary, report, rubric
    values = {**summary.model_dump(exclude={"section"}), **fixed}
    candidate = _summary(values, request, local=model.local)
    second, second_rubric = _check(candidate, request, paper)
    kept = {n: getattr(candidate, n) for n in failing
            if len(second.problems.get(n, [])) < len(report.problems.get(n, []))}
    final = summary.model_copy(update=kept)
    final_report, final_rubric = _check(final, request, paper) if kept else (report, rubric)
    quoted = _quoted(final, final_rubric, request.passages, request.title)
    if not quoted:
        return final, final_report, final_rubric
    failed = {name: final_report.problems.get(name, []) for name in quoted}
    untrusted = set(final_report.trust)
    final = final.model_copy(update=quoted)
    final_report, final_rubric = _check(final, request, paper)
    for name, messages in failed.items():  # the editor, and the preflight, still learn of it
        final_report.flag(name, f"{name}: the paper's own sentence, as the model's failed: "
                                f"{'; '.join(messages)}",
                          trust=any(m in untrusted for m in messages))
    return final, final_report, final_rubric


def _quoted(summary: Summary, rubric: Rubric, passages: Passages, title: str = ""
            ) -> dict[str, str]:
    """Where a Metric still lacks the headline numbers or the second result, a word that
    qualifies one ('an ensemble') or the paper's baseline, or puts a number with another
    result's name, or a Limitation is still not the one the paper
    states, or either is a looping model's words or cut short, the paper's own sentences
    (`passes.stand_in`, its first 'It' named after `title`'s work): those that give the
    numbers the Metric tried to report, else its best number sentence; or its first
    limitation sentence(s)."""
    junk = ("over and over", "is cut short")  # a looping model's list, cut at its limit
    wanted = {"metric": ("none of the headline numbers", "leaves out the paper's other",
                         "; say so beside it", "is not what the paper compares with",
                         "which the paper says of another result", *junk),
              "limitation": ("not what the paper states", *junk)}
    failing = {name: [m for m in rubric.failures.get(name, []) if any(f in m for f in found)]
               for name, found in wanted.items()}
    # a headline number that lost its qualifier or its baseline: the sentence that gives it;
    # a Metric without headline numbers, or without the second result: the two sentences a
    # Metric is written from
    headline = not any(wanted["metric"][0] in m or wanted["metric"][1] in m
                       for m in failing["metric"])
    given = numbers_in(summary.metric or "") if headline else []
    quoted = {name: stand_in(name, passages, given if name == "metric" else (), title)
              for name, messages in failing.items() if messages}
    return {name: text for name, text in quoted.items() if text}


def _summary(values: dict[str, Any], request: SummaryRequest, *, local: bool) -> Summary:
    """The answers as an entry's fields, tidied, with the section from the request."""
    tidy: dict[str, Any] = {
        name: tidy_text(value, LOCAL_LIMITS.get(name) if local else None,
                        clause=name == "objective")  # one sentence, like a Method bullet
        if isinstance(value, str) else value for name, value in values.items()}
    if isinstance(tidy.get("method"), list):
        items = [tidy_text(item, LOCAL_LIMITS["method"] if local else None, clause=True)
                 for item in tidy["method"]]
        passages = request.passages
        tidy["method"] = method_items(items, request.title, tidy.get("objective") or "",
                                      (*passages.components, *passages.outline))
    if isinstance(tidy.get("keypoints"), list):
        tidy["keypoints"] = keypoints(tidy["keypoints"], request.title, "\n".join(request.pages))
    if not request.passages.limitations:  # editors write a Limitation only where one is stated
        tidy["limitation"] = None
    fields = {name: tidy.get(name) for name in ("keypoints", "objective", "method", "metric",
                                                 "results", "limitation")}
    return Summary.model_validate({**fields, "section": request.section})


def _check(summary: Summary, request: SummaryRequest, paper: PaperText
           ) -> tuple[CheckReport, Rubric]:
    """The checks of one version of a draft, the rubric's failures among its flags."""
    quotes = []
    for name in EVIDENCE_FIELDS:
        value = getattr(summary, name)
        if value:
            text = " ".join(value) if isinstance(value, list) else value
            quotes += [Quote(name, s) for s in supporting(text, request.sentences)]
    report = run_checks(summary, quotes, paper, title=request.title, language=request.language,
                        max_copied_words=request.max_copied_words, link_hosts=request.link_hosts)
    rubric = check_rubric(summary, request.passages, request.title, "\n".join(request.pages))
    for name in RUBRIC_FIELDS:
        for message in rubric.failures.get(name, []):
            if message not in report.problems.get(name, []):
                report.flag(name, message)
    return report, rubric
