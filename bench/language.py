"""How often the language check misreads real English: abstracts of ../shared/weeks read as
draft prose, with the thresholds pipeline/draft/trust.py uses.

Splits the first four sentences of each abstract and counts, for single sentences of at least
4 words, at least 10 words, and pairs of sentences, how many lingua reads as another language
with a confidence in English below the threshold (trust.WHOLE_BELOW for a whole draft,
trust.FIELD_BELOW for one field).

    .venv/bin/python bench/language.py [LISTING] [--papers 4000]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.draft import trust  # noqa: E402

DEFAULT = REPO.parent / "shared" / "weeks" / "arxiv-2024-W14-W17.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("listing", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--papers", type=int, default=4000)
    args = parser.parse_args()
    if not args.listing.exists():
        print(f"{args.listing} is absent", file=sys.stderr)
        return 1
    papers = json.loads(args.listing.read_text())[: args.papers]
    english = trust.language_of("English")
    started = time.monotonic()
    cases = {"1 sentence, >= 4 words, < 10%": (1, 4, trust.WHOLE_BELOW),
             "1 sentence, >= 10 words, < 1%": (1, trust.FIELD_WORDS, trust.FIELD_BELOW),
             "2 sentences, >= 8 words, < 10%": (2, trust.WHOLE_WORDS, trust.WHOLE_BELOW)}
    for label, (join, words, below) in cases.items():
        judged = misread = 0
        for paper in papers:
            sentences = re.split(r"(?<=[.!?])\s+", paper.get("abstract") or "")[:4]
            for start in range(0, len(sentences), join):
                text = " ".join(sentences[start:start + join])
                if trust._words(text) < words:
                    continue
                judged += 1
                top, _, mine = trust._judge(text, english)
                misread += top is not None and top != english and mine < below
        print(f"{label}: {misread} of {judged} read as not English "
              f"({100 * misread / max(1, judged):.3f} %)")
    print(f"{time.monotonic() - started:.1f} s in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
