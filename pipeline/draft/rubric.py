"""The editor's rubric: what makes an editor strike a drafted field, checked before they see it.

An editor rejects a field written in the first person ("we propose"), a sentence cut short, a
keypoint that is the title or a piece of a sentence, a Limitation where the paper states none
(or one taken from elsewhere), a Metric without any of the headline numbers the abstract or
conclusion gives, a number attached to another quantity than in the paper ("37B
parameters" where the paper has 671B parameters, 37B activated) or beside another result's
name ("41.8 BLEU on English-to-German" where 41.8 is English-to-French's), and a headline
number without the word that qualifies it ("3.57% error" for an ensemble's) or beside another
baseline than the paper's. Each check names its field, so
that the passes can ask for that field once more; what still fails stays flagged on the draft.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..models import Passages
from ..models.summary import Summary
from ..read.method import reports_result
from ..read.passages import metric_sentences
from .attribution import check_attribution
from .checks import numbers_in, squash

RUBRIC_FIELDS = ("keypoints", "objective", "method", "metric", "results", "limitation")
MAX_KEYPOINT_WORDS = 4
MIN_KEYPOINTS, MAX_KEYPOINTS = 3, 5

# Not "I": 'Phase I', 'Type I error'.
_FIRST_PERSON = re.compile(r"\b(?:[Ww]e|[Oo]ur|[Oo]urs|us|[Oo]urselves|[Mm]y)\b")
_FUNCTION = frozenset(
    "a an the of and or to in on for with by from at as that which who whose is are was were be "
    "been being has have had it its this these those than then via into onto per not no".split())
_CAN_END = frozenset("it this these those then not".split())  # 'outperforms it.'
_VERB_LIKE = frozenset("is are was were be been has have had we our they can will would "
                       "should could may might does do did".split())
_END = re.compile(r"[.!?][\"'”’)\]]*$")
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
_STOP = _FUNCTION | {"about", "over", "up", "only", "while", "also", "both", "each", "all",
                     "more", "less", "times", "respectively", "total", "top", "new"}


@dataclass
class Rubric:
    """Failed rubric checks per field: {'metric': ['metric: ...'], ...}."""

    failures: dict[str, list[str]] = field(default_factory=dict)

    def fail(self, name: str, message: str) -> None:
        self.failures.setdefault(name, []).append(message)

    def passed(self, name: str) -> bool:
        return not self.failures.get(name)


def first_person(text: str) -> str | None:
    """The first-person word in a field ('we', 'our'), if any; editors write about the paper."""
    match = _FIRST_PERSON.search(text)
    return match.group() if match else None


def cut_short(text: str) -> bool:
    """A sentence that stops mid-way: no closing punctuation, an open parenthesis, or a last
    word that cannot end a sentence ('the', 'of', 'and')."""
    text = text.strip()
    if not text:
        return True
    if text.count("(") > text.count(")") or not _END.search(text):
        return True
    words = _WORD.findall(text)
    return bool(words) and words[-1].casefold() in _FUNCTION - _CAN_END


def _words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text))


def keypoint_problem(keypoint: str, title: str) -> str | None:
    """Why a keypoint is no keypoint: the title, a sentence fragment, too long; None if fine."""
    words = _words(keypoint)
    key = squash(keypoint)
    parts = [squash(part) for part in re.split(r"[:：]", title, maxsplit=1)]
    if key and (key == squash(title) or key in parts and len(words) > 3):
        return "is the title"
    title_words = {w.casefold() for w in _words(title)}
    if len(words) >= 4 and sum(w.casefold() in title_words for w in words) == len(words) \
            and len(words) >= 0.8 * len(title_words):
        return "copies the title"
    if not words:
        return "is empty"
    if len(words) > MAX_KEYPOINT_WORDS and not re.search(r"\(.+\)", keypoint):
        return f"has {len(words)} words, not a short phrase"
    if words[0].casefold() in _FUNCTION - {"no"} or words[-1].casefold() in _FUNCTION:
        return "is a fragment of a sentence"
    if any(w.casefold() in _VERB_LIKE for w in words) or _END.search(keypoint.strip()):
        return "is a fragment of a sentence"
    if words[-1].isdigit() or (len(words) >= 3 and words[-2].casefold() in ("and", "or")
                               and re.search(r"(?:ent|al|ive|ous|ic|able|ible|ful|less)$",
                                             words[-1].casefold())):
        return "is a fragment of a sentence"  # '... 671', 'Economical training and efficient'
    return None


def _initials(keypoint: str) -> str:
    words = [w for w in _words(keypoint) if w.casefold() not in _FUNCTION]
    return "".join(w[0] for w in words).casefold() if len(words) > 1 else ""


def repeats_acronym(keypoint: str, keypoints: list[str]) -> bool:
    """A one-word keypoint that is the initials of another: 'LLMs' beside 'Large language
    models', 'MoE' beside 'Mixture of Experts'."""
    if len(_words(keypoint)) != 1:
        return False
    letters = squash(keypoint).rstrip("s")
    return len(letters) >= 2 and any(
        _initials(other) in (letters, letters + "s") for other in keypoints if other != keypoint)


