"""Checks that let an editor trust a draft at a glance.

Every quote must be in the paper, every number the draft cites must occur in the paper,
keypoints must be short distinct phrases, the text must be in the configured language, and no
field may copy long runs of the paper; `trust` adds what no paper vouches for (language
identification, repeated sentences, control characters, markup). A draft carries the
outcome: verified, or flags that say what failed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..models.summary import Summary
from .schema import CJK_CHARACTERS, writes_cjk
from .trust import run_trust_checks

EVIDENCE_FIELDS = ("objective", "method", "metric", "results")
_CJK = re.compile(f"[{CJK_CHARACTERS}]")
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:,\d{3})*(?:\.\d+)?)"
                     r"(?:\s?(%|percent\b|[x×](?![A-Za-z\d])|times\b|-?fold\b"
                     r"|[BMK](?![A-Za-z])|k(?![A-Za-z])|billion\b|million\b|thousand\b))?")
_UNITS = {"%": "%", "percent": "%", "x": "x", "×": "x", "times": "x", "fold": "x", "-fold": "x",
          "b": "B", "billion": "B", "m": "M", "million": "M", "k": "K", "thousand": "K"}
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Quote:
    """A verbatim supporting quote as the model gave it, and where it was found."""

    field: str
    text: str
    page: int | None = None


@dataclass
class CheckReport:
    """The outcome of every check on one draft."""

    flags: list[str] = field(default_factory=list)
    evidence: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    numbers_cited: int = 0
    numbers_found: int = 0
    problems: dict[str, list[str]] = field(default_factory=dict)  # answer field -> its flags

    @property
    def verified(self) -> bool:
        return not self.flags

    trust: list[str] = field(default_factory=list)  # flags about facts, not style

    def flag(self, answer_field: str, message: str, *, trust: bool = False) -> None:
        """Record a failure, and which field of the model's answer must change to fix it.
        `trust`: a quote or a number that the paper does not back, or the wrong language."""
        self.flags.append(message)
        self.problems.setdefault(answer_field, []).append(message)
        if trust:
            self.trust.append(message)

    def as_dict(self) -> dict[str, Any]:
        return {"verified": self.verified, "flags": list(self.flags), "trust": list(self.trust),
                "evidence": self.evidence, "numbers_cited": self.numbers_cited,
                "numbers_found": self.numbers_found}


def squash(text: str) -> str:
    """Letters and digits only, case-folded: whitespace, hyphenation and ligatures vanish."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if ch.isalnum())


