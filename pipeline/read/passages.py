"""The passages of a paper that each field of a digest entry is written from.

An editor writes the Objective from the abstract, the Method from the sentences where the paper
says what it does (not its motivation or a preliminary analysis), the Metric from the abstract's
and conclusion's number sentences, and a Limitation only where the paper states one of its own.
`find_passages` picks those sentences out of an `Extract` with plain rules, so that a small model
is asked about the right few sentences and the checks know what the paper claims.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from ..models import Extract, Passages, Section
from .cleanup import recase_title
from .coverage import derivation_parts, survey_parts
from .cues import CITES_OTHERS as _CITES_OTHERS
from .cues import FUTURE as _FUTURE
from .cues import LINK as _LINK
from .cues import OTHERS as _OTHERS
from .cues import POINTS_AT as _POINTS_AT
from .cues import ROADMAP as _ROADMAP
from .cues import prose_sentences
from .evaluation import evaluation_setup
from .limitations import LIMITATION_HEADING, limitation_passage
from .method import (
    REFERS_BACK,
    REPORTS,
    is_derivation,
    method_components,
    method_overview,
    method_parts,
    numbering,
    reports_result,
)
from .model_input import number_sentences
from .sentences import (
    reports_numbers,
    result_numbers,
    result_score,
    split_sentences,
)

MAX_CONTRIBUTIONS = 6
MAX_HEADLINE = 4
MAX_RESULTS = 3
MAX_FINDINGS = 3
_MAX_RESULT_CHARS = 320
_MATH = re.compile(r"\s[=−]\s|\d\s?[×x]\s?\d")  # '1 − 512×3 32768 = 95.31%': an equation
_SURVEY = re.compile(r"\b(?:survey|review|position paper|perspective|overview|tutorial)\b", re.I)

# The paper speaking of what it does.
_DOES = re.compile(
    r"\b(?:we|this (?:paper|work|study|review|survey|article)|our (?:work|paper|study|review"
    r"|survey))\s+(?:\w+\s+){0,3}?"
    r"(?:propose|introduce|present|develop|design|build|construct|devise|formulate|adopt"
    r"|employ|leverage|use|apply|train|optimi[sz]e|extend|pre-?train|create|collect|release"
    r"|curate|derive|study|analy[sz]e|characteri[sz]e|sketch|implement|describe|show|prove"
    r"|calculate|compute|consider|model|replace|reformulate|explore|investigate|argue|review"
    r"|survey|discuss|cover|outline|summari[sz]e|highlight|categori[sz]e|examine)",
    re.I)
_ARTIFACT = re.compile(r"^(?:our|the proposed|this|the) (?:new )?(?:method|approach|model"
                       r"|framework|system|architecture|algorithm|technique|pipeline|agent"
                       r"|design)s?\b", re.I)
_FINDS = re.compile(r"\b(?:we|our (?:results|experiments|analysis))\s+(?:\w+\s+){0,2}?"
                    r"(?:find|found|show|showed|demonstrate|prove|observe|identify|confirm"
                    r"|indicate|reveal)|\bresults (?:show|indicate|suggest|demonstrate)", re.I)

# 'we demonstrate the effectiveness of the proposed approaches': a claim of success, which
# says what the Objective says and finds nothing; 'we show how the dynamics of SGD is
# captured by ...': what the authors do, the Method's
_ONLY_WORKS = re.compile(r"\b(?:finds?|found|show[sn]?|showed|demonstrate[sd]?|prove[sdn]?"
                         r"|confirm(?:s|ed)?|verif(?:y|ies|ied)|validate[sd]?)\s+(?:the\s+)?"
                         r"(?:effectiveness|efficacy|superiority"
                         r"|usefulness|advantages?|merits?|strengths?)\b"
                         r"|\bshow(?:n|s|ed)? how\b", re.I)


def _finding(sentence: str) -> bool:
    """A sentence that states what the authors found ('We find that the final generalisation
    error of the student increases with network size'), not only that their method works."""
    return bool(_FINDS.search(sentence)) and not _ONLY_WORKS.search(sentence)


def _body(extract: Extract) -> list[Section]:
    """The sections before the references and the appendix."""
    body = []
    for section in extract.sections:
        if section.kind in ("references", "appendix"):
            break
        body.append(section)
    return body


def paper_sentences(extract: Extract) -> list[str]:
    """Every prose sentence before the references and the appendix, in order."""
    return [sentence for section in _body(extract) for sentence in prose_sentences(section)]


def short_name(title: str) -> str | None:
    """The paper's name for its own work, from a title like 'PaSa: An LLM Agent ...'."""
    head = re.split(r"[:：]", title, maxsplit=1)
    if len(head) == 2 and 0 < len(head[0].split()) <= 3:
        return head[0].strip()
    return None


_NUMBER_RUN = re.compile(r"(?:\s+[-+]?\d+(?:\.\d+)?%?){4,}(?=\s|$)")
def _clean(text: str) -> str:
    """A passage without the runs of bare numbers a figure's axis leaves in the text, and
    without the sentence that gives a link ('Our code is available at https://...')."""
    text = " ".join(_NUMBER_RUN.sub(" ", text).split())
    return " ".join(s for s in split_sentences(text) if not _LINK.search(s))


def find_passages(extract: Extract, title: str = "", chars_per_token: float = 3.5, *,
                  numbers_budget: int = 500) -> Passages:
    """The abstract, what the paper does, its method overview, component names and main parts
    (a survey's or a derivation's main sections instead, `coverage`), its headline number
    sentences (abstract and conclusion), the results sections' number sentences (within
    `numbers_budget` tokens, only when the abstract and conclusion give no numbers), what it
    is evaluated on (only when neither gives a number, `evaluation`), findings, its
    conclusion, and where it states its own limitations (empty when it does not)."""
    body = _body(extract)
    abstract_section = next((s for s in body if s.kind == "abstract"), None)
    abstract = _clean(abstract_section.text) if abstract_section else ""
    if not abstract:  # no abstract found: the opening of the paper stands in for it
        opening = next((s for s in body if s.kind in ("front", "introduction") and s.text), None)
        abstract = _clean(opening.text[:1500]) if opening else ""
    conclusion_sections = [s for s in body if s.kind == "conclusion"]
    name = short_name(title or extract.title)
    framing = [s for s in body if s.kind in ("abstract", "introduction", "conclusion")]
    contributions = _pick(
        (sentence for section in framing for sentence in prose_sentences(section)),
        lambda s: _is_contribution(s, name), MAX_CONTRIBUTIONS)
    headline_pool = [sentence for section in body if section.kind in ("abstract", "conclusion")
                     for sentence in prose_sentences(section)
                     if result_numbers(sentence) and not _LINK.search(sentence)]
    claims = tuple(_distinct(headline_pool))
    headline = _top(list(claims), MAX_HEADLINE)
    results: tuple[str, ...] = ()
    if not headline and numbers_budget:  # the introduction's, then the results sections' best
        intro = [sentence for section in body if section.kind == "introduction"
                 for sentence in prose_sentences(section) if reports_numbers(sentence, strict=True)]
        lines = number_sentences(extract, numbers_budget, chars_per_token).splitlines()
        found = [line.split("] ", 1)[1] for line in lines if line.startswith("[results] ")]
        results = _top(_distinct(intro + found), MAX_RESULTS)
    findings = _pick((sentence for section in body if section.kind in ("abstract", "conclusion")
                      for sentence in prose_sentences(section)), _finding, MAX_FINDINGS)
    survey = bool(_SURVEY.search(title or extract.title)) or bool(
        re.search(r"\b(?:this|our) (?:survey|review|position paper)\b|\bin this (?:survey|review"
                  r"|position paper)\b", abstract, re.I))
    derivation = not survey and is_derivation(body)
    return Passages(
        survey=survey,
        abstract=abstract,
        contributions=contributions,
        method=method_overview(body),
        components=method_components(body),
        parts=survey_parts(body) if survey else derivation_parts(body, contributions)
        if derivation
        else method_parts(  # named where the paper says what it does
            body, "\n".join((title or extract.title, abstract, *contributions))),
        derivation=derivation,
        outline=_outline(body),
        headline=headline,
        claims=claims,
        results=results,
        evaluation=() if headline or results else evaluation_setup(body),
        findings=findings,
        conclusion=" ".join(s.text.strip() for s in conclusion_sections
                            if not LIMITATION_HEADING.search(s.heading))[:2000],
        limitations=limitation_passage(body, name),
    )


def _distinct(sentences: list[str]) -> list[str]:
    """Sentences without near repeats (a conclusion restating the abstract), first kept."""
    kept: list[str] = []
    seen: list[set[str]] = []
    for sentence in sentences:
        words = set(re.findall(r"\w+", sentence.casefold()))
        if all(len(words & other) < 0.6 * min(len(words), len(other)) for other in seen):
            kept.append(sentence)
            seen.append(words)
    return kept


def _top(sentences: list[str], limit: int) -> tuple[str, ...]:
    """The `limit` sentences that read most like results, in document order."""
    plain = [s for s in sentences if not _MATH.search(s) and not _SETTINGS.search(s)
             and len(s) <= _MAX_RESULT_CHARS]
    best = set(sorted(plain, key=lambda s: -result_score(s))[:limit])
    return tuple(s for s in sentences if s in best)


def _pick(sentences: Iterator[str], wanted: object, limit: int) -> tuple[str, ...]:
    keep: list[str] = []
    for sentence in sentences:
        if sentence not in keep and wanted(sentence):  # type: ignore[operator]
            keep.append(sentence)
            if len(keep) == limit:
                break
    return tuple(keep)


def _is_contribution(sentence: str, name: str | None) -> bool:
    if _CITES_OTHERS.search(sentence) or _OTHERS.search(sentence) or _LINK.search(sentence):
        return False
    if _ROADMAP.search(sentence) or _POINTS_AT.search(sentence):  # 'In Section 2 we present'
        return False
    if REPORTS.search(sentence) or _FUTURE.search(sentence) or sentence.endswith("?") \
            or REFERS_BACK.search(sentence) \
            or result_numbers(sentence) and not _DOES.search(sentence):
        return False  # a result, a plan or a question: not what the paper does
    if _DOES.search(sentence) or _ARTIFACT.search(sentence):
        return True
    return bool(name) and sentence.startswith(f"{name} ")


_SETTINGS = re.compile(r"\d+, \d+, \d+")  # '8, 16, 32, 64 and 128 blocks': a setup, no result


_OUTLINE_SKIP = re.compile(r"content|keyword|acknowledg|contribution|competing|funding|data avail"
                           r"|code avail|ethic|declaration|author", re.I)


def _outline(body: list[Section]) -> tuple[str, ...]:
    """The top-level headings of a paper's own sections, without their numbers (what a survey
    covers): not the front matter, introduction, related work, conclusion or acknowledgements."""
    kept = [s for s in body if s.heading and s.kind not in ("front", "abstract", "introduction",
                                                             "related", "conclusion")
            and not _OUTLINE_SKIP.search(s.heading)]
    numbered = [s for s in kept if numbering(s.heading) is not None]
    top = [s for s in numbered if len(numbering(s.heading) or ()) == 1] if numbered else kept
    labels = [re.sub(r"^(?:\d+(?:\.\d+)*|[IVX]+)\.?\s+", "", s.heading).strip() for s in top]
    # 'DESIGNING AI SUPPORTS' set in capitals, in the case the paper's text writes its words
    if any(not any(c.islower() for c in label) for label in labels):
        text = "\n".join(s.text for s in body)
        labels = [recase_title(label, text) for label in labels]
    return tuple(dict.fromkeys(label for label in labels if len(label) > 2))[:8]


MAX_METRIC = 2  # number sentences a Metric is written from


def metric_sentences(passages: Passages) -> list[str]:
    """The sentences a Metric is written from, as the paper writes them: of the headline
    number sentences (else the results sections'), the MAX_METRIC that read most like results
    (`result_score`), best first; those that report a result ('achieves 28.4 BLEU') before
    those that only give a number ('pretrained on 8.1T tokens'). [] without any."""
    pool = passages.headline or passages.results
    results = sorted([s for s in pool if reports_result(s)] or list(pool),
                     key=lambda s: -result_score(s))
    chosen = results[:MAX_METRIC]
    if chosen and all(_speed_only(s) for s in chosen):
        # two speedups say nothing of quality, which the editor asks for first ('comparable
        # to full attention'): the best sentence on quality takes the second place
        quality = next((s for s in results if not _speed_only(s)), None)
        chosen = chosen[:MAX_METRIC - 1] + ([quality] if quality else chosen[MAX_METRIC - 1:])
    return chosen


# what a sentence measures: how fast or cheap ('a speedup ratio of 16x', 'saves 42.5% of
# training costs'), or how good ('28.4 BLEU', 'comparable to full attention')
_SPEED = re.compile(r"\bspeed-?ups?\b|\bfaster\b|\bthroughput\b|\blatency\b|\bmemory\b"
                    r"|\bcosts?\b|\bcompute\b|\bflops\b|\b(?:computation|inference|training"
                    r"|attention|running|wall-clock) time\b", re.I)
_QUALITY = re.compile(r"\baccura|\bperformance\b|\bquality\b|\bcomparable\b|\boutperform"
                      r"|\bbetter\b|\bstate-of-the-art\b|\berror\b|\bscores?\b|\bbleu\b"
                      r"|\brecall\b|\bprecision\b|\bperplexity\b|\bloss\b|\bwin rate\b", re.I)


def _speed_only(sentence: str) -> bool:
    """A result on how fast or cheap the method is, with nothing on how good it is."""
    return bool(_SPEED.search(sentence)) and not _QUALITY.search(sentence)


def fit_passages(passages: Passages, limit: int) -> Passages:
    """The passages whose abstract, contributions and conclusion (what a model reads of the
    paper) take at most `limit` characters: the conclusion is cut first, then contributions."""
    room = limit - len(passages.abstract)
    contributions: list[str] = []
    for sentence in passages.contributions:
        if len(sentence) + 3 > room:
            break
        contributions.append(sentence)
        room -= len(sentence) + 3
    conclusion = passages.conclusion
    if len(conclusion) > room:
        kept = []
        for sentence in split_sentences(conclusion):
            if len(sentence) + 1 > room:
                break
            kept.append(sentence)
            room -= len(sentence) + 1
        conclusion = " ".join(kept)
    return replace(passages, abstract=passages.abstract[:max(limit, 0)],
                   contributions=tuple(contributions), conclusion=conclusion)