def check_keypoints(keypoints: list[str], title: str, paper_text: str, rubric: Rubric) -> None:
    if not MIN_KEYPOINTS <= len(keypoints) <= MAX_KEYPOINTS:
        rubric.fail("keypoints", f"keypoints: {len(keypoints)} given, not 3 to 5")
    for keypoint in keypoints:
        problem = keypoint_problem(keypoint, title)
        if problem:
            rubric.fail("keypoints", f'keypoint "{keypoint}" {problem}')
    for keypoint in keypoints:
        if repeats_acronym(keypoint, keypoints):
            rubric.fail("keypoints", f'keypoint "{keypoint}" is the acronym of another')
    squashed = squash(paper_text)
    for left, right in zip(keypoints, keypoints[1:], strict=False):
        joined = squash(f"{left} {right}")  # one sentence cut into pieces
        if len(_words(left)) + len(_words(right)) >= 5 and joined in squashed:
            rubric.fail("keypoints", f'keypoints "{left}" and "{right}" are one phrase of the '
                                     "paper cut in two")


def check_prose(name: str, texts: Iterable[str], rubric: Rubric) -> None:
    for text in texts:
        word = first_person(text)
        if word:
            rubric.fail(name, f'{name}: written in the first person ("{word}"); write about '
                              "the paper")
        if cut_short(text):
            rubric.fail(name, f'{name}: a sentence is cut short: "…{text.strip()[-40:]}"')


def _content(text: str) -> set[str]:
    return {w.casefold()[:6] for w in _words(text)
            if w.casefold() not in _STOP and not w[0].isdigit() and len(w) > 2}


def check_limitation(limitation: str | None, passages: Passages, rubric: Rubric) -> None:
    if not limitation:
        return
    if not passages.limitations:
        rubric.fail("limitation", "limitation: the paper states no limitation of its own")
        return
    said = _content(limitation)
    source = _content(" ".join(passages.limitations))
    if said and len(said & source) < max(2, 0.3 * len(said)):
        rubric.fail("limitation", "limitation: not what the paper states as its limitation")


# recall@20, GPT-4, GSM8K, 'DeepSeek 67B' (a model's size in its name), 'WMT 2014' (a year)
_NAMED = re.compile(r"\w+[@-]\d[\w.]*|\b[A-Za-z]+\d[\w.]*|\b[A-Z][\w-]*[A-Za-z] \d+(?:\.\d+)?[BM]\b"
                    r"|\b(?:19|20)\d\d\b(?![.,]?\d|\s?%)")
_NUMBER_RUN = re.compile(r"(?:\d+(?:\.\d+)?%?[\s,]+){4,}")
_LINK = re.compile(r"https?://|www\.|github\.com", re.I)


def measured(text: str) -> list[str]:
    """The numbers of a text that measure something, as `numbers_in` gives them: with a unit
    or a decimal point, or 10 and over; not the digits of a name ('recall@20', 'GPT-4')."""
    found = []
    for number in numbers_in(_NAMED.sub(" ", text)):
        plain = number.rstrip("%xBMK")
        if number != plain or "." in plain or (plain.isdigit() and int(plain) >= 10):
            found.append(number)
    return found


def headline_numbers(passages: Passages) -> list[str]:
    """The numbers the Metric must give one of: the abstract's and conclusion's number
    sentences', else (a paper whose abstract gives none) those of its results sentences."""
    return list(dict.fromkeys(measured(" ".join(passages.claims or passages.results))))


def check_metric(metric: str | None, passages: Passages, rubric: Rubric) -> None:
    """A Metric where the paper reports numbers: it gives one of the headline numbers, one
    that measures a result (not only '21B activated parameters'), and the result of the
    second sentence it is written from (`metric_sentences`: 41.8 BLEU on English-to-French
    beside 28.4 on English-to-German)."""
    wanted = headline_numbers(passages)
    if not wanted or (passages.survey and not metric):  # a survey has no evaluation of its own
        return
    if not metric:
        rubric.fail("metric", "metric: missing, though the paper reports numbers")
        return
    given = set(measured(metric))
    # the measurements of its result sentences: not '8.1' of 'trained on 8.1T tokens'
    measuring = " ".join(s for s in passages.claims or passages.results if reports_result(s))
    results = _results(measured(measuring))
    where = "abstract or conclusion" if passages.claims else "results"
    if not given & {n for w in wanted for n in (w, w.rstrip("%xBMK"))}:
        rubric.fail("metric", f"metric: none of the headline numbers of the {where} "
                              f"({', '.join(wanted[:4])})")
    elif results and not given & {n for w in results for n in (w, w.rstrip("%x"))}:
        # '21B activated parameters' but none of '42.5%', '93.3%', '5.76x'
        rubric.fail("metric", f"metric: none of the headline numbers of the {where} "
                              f"that measure a result ({', '.join(results[:4])})")
    else:  # '28.4 BLEU on English-to-German' without the sentence on English-to-French's 41.8
        for sentence in metric_sentences(passages)[1:]:
            own = _results(measured(sentence))
            if own and not given & {n for w in own for n in (w, w.rstrip("%x"))}:
                rubric.fail("metric", "metric: leaves out the paper's other headline result "
                                      f"({', '.join(own[:3])})")


