"""How a paper's method works: the sentences of its method sections that say so.

An editor's Method names the parts of the method and says how each works, from the method
sections (not their preliminaries, maths or pointers to figures). `method_overview` takes a
sentence per section; `method_parts` picks the main parts with a few sentences each, for a small
model to put each into one bullet; `describes_method` and `leans_on_context` say which sentences
can stand outside their paragraph.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..models import Section
from .cues import CITES_OTHERS as _CITES_OTHERS
from .cues import LINK as _LINK
from .cues import POINTS_AT as _POINTS_AT
from .cues import ROADMAP as _ROADMAP
from .cues import prose_sentences
from .sentences import result_numbers

_PRELIMINARY = re.compile(r"preliminar|background|notation|standard |problem (?:setting|"
                          r"statement|formulation)|overview of (?:prior|existing)", re.I)

# maths, not prose
_FORMULA = re.compile(r"[∑∏∫∝≈≤≥∈∀∃∼≃≪≫∂∇θμφψσλαβγδεΓΠΣΛΩ]|\w\(\w+,\s?\w+\)|\s=\s")
_NOTATION = re.compile(r"\b(?:denotes?|notation|indices|let us|we will use)\b", re.I)
_BACKGROUND = re.compile(r"\binspired by\b|\b(?:has|have) been (?:\w+ly )?(?:widely |commonly )?"
                         r"(?:used|applied|adopted|proposed|studied|shown)\b"
                         r"|^the (?:former|latter)\b|^(?:figure|fig\.|table)\s*\d", re.I)
# '... as in the example mentioned above', '... in the last section'
REFERS_BACK = re.compile(
    r"\b(?:mentioned|discussed|described|defined|introduced|shown|given|explained) (?:above"
    r"|earlier|before|previously)\b|\babove-mentioned\b|\baforementioned\b"
    r"|\b(?:last|previous) section\b", re.I)
# a reference to an equation or a limit: '(14)', 'Eqns.', '→ ∞'
_EQUATION_REFS = r"\(\d+\)|\beqns?\b|[→≡∞]"
# Besides `REFERS_BACK`, what makes a sentence read only beside the text around it: 'Such a
# procedure ...', 'It can be checked that ...', 'The first term describes ...:', 'Second, (14)'.
_DANGLING = re.compile(
    r"^[(\[]|^(?:this|these|that|those|such|it|its|they|their|them|here|then|thus|hence"
    r"|therefore|also|moreover|furthermore|additionally|similarly|likewise|finally|next|again"
    r"|in addition|in particular|specifically|note|namely|otherwise|instead|the (?:former|latter)"
    r"|the (?:first|second|third|last|next|above|following) (?:term|step|equation|expression"
    r"|case|one))\b|[:?]$"
    rf"|\b(?:next|following) section\b|\bwe (?:now|saw)\b|{_EQUATION_REFS}", re.I)
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
REPORTS = re.compile(r"\b(?:show|find|found|demonstrate|observe|reveal|confirm|verify)(?:s|ed)?"
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
    return bool(REPORTS.search(sentence) or measured)


_POINTS_ON = re.compile(r"\bas follows\b|\bthe following\b|:$|\b(?:described|discussed|detailed"
                        r"|given|shown|explained) below\b"
                        r"|\((?:top|bottom|left|right|middle|inset)\)", re.I)  # a figure's panel


def leans_on_context(sentence: str) -> bool:
    """A sentence that reads only beside the text around it: 'Such a procedure ...', '... as
    mentioned above', '... two models as follows.' (not 'This paper ...' or 'This approach
    ...')."""
    return bool(REFERS_BACK.search(sentence) or _POINTS_ON.search(sentence) or re.match(
        r"^(?:such|these|those|this|that)\b(?! (?:paper|work|study|review|survey|article"
        r"|approach|method|model|framework|system)\b)", sentence, re.I))


def numbering(heading: str) -> tuple[int, ...] | None:
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


def _plain_prose(sentence: str) -> bool:
    """Not maths, notation, background, a caption, a link, or a pointer to a section, figure,
    table or earlier text: what a sentence of a method needs to be read in a digest."""
    return not (_FORMULA.search(sentence) or _LINK.search(sentence)
                or _POINTS_AT.search(sentence) or _ROADMAP.search(sentence)
                or _NOTATION.search(sentence) or _BACKGROUND.search(sentence)
                or REFERS_BACK.search(sentence))


