"""Seconds per paper, prompt tokens and peak memory of the built-in local model.

Summarizes a few real papers exactly as `paperlist summarize --pdf` does (extraction, the
local model's input budget, the same prompts and client), with the local llama.cpp server that
paperlist starts itself, and reads the server's peak resident memory from /proc.

    .venv/bin/python bench/local.py [PDF ...] [--all] [--config FILE]
        (default: three papers of ../shared/corpus; --all: all ten)

The machine's load average is printed before and after: on a shared machine the figures are
only comparable with the load they were taken under.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.config import Config, load_config  # noqa: E402
from pipeline.draft.summarize import summarize  # noqa: E402
from pipeline.errors import PipelineError  # noqa: E402
from pipeline.jobs.drafting import open_model, request_for  # noqa: E402
from pipeline.read.extract import extract_pdf  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "pdf"
DEFAULT = ["1706.03762v7.pdf", "2501.10120v1.pdf", "2502.13189.pdf"]


def children_peak_rss_mb() -> float:
    """The largest VmHWM among this process's children (the llama.cpp server)."""
    peak = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != os.getpid():
                continue
            for line in (stat.parent / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (OSError, IndexError, ValueError):
            continue
    return peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdfs", nargs="*", type=Path)
    parser.add_argument("--all", action="store_true", help="every PDF of ../shared/corpus/pdf")
    parser.add_argument("--config", help="settings file (default: the built-in model's own)")
    args = parser.parse_args()
    pdfs = args.pdfs or (sorted(CORPUS.glob("*.pdf")) if args.all
                         else [CORPUS / name for name in DEFAULT])
    missing = [p for p in pdfs if not p.is_file()]
    if missing:
        sys.exit(f"no such PDF: {missing[0]} (is ../shared beside the repo?)")
    config = (load_config(args.config) if args.config else
              Config.model_validate({"model": {"provider": "local"}, "root": REPO}))
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    started = time.perf_counter()
    seconds = []
    with open_model(config) as model:
        ready = time.perf_counter() - started
        print(f"model {model.settings.name}, context {model.settings.context_tokens}, "
              f"threads {config.model.threads or 'all cores'}; server ready in {ready:.1f} s")
        print(f"{'paper':<20} {'seconds':>8} {'prompt':>7} {'output':>7} {'tries':>5}  result")
        for pdf in pdfs:
            extract = extract_pdf(pdf)
            request = request_for(config, model, extract.title or pdf.stem, extract, None)
            began = time.perf_counter()
            try:
                draft = summarize(model, request)
            except PipelineError as exc:
                elapsed = time.perf_counter() - began
                print(f"{pdf.name:<20} {elapsed:8.1f} {'-':>7} {'-':>7} {'-':>5}  {exc}")
                seconds.append(elapsed)
                continue
            elapsed = time.perf_counter() - began
            seconds.append(elapsed)
            usage = draft.usage
            print(f"{pdf.name:<20} {elapsed:8.1f} {usage.prompt_tokens:7d} "
                  f"{usage.completion_tokens:7d} {usage.attempts:5d}  section "
                  f"{draft.summary.section}, {len(draft.extras['checks'].get('flags', []))} "
                  "flags", flush=True)
        peak = children_peak_rss_mb()
    print(f"median {statistics.median(seconds):.1f} s per paper, mean "
          f"{statistics.mean(seconds):.1f} s; server peak RSS {peak:.0f} MB")
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