def _results(numbers: Iterable[str]) -> list[str]:
    """The numbers that measure a result: a percentage, a multiple, a decimal ('28.4')."""
    return [w for w in dict.fromkeys(numbers)
            if w.endswith(("%", "x")) or "." in w and w[-1].isdigit()]


# Words that change what a number means, and overstate it when dropped: an ensemble's error is
# not a model's, 'up to 6.5x' is not '6.5x' throughout, a relative gain is not an absolute one.
_QUALIFIER = re.compile(r"\b(?:ensembles?|top-\d+|relative|up to|maximum|peak|best-case"
                        r"|few-shot|\d+-shot)\b", re.I)
_QUALIFIES = (70, 20)  # characters before and after a number where a word qualifies it


def _qualifiers(sentence: str, number: str) -> set[str]:
    """The qualifying words near each place the sentence gives `number` (none: empty)."""
    found: set[str] = set()
    for match in re.finditer(rf"(?<![\d.]){re.escape(number.rstrip('%xBMK'))}(?![\d])",
                             sentence):
        window = sentence[max(0, match.start() - _QUALIFIES[0]):match.end() + _QUALIFIES[1]]
        found |= {q.casefold() for q in _QUALIFIER.findall(window)}
    return found


def check_qualifiers(name: str, text: str | None, passages: Passages, rubric: Rubric) -> None:
    """A headline number given without the word that qualifies it, close by, in every sentence
    of the paper's that gives it ('3.57% error' where the paper has 'an ensemble of these
    nets achieves 3.57% error'); the word must be close to the number in the field too."""
    if not text:
        return
    sources = [*passages.claims, *passages.results]
    for number in dict.fromkeys(measured(text)):
        around = [s for s in sources if number in measured(s)]
        if not around:
            continue
        lost = set.intersection(*(_qualifiers(s, number) for s in around)) \
            - _qualifiers(text, number)
        if lost:
            rubric.fail(name, f'{name}: the paper gives {number} as "{sorted(lost)[0]}"; say '
                              "so beside it")


# 'compared to full attention', '8x deeper than VGG nets', 'versus GPT-4o'
_AGAINST = re.compile(r"\b(?:compared (?:to|with)|relative to|than|versus|vs\.?)\s+"
                      r"([^,.;:()]{3,60})", re.I)


# 'outperforms all baselines', 'every other method': a claim over every competitor
_ALL = re.compile(r"\b(?:all|every|each)\s+(?:(?:the|other|existing|previous|prior|competing"
                  r"|compared)\s+)*(?:baselines?|methods?|models?|competitors?|approaches"
                  r"|systems?|agents?|prior work)\b", re.I)
_UNIVERSAL = re.compile(r"\b(?:all|every|each|any)\b", re.I)


def check_baseline(name: str, text: str | None, passages: Passages, rubric: Rubric) -> None:
    """A comparison the paper does not make: the words after 'compared to', 'than' or
    'versus' mostly absent from the paper's sentences that give the field's numbers ('16x
    compared to sink or window attention' where the paper's 16x is against full attention),
    or 'all baselines' where none of those sentences says 'all', 'every', 'each' or 'any'
    ('outperforms all baselines by 37.78%' where the paper's 37.78% is over its best
    Google-based baseline)."""
    if not text:
        return
    numbers = set(measured(text))
    sources = [s for s in (*passages.claims, *passages.results) if numbers & set(measured(s))]
    said = _content(" ".join(sources))
    for match in _AGAINST.finditer(text) if sources else ():
        words = _content(match.group(1))
        if words and len(words & said) < 0.5 * len(words):
            rubric.fail(name, f'{name}: "{match.group(1).strip()}" is not what the paper '
                              "compares with")
    if sources and not any(_UNIVERSAL.search(s) for s in sources):
        for match in _ALL.finditer(text):
            rubric.fail(name, f'{name}: "{match.group()}" is not what the paper compares with')


