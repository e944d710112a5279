"""Where a paper states a limitation of its own work: the only passage a Limitation is written
from (editors write one only where the paper states it)."""

from __future__ import annotations

import re

from ..models import Section
from .cues import CITES_OTHERS, FUTURE, OTHERS, ROADMAP, prose_sentences

MAX_LIMITATIONS = 3
_MAX_LIMITATION_CHARS = 700
LIMITATION_HEADING = re.compile(r"\blimitations?\b|\bshortcomings\b", re.I)
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
_POINTER = re.compile(r"^(?:this|these|that|those|such|it)\b.*\b(?:limitations?|drawbacks?"
                      r"|shortcomings?|weakness(?:es)?) of (?:the|our|this) (?:proposed )?"
                      r"(?:method|approach|model|framework|work|system)", re.I)


# 'MoBA sometimes results in suboptimal performance during SFT': its own method doing worse
_WORSE = r"(?:\w+ ){0,3}?(?:results? in |leads? to |yields? |gives? |shows? |has |have )?" \
         r"(?:suboptimal|sub-optimal|worse|poorer|inferior|degraded)\b"
# 'one must always keep in mind the limitations of the Bethe lattice as a model for physical
# lattices': the authors' own caution on what their model stands for
_CAUTION = re.compile(r"\b(?:keep|bear) in mind (?:the )?(?:\w+ )?limitations?\b"
                      r"|\bexercise caution\b|\b(?:be|is|are) (?:used|interpreted|read|taken) "
                      r"with caution\b", re.I)
# 'But there are still open problems on such aggressively deep models.' (not 'this hypothesis
# is still an open question': a question is not a shortcoming)
_STILL_OPEN = re.compile(r"\b(?:still|remaining) open (?:problems?|issues?)\b"
                         r"|\bopen (?:problems?|issues?) remain", re.I)


# 'However, as a corollary these results may also suggest that RAPT-based methods would not
# ...': what the results suggest is the limitation; the words before it lean on the paragraph
# 'But there are ...': a link to the sentence before, which the limitation is read without
_LINKS = r"(?:but|however|yet|still|nevertheless|nonetheless|in general|as a co[lr]+o[lr]+ary)"
_LINK = re.compile(rf"^{_LINKS}\b,?\s*", re.I)
_SUGGEST = re.compile(rf"^(?:{_LINKS}\b,?\s+)*(?:(?:these|those|the) (?:\w+ )?(?:results?"
                      r"|findings?|observations?)|this|that) (?P<hedge>may |might |could |would )?"
                      r"(?:also )?(?:suggests?|indicates?|implies|imply|means?|shows?) that ", re.I)
# 'such aggressively deep models': the sentence that says which models it means comes along
_SUCH = re.compile(r"\b(?:such|these|those) (?:an? )?([a-z][a-z-]{3,})", re.I)
_CONTEXT = 5  # sentences back where the words 'such ...' point to may be


def _stated_alone(sentence: str) -> str:
    """A limitation sentence without the words that tie it to its paragraph: 'But there are
    ...' -> 'There are ...'; 'However, as a corollary these results may also suggest that
    RAPT-based methods would not ...' -> 'The results may suggest that RAPT-based methods would
    not ...' (the hedge kept; without one, 'These results show that X' -> 'X')."""
    suggested = _SUGGEST.match(sentence)
    kept = sentence[suggested.end():] if suggested else sentence
    if suggested and suggested["hedge"]:  # the paper's hedge stays: 'The results may ...'
        return f"The results {suggested['hedge']}suggest that {kept}"
    kept = _LINK.sub("", kept, count=1)
    return kept[:1].upper() + kept[1:]


