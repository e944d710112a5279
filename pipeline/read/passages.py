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
from .cues import CITES_OTHERS as _CITES_OTHERS
from .cues import FUTURE as _FUTURE
from .cues import LINK as _LINK
from .cues import OTHERS as _OTHERS
from .cues import POINTS_AT as _POINTS_AT
from .cues import ROADMAP as _ROADMAP
from .cues import prose_sentences
from .limitations import LIMITATION_HEADING, limitation_passage
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
_PRELIMINARY = re.compile(r"preliminar|background|notation|standard |problem (?:setting|"
                          r"statement|formulation)|overview of (?:prior|existing)", re.I)


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
                      for sentence in prose_sentences(section)), lambda s: bool(_FINDS.search(s)),
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
        outline=_outline(body),
        headline=headline,
        claims=claims,
        results=results,
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
    if _REPORTS.search(sentence) or _FUTURE.search(sentence) or sentence.endswith("?") \
            or _REFERS_BACK.search(sentence) \
            or result_numbers(sentence) and not _DOES.search(sentence):
        return False  # a result, a plan or a question: not what the paper does
    if _DOES.search(sentence) or _ARTIFACT.search(sentence):
        return True
    return bool(name) and sentence.startswith(f"{name} ")


# maths, not prose
_FORMULA = re.compile(r"[∑∏∫∝≈≤≥∈∀∃∼≃≪≫∂∇θμφψσλαβγδεΓΠΣΛΩ]|\w\(\w+,\s?\w+\)|\s=\s")
_NOTATION = re.compile(r"\b(?:denotes?|notation|indices|let us|we will use)\b", re.I)
_SETTINGS = re.compile(r"\d+, \d+, \d+")  # '8, 16, 32, 64 and 128 blocks': a setup, no result
_BACKGROUND = re.compile(r"\binspired by\b|\b(?:has|have) been (?:\w+ly )?(?:widely |commonly )?"
                         r"(?:used|applied|adopted|proposed|studied|shown)\b"
                         r"|^the (?:former|latter)\b|^(?:figure|fig\.|table)\s*\d", re.I)
# '... as in the example mentioned above', '... in the last section'
_REFERS_BACK = re.compile(
    r"\b(?:mentioned|discussed|described|defined|introduced|shown|given|explained) (?:above"
    r"|earlier|before|previously)\b|\babove-mentioned\b|\baforementioned\b"
    r"|\b(?:last|previous) section\b", re.I)
# Besides `_REFERS_BACK`, what makes a sentence read only beside the text around it: 'Such a
# procedure ...', 'It can be checked that ...', 'The first term describes ...:', 'Second, (14)'.
_DANGLING = re.compile(
    r"^[(\[]|^(?:this|these|that|those|such|it|its|they|their|them|here|then|thus|hence"
    r"|therefore|also|moreover|furthermore|additionally|similarly|likewise|finally|next|again"
    r"|in addition|in particular|specifically|note|namely|otherwise|instead|the (?:former|latter)"
    r"|the (?:first|second|third|last|next|above|following) (?:term|step|equation|expression"
    r"|case|one))\b|[:?]$"
    r"|\b(?:next|following) section\b|\bwe (?:now|saw)\b|\(\d+\)|\beqns?\b"
    r"|[→≡∞]", re.I)
# What a method's sentence says when it tells how the method works.
_DESIGN = re.compile(
    r"\b(?:we|it|which|that|they)\s+(?:\w+\s+){0,2}?(?:propose|introduce|design|devise|use"
    r"|employ|adopt|apply|divide|split|partition|compute|select|combine|replace|encode|decode|map"
    r"|project|train|retrieve|generate|construct|build|add|append|concatenate|predict|learn"
    r"|optimi[sz]e|treat|derive|obtain|reformulate|let)\w*\b|\b(?:consists? of|composed of"
    r"|comprises?|is made of|works by|is based on|relies on|instead of)\b", re.I)
_WEAK_START = re.compile(r"^(?:however|but|so|while|although|if|when|since|given|formally"
                         r"|for (?:example|instance)|roughly|in (?:this|that) format|as)\b", re.I)
# A sentence that reports a result rather than says what the paper does.
_REPORTS = re.compile(r"\b(?:show|find|found|demonstrate|observe|reveal|confirm|verify)(?:s|ed)?"
                      r" that\b|\b(?:outperform|surpass|exceed)(?:s|ed)?\b|\bachieve[sd]\b"
                      r"|\bstate-of-the-art (?:results|performance)\b", re.I)
_LEAD = re.compile(r"^in this (?:section|subsection|part|chapter)\s*,?\s*", re.I)
MAX_METHOD = 5
_OPENING = 5  # sentences of a method section's opening that may stand for it
_MAX_METHOD_WORDS = 60


def reports_result(sentence: str) -> bool:
    """A sentence that reports a result: 'achieves 28.4 BLEU', 'outperforms', 'we show that',
    or a measurement (a percentage, a multiple, a decimal)."""
    measured = {"percent", "multiplier", "decimal"} & set(result_numbers(sentence))
    return bool(_REPORTS.search(sentence) or measured)


_POINTS_ON = re.compile(r"\bas follows\b|\bthe following\b|:$"
                        r"|\((?:top|bottom|left|right|middle|inset)\)", re.I)  # a figure's panel


