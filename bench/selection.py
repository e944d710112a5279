"""Does the weekly selection find the papers the editors picked? Real April 2024 weeks.

For each of the editors' April 2024 picks that is in the cs.CL/cs.AI listing of
../shared/weeks, the week of its submission is ranked through the real code path
(`jobs.selection.plan_week`: the topic queries against the test suite's fake export API
serving the real listing, Daily Papers from a fake endpoint serving the real archive, the taste
profile read from the output folder) with a history made of the editors' April list *without
the pick's own entry* (leave-one-out: ../shared/format/README.example.md holds the whole
list, PaperList_202404.example.md part of it). Prints each pick's rank and section, recall@10,
recall@15 and the section agreement with the editors.

    .venv/bin/python bench/selection.py [--shared ../shared] [--ablation] [--sensitivity]

--ablation adds each signal alone and a stricter profile that leaves out every entry of the
pick's week (not only its own); --sensitivity reruns with other weights and settings.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

from conftest import merge  # noqa: E402
from fakes import FakeArxiv, FakeDailyPapers, FakePaper  # noqa: E402

from pipeline.config import parse_config  # noqa: E402
from pipeline.find.arxiv import ArxivSource  # noqa: E402
from pipeline.find.window import parse_week  # noqa: E402
from pipeline.jobs.selection import plan_week  # noqa: E402
from pipeline.publish.digest import Document, entry_headings, title_key  # noqa: E402
from pipeline.store import Store  # noqa: E402

HISTORY = {"README.md": "README.example.md", "PaperList_202404.md": "PaperList_202404.example.md"}


@dataclass(frozen=True)
class Pick:
    id: str
    title: str
    section: str
    week: str


@dataclass(frozen=True)
class Outcome:
    pick: Pick
    rank: int | None  # None: not a candidate at all (the topics left it out)
    clean_rank: int | None  # the rank among candidates that are not other picks
    section: str | None
    seconds: float


def load(shared: Path) -> tuple[list[FakePaper], dict[str, list[dict[str, Any]]], list[Pick],
                                list[dict[str, Any]]]:
    weeks = shared / "weeks"
    papers = [FakePaper(p["id"], version=p["version"], title=p["title"], abstract=p["abstract"],
                        authors=list(p["authors"]), categories=list(p["categories"]),
                        published=datetime.fromisoformat(p["published"].replace("Z", "+00:00")))
              for p in json.loads((weeks / "arxiv-2024-W14-W17.json").read_text())]
    days = {path.stem: json.loads(path.read_text())
            for path in sorted((weeks / "hf-daily").glob("*.json"))}
    every = json.loads((weeks / "picks-202404.json").read_text())
    picks = [Pick(p["id"], p["title"], p["section"], p["iso_week"]) for p in every
             if p["in_listing"]]
    return papers, days, picks, every


def without(text: str, titles: set[str]) -> str:
    """The digest file without the entries whose titles (compared as keys) are in `titles`."""
    doc = Document(text)
    headings = doc.headings()
    for heading in reversed(entry_headings(doc)):
        if title_key(heading.text) in titles:
            del doc.lines[heading.index:doc.block_end(heading, headings)]
    return doc.text()


@contextmanager
def servers(shared: Path) -> Iterator[tuple[FakeArxiv, FakeDailyPapers, list[Pick],
                                             list[dict[str, Any]]]]:
    papers, days, picks, every = load(shared)
    with FakeArxiv(papers) as arxiv_api, FakeDailyPapers(days) as daily_api:
        yield arxiv_api, daily_api, picks, every


def rank_pick(shared: Path, arxiv_api: FakeArxiv, daily_api: FakeDailyPapers, pick: Pick,
              left_out: set[str], other_picks: set[str],
              overrides: dict[str, Any]) -> Outcome:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        output = root / "output"
        output.mkdir()
        for name, source in HISTORY.items():
            text = (shared / "format" / source).read_text(encoding="utf-8")
            (output / name).write_text(without(text, left_out), encoding="utf-8")
        base = {
            "arxiv": {"api_url": arxiv_api.api_url, "pdf_url": arxiv_api.pdf_url,
                      "delay_seconds": 0, "page_size": 1000, "num_retries": 0},
            "rank": {"hf_daily_url": daily_api.api_url},
            "output": {"dir": str(output), "database": str(output / "paperlist.db"),
                       "cache_dir": str(root / "cache")},
        }
        config = parse_config(merge(base, overrides), root=root)
        started = time.perf_counter()
        with Store(output / "paperlist.db") as store, \
                ArxivSource(config.arxiv, root / "cache") as source:
            plan = plan_week(config, store, source, parse_week(pick.week))
        seconds = time.perf_counter() - started
    ids = [item.paper.id for item in plan.ranked]
    if pick.id not in ids:
        return Outcome(pick, None, None, None, seconds)
    clean = [i for i in ids if i == pick.id or i not in other_picks]
    return Outcome(pick, ids.index(pick.id) + 1, clean.index(pick.id) + 1,
                   plan.ranked[ids.index(pick.id)].section, seconds)


def run(shared: Path, servers_: tuple[FakeArxiv, FakeDailyPapers, list[Pick],
                                      list[dict[str, Any]]],
        overrides: dict[str, Any], *, leave_week_out: bool = False) -> list[Outcome]:
    arxiv_api, daily_api, picks, every = servers_
    listed = {p.id for p in picks}
    outcomes = []
    for pick in picks:
        left_out = {title_key(pick.title)}
        if leave_week_out:
            left_out |= {title_key(p["title"]) for p in every if p["iso_week"] == pick.week}
        outcomes.append(rank_pick(shared, arxiv_api, daily_api, pick, left_out,
                                  listed - {pick.id}, overrides))
    return outcomes


def recall(outcomes: list[Outcome], k: int) -> int:
    return sum(1 for o in outcomes if o.rank is not None and o.rank <= k)


def summary(outcomes: list[Outcome]) -> str:
    agree = sum(1 for o in outcomes if o.section == o.pick.section)
    n = len(outcomes)
    return (f"recall@10 {recall(outcomes, 10)}/{n}, recall@15 {recall(outcomes, 15)}/{n}, "
            f"recall@40 {recall(outcomes, 40)}/{n}, section agreement {agree}/{n} "
            f"({100 * agree / n:.0f}%)")


def table(outcomes: list[Outcome]) -> None:
    print(f"{'pick':<11} {'week':<9} {'rank':>4} {'w/o picks':>9}  {'section (editors)':<27} "
          "title")
    for o in outcomes:
        rank = str(o.rank) if o.rank else "-"
        clean = str(o.clean_rank) if o.clean_rank else "-"
        section = f"{o.section or '-'} ({o.pick.section})"
        mark = "" if o.section == o.pick.section else " *"
        print(f"{o.pick.id:<11} {o.pick.week:<9} {rank:>4} {clean:>9}  {section + mark:<27} "
              f"{o.pick.title[:60]}")


VARIANTS: dict[str, dict[str, Any]] = {
    "taste alone": {"rank": {"weights": {"taste": 1.0, "community": 0.0, "topic": 0.0}}},
    "community alone": {"rank": {"weights": {"taste": 0.0, "community": 1.0, "topic": 0.0}}},
    "topic alone (keyword hits)": {"rank": {"weights": {"taste": 0.0, "community": 0.0,
                                                        "topic": 1.0}}},
}
SENSITIVITY: dict[str, dict[str, Any]] = {
    "community 0.2": {"rank": {"weights": {"community": 0.2}}},
    "community 1.0": {"rank": {"weights": {"community": 1.0}}},
    "community 2.0": {"rank": {"weights": {"community": 2.0}}},
    "topic 0": {"rank": {"weights": {"topic": 0.0}}},
    "topic 0.1": {"rank": {"weights": {"topic": 0.1}}},
    "topic 0.2": {"rank": {"weights": {"topic": 0.2}}},
    "neighbours 1": {"rank": {"neighbours": 1}},
    "neighbours 5": {"rank": {"neighbours": 5}},
    "hf_days_after 0": {"rank": {"hf_days_after": 0}},
    "hf_days_after 1": {"rank": {"hf_days_after": 1}},
    "hf_days_after 7": {"rank": {"hf_days_after": 7}},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--ablation", action="store_true", help="each signal alone, and a "
                        "profile without any entry of the pick's week")
    parser.add_argument("--sensitivity", action="store_true", help="other weights and settings")
    args = parser.parse_args()
    if not (args.shared / "weeks").is_dir():
        sys.exit(f"{args.shared / 'weeks'} is absent: nothing to measure")
    logging.basicConfig(level=logging.ERROR)

    with servers(args.shared) as running:
        picks = running[2]
        print(f"{len(picks)} of the editors' April 2024 picks are in the cs.CL/cs.AI listing; "
              "each ranked in its week with the other April entries as the history.\n"
              "rank: among all of the week's candidates; w/o picks: among those that are not\n"
              "other picks. As in a real run, no candidate is compared with its own entry.\n")
        outcomes = run(args.shared, running, {})
        table(outcomes)
        seconds = sorted(o.seconds for o in outcomes)
        print(f"\ndefaults: {summary(outcomes)}")
        print(f"(a week's ranking took {seconds[len(seconds) // 2]:.1f} s median, "
              f"{seconds[-1]:.1f} s at most, fake servers included)")
        if args.ablation:
            print()
            for name, overrides in VARIANTS.items():
                print(f"{name + ':':<28} {summary(run(args.shared, running, overrides))}")
            strict = run(args.shared, running, {}, leave_week_out=True)
            print(f"{'leave-week-out history:':<28} {summary(strict)}")
            print("  ranks: " + ", ".join(f"{o.pick.id} {o.rank}" for o in strict))
        if args.sensitivity:
            print()
            for name, overrides in SENSITIVITY.items():
                result = run(args.shared, running, overrides)
                ranks = " ".join(str(o.rank) for o in result)
                print(f"{name + ':':<20} {summary(result)}; ranks {ranks}")


if __name__ == "__main__":
    main()