def describes_method(sentence: str) -> bool:
    """A sentence that says how a part of the method works on its own: plain prose
    (`_plain_prose`), not background on others' techniques, a sentence that leans on the one
    before ('Such a procedure ...'), or a result."""
    return _plain_prose(sentence) and not (
        _CITES_OTHERS.search(sentence) or _DANGLING.search(sentence)
        or reports_result(sentence) or not 8 <= len(sentence.split()) <= _MAX_METHOD_WORDS)


def method_overview(body: list[Section]) -> tuple[str, ...]:
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
        number = numbering(section.heading)
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


def method_components(body: list[Section]) -> tuple[str, ...]:
    """The method's sub-headings without their numbers: often the names of its parts."""
    names = []
    for section in body:
        if section.kind != "method" or not section.heading:
            continue
        label = _label(section.heading)
        if re.fullmatch(r"[^\d].{2,80}", label) and not _PRELIMINARY.search(label) \
                and label.casefold() not in ("method", "methods", "methodology", "approach",
                                             "overview", "implementation", "architecture"):
            names.append(label)
    return tuple(dict.fromkeys(names))[:8]




# A section about the method that is not one of its parts
_NOT_A_PART = re.compile(r"\b(?:comparisons?|discussion|analys[ie]s|ablations?|complexity|why"
                         r"|limitations?|summary|intuition|motivation|number of parameters"
                         r"|parameter counts?)\b", re.I)
# a heading over the whole method
OVERVIEW = re.compile(r"(?:an? )?overview", re.I)
# a heading that names no part: 'Method', 'Basic Architecture', 'Proposed Approaches'
GENERIC_PART = re.compile(r"^(?:(?:the|our|proposed|overall|basic|model|system|network)\s+)*"
                          r"(?:method|methods|methodology|approach|approaches|architecture"
                          r"|framework|model|design|implementation|system|algorithm|overview)$",
                          re.I)
_NAME = re.compile(r"\b[A-Z][a-z]*[A-Z][\w-]*|\b[A-Z]{2,}\w*")  # 'DeepSeekMoE', 'MLA', 'KV'
MAX_PARTS = 3
_PART_WORDS = 110  # an excerpt's length: a paragraph, read in a few seconds on the local model
_PROSE = 0.3  # the share of a method's words in readable sentences, below which it is maths
_LONG_PART = 10  # readable sentences in a section that may stand for two parts
_PART_SENTENCES = 2  # a part says at least this much from its first describing sentence


class _Part(NamedTuple):
    score: float  # its heading's and half its parent's: how much they name of the topic
    own: float  # its heading's alone
    parent: tuple[int, ...]
    position: int  # the section's place in the body
    label: str
    sentences: list[str]
    number: tuple[int, ...] = ()  # its heading's number ('2.1' -> (2, 1))


def _label(heading: str) -> str:
    """A heading without its number: '2.1 Multi-Head Latent Attention' -> 'Multi-Head ...'."""
    return re.sub(r"^(?:\d+(?:\.\d+)*|[IVX]+|[A-Z](?:\.\d+)*)\.?\s+", "", heading).strip()


def part_name(label: str) -> str:
    """A part's name: its heading without a subtitle ('Multi-Head Latent Attention: Boosting
    Inference Efficiency' -> 'Multi-Head Latent Attention')."""
    return re.split(r"[:：]\s", label, maxsplit=1)[0].strip()


# a sentence that leans on the paper's equations: '(19)', 'Eqns. (9)', 'Theorem 1.1', '→ ∞'
_EQUATIONS = re.compile(rf"{_EQUATION_REFS}|\btheorem\b|\blemma\b|\s[A-Z]\w*\(", re.I)


# an example query the paper quotes ('Is there any works that ...'), not a sentence about it
_QUESTION = re.compile(r"(?:is|are|do|does|can|could|what|which|who|why) ", re.I)