def leans_on_context(sentence: str) -> bool:
    """A sentence that reads only beside the text around it: 'Such a procedure ...', '... as
    mentioned above', '... two models as follows.' (not 'This paper ...' or 'This approach
    ...')."""
    return bool(_REFERS_BACK.search(sentence) or _POINTS_ON.search(sentence) or re.match(
        r"^(?:such|these|those|this|that)\b(?! (?:paper|work|study|review|survey|article"
        r"|approach|method|model|framework|system)\b)", sentence, re.I))


def _numbering(heading: str) -> tuple[int, ...] | None:
    """'2.1.3 Decoupled RoPE' -> (2, 1, 3); 'IV CORRECTIONS' -> (4,); None without a number."""
    match = re.match(r"^(\d+(?:\.\d+)*)\.?\s", heading)
    if match:
        return tuple(int(n) for n in match.group(1).split("."))
    roman = re.match(r"^([IVX]+)\.?\s", heading)
    if roman:
        values = {"I": 1, "V": 5, "X": 10}
        digits = [values[c] for c in roman.group(1)]
        return (sum(-d if i + 1 < len(digits) and d < digits[i + 1] else d
                    for i, d in enumerate(digits)),)
    return None


def describes_method(sentence: str) -> bool:
    """A sentence that says how a part of the method works on its own: not background on
    others' techniques, a caption, maths, notation, a pointer to a section, figure or table, a
    sentence that leans on the one before ('Such a procedure ...'), or a result."""
    return not (_CITES_OTHERS.search(sentence) or _LINK.search(sentence)
                or _BACKGROUND.search(sentence) or _FORMULA.search(sentence)
                or _NOTATION.search(sentence) or _ROADMAP.search(sentence)
                or _POINTS_AT.search(sentence) or _DANGLING.search(sentence)
                or _REFERS_BACK.search(sentence) or reports_result(sentence)
                or not 8 <= len(sentence.split()) <= _MAX_METHOD_WORDS)


def _method_overview(body: list[Section]) -> tuple[str, ...]:
    """How the method works: the opening sentences of its sections (preliminaries skipped),
    spread over its parts (`describes_method`), at most MAX_METHOD, in document order.

    Each part gets its first such sentence before any gets a second, and parts are visited from
    the top of the method's numbering down, each parent's first child before its second, so
    that a method of two components (an attention and an expert layer, say) brings both even
    when the first has four subsections."""
    parts: list[tuple[tuple[int, ...], list[str]]] = []
    for index, section in enumerate(body):
        if section.kind != "method" or _PRELIMINARY.search(section.heading):
            continue
        number = _numbering(section.heading)
        depth = len(number) if number else 1
        rank = number[-1] if number and len(number) > 1 else 0
        topic = _content_words(section.heading)
        candidates = [_LEAD.sub("", s) for s in prose_sentences(section) if describes_method(s)]
        # the section's opening few, best first (a topic sentence, not one deep in a derivation)
        sentences = sorted(candidates[:_OPENING], key=lambda s: -_method_score(s, topic))
        if sentences:
            parts.append(((depth, rank, index), [s[:1].upper() + s[1:] for s in sentences]))
    parts.sort(key=lambda part: part[0])
    chosen: dict[tuple[int, int], str] = {}  # (section index, sentence index) -> sentence
    for turn in range(max((len(p[1]) for p in parts), default=0)):
        for (_, _, index), sentences in parts:
            if turn < len(sentences) and len(chosen) < MAX_METHOD:
                chosen[(index, turn)] = sentences[turn]
    return tuple(dict.fromkeys(chosen[key] for key in sorted(chosen)))


def _content_words(text: str) -> set[str]:
    return {w.casefold()[:6] for w in re.findall(r"[^\W\d_]{4,}", text)}


def _method_score(sentence: str, topic: set[str]) -> int:
    """How well a sentence tells how its section's part works: it names a design step (+2),
    its section's subject or a named component (+1 each), it leans on a clause first (-1)."""
    named = re.search(r"\b[A-Z][a-z]*[A-Z][\w-]*|\b[A-Z]{2,}\b", sentence)
    return (2 * bool(_DESIGN.search(sentence)) + bool(topic & _content_words(sentence))
            + bool(named) - bool(_WEAK_START.search(sentence)))


_OUTLINE_SKIP = re.compile(r"content|keyword|acknowledg|contribution|competing|funding|data avail"
                           r"|code avail|ethic|declaration|author", re.I)


def _outline(body: list[Section]) -> tuple[str, ...]:
    """The top-level headings of a paper's own sections, without their numbers (what a survey
    covers): not the front matter, introduction, related work, conclusion or acknowledgements."""
    kept = [s for s in body if s.heading and s.kind not in ("front", "abstract", "introduction",
                                                             "related", "conclusion")
            and not _OUTLINE_SKIP.search(s.heading)]
    numbered = [s for s in kept if _numbering(s.heading) is not None]
    top = [s for s in numbered if len(_numbering(s.heading) or ()) == 1] if numbered else kept
    labels = [re.sub(r"^(?:\d+(?:\.\d+)*|[IVX]+)\.?\s+", "", s.heading).strip() for s in top]
    # 'DESIGNING AI SUPPORTS' set in capitals, in the case the paper's text writes its words
    if any(not any(c.islower() for c in label) for label in labels):
        text = "\n".join(s.text for s in body)
        labels = [recase_title(label, text) for label in labels]
    return tuple(dict.fromkeys(label for label in labels if len(label) > 2))[:8]


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
