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
from .model_input import number_sentences
from .sentences import (
    is_prose,
    reports_numbers,
    result_numbers,
    result_score,
    split_sentences,
)

MAX_CONTRIBUTIONS = 6
MAX_HEADLINE = 4
MAX_RESULTS = 3
MAX_FINDINGS = 3
MAX_LIMITATIONS = 3
_MAX_LIMITATION_CHARS = 700
_MAX_RESULT_CHARS = 320
_MATH = re.compile(r"\s[=−]\s|\d\s?[×x]\s?\d")  # '1 − 512×3 32768 = 95.31%': an equation
_SURVEY = re.compile(r"\b(?:survey|review|position paper|perspective|overview|tutorial)\b", re.I)

_CITES_OTHERS = re.compile(r"\bet al\b|\[\d+(?:[,–-]\s?\d+)*\]|\((?:[A-Z][^()]*?,\s*)?(?:19|20)\d\d"
                           r"[a-z]?\)", re.I)
_OTHERS = re.compile(r"\b(?:existing|previous|prior|traditional|conventional|earlier|recent)\s+"
                     r"(?:\w+\s+){0,2}(?:methods?|approaches|works?|models|studies|systems"
                     r"|techniques|attempts)\b|\bother (?:methods|approaches|works)\b", re.I)
# The paper speaking of what it does.
_DOES = re.compile(
    r"\b(?:we|this (?:paper|work|study)|our (?:work|paper|study))\s+(?:\w+\s+){0,3}?"
    r"(?:propose|introduce|present|develop|design|build|construct|devise|formulate|adopt"
    r"|employ|leverage|use|apply|train|optimi[sz]e|extend|pre-?train|create|collect|release"
    r"|curate|derive|study|analy[sz]e|characteri[sz]e|sketch|implement|describe|show|prove"
    r"|calculate|compute|consider|model|replace|reformulate|explore|investigate|argue)",
    re.I)
_ARTIFACT = re.compile(r"^(?:our|the proposed|this|the) (?:new )?(?:method|approach|model"
                       r"|framework|system|architecture|algorithm|technique|pipeline|agent"
                       r"|design)s?\b", re.I)
_FINDS = re.compile(r"\b(?:we|our (?:results|experiments|analysis))\s+(?:\w+\s+){0,2}?"
                    r"(?:find|found|show|showed|demonstrate|prove|observe|identify|confirm"
                    r"|indicate|reveal)|\bresults (?:show|indicate|suggest|demonstrate)", re.I)
_PRELIMINARY = re.compile(r"preliminar|background|notation|standard |problem (?:setting|"
                          r"statement|formulation)|overview of (?:prior|existing)", re.I)
_LIMITATION_HEADING = re.compile(r"\blimitations?\b|\bshortcomings\b", re.I)
_LIMIT_WORDS = re.compile(  # in a section whose heading names limitations
    r"\blimitations?\b|\blimited\b|\bdrawbacks?\b|\bshortcomings?\b|\bweakness(?:es)?\b"
    r"|\bcaveats?\b|\bcannot\b|\bcan ?not\b|\bunable to\b|\bnot (?:yet )?(?:able|applicable"
    r"|suitable|designed|guaranteed)|\bfails? to\b|\bdoes not\b|\brestricted to\b"
    r"|\bonly (?:works|applies|supports|handles|considers|covers)\b"
    r"|\bmay (?:not|exhibit|produce|generate|struggle)|\bstruggles?\b|\bhallucinat"
    r"|\bwith caution\b|\bbeyond the scope\b", re.I)
_LIMIT_NOUN = re.compile(r"\b(?:limitations?|drawbacks?|shortcomings?|weakness(?:es)?)\b", re.I)
_SELF = re.compile(r"\b(?:our|this|the proposed|the present|the current) (?:\w+[ -]){0,2}?"
                   r"(?:method|approach|model|framework|system|work|study|paper|analysis"
                   r"|technique|algorithm|design|agent)s?\b|\bours\b", re.I)
_SUBJECT = r"(?:our|the proposed|this) (?:\w+[ -]){0,2}?(?:method|approach|model|framework" \
           r"|system|technique|algorithm|agent)s?"
_CANNOT = r"(?:\w+ ){0,2}(?:cannot|can ?not|may not|would not|does not|do not|is not able" \
          r"|are not able|is limited|are limited|is restricted|are restricted|fails? to" \
          r"|struggles? to|only (?:works|applies|supports|handles))\b"
