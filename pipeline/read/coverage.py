"""What a survey covers and what a derivation works out, one top-level section at a time.

A method with parts (`method.method_parts`) is written one bullet per part. A survey has no
method of its own, and a theory paper's method is a derivation whose parts are equations, not
paragraphs; an editor's Method for either names its main sections instead: 'reviews
encoder-only, decoder-only and encoder-decoder mol-LLMs for property prediction, inverse
design and synthesis', 'derives ODEs for the order parameters that describe online SGD'.
`survey_parts` and `derivation_parts` give those sections, each with a paragraph of its
sentences, in the shape of `method_parts`: (the heading without its number, the paragraph).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..models import Section
from .cleanup import recase_title
from .cues import LINK, prose_sentences
from .method import (
    _DESIGN,
    _EQUATION_REFS,
    _NOT_A_PART,
    _NOTATION,
    _PRELIMINARY,
    REFERS_BACK,
    _excerpt,
    _label,
    _readable,
    numbering,
    part_name,
)

MAX_SECTIONS = 4  # bullets on a survey's sections
MAX_DERIVED = 3  # bullets on a derivation: as a whole, and its sections
# Sections that are not what a survey covers: its outlook, the paper's back matter.
_NOT_COVERED = re.compile(r"\b(?:challenges|opportunities|future|outlook|open (?:problems|questions"
                          r")|perspectives?|contents|keywords?|acknowledg\w*|contributions?"
                          r"|competing|funding|availability|ethics?|declarations?|authors?"
                          r"|appendix)\b", re.I)
_LISTED = 4  # subsection names a survey section's paragraph lists
# A sentence of a derivation that says what the authors do: 'we introduce a constraint that
# eliminates this mode', 'Our first contribution is to reduce ... to eight coupled ODEs'.
_WE_DO = re.compile(r"\bour (?:first |second |main )?(?:contribution|approach|aim|goal)\b", re.I)
_FORMULA_HEAVY = re.compile(r"\s[=≡≈∝∼]\s|[=≡]\s?[−-]?\d")


def _top_sections(body: list[Section], kinds: tuple[str, ...] | None
                  ) -> Iterator[tuple[str, list[Section]]]:
    """Each top-level section (its label) with its subsections after it: numbered ones by their
    numbers ('3', then '3.1', '3.2.1'), or, in a paper whose sections have no numbers, each
    heading alone. `kinds` keeps the sections of those kinds (None: all but the front matter,
    introduction, related work and conclusion)."""
    numbered = any(numbering(s.heading) for s in body if s.heading)
    current: tuple[str, list[Section]] | None = None
    for section in body:
        if not section.heading:
            continue
        number = numbering(section.heading)
        top = (number is not None and len(number) == 1) if numbered else True
        if not top:  # only in a numbered paper
            if current is not None:
                current[1].append(section)  # '3.1', or 'A Ordered Phase' under 'II ...'
            continue
        if current is not None:
            yield current
        wanted = section.kind in kinds if kinds else section.kind not in (
            "front", "abstract", "introduction", "related", "conclusion")
        current = (_label(section.heading), [section]) if wanted else None
    if current is not None:
        yield current


def _recased(labels: list[str], text: str) -> list[str]:
    """Headings set in capitals ('DESIGNING AI SUPPORTS', 'ACTION IN THE LARGE z LIMIT') in the
    case the paper's `text` writes their words."""
    return [_recase(label, text) if _capitals(label) else label for label in labels]


def _recase(label: str, text: str) -> str:
    """`recase_title` for a heading in capitals that keeps its words in lower case ('z')."""
    recased = re.split(r"(\W+)", recase_title(label.upper(), text))
    words = re.split(r"(\W+)", label)
    if len(recased) != len(words):
        return label
    return "".join(w if any(c.islower() for c in w) else r
                   for w, r in zip(words, recased, strict=True))


def _capitals(label: str) -> bool:
    letters = [c for c in label if c.isalpha()]
    return sum(c.isupper() for c in letters) > 0.7 * len(letters)