# the same one to four words three times in a row: a small model caught in a loop ('in
# Chemistry in Chemistry in Chemistry')
_LOOP = re.compile(r"\b((?:\w+\W+){1,4}?)\1\1", re.I)
# a list a small model keeps writing: '42.5% Training Cost Reduction, 93.3% KV Cache
# Reduction, 5.76 Times ..., 42.5% Training Cost Reduction, 93.3% KV Cache Reduction, ...'
_LONG_LOOP = re.compile(r"\b((?:\w+\W+){8,40}?)\1", re.I)


def loops(text: str) -> bool:
    """True for text that repeats the same one to four words three times running, or the
    same eight words or more twice running."""
    return bool(_LOOP.search(text + " ") or _LONG_LOOP.search(text + " "))


def check_junk(name: str, text: str | None, rubric: Rubric) -> None:
    """What pypdf leaves of a figure (a run of bare numbers), a link, or a looping model's
    repeats: never part of an entry."""
    if text and loops(text):
        rubric.fail(name, f"{name}: the same words over and over, not a sentence")
    if text and _NUMBER_RUN.search(text):
        rubric.fail(name, f"{name}: a run of bare numbers, not a sentence")
    if text and _LINK.search(text):
        rubric.fail(name, f"{name}: a link, not a sentence about the paper")


def _neighbours(words: list[str], at: int, before: int, after: int) -> set[str]:
    near = words[max(0, at - before):at] + words[at + 1:at + 1 + after]
    return {w.casefold()[:5] for w in near
            if w.casefold() not in _STOP and not w[0].isdigit() and len(w) > 2}


def _number_positions(text: str) -> list[tuple[str, list[str], int]]:
    """Each number of a text with its unit, the text's tokens and the number's token index."""
    tokens = [m.group() for m in re.finditer(r"\d+(?:,\d{3})*(?:\.\d+)?(?:\s?(?:%|[x×]"
                                             r"|[KMBT]\b|k\b))?|[^\W_]+", text)]
    found = []
    for i, token in enumerate(tokens):
        if token[0].isdigit():
            number = numbers_in(token)
            if number:
                found.append((number[0], tokens, i))
    return found


_ASIDE = re.compile(r"\s*\([^()]*\)")


def check_quantities(name: str, text: str | None, paper_text: str, rubric: Rubric) -> None:
    """A number of the paper put next to another quantity than the paper's own: its neighbours
    in the draft (a few words either side) occur near none of its occurrences in the paper."""
    if not text:
        return
    in_paper: dict[str, set[str]] = {}
    for number, tokens, at in _number_positions(paper_text):
        in_paper.setdefault(number, set()).update(_neighbours(tokens, at, 8, 8))
    for sentence in re.split(r"(?<=[.;])\s+", text):
        seen: dict[str, set[str]] = {}
        # an aside in brackets restates, it does not count twice: '50K split (QQP 50K)'
        for number, tokens, at in _number_positions(_ASIDE.sub("", sentence)):
            near = _neighbours(tokens, at, 2, 3)
            if number in seen and seen[number] != near and number in in_paper \
                    and number.rstrip("%xBMK") != number:
                rubric.fail(name, f"{name}: {number} stands for two different quantities")
            seen[number] = near
        for number, tokens, at in _number_positions(sentence):
            near = _neighbours(tokens, at, 2, 3)
            if number not in in_paper or not near or len(number) < 2:
                continue
            if not near & in_paper[number]:
                word = sorted(near)[0]
                rubric.fail(name, f'{name}: {number} is next to "{word}…" here, but not in '
                                  "the paper")


def check_rubric(summary: Summary, passages: Passages, title: str, paper_text: str) -> Rubric:
    """Every rubric check on one draft; `paper_text` is the paper's whole extracted text."""
    rubric = Rubric()
    check_keypoints(summary.keypoints, title, paper_text, rubric)
    check_prose("objective", [summary.objective], rubric)
    check_prose("method", summary.method, rubric)
    for name in ("metric", "results", "limitation"):
        value = getattr(summary, name)
        if value:
            check_prose(name, [value], rubric)
    for name in ("objective", "metric", "results", "limitation"):
        check_junk(name, getattr(summary, name), rubric)
    for item in summary.method:
        check_junk("method", item, rubric)
    check_limitation(summary.limitation, passages, rubric)
    check_metric(summary.metric, passages, rubric)
    check_quantities("metric", summary.metric, paper_text, rubric)
    check_qualifiers("metric", summary.metric, passages, rubric)
    check_baseline("metric", summary.metric, passages, rubric)
    for problem in check_attribution(summary.metric, passages, title):
        rubric.fail("metric", f"metric: {problem}")
    check_qualifiers("results", summary.results, passages, rubric)
    check_quantities("results", summary.results, paper_text, rubric)
    return rubric