# 'One limitation is that ...': in the paper's own voice wherever it is not about related work.
_STATED = re.compile(r"^(?:however, |still, |finally, )?(?:a|one|the (?:main|only|biggest|primary"
                     r"|key)|another|a (?:key|major|main|notable)) (?:limitation|drawback"
                     r"|shortcoming|weakness)\b", re.I)
# 'Section 3', 'Sec. II', 'Appendix B' (not 'sections include')
_ROADMAP = re.compile(r"\b(?:sections?|sec\.|appendix)\s*(?:\d|(?-i:[IVX]+|[A-H])\b)", re.I)
# 'as shown in Figure 1', 'see Table 2': a sentence that reads only beside its figure or table
_POINTS_AT = re.compile(r"\b(?:fig(?:ure)?s?\.?|tables?|tab\.|eq(?:uation)?s?\.?)\s*\(?\d",
                        re.I)
_FUTURE = re.compile(r"\bit would be (?:interesting|desirable)|\bfuture work\b|\bwe plan\b"
                     r"|\bwe (?:would|will) (?:also )?like\b", re.I)
_POINTER = re.compile(r"^(?:this|these|that|those|such|it)\b.*\b(?:limitations?|drawbacks?"
                      r"|shortcomings?|weakness(?:es)?) of (?:the|our|this) (?:proposed )?"
                      r"(?:method|approach|model|framework|work|system)", re.I)


def _sentences(section: Section) -> Iterator[str]:
    for line in section.text.split("\n"):
        for sentence in split_sentences(line):
            if is_prose(sentence):
                yield " ".join(sentence.split())


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
    return [sentence for section in _body(extract) for sentence in _sentences(section)]


def short_name(title: str) -> str | None:
    """The paper's name for its own work, from a title like 'PaSa: An LLM Agent ...'."""
    head = re.split(r"[:：]", title, maxsplit=1)
    if len(head) == 2 and 0 < len(head[0].split()) <= 3:
        return head[0].strip()
    return None


_NUMBER_RUN = re.compile(r"(?:\s+[-+]?\d+(?:\.\d+)?%?){4,}(?=\s|$)")
_LINK = re.compile(r"https?://\S+|\bgithub\.com/\S+", re.I)


def _clean(text: str) -> str:
    """A passage without the runs of bare numbers a figure's axis leaves in the text, and
    without the sentence that gives a link ('Our code is available at https://...')."""
    text = " ".join(_NUMBER_RUN.sub(" ", text).split())
    return " ".join(s for s in split_sentences(text) if not _LINK.search(s))


