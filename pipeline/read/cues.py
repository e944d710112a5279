"""What a paper's sentences point at: others' work, a section, a link, plans; and its prose
sentences. Shared by the passages each field is written from (`passages`) and the passage
where a paper states its own limitations (`limitations`)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..models import Section
from .sentences import is_prose, split_sentences

CITES_OTHERS = re.compile(r"\bet al\b|\[\d+(?:[,–-]\s?\d+)*\]|\((?:[A-Z][^()]*?,\s*)?(?:19|20)\d\d"
                          r"[a-z]?\)", re.I)
OTHERS = re.compile(r"\b(?:existing|previous|prior|traditional|conventional|earlier|recent)\s+"
                    r"(?:\w+\s+){0,2}(?:methods?|approaches|works?|models|studies|systems"
                    r"|techniques|attempts)\b|\bother (?:methods|approaches|works)\b", re.I)
# 'Section 3', 'Sec. II', 'Appendix B' (not 'sections include')
ROADMAP = re.compile(r"\b(?:sections?|sec\.|appendix)\s*(?:\d|(?-i:[IVX]+|[A-H])\b)", re.I)
# 'as shown in Figure 1', 'see Table 2': a sentence that reads only beside its figure or table
POINTS_AT = re.compile(r"\b(?:fig(?:ure)?s?\.?|tables?|tab\.|eq(?:uation)?s?\.?)\s*\(?\d",
                       re.I)
FUTURE = re.compile(r"\bit would be (?:interesting|desirable)|\bfuture work\b|\bwe plan\b"
                    r"|\bwe (?:would|will) (?:also )?like\b", re.I)
LINK = re.compile(r"https?://\S+|\bgithub\.com/\S+", re.I)


def prose_sentences(section: Section) -> Iterator[str]:
    """A section's prose sentences, one line at a time, spaces collapsed."""
    for line in section.text.split("\n"):
        for sentence in split_sentences(line):
            if is_prose(sentence):
                yield " ".join(sentence.split())
