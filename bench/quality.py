"""Draft quality over real papers: schema validity, verified quotes, numbers, flags, time.

Summarizes every PDF in a folder (default ../shared/corpus/pdf) exactly as a weekly run does,
with the configured model (default: the built-in local one), and prints per paper and in
total: schema valid, quotes verified, numbers found in the paper over numbers cited, fields
backed by a verified quote, flags, seconds, prompt tokens.

    .venv/bin/python bench/quality.py [FOLDER] [--config config.yaml] [--limit N] [--show]
"""

from __future__ import annotations

import argparse
import json
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
from pipeline.read.extract import extract_many  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "pdf"
FIELDS = ("objective", "method", "metric", "results")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=CORPUS)
    parser.add_argument("--config", help="settings file (default: the built-in local model)")
    parser.add_argument("--limit", type=int, help="only the first N papers")
    parser.add_argument("--show", action="store_true", help="print every draft and its flags")
    args = parser.parse_args()
    pdfs = sorted(args.folder.glob("*.pdf"))[: args.limit]
    if not pdfs:
        sys.exit(f"no PDFs in {args.folder} (is ../shared beside the repo?)")
    config = (load_config(args.config) if args.config else
              Config.model_validate({"model": {"provider": "local"}, "root": REPO}))
    extracts = extract_many(pdfs)
    rows = []
    with open_model(config) as model:
        print(f"model {model.settings.name} at {model.endpoint}; input budget "
              f"{config.input_budget(model.settings, local=model.local)} tokens, numbers "
              f"budget {config.checks.numbers_budget}")
        print(f"{'paper':<18} {'valid':>5} {'quotes':>7} {'numbers':>8} {'backed':>7} "
              f"{'flags':>5} {'seconds':>7} {'prompt':>6} {'calls':>5}")
        for pdf, extract in zip(pdfs, extracts, strict=True):
            if isinstance(extract, PipelineError):
                print(f"{pdf.name:<18} extraction failed: {extract}")
                continue
            request = request_for(config, model, extract.title or pdf.stem, extract, pdf.stem)
            began = time.perf_counter()
            try:
                draft = summarize(model, request)
            except PipelineError as exc:
                seconds = time.perf_counter() - began
                rows.append({"valid": False, "seconds": seconds})
                print(f"{pdf.name:<18} {'no':>5}  {exc}")
                continue
            seconds = time.perf_counter() - began
            checks = draft.extras["checks"]
            quotes = [q for qs in checks["evidence"].values() for q in qs]
            verified = sum(q["verified"] for q in quotes)
            wanted = [f for f in FIELDS if f != "results" or draft.summary.results]
            backed = sum(any(q["verified"] for q in checks["evidence"].get(f, []))
                         for f in wanted)
            row = {"valid": True, "seconds": seconds, "quotes": len(quotes),
                   "verified": verified, "cited": checks["numbers_cited"],
                   "found": checks["numbers_found"], "fields": len(wanted), "backed": backed,
                   "flags": len(checks["flags"]), "prompt": draft.usage.prompt_tokens}
            rows.append(row)
            print(f"{pdf.name:<18} {'yes':>5} {verified:>3}/{len(quotes):<3} "
                  f"{row['found']:>3}/{row['cited']:<4} {backed:>3}/{len(wanted):<3} "
                  f"{row['flags']:>5} {seconds:7.1f} {row['prompt']:>6} "
                  f"{draft.usage.attempts:>5}")
            if args.show:
                print(json.dumps(draft.summary.model_dump(), indent=1, ensure_ascii=False))
                for flag in checks["flags"]:
                    print(f"    flag: {flag}")
    valid = [r for r in rows if r["valid"]]

    def ratio(part: str, whole: str) -> str:
        total = sum(r[whole] for r in valid)
        done = sum(r[part] for r in valid)
        return f"{done}/{total} ({100 * done / total:.0f}%)" if total else "-"

    print(f"\nschema valid {len(valid)}/{len(rows)} ({100 * len(valid) / len(rows):.0f}%); "
          f"quotes verified {ratio('verified', 'quotes')}; numbers found "
          f"{ratio('found', 'cited')}; fields backed by a verified quote "
          f"{ratio('backed', 'fields')}; drafts without flags "
          f"{sum(r['flags'] == 0 for r in valid)}/{len(valid)}")
    seconds = [r["seconds"] for r in rows]
    print(f"seconds per paper: median {statistics.median(seconds):.1f}, mean "
          f"{statistics.mean(seconds):.1f}, max {max(seconds):.1f}; prompt tokens per paper: "
          f"mean {statistics.mean(r['prompt'] for r in valid):.0f}" if valid else "")


if __name__ == "__main__":
    main()