def find_passages(extract: Extract, title: str = "", chars_per_token: float = 3.5, *,
                  numbers_budget: int = 500) -> Passages:
    """The abstract, what the paper does, its method overview and component names, its
    headline number sentences (abstract and conclusion), the results sections' number
    sentences (within `numbers_budget` tokens, only when the abstract and conclusion give no
    numbers), findings, its conclusion, and where it states its own limitations (empty when it
    does not)."""
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
        (sentence for section in framing for sentence in _sentences(section)),
        lambda s: _is_contribution(s, name), MAX_CONTRIBUTIONS)
    headline_pool = [sentence for section in body if section.kind in ("abstract", "conclusion")
                     for sentence in _sentences(section)
                     if result_numbers(sentence) and not _LINK.search(sentence)]
    claims = tuple(_distinct(headline_pool))
    headline = _top(list(claims), MAX_HEADLINE)
    results: tuple[str, ...] = ()
    if not headline and numbers_budget:  # the introduction's, then the results sections' best
        intro = [sentence for section in body if section.kind == "introduction"
                 for sentence in _sentences(section) if reports_numbers(sentence, strict=True)]
        lines = number_sentences(extract, numbers_budget, chars_per_token).splitlines()
        found = [line.split("] ", 1)[1] for line in lines if line.startswith("[results] ")]
        results = _top(_distinct(intro + found), MAX_RESULTS)
    findings = _pick((sentence for section in body if section.kind in ("abstract", "conclusion")
                      for sentence in _sentences(section)), lambda s: bool(_FINDS.search(s)),
                     MAX_FINDINGS)
    survey = bool(_SURVEY.search(title or extract.title)) or bool(
        re.search(r"\b(?:this|our) (?:survey|review|position paper)\b|\bin this (?:survey|review"
                  r"|position paper)\b", abstract, re.I))
    return Passages(
        survey=survey,
        abstract=abstract,
        contributions=contributions,
        method=_method_overview(body),
        components=_components(body),
        headline=headline,
        claims=claims,
        results=results,
        findings=findings,
        conclusion=" ".join(s.text.strip() for s in conclusion_sections
                            if not _LIMITATION_HEADING.search(s.heading))[:2000],
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
    if _DOES.search(sentence) or _ARTIFACT.search(sentence):
        return True
    return bool(name) and sentence.startswith(f"{name} ")


_FORMULA = re.compile(r"[∑∏∫∝≈≤≥∈∀∃θμφψσλαβγδε]|\w\(\w+,\s?\w+\)|\s=\s")  # maths, not prose
_NOTATION = re.compile(r"\b(?:denotes?|notation|indices|let us|we will use)\b", re.I)
_SETTINGS = re.compile(r"\d+, \d+, \d+")  # '8, 16, 32, 64 and 128 blocks': a setup, no result
_BACKGROUND = re.compile(r"\binspired by\b|\b(?:has|have) been (?:\w+ly )?(?:widely |commonly )?"
                         r"(?:used|applied|adopted|proposed|studied|shown)\b"
                         r"|^the (?:former|latter)\b|^(?:figure|fig\.|table)\s*\d", re.I)


def _method_overview(body: list[Section]) -> tuple[str, ...]:
    """The opening of the method: the first sentences of its first section that is not
    preliminaries, without background on others' techniques, captions, links, and sentences
    that point at a section, figure, table or equation (they read only beside it)."""
    for section in body:
        if section.kind != "method" or _PRELIMINARY.search(section.heading):
            continue
        sentences = [s for s in _sentences(section) if not _CITES_OTHERS.search(s)
                     and not _LINK.search(s) and not _BACKGROUND.search(s)
                     and not _FORMULA.search(s) and not _NOTATION.search(s)
                     and not _ROADMAP.search(s) and not _POINTS_AT.search(s)
                     and len(s.split()) >= 8]
        if sentences:
            return tuple(sentences[:4])
    return ()


def _components(body: list[Section]) -> tuple[str, ...]:
    """The method's sub-headings without their numbers: often the names of its parts."""
    names = []
    for section in body:
        if section.kind != "method" or not section.heading:
            continue
        label = re.sub(r"^(?:\d+(?:\.\d+)*|[IVX]+|[A-Z](?:\.\d+)*)\.?\s+", "", section.heading)
        if re.fullmatch(r"[^\d].{2,80}", label) and not _PRELIMINARY.search(label) \
                and label.casefold() not in ("method", "methods", "methodology", "approach",
                                             "overview", "implementation", "architecture"):
            names.append(label.strip())
    return tuple(dict.fromkeys(names))[:8]


def limitation_passage(body: list[Section], name: str | None = None) -> tuple[str, ...]:
    """Sentences where the paper states a limitation of its own work, or () when it does not.

    In a section whose heading names limitations, the sentences that speak of one. Elsewhere
    (not the related work) a sentence that names a limitation of the paper's own work ('a
    limitation of our approach', 'our model may not ...', 'PaSa cannot ...'), never one about
    others' work (a citation, 'existing methods'), a roadmap ('... in Section 5') or future
    work. A sentence that only points back ('This can be one limitation of the method.') brings
    the sentence before it.
    """
    own_cannot = re.compile(rf"(?:^|, |\band )(?:{_SUBJECT}"
                            + (rf"|{re.escape(name)}" if name else "") + rf") {_CANNOT}", re.I)
    found: list[str] = []
    for section in body:
        if section.kind in ("related", "front", "abstract"):
            continue
        sentences = list(_sentences(section))
        titled = bool(_LIMITATION_HEADING.search(section.heading))
        for i, sentence in enumerate(sentences):
            if _CITES_OTHERS.search(sentence) or _OTHERS.search(sentence) \
                    or _ROADMAP.search(sentence) or _FUTURE.search(sentence):
                continue
            pointer = bool(_POINTER.match(sentence)) and i > 0
            if titled:
                wanted = bool(_LIMIT_WORDS.search(sentence))
            else:
                named = name is not None and name.casefold() in sentence.casefold()
                wanted = pointer or bool(own_cannot.search(sentence)) \
                    or bool(_STATED.match(sentence)) or bool(
                    _LIMIT_NOUN.search(sentence) and (_SELF.search(sentence) or named))
            if not wanted:
                continue
            if pointer and sentences[i - 1] not in found:
                found.append(sentences[i - 1])
            if sentence not in found:
                found.append(sentence)
    kept: list[str] = []
    for sentence in found[:MAX_LIMITATIONS]:
        if sum(len(s) for s in kept) + len(sentence) > _MAX_LIMITATION_CHARS:
            break
        kept.append(sentence)
    return tuple(kept)


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