def _readable(sentence: str) -> bool:
    """A sentence of a paragraph that reads without its formulas, figures and citations (it
    may lean on the sentence before it: the excerpt keeps their order); not a question."""
    return _plain_prose(sentence) and not (
        _EQUATIONS.search(sentence) or _POINTS_ON.search(sentence)
        or not sentence[:1].isupper() or sentence.endswith((":", "?"))
        or _QUESTION.match(sentence) or not 5 <= len(sentence.split()) <= _MAX_METHOD_WORDS)


def _excerpt(sentences: list[str]) -> str:
    """The first sentences, together at most _PART_WORDS words (at least one)."""
    kept: list[str] = []
    for sentence in sentences:
        if kept and sum(len(s.split()) for s in kept) + len(sentence.split()) > _PART_WORDS:
            break
        kept.append(sentence)
    return " ".join(kept)


def _part_sentences(section: Section) -> list[str]:
    """A section's sentences for a part's paragraph: those that read without their formulas
    (`_readable`, without a pointer that opens it: 'As illustrated in Figure 1, '), and of a
    sentence that runs into formulas after a colon its words before it ('The core of MLA is
    the low-rank joint compression for keys and values to reduce KV cache: cKV t = WDKVht,
    ...' -> '... to reduce KV cache.'); without a 'In this section'."""
    kept = []
    for sentence in prose_sentences(section):
        shown = _SHOWN.match(sentence)
        if shown:  # 'As illustrated in Figure 1, the PaSa system consists of two LLM agents'
            sentence = sentence[shown.end():shown.end() + 1].upper() + sentence[shown.end() + 1:]
        head = sentence.split(": ", 1)[0].rstrip().rstrip(":")
        if _readable(sentence):
            kept.append(sentence)
        elif (": " in sentence or sentence.endswith(":")) and len(head.split()) >= 6 \
                and _readable(head + ".") \
                and head.split()[-1].casefold() not in _OPEN_END:
            kept.append(head + ".")  # not '... a building block defined as.'
    return [_LEAD.sub("", s) for s in kept]


# a pointer that opens a sentence, which reads on without it
_SHOWN = re.compile(r"(?:as )?(?:shown|seen|illustrated|depicted|presented) in "
                    r"(?:fig(?:ure)?s?\.?|tables?)\s*\d+[a-z]?,\s*", re.I)
# the last word of a clause that goes on after its colon: '... defined as:', '... of the form:'
_OPEN_END = frozenset("as of by to with the a an for in on at from is are be was were follows "
                      "form following below defined given written computed where".split())


_SHORT_PART = 3  # sentences of a part's own text below which its subsections' are added


def _with_subsections(part: _Part, body: list[Section]) -> tuple[_Part, set[int]]:
    """A subsection whose own text is short (under _SHORT_PART sentences: 'Multi-Head Latent
    Attention' says only what MLA is before its subsections say how it works) with the
    sentences of its subsections after it, not preliminaries or comparisons; and the places
    in the body of the subsections it took in (no parts of their own then)."""
    if len(part.sentences) >= _SHORT_PART or not part.number[1:]:
        return part, set()
    sentences, taken = list(part.sentences), set()
    for position in range(part.position + 1, len(body)):
        section = body[position]
        number = numbering(section.heading)
        if not number or number[:len(part.number)] != part.number or section.kind != "method":
            break
        label = _label(section.heading)
        if not (_PRELIMINARY.search(label) or _NOT_A_PART.search(label)):
            sentences += _part_sentences(section)
            taken.add(position)
    return part._replace(sentences=sentences), taken


def _readable_method(body: list[Section]) -> dict[int, list[str]]:
    """Each method section's sentences that read without their formulas (`_readable`), by the
    section's place in the body."""
    return {index: [s for s in prose_sentences(section) if _readable(s)]
            for index, section in enumerate(body) if section.kind == "method"}


def is_derivation(body: list[Section], readable: dict[int, list[str]] | None = None) -> bool:
    """A method written as a derivation: less than _PROSE of its words are in sentences that
    read without their equations (`_readable`; the corpus's two theory papers have 7% and 21%,
    its others 40% or more). False for a paper without method sections."""
    readable = _readable_method(body) if readable is None else readable
    words = sum(len(body[index].text.split()) for index in readable)
    return bool(words) and sum(len(s.split()) for kept in readable.values()
                               for s in kept) < _PROSE * words