def survey_parts(body: list[Section]) -> tuple[tuple[str, str], ...]:
    """What a survey or position paper covers: its first MAX_SECTIONS top-level sections (not
    its introduction, related work, conclusion, outlook or back matter), each as (its heading
    without number, a paragraph: the names of its subsections, 'Its subsections: A; B; C.', then
    its opening sentences that read without their formulas and figures, `_excerpt` words in
    all). A section with neither gives nothing; () without any."""
    text = "\n".join(s.text for s in body)  # the case a heading in capitals takes
    found: list[tuple[str, str]] = []
    for label, sections in _top_sections(body, None):
        if _NOT_COVERED.search(label) or len(found) >= MAX_SECTIONS:
            continue
        names = _recased([_label(s.heading) for s in sections[1:] if s.heading
                          and len(numbering(s.heading) or ()) == 2][:_LISTED], text)
        sentences = [s for section in sections for s in prose_sentences(section)
                     if _readable(s)]
        if not sentences and not names:
            continue
        listed = f"Its subsections: {'; '.join(names)}." if names else ""
        found.append((label, _excerpt([listed, *sentences] if listed else sentences)))
    labels = _recased([label for label, _ in found], text)
    return tuple((part_name(label), paragraph)
                 for label, (_, paragraph) in zip(labels, found, strict=True))


def _worked_out(sentence: str) -> bool:
    """A sentence of a derivation that says what its authors do ('we introduce a constraint
    that eliminates this mode'), which may name symbols but is not itself a formula, nor ends
    on an equation's number."""
    return bool((_WE_DO.search(sentence) or _DESIGN.search(sentence))
                and not (_FORMULA_HEAVY.search(sentence) or LINK.search(sentence)
                         or _NOTATION.search(sentence) or sentence.startswith("(")
                         # 'the scaling limit that was used to obtain (14).': its object is
                         # the equation, which no bullet can carry
                         or re.search(r"\(\d+\)\W*$", sentence)
                         or REFERS_BACK.search(sentence)
                         or re.fullmatch(rf"(?:.*?(?:{_EQUATION_REFS})){{3}}.*", sentence))
                and 8 <= len(sentence.split()) <= 70)


# 'We show how the dynamics of SGD is captured by a set of differential equations and prove
# ...', 'We have derived and studied an effective action': what a derivation does as a whole
_DERIVES = re.compile(r"\b(?:deriv|prov|show how|calculat|comput|obtain|solv|construct)\w*",
                      re.I)
WHOLE = ""  # the label of the part on what a derivation does as a whole


def derivation_parts(body: list[Section], said: tuple[str, ...] = ()
                     ) -> tuple[tuple[str, str], ...]:
    """What a method written as a derivation works out: first, as a whole (label WHOLE), the
    sentences of `said` (where the paper says what it does: its contributions) that say what
    it derives, proves or calculates; then its top-level method sections (not preliminaries,
    comparisons or discussions), each as (its heading without number, a paragraph of its
    sentences that say what the authors do, `_worked_out`, formulas' symbols allowed; a
    section without any gives nothing; those with most such sentences first);
    at most MAX_DERIVED in all."""
    whole = [s for s in said if _DERIVES.search(s)]
    found: list[tuple[str, str]] = [(WHOLE, _excerpt(whole))] if whole else []
    worked: list[tuple[int, str, list[str]]] = []
    for label, sections in _top_sections(body, ("method",)):
        if _PRELIMINARY.search(label) or _NOT_A_PART.search(label):
            continue
        sentences = [s for section in sections for s in prose_sentences(section)
                     if _worked_out(s)]
        if sentences:
            worked.append((len(worked), label, sentences))
    # the sections that say most of what they work out, in the paper's order
    best = sorted(worked, key=lambda w: -len(w[2]))[:MAX_DERIVED - len(found)]
    found += [(label, _excerpt(sentences)) for _, label, sentences in sorted(best)]
    labels = _recased([label for label, _ in found], "\n".join(s.text for s in body))
    return tuple((part_name(label) if label else WHOLE, text)
                 for label, (_, text) in zip(labels, found, strict=True))
