"""Whether a drafted Metric keeps each number with what the paper says it measures.

A small model that rewrites two result sentences into one line swaps their parts: '41.8 BLEU
on English-to-German' where the paper gives 28.4 on English-to-German and 41.8 on
English-to-French. The editor strikes that line; `check_attribution` finds it by the names the
draft writes next to a number (a data set, a model, a baseline: words with a capital letter)
that the paper's result sentences write only in sentences without that number.
"""

from __future__ import annotations

import re

from ..models import Passages
from ..read.sentences import split_sentences
from .checks import numbers_in

# a number with its unit ('41.8', '37.78%', '5.76x', '236B'), a word ('English-to-German',
# 'recall@20', 'GPT-4o'), or a mark that ends a clause
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*(?:\s?(?:%|x|×|[KMBT]\b))?|[^\W\d_][\w@.+'’-]*[\w]|[^\W\d_]"
                    r"|[,;:.]")
_YEAR = re.compile(r"(?:19|20)\d\d")  # 'WMT 2014': part of a name, not a result
_BEFORE = 8  # tokens before a number that may say what it measures
_AFTER = 6  # and after it, up to the end of its clause
# where a number's clause ends on either side ('28.4 on English-to-German and 41.8 on ...');
# a colon joins a name to its number ('English-to-German: 28.4') and ends only what follows
_CLAUSE_END = frozenset({",", ";", ".", "and", "while", "whereas", "but"})


def _name(token: str, first: bool) -> bool:
    """A word that names something: a capital letter anywhere but a sentence's first letter."""
    return any(c.isupper() for c in (token[1:] if first else token)) and len(token) > 1


def _beside(tokens: list[str], at: int) -> list[str]:
    """The names in a number's clause: back to its start (at most _BEFORE tokens; none when
    another number comes first) and on to its end (at most _AFTER tokens)."""
    names: list[str] = []
    for i in range(at - 1, max(at - _BEFORE, 0) - 1, -1):
        token = tokens[i]
        if token[0].isdigit() and not _YEAR.fullmatch(token):
            # '88.5 on MMLU with 671B': what lies between two numbers is the first one's
            names = []
            break
        if token.casefold() in _CLAUSE_END:
            break
        if _name(token, i == 0 or tokens[i - 1] == "."):
            names.append(token)
    for token in tokens[at + 1:at + 1 + _AFTER]:
        if token[0].isdigit() and not _YEAR.fullmatch(token) \
                or token.casefold() in _CLAUSE_END or token == ":":
            break
        if _name(token, False):
            names.append(token)
    return names


def check_attribution(text: str | None, passages: Passages, title: str = "") -> list[str]:
    """The numbers a Metric (`text`) puts beside another result's name: each number of the text that
    the paper's result sentences (`Passages.claims`, `headline` and `results`) give, with a name in
    its clause (`_beside`) that those sentences write only where the number is not, and none they
    write only where it is; the names in the `title` or in the abstract's sentences without numbers
    (the work's own: 'MoBA', 'the Transformer', which a sentence may call 'it' or 'our model') are
    everyone's, and a sentence that pairs its numbers with names 'respectively' is not read. A year
    ('WMT 2014') is no result. Returns one message per misplaced number ('41.8 is put with
    "English-to-German", which the paper says of another result'), [] when none is, or when the
    text is empty."""
    if not text:
        return []
    # each result sentence, as the names are matched, with the numbers it gives
    sources = [(s.casefold(), set(numbers_in(s))) for s in dict.fromkeys(
        (*passages.claims, *passages.headline, *passages.results))]
    # the names the abstract writes without a number are the work's ('the Transformer'), not
    # one result's
    general = " ".join(s for s in split_sentences(passages.abstract) if not numbers_in(s))
    everyone = f"{title} {general}".casefold()
    problems: dict[str, str] = {}
    for sentence in split_sentences(text):
        if not _RESPECTIVELY.search(sentence):  # '28.4 and 41.8 on A and B respectively'
            _misplaced(_TOKEN.findall(sentence), sources, everyone, problems)
    return list(problems.values())


_RESPECTIVELY = re.compile(r"\brespectively\b", re.I)


def _misplaced(tokens: list[str], sources: list[tuple[str, set[str]]], everyone: str,
               problems: dict[str, str]) -> None:
    """Adds to `problems` (by number, its message) the numbers of one sentence's `tokens` put
    with a name of another result (not one of `everyone`'s); `sources` are the result
    sentences, casefolded, with their numbers."""
    for at, token in enumerate(tokens):
        number = numbers_in(token) if token[0].isdigit() and not _YEAR.fullmatch(token) else []
        if not number or number[0] in problems:
            continue
        giving = [s for s, numbers in sources if number[0] in numbers]
        if not giving:
            continue
        others = [s for s, numbers in sources if number[0] not in numbers]
        names = [n for n in _beside(tokens, at) if n.casefold() not in everyone]
        own = [n for n in names if any(n.casefold() in s for s in giving)
               and not any(n.casefold() in s for s in others)]
        swapped = [n for n in names if any(n.casefold() in s for s in others)
                   and not any(n.casefold() in s for s in giving)]
        if swapped and not own:  # with a name of its own result beside it, more context only
            problems[number[0]] = (f'{number[0]} is put with "{swapped[0]}", which the paper '
                                   "says of another result")
