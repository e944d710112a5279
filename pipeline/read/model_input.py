"""The model's input: the part of an `Extract` that is sent to the model, within a token budget.

Tokens are estimated from characters (no tokenizer): a per-model ratio, 3.5 by default.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..models import Extract, ModelInput, Section
from .cleanup import is_table_row
from .sentences import is_prose, reports_numbers, result_numbers, result_score, split_sentences

DEFAULT_CHARS_PER_TOKEN = 3.5
PRIORITY = ("abstract", "introduction", "conclusion", "experiments", "method")


def estimate_tokens(text: str, chars_per_token: float = DEFAULT_CHARS_PER_TOKEN) -> int:
    """A tokenizer-free estimate: characters divided by a per-model ratio, rounded up."""
    return math.ceil(len(text) / chars_per_token) if text else 0


def char_limit(budget_tokens: int, chars_per_token: float) -> int:
    """The most characters whose estimate stays within `budget_tokens`."""
    limit = math.floor(budget_tokens * chars_per_token)
    while limit > 0 and math.ceil(limit / chars_per_token) > budget_tokens:
        limit -= 1  # float rounding at the edge
    return limit


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
_TABLE_CAPTION = re.compile(r"^(?:Table|Tab\.)\s*\d+\s*[:.|]")
_MEASURE = re.compile(r"\d\.\d|\d\s?%")  # a measurement, not a layer count or a year
_CUT = " […]"


def _units(text: str) -> list[tuple[int, str]]:
    """Sentences, with the index of the line (paragraph, table row) each comes from."""
    return [(line_no, sentence)
            for line_no, line in enumerate(text.split("\n"))
            for sentence in _SENTENCE_END.split(line) if sentence.strip()]


def _join_units(units: Sequence[tuple[int, str]]) -> str:
    """Sentences of one line joined by a space, of different lines by a newline."""
    parts: list[str] = []
    for n, (line_no, sentence) in enumerate(units):
        if n:
            parts.append(" " if line_no == units[n - 1][0] else "\n")
        parts.append(sentence)
    return "".join(parts)


def _hard_cut(text: str, limit: int) -> str:
    if limit <= len(_CUT):
        return ""
    cut = text[:limit - len(_CUT)]
    if " " in cut[len(cut) // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip() + _CUT


def truncate(text: str, limit: int, *, numbers_first: bool = False) -> str:
    """At most `limit` characters of `text`, cut at sentence ends.

    With `numbers_first` (results sections), table captions and sentences or table rows with
    measurements are kept in preference to the prose around them.
    """
    if len(text) <= limit:
        return text
    room = limit - len(_CUT)
    units = _units(text)
    if numbers_first:
        def score(unit: tuple[int, str]) -> int:
            sentence = unit[1]
            return 2 if _TABLE_CAPTION.match(sentence) else 1 if _MEASURE.search(sentence) else 0
        order = sorted(range(len(units)), key=lambda n: (-score(units[n]), n))
        chosen: set[int] = set()
        used = 0
        for n in order:
            cost = len(units[n][1]) + 1
            if used + cost <= room:
                chosen.add(n)
                used += cost
        kept = [units[n] for n in sorted(chosen)]
    else:
        kept = []
        used = 0
        for unit in units:
            used += len(unit[1]) + 1
            if used > room:
                break
            kept.append(unit)
    if not kept:
        return _hard_cut(text, limit)
    out = _join_units(kept) + _CUT
    return out if len(out) <= limit else _hard_cut(text, limit)


def _marker(section: Section) -> str:
    return f"## {section.heading or section.kind.capitalize()}"


def build_model_input(extract: Extract, budget_tokens: int,
                      chars_per_token: float = DEFAULT_CHARS_PER_TOKEN) -> ModelInput:
    """The part of a paper the model reads, within `budget_tokens`, by priority of section.

    Whole sections while they fit, in the order abstract, introduction, conclusion,
    experiments, method; the first that does not fit is cut at sentence ends (keeping the
    numbers of a results section); never references or appendix. Emitted in document order.
    """
    if budget_tokens < 1:
        raise ValueError("budget_tokens must be at least 1")
    full_tokens = estimate_tokens(extract.text, chars_per_token)
    limit = char_limit(budget_tokens, chars_per_token)
    room = limit
    chosen: dict[int, str] = {}
    wanted = [s for s in extract.sections if s.kind in PRIORITY and s.text.strip()]
    for kind in PRIORITY:
        for index, section in enumerate(extract.sections):
            if section.kind != kind or not section.text.strip():
                continue
            overhead = len(_marker(section)) + 1 + (2 if chosen else 0)
            if overhead + len(section.text) <= room:
                chosen[index] = section.text
                room -= overhead + len(section.text)
                continue
            if room - overhead >= min(80, len(section.text)):
                chosen[index] = truncate(section.text, room - overhead,
                                         numbers_first=kind == "experiments")
            room = 0
            break
        if room == 0:
            break
    if chosen:
        parts = [f"{_marker(extract.sections[i])}\n{chosen[i]}" for i in sorted(chosen)]
        text = "\n\n".join(parts)
        kinds = tuple(dict.fromkeys(extract.sections[i].kind for i in sorted(chosen)))
    elif wanted:  # the budget is too small for even one marker
        text, kinds = "", ()
    else:
        text, kinds = _fallback_text(extract, room)
    text = text[:limit]  # the promise, whatever happened above
    return ModelInput(text=text, tokens=estimate_tokens(text, chars_per_token),
                      full_tokens=full_tokens, sections=kinds)


def _fallback_text(extract: Extract, room: int) -> tuple[str, tuple[str, ...]]:
    """No section the model wants was found: the start of the text, up to any references."""
    used = []
    for section in extract.sections:
        if section.kind in ("references", "appendix"):
            break
        used.append(section)
    if used:
        body = "\n".join(filter(None, (s.heading + "\n" + s.text if s.heading else s.text
                                       for s in used)))
        kinds = tuple(dict.fromkeys(s.kind for s in used))
    else:
        body, kinds = ("" if extract.sections else extract.text), ()
    return truncate(body.strip(), room), kinds


# -- sentences with the paper's numbers, for a separate Metric pass ------------------------------

NUMBER_SOURCES = {"abstract": "abstract", "conclusion": "conclusion", "experiments": "results"}
_GROUP_ORDER = ("abstract", "table", "conclusion", "results")  # who is kept when over budget
_MAX_CAPTION = 300

_CAPTION_PREFIX = re.compile(r"^(?:Table|TABLE|Tab\.)\s*(?:\d+|[IVX]+)\s*[:.|]\s*")
_CAPTION_WORDS = re.compile(
    r"result|performance|compar|accura|error|score|evaluat|benchmark|\bBLEU|\bROUGE|\bFID\b|\bmAP"
    r"|\bF1\b|perplexity|\bloss|speed|throughput|latency|leaderboard|ablation|recall|precision"
    r"|efficien|win rate|\bcost", re.I)


@dataclass(frozen=True)
class _Candidate:
    group: str  # abstract, table, conclusion, results
    position: tuple[int, int, int]  # section, line, sentence: document order
    text: str
    score: int


def _caption(line: str) -> tuple[str, str] | None:
    """A table caption's first sentence, and the text pypdf ran on after it, if `line` is one."""
    prefix = _CAPTION_PREFIX.match(line)
    if not prefix:
        return None
    first, *rest = split_sentences(line[prefix.end():], loose=True) or [""]
    caption = line[:prefix.end()] + first
    if len(caption) > _MAX_CAPTION:
        caption = caption[:_MAX_CAPTION - 2].rsplit(" ", 1)[0] + " …"
    return caption, " ".join(rest)


