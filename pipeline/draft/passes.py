"""The requests that write a draft's fields.

On the built-in model every field is asked on its own (`ask_fields`), each request starting
with the same system prompt and the same paper text, so that llama.cpp's prompt cache reads
the paper once and every later request only pays for its question (the server's
`cache_prompt`, on by default). Each field comes with the few sentences it is written from (the
method's, the headline numbers', the stated limitations'), rewritten in the third person, and
in a shape the grammar holds (`schema.local_schema`). A capable endpoint gets one request for
the whole entry (`ask_all`), with no limits on what it writes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, create_model

from ..errors import UnusableAnswerError
from ..models import Passages
from ..read.coverage import WHOLE
from ..read.method import GENERIC_PART, OVERVIEW, part_name, reports_result
from ..read.passages import metric_sentences, short_name
from ..read.sentences import result_score, strip_citations
from .chat import ChatModel, Messages, Tally
from .checks import numbers_in
from .schema import FIELD_ANSWERS, DraftAnswer, local_schema, part_schema, strict_schema
from .templates import render

# Output tokens per field on the local model: room for the longest answer the grammar lets
# through, so that a looping model stops here rather than at the endpoint's limit.
FIELD_TOKENS = {"keypoints": 90, "objective": 150, "method": 330, "metric": 200,
                "results": 150, "limitation": 130, "part": 120}
MIN_PARTS = 2  # parts of a method (`Passages.parts`) that make its Method one bullet each
MAX_FOCUS = 6
# How many of the paper's own sentences stand in for a field no answer could fill.
QUOTED = {"metric": 2, "results": 1, "limitation": 2}
PROMPT_TEMPLATES = ("draft_system.j2", "paper.j2", "field.j2", "draft_all.j2", "fix.j2",
                    "repair.j2")

log = logging.getLogger(__name__)

_PRONOUNS = [(re.compile(p), r) for p, r in [
    (r"\bWe\b", "The authors"), (r"\bwe\b", "the authors"), (r"\bOur\b", "Their"),
    (r"\bour\b", "their"), (r"\bours\b", "theirs"), (r"\bourselves\b", "themselves"),
    (r"(?<=\s)us\b", "them"),
]]


_CONNECTIVE = re.compile(r"^(?:specifically|in particular|notably|moreover|furthermore|in "
                         r"addition|additionally|overall|finally|however|also|thus|hence"
                         r"|consequently|therefore),\s+"
                         r"|^(?:this|these results) (?:suggests?|shows?|indicates?) that\s+", re.I)


def third_person(text: str) -> str:
    """'We propose our model' -> 'The authors propose their model': the paper's own sentences as
    an editor reports them, so that a model that copies them does not write 'we'."""
    for pattern, replacement in _PRONOUNS:
        text = pattern.sub(replacement, text)
    return text


def gives_numbers(passages: Passages) -> bool:
    """Whether a paper's prose gives numbers for its Metric (`Passages.headline`, else
    `Passages.results`); without them its numbers are only in tables."""
    return bool(passages.headline or passages.results)


def fields_for(passages: Passages) -> list[str]:
    """The fields a paper's entry has: Metric with numbers to report, or without them where
    the paper lists what it is evaluated on (`Passages.evaluation`), Results (a finding) only
    without numbers, Limitation only where the paper states one of its own."""
    fields = ["keypoints", "objective", "method"]
    if not passages.survey and gives_numbers(passages):
        fields.append("metric")
    elif not passages.survey:  # numbers only in tables: what it is evaluated on, and a finding
        fields += [name for name, given in (("metric", passages.evaluation),
                                            ("results", passages.findings)) if given]
    if passages.limitations:
        fields.append("limitation")
    return fields


def opening(name: str, known: str = "", title: str = "") -> str:
    """How a Method bullet on a part starts: its name, as a sentence names it. A name the
    paper's `known` text (its abstract) writes is written so ('Multi-head Latent Attention');
    sentence case, keeping acronyms and names with inner capitals ('Identity Mapping by
    Shortcuts' -> 'Identity mapping by shortcuts', 'MoBA Architecture' -> 'MoBA
    architecture', 'Corrections at Finite N' -> 'Corrections at finite N'); a generic heading
    gets 'The' ('Basic Architecture' -> 'The basic architecture'), an overview the name the
    `title` gives the work ('PaSa: ...' -> 'PaSa') or 'The method'; a heading that defines an
    abbreviation the abbreviation ('Novelty Conditioned RAPT (NC-RAPT)' -> 'NC-RAPT')."""
    defined = re.fullmatch(r".+\s\(([A-Z][\w-]*[A-Z][\w-]*)\)", name)  # not '(Ours)', '(I)'
    if defined:
        return defined[1]
    if OVERVIEW.fullmatch(name):  # of the whole method: its name
        return short_name(title) or "The method"
    if GENERIC_PART.match(name):
        return f"The {name.lower()}"
    written = re.search(re.escape(name), known, re.I)
    if written:
        return written.group()[:1].upper() + written.group()[1:]
    words = name.split()
    return " ".join(w if i == 0 else _sentence_case(w) for i, w in enumerate(words))


def _sentence_case(word: str) -> str:
    """A word of a heading as a sentence writes it: lower case, but for an acronym, a name with
    inner capitals or a symbol ('MLA', 'DeepSeekMoE', 'N')."""
    return word if re.search(r"[a-z][A-Z]|^[A-Z]{2}|^[A-Z]$", word) else word.lower()


def _led(start: str, lead: str) -> str:
    """How a bullet on a derivation's or a survey's section opens: 'For corrections at finite
    N, the authors', 'On LLMs for chemistry, the authors', so that the small model says what
    they work out or cover (the section's name as the subject made it echo the question or
    copy the section's first sentence: 'Corrections at finite N in the paper's section on
    ...')."""
    first, _, rest = start.partition(" ")
    return f"{lead} {' '.join(filter(None, (_sentence_case(first), rest)))}, the authors"


def method_parts(passages: Passages) -> list[tuple[str, str]]:
    """What a Method is written from when its method has parts (`Passages.parts`: a survey's
    or a derivation's main sections stand for them): each part's name (its heading without a
    subtitle: 'Multi-Head Latent Attention') and its paragraph; empty when there are fewer
    than MIN_PARTS parts (a method in one short section, a derivation in one section)."""
    if len(passages.parts) < MIN_PARTS:
        return []
    return [(part_name(name), text) for name, text in passages.parts]


def focus_for(name: str, passages: Passages) -> list[str]:
    """The paper's sentences a field is written from, in the third person, without citation
    markers. Method: how its parts work (`read.passages` picks a sentence per part of the
    method section) mixed with what the paper says it does, the parts first (a list of the
    sub-headings made a small model answer with headings); for a survey,
    what it says it covers and its outline."""
    if name == "method" and passages.survey:
        chosen = list(passages.contributions[:MAX_FOCUS - 1])
        if len(passages.outline) >= 3:  # two headings say less than the paper's own words
            *most, last = passages.outline
            covers = f"{', '.join(most)} and {last}" if most else last
            chosen.append(f"Its main sections cover {covers}.")
    elif name == "method":
        method, said = passages.method, passages.contributions
        chosen = [*method[:2], *said[:2], *method[2:4], *said[2:3], *method[4:]]
    elif name == "metric" and not gives_numbers(passages):
        chosen = list(passages.evaluation)  # its numbers are only in tables
    elif name == "metric":  # the two that read most like results, the best first
        chosen = metric_sentences(passages)
    elif name == "results":
        chosen = list(passages.findings)
    elif name == "limitation":
        chosen = list(passages.limitations)
    else:
        return []
    return [third_person(strip_citations(s)) for s in dict.fromkeys(chosen)][:MAX_FOCUS + 1]


def stand_in(name: str, passages: Passages, numbers: Collection[str] = (), title: str = ""
             ) -> str | None:
    """The paper's own sentences for a field, as an editor would quote them (third person,
    capitalised, the work's name in `title` written as the title writes it and standing for
    a first 'It': 'MoBA achieves ...', a first 'Their model' 'The model'): for Metric the
    two sentences it is written from (`metric_sentences`), or the one or two that give
    `numbers` (the numbers a failed answer tried to report); the first finding for Results,
    the first two limitation sentences for Limitation; None for other fields or without
    any."""
    giving = [s for s in (*passages.claims, *passages.results)
              if set(numbers) & set(numbers_in(s)) and reports_result(s)
              ] if name == "metric" and numbers else []
    if giving:
        best = sorted(dict.fromkeys(giving), key=lambda s: -result_score(s))[:2]
        chosen = [third_person(strip_citations(s)) for s in best]
    else:
        chosen = focus_for(name, passages)[:QUOTED.get(name, 0)]
    # out of its paragraph, 'Specifically, at 10M tokens ...' reads 'At 10M tokens ...'
    unlinked = (_CONNECTIVE.sub("", s) for s in chosen)
    quoted = " ".join(s[:1].upper() + s[1:] for s in unlinked)
    work = short_name(title)
    if work:  # 'moba achieves' as the title writes it: 'MoBA achieves'
        quoted = re.sub(rf"\b{re.escape(work)}\b", work, quoted, flags=re.I)
    # out of its paragraph, 'It' and 'Their model' name nothing: 'MoBA', 'The model'
    if work and re.match(r"It\s", quoted):
        quoted = work + quoted[2:]
    quoted = re.sub(r"^Their (?=(?:\w+ )?(?:model|method|approach|system|framework|agent)s?\b)",
                    "The ", quoted)
    return quoted[:1].upper() + quoted[1:] if quoted else None


@dataclass
class Talk:
    """The messages of one paper's requests, rebuilt for whatever format the endpoint takes."""

    model: ChatModel
    title: str
    paper_id: str | None
    passages: Passages
    language: str
    text: str = ""  # the budgeted model input, for an endpoint; empty on the local model
    parted: bool = False  # its Method was written part by part (`ask_parts`)
    _paper: str = field(default="", repr=False)

    def paper(self) -> str:
        if not self._paper:
            passages = self.passages
            abstract_words = set(passages.abstract.split())
            contributions = [third_person(strip_citations(s)) for s in passages.contributions
                             if len(set(s.split()) & abstract_words) < 0.7 * len(s.split())]
            self._paper = render(
                "paper.j2", self.model.root, title=self.title, paper_id=self.paper_id,
                abstract=third_person(strip_citations(passages.abstract)),
                contributions=contributions,
                conclusion=third_person(strip_citations(passages.conclusion))
                if not self.text else "",
                text=self.text).text.rstrip()
        return self._paper

    def system(self, enforced: bool) -> dict[str, str]:
        text = render("draft_system.j2", self.model.root, language=self.language,
                      schema_enforced=enforced).text
        return {"role": "system", "content": text}

    def question(self, name: str, enforced: bool, part: tuple[str, str] | None = None,
                 overview: bool = False) -> Messages:
        """The request for one field; for "part", the part's (name, paragraph), `overview`
        when the part is an overview of the whole method (asked for its components)."""
        focus = [third_person(strip_citations(part[1]))] if part else focus_for(
            name, self.passages)
        passages = self.passages
        kind = "survey" if passages.survey else "derivation" if passages.derivation else (
            "overview" if overview else "design")
        ask = render("field.j2", self.model.root, field=name, survey=passages.survey,
                     focus=focus, part=part[0] if part else "", kind=kind,
                     tables=not gives_numbers(passages),
                     schema_enforced=enforced).text
        return [self.system(enforced), {"role": "user", "content": self.paper() + "\n" + ask}]

    def whole(self, enforced: bool) -> Messages:
        passages = self.passages
        ask = render("draft_all.j2", self.model.root,
                     headline=[third_person(s) for s in passages.headline or passages.results],
                     findings=passages.findings, limitations=passages.limitations,
                     survey=passages.survey, schema_enforced=enforced).text
        return [self.system(enforced), {"role": "user", "content": self.paper() + "\n" + ask}]


def ask_parts(model: ChatModel, talk: Talk, tally: Tally) -> list[str]:
    """The Method of the local model, one bullet per part of the method (`method_parts`), each
    its own short request whose answer starts with the part's name (`opening`): asked for the
    whole Method, a small model copies the abstract's 'we propose X'; asked about one
    paragraph, it says how that part works. A part with no usable answer is left out; fewer
    than MIN_PARTS bullets gives [] (the Method is then asked as a whole)."""
    bullets = []
    for name, text in method_parts(talk.passages):
        if name == WHOLE:  # what a derivation does as a whole: 'The authors show how ...'
            start, named = "The authors", "the problem as a whole"
        else:
            start = opening(name, talk.passages.abstract, talk.title)
            named = start[:1].lower() + start[1:] if start.startswith("The ") else start
        lead = "On" if talk.passages.survey else "For" if talk.passages.derivation else ""
        if lead and name != WHOLE:  # 'For corrections at finite N, the authors ...'
            start = _led(start, lead)
            named = start[len(lead) + 1:-len(", the authors")]

        def build(enforced: bool, part: tuple[str, str] = (named, text),
                  whole: bool = bool(OVERVIEW.fullmatch(name))) -> Messages:
            # named as its bullet opens; an overview is asked what its components do (asked
            # how PaSa works, the model made PaSa do its crawler's work: 'PaSa first crawls
            # the user's query')
            return talk.question("part", enforced, part, overview=whole)

        try:
            answer, _ = model.ask(build, FIELD_ANSWERS["part"], part_schema(
                start, language=talk.language), tally=tally, paper_id=talk.paper_id,
                name="method", max_tokens=FIELD_TOKENS["part"], repairs=0)
        except UnusableAnswerError as exc:
            log.info("%s: no bullet on %s (%s)", talk.paper_id or "paper", name, exc.message)
            continue
        bullets.append(answer.model_dump()["part"])
    return bullets if len(bullets) >= MIN_PARTS else []


def ask_fields(model: ChatModel, talk: Talk, names: list[str], tally: Tally
               ) -> tuple[dict[str, Any], dict[str, str]]:
    """Each field by its own request (the local model): the values and the raw answers. A
    Method written part by part (`ask_parts`) has no raw answer: it is not asked again."""
    values: dict[str, Any] = {}
    raws: dict[str, str] = {}
    for name in names:
        bullets = ask_parts(model, talk, tally) if name == "method" else []
        if bullets:  # no parts, or too few answered: the Method is asked as a whole
            values[name], raws[name], talk.parted = bullets, "", True
            continue

        def build(enforced: bool, name: str = name) -> Messages:
            return talk.question(name, enforced)

        schema = local_schema(name, language=talk.language)
        try:
            answer, raw = model.ask(build, FIELD_ANSWERS[name], schema, tally=tally,
                                    paper_id=talk.paper_id, name=name,
                                    max_tokens=FIELD_TOKENS[name], repairs=1)
        except UnusableAnswerError as exc:
            quoted = stand_in(name, talk.passages, title=talk.title)
            if quoted is None:  # keypoints, objective and method: the draft cannot do without
                raise
            # a small model that loops on a number field twice: the paper's own sentences
            # stand in (the checks flag them as copied), rather than a paper without a draft
            log.warning("%s: %s; the paper's own sentence stands in", talk.paper_id or "paper",
                        exc.message)
            values[name], raws[name] = quoted, ""
            continue
        values[name] = getattr(answer, name)
        raws[name] = raw
    return values, raws


def ask_all(model: ChatModel, talk: Talk, tally: Tally) -> tuple[dict[str, Any], str]:
    """The whole entry in one request (a capable endpoint)."""
    answer, raw = model.ask(talk.whole, DraftAnswer, strict_schema(DraftAnswer), tally=tally,
                            paper_id=talk.paper_id, name="draft")
    return answer.model_dump(), raw


def ask_again(model: ChatModel, talk: Talk, names: list[str], problems: dict[str, list[str]],
              raws: dict[str, str], tally: Tally) -> dict[str, Any]:
    """One more request for fields that failed the checks, continuing the conversation that
    wrote them (locally one per field; an endpoint all at once). Raises UnusableAnswerError."""
    fixed: dict[str, Any] = {}
    groups = [[name] for name in names] if model.local else [names]
    for group in groups:
        raw = raws.get(group[0], "")

        def build(enforced: bool, group: list[str] = group, raw: str = raw) -> Messages:
            opening = talk.question(group[0], enforced) if model.local else talk.whole(enforced)
            follow = render("fix.j2", model.root, problems={n: problems[n] for n in group},
                            language=talk.language, schema_enforced=enforced).text
            return [*opening, {"role": "assistant", "content": raw},
                    {"role": "user", "content": follow}]

        if model.local:
            answer_type: type[BaseModel] = FIELD_ANSWERS[group[0]]
            schema = local_schema(group[0], language=talk.language)
            limit: int | None = FIELD_TOKENS[group[0]]
        else:
            answer_type = create_model(  # type: ignore[call-overload]
                "Fix", **{n: (DraftAnswer.model_fields[n].annotation, DraftAnswer.model_fields[n])
                          for n in group})
            full = strict_schema(DraftAnswer)
            schema = {**full, "properties": {n: full["properties"][n] for n in group},
                      "required": group}
            limit = None
        answer, _ = model.ask(build, answer_type, schema, tally=tally, paper_id=talk.paper_id,
                              name="fix", max_tokens=limit, repairs=0)
        fixed.update({n: getattr(answer, n) for n in group})
    return fixed
