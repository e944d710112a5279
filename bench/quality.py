"""Draft quality as an editor reads it: the rubric per field, seconds and tokens per paper.

Drafts every PDF in a folder (default ../shared/corpus/pdf) exactly as `paperlist summarize
--pdf` does, with the configured model (default: the built-in local one), and

- writes every draft into one markdown file for a blind read (`--out`, default
  output/quality/drafts.md): per paper its title and the opening of its abstract, then the
  entry as it would be published, with nothing that says which model or writer produced it;
- prints per paper the seconds, tokens and requests, and the rubric failures; then per field
  the share of drafts whose field passes the editor's rubric (`pipeline/draft/rubric.py`:
  first person, a sentence cut short, keypoints that are fragments or title copies, a
  Limitation without a limitations passage, a Metric without the headline numbers, a number
  next to another quantity than in the paper) and the other checks' flags.

    .venv/bin/python bench/quality.py [FOLDER] [--config FILE] [--limit N] [--only ID ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from local import children_peak_rss_mb  # noqa: E402  (bench/local.py, beside this file)

from pipeline.config import Config, load_config  # noqa: E402
from pipeline.draft.entry import render_entry  # noqa: E402
from pipeline.draft.rubric import RUBRIC_FIELDS  # noqa: E402
from pipeline.draft.summarize import summarize  # noqa: E402
from pipeline.errors import PipelineError  # noqa: E402
from pipeline.jobs.drafting import open_model, request_for  # noqa: E402
from pipeline.read.extract import extract_many  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "pdf"
EXCERPT_CHARS = 600


@dataclass
class Row:
    """One paper's draft as measured."""

    paper: str
    seconds: float
    failed: str = ""
    prompt: int = 0
    output: int = 0
    calls: int = 0
    rubric: dict[str, list[str]] = field(default_factory=dict)  # field -> its failures
    flags: list[str] = field(default_factory=list)  # every check's flags


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=CORPUS)
    parser.add_argument("--config", help="settings file (default: the built-in local model)")
    parser.add_argument("--limit", type=int, help="only the first N papers")
    parser.add_argument("--only", nargs="*", default=[], help="only PDFs whose name starts so")
    parser.add_argument("--out", type=Path, default=REPO / "output" / "quality" / "drafts.md")
    args = parser.parse_args()
    pdfs = sorted(args.folder.glob("*.pdf"))
    if args.only:
        pdfs = [p for p in pdfs if any(p.name.startswith(o) for o in args.only)]
    pdfs = pdfs[: args.limit]
    if not pdfs:
        sys.exit(f"no PDFs in {args.folder} (is ../shared beside the repo?)")
    config = (load_config(args.config) if args.config else
              Config.model_validate({"model": {"provider": "local"}, "root": REPO}))
    extracts = extract_many(pdfs)
    rows: list[Row] = []
    blind = ["# Drafts for a blind read", "",
             "Each paper: its title and the opening of its abstract, then the drafted entry.", ""]
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    with open_model(config) as model:
        print(f"model {model.settings.name} at {model.endpoint}", flush=True)
        print(f"{'paper':<18} {'seconds':>7} {'prompt':>6} {'output':>6} {'calls':>5}  "
              "rubric failures")
        for pdf, extract in zip(pdfs, extracts, strict=True):
            if isinstance(extract, PipelineError):
                print(f"{pdf.name:<18} extraction failed: {extract}")
                continue
            title = extract.title or pdf.stem
            request = request_for(config, model, title, extract, None)
            began = time.perf_counter()
            try:
                draft = summarize(model, request)
            except PipelineError as exc:
                rows.append(Row(pdf.name, time.perf_counter() - began, failed=str(exc)))
                print(f"{pdf.name:<18} failed: {exc}")
                continue
            seconds = time.perf_counter() - began
            checks = draft.extras["checks"]
            rubric: dict[str, list[str]] = checks.get("rubric", {})
            usage = draft.usage
            rows.append(Row(pdf.name, seconds, prompt=usage.prompt_tokens,
                            output=usage.completion_tokens, calls=usage.attempts,
                            rubric=rubric, flags=list(checks.get("flags", []))))
            failures = [m for ms in rubric.values() for m in ms]
            print(f"{pdf.name:<18} {seconds:7.1f} {usage.prompt_tokens:6d} "
                  f"{usage.completion_tokens:6d} {usage.attempts:5d}  "
                  f"{'; '.join(failures) or '-'}", flush=True)
            entry = render_entry(title, draft.summary, None, root=config.root)
            blind += [f"## {excerpt(title, 200)}", "", f"> {excerpt(request.passages.abstract)}",
                      "", "```markdown", entry.rstrip(), "```", ""]
        peak = children_peak_rss_mb() if model.local else 0.0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(blind), encoding="utf-8")
    report(rows)
    if peak:
        print(f"local server peak RSS {peak:.0f} MB")
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"\nthe drafts, for a blind read: {args.out}")


def report(rows: list[Row]) -> None:
    drafted = [r for r in rows if not r.failed]
    print(f"\n{len(drafted)} of {len(rows)} papers drafted")
    if not drafted:
        return
    print(f"{'field':<11} {'drafts':>6} {'rubric passed':>14}")
    passed = total = 0
    for name in RUBRIC_FIELDS:
        present = [r for r in drafted if name in r.rubric]
        if not present:
            continue
        ok = sum(not r.rubric[name] for r in present)
        passed, total = passed + ok, total + len(present)
        print(f"{name:<11} {len(present):>6} {ok:>6}/{len(present):<3} "
              f"({100 * ok / len(present):.0f}%)")
    print(f"{'all fields':<11} {total:>6} {passed:>6}/{total:<3} ({100 * passed / total:.0f}%)")
    other = [flag for r in drafted for flag in r.flags
             if not any(flag in failures for failures in r.rubric.values())]
    print(f"other checks' flags (quotes, numbers, language, copying): {len(other)}")
    for flag in other:
        print(f"    {flag}")
    seconds = [r.seconds for r in rows]
    print(f"seconds per paper: median {statistics.median(seconds):.1f}, mean "
          f"{statistics.mean(seconds):.1f}, max {max(seconds):.1f}")
    print(f"tokens per paper: prompt mean {statistics.mean(r.prompt for r in drafted):.0f} "
          f"(max {max(r.prompt for r in drafted)}), output mean "
          f"{statistics.mean(r.output for r in drafted):.0f} (max "
          f"{max(r.output for r in drafted)}); requests mean "
          f"{statistics.mean(r.calls for r in drafted):.1f}")


if __name__ == "__main__":
    main()
