"""What a paper is evaluated on, for a Metric when its numbers are only in its tables.

An editor's Metric names the benchmarks and the headline numbers. A paper whose abstract,
conclusion and results prose give no number (its results are tables, which pypdf flattens
into rows of figures) still names its data sets, its metrics and its baselines, often as a
list ('• Self-BLEU: ...'), and says in words how it compares ('RAPT substantially outperforms
the baselines on all metrics except BERT'). `evaluation_setup` gives those, for the Metric to
be written from.
"""

from __future__ import annotations

import re

from ..models import Section
from .cues import CITES_OTHERS, POINTS_AT, prose_sentences

MAX_NAMES = 8  # names listed per kind
# A list item: '• Microsoft Research Paraphrase Corpus (MSRPC): MSRPC is ...', '• Google. We ...'
_ITEM = re.compile(r"^\s*[•◦▪●∙·]\s*(?P<name>[^:.]{2,80}?)\s*\d?\s*[:.]\s")
_KINDS = (("Data sets", re.compile(r"\b(?:datasets?|data sets?|benchmarks?|corpus|corpora"
                                    r"|test sets?)\b", re.I)),
          ("Metrics", re.compile(r"\bmetrics?\b|\bmeasures?\b", re.I)),
          ("Baselines", re.compile(r"\bbaselines?\b|\bcompare (?:with|against|to)\b", re.I)))
_NUMBER = re.compile(r"\d")
# 'RAPT substantially outperforms the baselines', 'achieves comparable performance'
_COMPARES = re.compile(r"\b(?:outperform|surpass|exceed|beat)(?:s|ed)?\b|\bbetter than\b"
                       r"|\bcomparable\b|\bon par with\b", re.I)
_SHOWN = re.compile(r"^as (?:shown|seen|reported) in (?:table|fig(?:ure)?\.?)\s*\d+,\s*", re.I)


def _kind(heading: str, text: str) -> str | None:
    """What a list names, by its section's heading, else by the sentence that opens it."""
    for kind, pattern in _KINDS:
        if pattern.search(heading):
            return kind
    for kind, pattern in _KINDS:
        if pattern.search(text):
            return kind
    return None


def evaluation_setup(body: list[Section]) -> tuple[str, ...]:
    """What the experiments sections name and say without numbers: one line per kind of list
    they hold ('Data sets: QQP 50K; MSRPC; ParaSCI-ACL.', 'Metrics: BLEU; Self-BLEU.',
    'Baselines: ...'; at most MAX_NAMES names each, footnote marks dropped), then their first
    sentence that compares in words ('As shown in Table 4, RAPT substantially outperforms the
    baselines on all metrics except BERT in general.' without its pointer; not one with a
    number, a citation or another pointer to a table); () when they list nothing."""
    names: dict[str, list[str]] = {}
    comparison = None
    for section in body:
        if section.kind != "experiments":
            continue
        before = ""  # the prose before a list says what it lists
        for line in section.text.split("\n"):
            item = _ITEM.match(line)
            if item:
                kind = _kind(section.heading, before)
                name = re.sub(r"\s*\d+$", "", item.group("name")).strip()
                if kind and name:
                    names.setdefault(kind, [])
                    if name not in names[kind]:
                        names[kind].append(name)
                continue
            before = line
        if comparison is None:
            said = (_SHOWN.sub("", s) for s in prose_sentences(section))
            comparison = next((s for s in said if _COMPARES.search(s) and not (
                _NUMBER.search(s) or CITES_OTHERS.search(s) or POINTS_AT.search(s))), None)
    lines = [f"{kind}: {'; '.join(found[:MAX_NAMES])}." for kind, found in names.items()]
    if comparison and lines:  # alone, 'B is slightly better than A' says too little
        lines.append(comparison)
    return tuple(line[:1].upper() + line[1:] for line in lines)