def _candidates(extract: Extract) -> list[_Candidate]:
    """Every sentence that may go to the Metric pass, up to the references or the appendix."""
    found = []
    for s_no, section in enumerate(extract.sections):
        if section.kind in ("references", "appendix"):
            break
        group = NUMBER_SOURCES.get(section.kind)
        for l_no, line in enumerate(section.text.split("\n")):
            caption = _caption(line)
            if caption:
                text, line = caption
                if _CAPTION_WORDS.search(text) or result_numbers(text):
                    found.append(_Candidate("table", (s_no, l_no, 0), text, result_score(text)))
            if group is None or is_table_row(line):
                continue
            for n, sentence in enumerate(split_sentences(line), start=1):
                if is_prose(sentence) and reports_numbers(sentence, strict=group == "results"):
                    found.append(_Candidate(group, (s_no, l_no, n), sentence,
                                            result_score(sentence)))
    return found


def number_sentences(extract: Extract, budget_tokens: int,
                     chars_per_token: float = DEFAULT_CHARS_PER_TOKEN) -> str:
    """The sentences with the paper's headline numbers, for a model to write the Metric field.

    From the abstract, table captions, the conclusion and the results sections (never the
    references or appendix), one per line as '[kind] sentence' in document order, within
    `budget_tokens`. Over budget, kinds are kept in that order and results by how much they
    read like results; a sentence that does not fit leaves its room to shorter ones after it.
    "" when the paper reports no numbers there.
    """
    if budget_tokens < 1:
        raise ValueError("budget_tokens must be at least 1")
    limit = char_limit(budget_tokens, chars_per_token)
    candidates = sorted(_candidates(extract), key=lambda c: (
        _GROUP_ORDER.index(c.group), -c.score, c.position))
    seen: set[str] = set()
    chosen: list[tuple[tuple[int, int, int], str]] = []
    used = -1  # n lines cost their lengths plus n - 1 newlines
    for candidate in candidates:
        key = " ".join(re.findall(r"\w+", candidate.text.casefold()))
        line = f"[{candidate.group}] {' '.join(candidate.text.split())}"
        if key in seen or used + 1 + len(line) > limit:
            continue
        seen.add(key)
        chosen.append((candidate.position, line))
        used += 1 + len(line)
    return "\n".join(line for _, line in sorted(chosen))
