"""Numbered sentences, so that a model cites the paper instead of retyping it.

The model input carries `[n]` before each sentence, and the model answers evidence as sentence
numbers. paperlist copies the cited sentences verbatim, so a quote cannot be invented or
misspelt, and costs the model a few tokens instead of a retyped passage (on a CPU, generating a
token costs five to ten times what reading one does). The checks still verify every quote
against the paper's text and find its page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..read.sentences import split_sentences

_LABEL = re.compile(r"^\[(\w+)\]\s*")
# What the [n] markers add to a model input, for budgeting: about 6% of an arXiv paper's text.
MARKER_SHARE = 0.07
# Shorter sentences (figure labels, footnote URLs, headings run in) are no evidence.
MIN_WORDS = 6


@dataclass
class Citations:
    """The numbered sentences of one paper's prompts."""

    sentences: dict[int, str] = field(default_factory=dict)
    _by_text: dict[str, int] = field(default_factory=dict)

    def number(self, sentence: str) -> int:
        key = " ".join(sentence.split())
        if key not in self._by_text:
            self._by_text[key] = len(self.sentences) + 1
            self.sentences[self._by_text[key]] = key
        return self._by_text[key]

    def mark_text(self, text: str) -> str:
        """A model input with `[n]` before every sentence; `## Section` markers stay bare."""
        lines = []
        for line in text.splitlines():
            if not line.strip() or line.startswith("## "):
                lines.append(line)
                continue
            lines.append(" ".join(f"[{self.number(s)}] {s}" if len(s.split()) >= MIN_WORDS
                                  else s for s in split_sentences(line)))
        return "\n".join(lines)

    def mark_lines(self, numbers: str) -> str:
        """Number sentences ('[kind] sentence' lines) as '[n] sentence', reusing the numbers
        of sentences the model has already seen."""
        marked = []
        for line in numbers.splitlines():
            sentence = _LABEL.sub("", line).strip()
            if sentence:
                marked.append(f"[{self.number(sentence)}] {sentence}")
        return "\n".join(marked)

    def quotes(self, cited: list[int]) -> tuple[list[str], list[int]]:
        """The cited sentences, and the numbers that name no sentence."""
        found = [self.sentences[n] for n in cited if n in self.sentences]
        unknown = [n for n in cited if n not in self.sentences]
        return found, unknown


_CONTENT = re.compile(r"[^\W_]{3,}")
_COMMON = frozenset("the and for with that this from are was were has have its their which "
                    "paper authors they than into over also both such these those more most "
                    "can not using used based".split())


def _content_words(text: str) -> set[str]:
    return {w.casefold()[:6] for w in _CONTENT.findall(text)} - _COMMON


def supporting(text: str, sentences: list[str] | tuple[str, ...], limit: int = 2,
               least: float = 0.4) -> list[str]:
    """The paper's sentences that back a drafted field: those sharing the most content words
    with it, at least `least` of the field's (or of the sentence's, if shorter), best first;
    without any such, the nearest one that shares at least two; [] when none does.

    The draft's evidence is chosen this way rather than cited by the model: a small model's
    sentence numbers were often wrong, and this costs no generated tokens.
    """
    said = _content_words(text)
    if not said:
        return []
    scored = []
    for sentence in sentences:
        words = _content_words(sentence)
        shared = len(said & words)
        if words and shared >= 2:
            scored.append((shared >= least * min(len(said), len(words)),
                           shared / len(said | words), sentence))
    scored.sort(key=lambda item: (-item[0], -item[1]))
    strong = [sentence for close, _, sentence in scored if close]
    # none close enough: the one nearest, as long as it shares two words; else no evidence
    return strong[:limit] or [sentence for _, _, sentence in scored[:1]]