def _antecedent(sentences: list[str], i: int) -> str | None:
    """The sentence that says what a limitation's 'such ...' or 'these ...' means: the
    nearest of the _CONTEXT before it that has the word after 'such' ('such aggressively deep
    models' -> 'We explore an aggressively deep model of over 1000 layers.') and does not
    itself point back; None when there is none."""
    match = _SUCH.search(sentences[i])
    if not match:
        return None
    said = match[1][:-1] if match[1].endswith("s") and not match[1].endswith("ss") else match[1]
    word = re.compile(rf"\b{re.escape(said)}", re.I)  # 'models' -> 'model'; 'loss' stays
    for before in reversed(sentences[max(i - _CONTEXT, 0):i]):
        if word.search(before) and not _SUCH.search(before) \
                and not re.match(r"(?:it|its|they|their|this|that)\b", before, re.I):
            return before
    return None


def limitation_passage(body: list[Section], name: str | None = None) -> tuple[str, ...]:
    """Sentences where the paper states a limitation of its own work, or () when it does not.

    In a section whose heading names limitations, the sentences that speak of one. Elsewhere
    (not the related work) a sentence that names a limitation of the paper's own work ('a
    limitation of our approach', 'our model may not ...', 'PaSa cannot ...'), never one about
    others' work (a citation, 'existing methods'), a roadmap ('... in Section 5') or future
    work. Said in passing, it counts too: the paper's method doing worse ('MoBA sometimes
    results in suboptimal performance during SFT'), problems that remain open ('there are
    still open problems on such aggressively deep models'), or a caution ('one must keep in
    mind the limitations of the Bethe lattice as a model'). A sentence that only points back
    ('This can be one limitation of the method.') brings the sentence before it, and one
    that says 'such deep models' the sentence that says which (`_antecedent`). A sentence is
    kept without the words that tie it to its paragraph (`_stated_alone`).
    """
    subject = rf"(?:{_SUBJECT}" + (rf"|{re.escape(name)}" if name else "") + ")"
    own_cannot = re.compile(rf"(?:^|, |\band |\bthat ){subject} {_CANNOT}", re.I)
    own_worse = re.compile(rf"(?:^|, |\band |\bthat ){subject} {_WORSE}", re.I)
    found: list[str] = []
    for section in body:
        if section.kind in ("related", "front", "abstract"):
            continue
        sentences = list(prose_sentences(section))
        titled = bool(LIMITATION_HEADING.search(section.heading))
        for i, sentence in enumerate(sentences):
            if CITES_OTHERS.search(sentence) or OTHERS.search(sentence) \
                    or ROADMAP.search(sentence) or FUTURE.search(sentence):
                continue
            pointer = bool(_POINTER.match(sentence)) and i > 0
            worse = own_worse.search(sentence)
            if titled:
                wanted = bool(_LIMIT_WORDS.search(sentence))
            else:
                named = name is not None and name.casefold() in sentence.casefold()
                wanted = pointer or bool(own_cannot.search(sentence)) \
                    or bool(worse) or bool(_STILL_OPEN.search(sentence)) \
                    or bool(_CAUTION.search(sentence)) \
                    or bool(_STATED.match(sentence)) or bool(
                    _LIMIT_NOUN.search(sentence) and (_SELF.search(sentence) or named))
            if not wanted:
                continue
            context = sentences[i - 1] if pointer else _antecedent(sentences, i)
            if context and _stated_alone(context) not in found:
                found.append(_stated_alone(context))
            if worse and worse.group().startswith("that "):
                # 'The motivation ... stems from our observation that MoBA sometimes results in
                # ...': the limitation itself, without the clause that leans on its paragraph
                stated = sentence[worse.start() + len("that "):]
                sentence = stated[:1].upper() + stated[1:]
            sentence = _stated_alone(sentence)
            if sentence not in found:
                found.append(sentence)
    kept: list[str] = []
    for sentence in found[:MAX_LIMITATIONS]:
        if sum(len(s) for s in kept) + len(sentence) > _MAX_LIMITATION_CHARS:
            break
        kept.append(sentence)
    return tuple(kept)