def method_parts(body: list[Section], topic: str) -> tuple[tuple[str, str], ...]:
    """The main parts of a method, at most MAX_PARTS, in document order: (the section's heading
    without its number, a paragraph of its sentences that describe the method), for a small
    model to put each part into one Method bullet.

    A part is a method section with at least two such sentences (`describes_method`), not a
    preliminary, a comparison or a discussion. The sections whose headings name what the
    abstract and title (`topic`) name come first: a shared word scores 1 (at most 3), a name
    such as 'DeepSeekMoE' or 'MLA' 2, and half its parent section's score is added, so that
    'Low-Rank Key-Value Joint Compression' under 'Multi-Head Latent Attention' ranks high; an
    'Overview' scores 1.
    Parts are spread over the method's subdivisions (the best of each parent section before a
    second of any), a heading sharing nothing with the topic is taken only to make two parts,
    and a long section that is the method's only part gives two (its opening and its middle:
    beside other parts, its middle was a detail, and the model's bullet on it a garbled one).
    A method written as a derivation (`is_derivation`) has no parts here: (); see
    `coverage.derivation_parts`."""
    terms = _content_words(topic)
    names = set(_NAME.findall(topic))

    def score(label: str) -> float:
        return min(len(_content_words(label) & terms), 3) + 2 * bool(
            names & set(_NAME.findall(label)))

    readable = _readable_method(body)
    if is_derivation(body, readable):
        return ()  # its parts are equations, not paragraphs to put in a bullet
    scores: dict[tuple[int, ...], float] = {}
    labels: dict[tuple[int, ...], str] = {}
    found: list[_Part] = []
    for index, section in enumerate(body):
        if section.kind != "method" or not section.heading:
            continue
        label = _label(section.heading)
        number = numbering(section.heading) or (index,)
        # an overview of the method tells what all its parts do: as good as a named part
        scores[number] = score(label) or float(bool(OVERVIEW.fullmatch(label)))
        labels[number] = part_name(label)
        if _PRELIMINARY.search(label) or _NOT_A_PART.search(label):
            continue
        sentences = _part_sentences(section)
        share = sum(len(s.split()) for s in sentences) / max(len(section.text.split()), 1)
        # from its first sentence that says how the method works (not others' work before it),
        # or the one before that one when it speaks of the method ('Each layer has two
        # sub-layers. The first is ...')
        start = next((i for i, s in enumerate(sentences) if describes_method(s)), None)
        if start and not (_CITES_OTHERS.search(sentences[start - 1])
                          or _BACKGROUND.search(sentences[start - 1])):
            start -= 1
        if start is None or len(sentences) - start < _PART_SENTENCES or share < _PROSE:
            continue
        own = scores[number]
        parent = labels.get(number[:-1], "")
        if GENERIC_PART.match(label) and parent and not GENERIC_PART.match(parent) \
                and "implementation" not in label.casefold():  # how it was run, not a part
            # 'Basic Architecture' under 'DeepSeekMoE: ...' is DeepSeekMoE's, and scores so
            label, own = parent, score(parent)
        found.append(_Part(own + scores.get(number[:-1], 0) / 2, own, number[:-1], index,
                           label, sentences[start:], number))
    widened = [_with_subsections(part, body) for part in found]
    taken = {position for _, positions in widened for position in positions}
    found = [part for part, _ in widened if part.position not in taken]
    found.sort(key=lambda part: (-part.score, part.position))
    chosen: list[_Part] = []
    for part in [*found, *found]:  # the best of each subdivision first, then the rest
        fresh = part.parent not in {c.parent for c in chosen} or len(chosen) >= len(
            {p.parent for p in found})
        if part not in chosen and fresh and (part.own > 0 or len(chosen) < 2):
            chosen.append(part)
    chosen = sorted(chosen[:MAX_PARTS], key=lambda part: part.position)
    parts = [(part.position, 0, part.label, _excerpt(part.sentences)) for part in chosen]
    for part in chosen[:1] if len(chosen) == 1 else ():  # a long section alone: two parts
        if len(part.sentences) >= _LONG_PART:
            middle = part.sentences[len(part.sentences) // 2:]
            parts.append((part.position, 1, part.label, _excerpt(middle)))
    return tuple((label, text) for _, _, label, text in sorted(parts))
