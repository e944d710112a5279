"""How close a weekly run gets to the ideal calls x latency / concurrency, and what a rerun costs.

Runs `paperlist weekly` over N synthetic papers against the test suite's fake arXiv and a fake
model that answers after a fixed latency (and, like a capable model, cites the paper, so each
paper takes two requests: the numbers pass and the summary; the run starts with the two of the
model preflight), then runs it again: the second run should make no model calls and no
downloads.

    .venv/bin/python bench/weekly.py [--papers 100] [--latency 1.0] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from fakes import FakeArxiv, FakeChat, FakePaper  # noqa: E402
from weekly_fixtures import abstract_for, answer  # noqa: E402

from pipeline.cli.main import cli  # noqa: E402

MONDAY = datetime(2024, 4, 8, 0, 30, tzinfo=UTC)  # the week is 2024-W15


def weekly(config: Path) -> None:
    """One `paperlist weekly`, its stdout (the drafted ids) dropped."""
    args = ["weekly", "--week", "2024-W15", "--limit", "100000", "--config", str(config)]
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        cli.main(args, prog_name="paperlist", standalone_mode=False)


def last_run(db: Path) -> tuple[int, int, int, int]:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT drafted, failed, model_calls, downloads FROM runs"
                           " ORDER BY id DESC LIMIT 1").fetchone()
    return tuple(row)  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100)
    parser.add_argument("--latency", type=float, default=1.0, help="seconds per model answer")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    with FakeArxiv() as arxiv_api, FakeChat() as chat_api, \
            tempfile.TemporaryDirectory() as tmp:
        step = timedelta(minutes=(7 * 24 * 60 - 60) // max(args.papers, 1))
        for i in range(args.papers):
            title = f"Diffusion model paper {i}"
            arxiv_api.add(FakePaper(f"2404.{1000 + i:05d}", title=title,
                                    abstract=abstract_for(title), published=MONDAY + i * step))
        chat_api.latency = args.latency
        chat_api.default = answer
        root = Path(tmp)
        config = root / "config.yaml"
        config.write_text(yaml.safe_dump({
            "arxiv": {"api_url": arxiv_api.api_url, "pdf_url": arxiv_api.pdf_url,
                      "delay_seconds": 0, "download_delay": 0},
            "model": {"base_url": chat_api.base_url, "name": "fake-model",
                      "concurrency": args.concurrency, "api_key_env": "PAPERLIST_BENCH_KEY"},
            "rank": {"hf_daily_url": ""},  # the community signal off: no Daily Papers here
            "output": {"dir": str(root / "out"), "database": str(root / "out" / "state.db"),
                       "cache_dir": str(root / "cache")},
        }))
        os.environ["PAPERLIST_BENCH_KEY"] = "bench"
        os.environ["NO_PROXY"] = "127.0.0.1,localhost"

        started = time.perf_counter()
        weekly(config)
        wall = time.perf_counter() - started
        drafted, failed, calls, downloads = last_run(root / "out" / "state.db")
        ideal = chat_api.calls * args.latency / args.concurrency
        print(f"papers {args.papers}, model latency {args.latency:g} s, "
              f"concurrency {args.concurrency}", file=sys.stderr)
        print(f"first run:  {drafted} drafted, {failed} failed, {calls} model calls, "
              f"{downloads} downloads")
        print(f"wall time {wall:.1f} s, ideal {ideal:.1f} s ({chat_api.calls} requests x "
              f"{args.latency:g} s / {args.concurrency}), ratio {wall / ideal:.2f}")

        started = time.perf_counter()
        weekly(config)
        again = time.perf_counter() - started
        _, _, calls, downloads = last_run(root / "out" / "state.db")
        print(f"second run: {calls} model calls, {downloads} downloads, {again:.1f} s")


if __name__ == "__main__":
    main()
