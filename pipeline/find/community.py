"""The community signal: whether Hugging Face featured a candidate on Daily Papers.

On the April 2024 weeks every paper the editors picked from the cs.CL/cs.AI listing was
featured, while only 20-90 of a week's 700-1,000 papers are; the flag narrows a week a lot but
does not order the featured papers among themselves. Upvotes, when the answer has them, refine
it: they decide `upvote_share` of the signal, on a log scale against the window's most upvoted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from .daily_papers import Featured


def community_signal(paper_ids: Sequence[str], featured: Mapping[str, Featured] | None,
                     upvote_share: float) -> list[tuple[float, str]]:
    """For each paper id, the signal (0 to 1) and its note.

    Not featured: 0. Featured: 1 when no featured candidate has an upvote count; otherwise
    `1 - upvote_share + upvote_share * log(1 + upvotes) / log(1 + most upvotes)`, a missing
    count taken as 0. `featured` None means the source could not be read (every paper 0).
    """
    if featured is None:
        return [(0.0, "Daily Papers unavailable")] * len(paper_ids)
    hits = [featured.get(paper_id) for paper_id in paper_ids]
    most = max((f.upvotes or 0 for f in hits if f is not None), default=0)
    signals: list[tuple[float, str]] = []
    for hit in hits:
        if hit is None:
            signals.append((0.0, "not on Daily Papers"))
            continue
        note = f"Daily Papers {hit.days[0].isoformat()}"
        if most <= 0:
            signals.append((1.0, note))
            continue
        votes = hit.upvotes or 0
        strength = 1 - upvote_share + upvote_share * math.log1p(votes) / math.log1p(most)
        signals.append((strength, f"{note}, {votes} upvotes"))
    return signals
