"""Extraction speed, sequential against the process pool, and what the token budget keeps.

Extracts every PDF in FOLDER (default: ../shared/corpus/pdf beside the repo) once in this
process, one after the other, then once through `extract_many`'s pool, and prints pages per
second for each; then the mean model input per paper against the mean whole text, in tokens.

    .venv/bin/python bench/extract.py [FOLDER] [--workers N] [--budget TOKENS]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.config import Config  # noqa: E402
from pipeline.errors import ExtractError  # noqa: E402
from pipeline.models import Extract  # noqa: E402
from pipeline.read.extract import build_model_input, extract_many, extract_pdf  # noqa: E402

DEFAULT_FOLDER = REPO.parent / "shared" / "corpus" / "pdf"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--workers", type=int, default=None, help="pool size (default: CPUs)")
    parser.add_argument("--budget", type=int, default=None,
                        help="model input budget in tokens (default: the config's)")
    args = parser.parse_args()
    paths = sorted(args.folder.glob("*.pdf"))
    if not paths:
        print(f"no PDFs in {args.folder}", file=sys.stderr)
        return 1
    budget = args.budget or Config().token_budget
    workers = args.workers or os.cpu_count() or 1
    print(f"{len(paths)} PDFs in {args.folder}; {os.cpu_count()} CPUs; budget {budget} tokens")

    sequential: list[Extract | ExtractError] = []
    started = time.perf_counter()
    for path in paths:
        try:
            sequential.append(extract_pdf(path, path.name))
        except ExtractError as exc:
            sequential.append(exc)
    seq_seconds = time.perf_counter() - started

    started = time.perf_counter()
    pooled = extract_many(paths, sources=[p.name for p in paths], workers=workers)
    pool_seconds = time.perf_counter() - started

    extracts = [r for r in pooled if isinstance(r, Extract)]
    pages = sum(e.page_count for e in extracts)
    print(f"\n{'paper':<20} {'pages':>5} {'sections':>8} {'input':>7} {'whole':>7}  kinds sent")
    inputs, wholes = [], []
    for path, result in zip(paths, pooled, strict=True):
        if isinstance(result, ExtractError):
            print(f"{path.name:<20} failed: {result}")
            continue
        model_input = build_model_input(result, budget)
        inputs.append(model_input.tokens)
        wholes.append(model_input.full_tokens)
        print(f"{path.name:<20} {result.page_count:>5} {len(result.sections):>8} "
              f"{model_input.tokens:>7} {model_input.full_tokens:>7}  "
              f"{','.join(model_input.sections)}")
    failed = sum(isinstance(r, ExtractError) for r in pooled)
    print(f"\nsequential: {pages} pages in {seq_seconds:6.2f} s = "
          f"{pages / seq_seconds:6.1f} pages/s")
    print(f"pool ({workers} workers): {pages} pages in {pool_seconds:6.2f} s = "
          f"{pages / pool_seconds:6.1f} pages/s  (x{seq_seconds / pool_seconds:.2f})")
    if inputs:
        mean_in, mean_whole = sum(inputs) / len(inputs), sum(wholes) / len(wholes)
        print(f"model input: mean {mean_in:,.0f} tokens per paper vs {mean_whole:,.0f} for the "
              f"whole text ({mean_in / mean_whole:.0%})")
    if failed:
        print(f"{failed} of {len(paths)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