class PaperText:
    """The paper's text, prepared once for every check of a draft."""

    def __init__(self, pages: Sequence[str]) -> None:
        self.pages = list(pages)
        self.squashed = [squash(page) for page in self.pages]
        self.joined = "".join(self.squashed)
        self.starts = []
        offset = 0
        for page in self.squashed:
            self.starts.append(offset)
            offset += len(page)
        whole = unicodedata.normalize("NFKC", "\n".join(self.pages))
        whole = re.sub(r"(?<=[^\W\d_])-\s*\n\s*(?=[^\W\d_])", "", whole)  # lever-\nages
        self.numbers = set()
        for number in numbers_in(whole):
            self.numbers |= {number, number.rstrip("%xBMK")}
        self.words = [w.casefold() for w in _WORD.findall(whole)]
        self._ngrams: dict[int, set[tuple[str, ...]]] = {}

    def find(self, quote: str) -> int | None:
        """The 1-based page where the quote starts, or None; a quote may cross pages."""
        needle = squash(quote)
        if len(needle) < 12:
            return None
        at = self.joined.find(needle)
        if at < 0:
            return None
        page = 0
        while page + 1 < len(self.starts) and self.starts[page + 1] <= at:
            page += 1
        return page + 1

    def locate(self, quote: str) -> tuple[str, int] | None:
        """The verbatim part of a quote and its page. Models often wrap a real passage in a
        few words of their own ("Main finding: ..."); up to three such words at either end are
        dropped, as long as most of the quote (six words or more) is the paper's own. A quote
        found whole is the paper's, however short."""
        page = self.find(quote)
        if page is not None:
            return quote, page
        words = quote.split()
        keep = max(6, -(-len(words) * 3 // 4))
        for cut in range(0, 7):
            for lead in range(0, min(cut, 3) + 1):
                tail = cut - lead
                if tail > 3 or len(words) - cut < keep:
                    continue
                part = " ".join(words[lead:len(words) - tail])
                page = self.find(part)
                if page is not None:
                    return part, page
        return None

    def ngrams(self, n: int) -> set[tuple[str, ...]]:
        if n not in self._ngrams:
            words = self.words
            self._ngrams[n] = {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}
        return self._ngrams[n]


def _plain(number: str) -> str:
    number = number.replace(",", "")
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return number


def numbers_in(text: str) -> list[str]:
    """The numbers a text cites, with their unit when they have one ('16%', '3.1x', '1.3B'):
    thousands separators and trailing zeros dropped. A number with a unit is only found in
    the paper with the same unit, so '8B' is not found in '8 layers'."""
    text = unicodedata.normalize("NFKC", text)
    return [_plain(number) + _UNITS.get(unit.lower(), "") if unit else _plain(number)
            for number, unit in _NUMBER.findall(text)]


def _fields(summary: Summary) -> dict[str, str]:
    values = {"keypoints": "; ".join(summary.keypoints), "objective": summary.objective,
              "method": " ".join(summary.method)}
    if summary.metric:
        values["metric"] = summary.metric
    if summary.results:
        values["results"] = summary.results
    if summary.limitation:
        values["limitation"] = summary.limitation
    return values


def check_evidence(summary: Summary, quotes: Iterable[Quote], paper: PaperText,
                   report: CheckReport) -> None:
    wanted = [f for f in EVIDENCE_FIELDS if getattr(summary, f)]
    for quote in quotes:
        found = paper.locate(quote.text)
        text, page = found if found else (quote.text, quote.page)
        report.evidence.setdefault(quote.field, []).append(
            {"text": text, "page": page, "verified": found is not None})
        if found is None:
            report.flag("evidence", f"{quote.field}: quote not found in the paper: "
                                    f"\"{_short(quote.text)}\"", trust=True)
    for name in wanted:
        if name not in report.evidence:
            report.flag("evidence", f"{name}: no supporting quote", trust=True)


def check_numbers(summary: Summary, paper: PaperText, report: CheckReport) -> None:
    for name, text in (("metric", summary.metric or ""), ("results", summary.results or "")):
        cited = numbers_in(text)
        missing = [n for n in dict.fromkeys(cited) if n not in paper.numbers]
        report.numbers_cited += len(cited)
        report.numbers_found += sum(1 for n in cited if n in paper.numbers)
        if missing:
            report.flag(name, f"{name}: numbers not in the paper: {', '.join(missing)}",
                        trust=True)


def check_keypoints(summary: Summary, title: str, report: CheckReport) -> None:
    title_key = squash(title)
    main_title = squash(re.split(r"[:：]", title, maxsplit=1)[0])
    seen: set[str] = set()
    for keypoint in summary.keypoints:
        key = squash(keypoint)
        if key and (key == title_key or key == main_title and len(main_title) > 20):
            report.flag("keypoints", f"keypoint is the title: \"{keypoint}\"")
        if key in seen:
            report.flag("keypoints", f"keypoint repeated: \"{keypoint}\"")
        seen.add(key)
        if len(keypoint.split()) > 8:
            report.flag("keypoints", f"keypoint is not a short phrase: \"{_short(keypoint)}\"")


def check_language(summary: Summary, language: str, report: CheckReport) -> None:
    if writes_cjk(language):
        return
    for name, text in _fields(summary).items():
        found = _CJK.findall(text)
        if found:
            report.flag(name, f"{name}: characters outside {language}: {''.join(found[:8])}",
                        trust=True)


def check_copying(summary: Summary, paper: PaperText, limit: int,
                  report: CheckReport) -> None:
    """Flag a field that repeats more than `limit` consecutive words of the paper."""
    grams = paper.ngrams(limit + 1)
    for name, text in _fields(summary).items():
        words = [w.casefold() for w in _WORD.findall(unicodedata.normalize("NFKC", text))]
        longest = run = 0
        for i in range(len(words) - limit):
            if tuple(words[i:i + limit + 1]) in grams:
                run = run + 1 if run else limit + 1
                longest = max(longest, run)
            else:
                run = 0
        if longest:
            report.flag(name, f"{name} copies {longest} consecutive words of the paper")


def run_checks(summary: Summary, quotes: Sequence[Quote], paper: PaperText, *, title: str,
               language: str, max_copied_words: int,
               link_hosts: Collection[str] = ()) -> CheckReport:
    report = CheckReport()
    run_trust_checks(summary, report, title=title, language=language, link_hosts=link_hosts)
    check_evidence(summary, quotes, paper, report)
    check_numbers(summary, paper, report)
    check_keypoints(summary, title, report)
    check_language(summary, language, report)
    check_copying(summary, paper, max_copied_words, report)
    return report


def _short(text: str, width: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"
