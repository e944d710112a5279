"""Tidying a drafted field without the model, as an editor would before reading it closely.

The third person, no label the model put before a field, no link or citation marker, a field
cut at the local grammar's length limit ending at its last whole sentence; Method bullets
without the ones an editor strikes (a result, a repeat of the Objective, a sentence that leans
on text the entry does not have, a heading, a repeat of another bullet); keypoints without
repeats, the title or a piece of a sentence, words the paper does not use, a bare acronym
beside its spelled-out form, or a general word while enough specific ones remain.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from lemminflect import getInflection, getLemma

from ..read.method import leans_on_context, reports_result
from ..read.sentences import split_sentences, strip_citations
from .checks import squash
from .passes import third_person
from .rubric import MIN_KEYPOINTS, cut_short, keypoint_problem, loops, repeats_acronym

_LABEL = re.compile(  # 'Metric: ...', 'Performance and Efficiency Metrics: ...'
    r"^(?=[^:]{0,50}\b(?:objective|method|metric|result|limitation|evaluation|performance"
    r"|answer|summary|keypoint|finding)s?\b)[A-Z][\w-]*(?: [\w-]+){0,3}:\s+(?=[A-Z0-9])", re.I)
# before a Method bullet, any short label: 'Encoder and Decoder Stacks: The first is ...'
_ITEM_LABEL = re.compile(r"^[^:.;]{3,90}:\s+(?=[A-Z])")
# a bullet that speaks of the question or the system prompt rather than the paper ('One bullet
# point of the entry's Method from this paragraph: ...', '..., in the third person, in English
# only')
_ECHO = re.compile(r"\bbullet points?\b|\b(?:this|the) paragraph\b|\bthe entry\b|\bin (?:your"
                   r"|their|its) own words\b|\bat most \d+ words\b|\bwhole sentence\b"
                   r"|\babstract of\b|\bdescrib(?:es|ed|ing) (?:in detail|the method)\b"
                   r"|\bin the abstract\b|\bin the third person\b|\bin English only\b"
                   r"|\busing only what the paper says\b", re.I)
_LINK = re.compile(r"https?://|github\.com/", re.I)
_MARKUP = re.compile(r"<|\]\(")  # an HTML tag or a markdown link: the markup gate's to report
_COMMON = frozenset("the and for with that this from are was were has have its their which "
                    "authors they also paper".split())
# A Method bullet saying again what the Objective says: this share of its words in the Objective.
REPEAT_SHARE = 0.85
# a bullet that states the paper's aim ('The authors present the Transformer, ...'); one that
# says how a part works stays though an Objective that ran on into the method says it too
_AIMS = re.compile(r"\b(?:aims?|propos|introduc|present|goals?\b|objective|address|seeks?\b"
                   r"|sets? out)", re.I)
# A Method bullet that reports a result or a plan, however the model put it ('the authors
# achieve a new state of the art', 'can be trained faster than', 'plan to apply them').
_NOT_METHOD = re.compile(r"(?<!\bto )\bachiev\w*|\bstate[ -]of[ -]the[ -]art\b|\boutperform"
                         r"|\bsurpass|\b(?:faster|better|higher|lower|stronger) than\b"
                         r"|\bplans? to\b|\bfuture\b|\bexcited\b", re.I)


def tidy_text(text: str, limit: int | None = None, *, clause: bool = False) -> str:
    """One field's text: the third person, no label, link, backtick or citation marker, no
    sentence of fewer than three words (what is left of a small model's stray output), whole
    sentences. `limit`: the local grammar's length limit, where a sentence was cut and given
    a full stop it does not have: it ends at its last whole sentence, with `clause` (a Method
    bullet or the Objective: one sentence) at its last comma past 30% of its length ('... by
    introducing Mixture of Block Attention (MoBA), a novel attention architecture that ...
    to selectively route query to' -> '... (MoBA).'; at the colon before it, when
    the comma is in a list the colon opens), or loses that stop so that the rubric sees it
    cut."""
    at_limit = limit is not None and len(text) >= limit - 2
    text = strip_citations(text.replace("`", ""))
    text = _LABEL.sub("", text, count=1)
    # not 'Code is at https://...', not "json.obj['r."; markup stays for the markup gate to
    # remove and report (`markup.py`)
    kept = [s for s in split_sentences(text, loose=True) if _MARKUP.search(s) or (
        not _LINK.search(s) and len(re.findall(r"[^\W\d_]{2,}", s)) >= 3)]
    text = " ".join(kept) if kept else text
    text = third_person(text)
    text = text[:1].upper() + text[1:]
    if at_limit or (limit is not None and cut_short(text)):
        end = max(text[:-1].rfind(". "), text[:-1].rfind("; "))
        comma = text[:-1].rfind(", ") if clause else -1  # a bullet loses its last clause
        # a list cut after its first items: 'three components: supporting the reading ...'
        # names one of three; the bullet ends where the list begins
        colon = text.find(": ") if clause else -1
        if end >= (20 if at_limit else len(text) * 0.3):
            text = text[:end] + "."
        elif comma >= len(text) * 0.3:
            text = text[:colon if len(text) * 0.3 <= colon < comma else comma] + "."
        elif at_limit:
            text = text.rstrip(".")
    return text


def _words(text: str) -> set[str]:
    return {w.casefold() for w in re.findall(r"[^\W_]{3,}", text)} - _COMMON


# 'MoBA works by dividing the context into blocks and using a gate': how a small model answers
# 'how does MoBA work?'
_WORKS_BY = re.compile(r"^(?P<subject>[^,;]{2,80}?) (?P<verb>works?|operates?|functions?) by "
                       r"(?P<adverb>(?:\w+ly|first|also|then) )?(?P<gerund>\w+ing)\b")
_AND_GERUND = re.compile(r"(?P<link>,? (?:and|then|and then) (?:\w+ly )?)(?P<gerund>\w+ing)\b")


def _finite(gerund: str, tag: str) -> str | None:
    """'dividing' -> 'divides' (tag VBZ) or 'divide' (VBP); None for a word not a verb."""
    lemmas = getLemma(gerund, upos="VERB")
    forms = getInflection(lemmas[0], tag=tag) if lemmas else ()
    return forms[0] if forms and lemmas[0] != gerund else None


def plain_verb(item: str) -> str:
    """'MoBA works by dividing the context into blocks and using a gate.' -> 'MoBA divides the
    context into blocks and uses a gate.': the bullet an editor writes, its verbs in the
    subject's number ('works' takes 'divides', 'work' takes 'divide')."""
    match = _WORKS_BY.match(item)
    if not match:
        return item
    tag = "VBZ" if match["verb"].endswith("s") else "VBP"
    verb = _finite(match["gerund"], tag)
    if verb is None:
        return item
    rest = item[match.end():]
    clause = re.split(r"[,;] (?!and\b|then\b)|\b(?:which|where|while|to)\b", rest, maxsplit=1)
    head = _AND_GERUND.sub(lambda m: m["link"] + (_finite(m["gerund"], tag) or m["gerund"]),
                           clause[0])
    return f"{match['subject']} {match['adverb'] or ''}{verb}{head}{rest[len(clause[0]):]}"


def _unlabel(item: str) -> str:
    """A bullet without a heading of up to 8 words before it ('Encoder and Decoder Stacks:
    ...', a small model's echo of the part it was asked about); a clause before a colon
    stays."""
    label = _ITEM_LABEL.match(item)
    words = label.group().rstrip(": ").split() if label else []
    titled = all(w[:1].isupper() or len(w) < 4 for w in words)  # a heading, not a clause
    return item[label.end():] if label and len(words) <= 8 and titled else item


def _heading(item: str, headings: Sequence[str]) -> bool:
    """A bullet that is only a heading of the paper's ('Ordered phase.'), or several."""
    plain = squash(item.rstrip("."))
    return bool(plain) and any(plain == squash(h) for h in headings) or (
        ";" in item and all(squash(part.strip(" .")) in {squash(h) for h in headings}
                            for part in item.split(";")))


def method_items(items: list[str], title: str, objective: str = "",
                 headings: Sequence[str] = ()) -> list[str]:
    """The Method bullets an editor keeps, in order, without a label before them: not a loop ('in
    Chemistry in Chemistry in Chemistry'), not an echo of the question ('One bullet point of the
    entry's Method ...'), not cut mid-sentence, not a result ('28.4 BLEU on WMT 2014',
    'outperforms', 'trained faster than') or a plan, not the Objective again (an aim, with
    REPEAT_SHARE of its words), not leaning on text the entry lacks ('Such a procedure ...', '...
    mentioned above'), not a repeat of another bullet (half its words again, for two bullets that
    open alike: two on one part), the bare title or one of the paper's `headings`. Each rule only
    drops while a bullet remains; given no bullet that passes, the bullets as they came."""
    kept = [plain_verb(_unlabel(item)) for item in items]
    goal = _words(objective)
    for strike in (loops, _ECHO.search, cut_short, reports_result, leans_on_context,
                   _NOT_METHOD.search,
                   lambda item: _heading(item, headings),
                   lambda item: bool(_AIMS.search(item))
                   and len(_words(item) & goal) >= REPEAT_SHARE * len(_words(item))):
        remaining = [item for item in kept if not strike(item)]
        kept = remaining or kept
    distinct: list[str] = []
    seen: list[tuple[set[str], str]] = []  # each kept bullet's words and its first three
    for item in kept:
        words = _words(item)
        if keypoint_problem(item.rstrip("."), title) in ("is the title", "copies the title"):
            continue
        opens = " ".join(item.split()[:3]).casefold()
        if all(len(words & other) < (0.5 if opens == start else 0.85) * min(len(words), len(other))
               for other, start in seen):
            distinct.append(item)
            seen.append((words, opens))
    return distinct or kept


def keypoints(found: list[str], title: str, paper_text: str = "") -> list[str]:
    """Capitalised and without repeats; then, while at least MIN_KEYPOINTS others remain,
    without one the rubric strikes (the title, a piece of a sentence, too long), one the paper
    does not speak of (`_in_paper`), a bare acronym whose spelled-out form is also there
    ('LLMs' beside 'Large language models'), and a general word: one word the paper writes in
    lower case ('training', 'optimization'), never a name or an acronym."""
    seen: set[str] = set()
    kept = []
    for keypoint in found:
        keypoint = keypoint[:1].upper() + keypoint[1:]
        if keypoint.casefold() not in seen:
            seen.add(keypoint.casefold())
            kept.append(keypoint)
    folded = paper_text.casefold()
    strikes: list[Callable[[str], bool]] = [
        lambda k: keypoint_problem(k, title) is not None,  # the title, a fragment, too long
        lambda k: bool(paper_text) and not _in_paper(k, folded),
        lambda k: repeats_acronym(k, kept),
        lambda k: bool(paper_text) and _general_word(k, paper_text),
    ]
    for strike in strikes:
        for keypoint in [k for k in kept if strike(k)]:  # one by one, the first struck first
            if len(kept) > MIN_KEYPOINTS:
                kept = [k for k in kept if k != keypoint]
    return kept


def _in_paper(keypoint: str, folded_text: str) -> bool:
    """Half or more of a keypoint's words (their first five letters: 'optimisation' and
    'optimize' are one) occur in the paper's casefolded text; a keypoint that does not is the
    model's own, or an example it copied."""
    stems = {w.casefold()[:5] for w in re.findall(r"[^\W\d_]{3,}", keypoint)}
    return not stems or sum(stem in folded_text for stem in stems) >= 0.5 * len(stems)


def _general_word(keypoint: str, paper_text: str) -> bool:
    """One plain word the paper writes in lower case more often than capitalised."""
    if not re.fullmatch(r"[A-Z][a-z]+", keypoint):
        return False
    lower = len(re.findall(rf"\b{keypoint.casefold()}\b", paper_text))
    upper = len(re.findall(rf"\b{keypoint}\b", paper_text))
    return lower > upper
