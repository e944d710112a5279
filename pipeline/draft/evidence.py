"""The sentences of a paper that back each field of a draft, shown to editors as evidence.

They are found by the content words they share with the field rather than cited by the model:
a small model's sentence numbers were often wrong, and finding them costs no generated tokens
(on a CPU, generating a token costs five to ten times what reading one does). The checks then
verify every quote against the paper's text and find its page.
"""

from __future__ import annotations

import re

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
