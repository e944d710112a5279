"""The taste signal: how close a candidate's title and abstract are to the group's own entries.

TF-IDF (scikit-learn) over the window's candidates and the history together, so that a word
common in this week's papers counts for little; cosine similarity of each candidate to every
past entry. A candidate's taste is the mean similarity to its `neighbours` nearest positive
entries (entries in the monthly lists, approved drafts), less the mean similarity to its
nearest rejected drafts; the nearest positives also give its section (`sections.py`).

Unigrams and bigrams, English stop words, sublinear term frequency: the textbook settings for
short documents. On the April 2024 benchmark (bench/selection.py) taste alone put 8 of 10
picks in their week's top 40 (and 2 in the top 15).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PastEntry:
    """A paper the group decided on: an entry an editor wrote or approved (positive), or a
    draft an editor rejected (negative). `key` is the title as compared for identity (a
    candidate is never compared with an entry of its own); empty never matches."""

    title: str
    text: str
    section: str | None = None
    positive: bool = True
    key: str = ""


@dataclass(frozen=True)
class Neighbour:
    """A past entry close to a candidate, with its cosine similarity (0 to 1)."""

    title: str
    section: str | None
    similarity: float


@dataclass(frozen=True)
class Taste:
    """A candidate's closeness to the history: to the positives, to the rejected drafts, and
    the nearest entries of each (most similar first, only those with any similarity)."""

    similarity: float = 0.0
    penalty: float = 0.0
    nearest: tuple[Neighbour, ...] = ()
    nearest_rejected: tuple[Neighbour, ...] = ()

    def raw(self, rejected_weight: float) -> float:
        """Similarity less `rejected_weight` times the similarity to rejected drafts."""
        return self.similarity - rejected_weight * self.penalty


def taste(texts: Sequence[str], keys: Sequence[str], entries: Sequence[PastEntry],
          neighbours: int) -> list[Taste]:
    """For each candidate text (title and abstract), its `Taste` against `entries`.

    `keys[i]` is candidate i's title as compared with `PastEntry.key`: entries with the same
    key are left out of its comparison. No entries, or texts with no words TF-IDF keeps,
    give zero taste (and no neighbours) to every candidate.
    """
    if not texts:
        return []
    if not entries:
        return [Taste() for _ in texts]
    from sklearn.feature_extraction.text import TfidfVectorizer  # slow to import: only here

    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, ngram_range=(1, 2),
                                 strip_accents="unicode")
    try:
        matrix = vectorizer.fit_transform([*texts, *(e.text for e in entries)])
    except ValueError:  # an empty vocabulary: nothing but stop words and punctuation
        return [Taste() for _ in texts]
    count = len(texts)
    similarity = np.asarray((matrix[:count] @ matrix[count:].T).todense())
    positive = np.array([e.positive for e in entries])
    own = np.array([[bool(key) and e.key == key for e in entries] for key in keys])
    similarity[own] = -1.0  # never compared with its own entry
    result = []
    for row in similarity:
        pos = _nearest(row, positive, neighbours)
        neg = _nearest(row, ~positive, neighbours)
        result.append(Taste(similarity=_mean(row, pos), penalty=_mean(row, neg),
                            nearest=_neighbours(entries, row, pos),
                            nearest_rejected=_neighbours(entries, row, neg)))
    return result


def _nearest(row: np.ndarray, mask: np.ndarray, k: int) -> list[int]:
    """Indices of the k most similar entries among `mask`, most similar first (ties by
    position, so the order is deterministic); entries of the candidate itself excluded."""
    allowed = np.flatnonzero(mask & (row >= 0))
    return [int(j) for j in allowed[np.argsort(-row[allowed], kind="stable")][:k]]


def _neighbours(entries: Sequence[PastEntry], row: np.ndarray, indices: list[int]
                ) -> tuple[Neighbour, ...]:
    return tuple(Neighbour(entries[j].title, entries[j].section, float(row[j]))
                 for j in indices if row[j] > 0)


def _mean(row: np.ndarray, indices: list[int]) -> float:
    return float(np.mean(row[indices])) if indices else 0.0
