"""The weekly run: find the week's papers per topic, then download, extract and draft them.

Each step's result is committed to the state database as soon as it exists, and the next run
starts with whatever an earlier run left unfinished, so a killed run loses no finished work.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Protocol

from .chat import ChatModel
from .config import Config, TopicSettings
from .drafting import load_extract, request_for, save, save_extract
from .errors import ConfigError, PipelineError, UsageError
from .extract import extract_many
from .fetch import ArxivSource
from .models import Draft, Extract, Paper
from .preflight import preflight
from .store import PaperRecord, Store
from .summarize import summarize

log = logging.getLogger(__name__)


# -- the window -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Window:
    """Submission dates, inclusive, in GMT as arXiv's submittedDate uses."""

    first: date
    last: date

    @property
    def label(self) -> str:
        iso = self.first.isocalendar()
        if self.first.weekday() == 0 and self.last == self.first + timedelta(days=6):
            return f"{iso.year}-W{iso.week:02d}"
        return f"{self.first.isoformat()}..{self.last.isoformat()}"

    def query(self) -> str:
        return (f"submittedDate:[{self.first:%Y%m%d}0000 TO {self.last:%Y%m%d}2359]")

    def contains(self, moment: datetime | None) -> bool:
        if moment is None:
            return True
        start = datetime.combine(self.first, time.min, UTC)
        end = datetime.combine(self.last, time.max, UTC)
        return start <= moment.astimezone(UTC) <= end


def last_complete_week(today: date) -> Window:
    monday = today - timedelta(days=today.weekday() + 7)
    return Window(monday, monday + timedelta(days=6))


def parse_week(text: str) -> Window:
    match = re.fullmatch(r"(\d{4})-?W(\d{1,2})", text.strip(), re.I)
    if not match:
        raise UsageError(f"--week {text!r}: expected an ISO week such as 2024-W15")
    try:
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise UsageError(f"--week {text!r}: {match[1]} has no week {match[2]}") from None
    return Window(monday, monday + timedelta(days=6))


def window_between(since: date, until: date) -> Window:
    if until < since:
        raise UsageError(f"--until {until} is before --since {since}")
    return Window(since, until)


# -- topics: query, match, rank ---------------------------------------------------------------

def _term(field_name: str, keyword: str) -> str:
    keyword = keyword.replace('"', "").strip()
    return f'{field_name}:"{keyword}"' if " " in keyword or "-" in keyword else \
        f"{field_name}:{keyword}"


def topic_query(topic: TopicSettings, window: Window) -> str:
    """An export-API query for one topic's categories and keywords in the window."""
    cats = " OR ".join(f"cat:{c}" for c in topic.categories)
    words = " OR ".join(f"{_term('ti', k)} OR {_term('abs', k)}" for k in topic.include)
    return f"({cats}) AND ({words}) AND {window.query()}"


def _hits(text: str, keywords: list[str]) -> int:
    """How many keywords occur as whole words (a plural counts: LLM finds LLMs)."""
    return sum(1 for k in keywords
               if re.search(rf"(?<!\w){re.escape(k)}(?:s|es)?(?!\w)", text, re.IGNORECASE))


@dataclass(frozen=True)
class Candidate:
    """A paper of the week, the topic it matched and how strongly."""

    paper: Paper
    topic: str
    title_hits: int
    abstract_hits: int

    def rank_key(self) -> tuple[int, int, float, str]:
        stamp = self.paper.published.timestamp() if self.paper.published else 0.0
        return (-self.title_hits, -self.abstract_hits, -stamp, self.paper.id)


def match(paper: Paper, topics: list[TopicSettings]) -> Candidate | None:
    """The best topic for a paper, or None when it is off topic or excluded."""
    best: Candidate | None = None
    for topic in topics:
        if not set(paper.categories) & set(topic.categories):
            continue
        if _hits(paper.title, topic.exclude) or _hits(paper.abstract, topic.exclude):
            continue
        title, abstract = _hits(paper.title, topic.include), _hits(paper.abstract, topic.include)
        if not title and not abstract:
            continue
        if best is None or (title, abstract) > (best.title_hits, best.abstract_hits):
            best = Candidate(paper, topic.name, title, abstract)
    return best


@dataclass
class WeekPlan:
    """What a week's query turned up and what will be drafted."""

    window: Window
    selected: list[Candidate] = field(default_factory=list)
    known: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    over_cap: list[str] = field(default_factory=list)
    duplicates: int = 0


def plan_week(config: Config, source: ArxivSource, store: Store, window: Window,
              limit: int | None = None) -> WeekPlan:
    """Query every topic, drop duplicates, known and off-topic papers, rank and cap."""
    plan = WeekPlan(window)
    seen: dict[str, Paper] = {}
    for topic in config.topics:
        for paper in source.search(topic_query(topic, window)):
            if paper.id in seen:
                plan.duplicates += 1
                if paper.version > seen[paper.id].version:
                    seen[paper.id] = paper
                continue
            seen[paper.id] = paper
    known = store.known_ids()
    candidates = []
    for paper in seen.values():
        if paper.id in known:
            plan.known.append(paper.id)
            continue
        candidate = match(paper, config.topics) if window.contains(paper.published) else None
        if candidate is None:
            plan.unmatched.append(paper.id)
            continue
        candidates.append(candidate)
    candidates.sort(key=Candidate.rank_key)
    cap = limit if limit is not None else config.weekly.max_papers
    plan.selected, over = candidates[:cap], candidates[cap:]
    plan.over_cap = [c.paper.id for c in over]
    return plan


# -- the run ----------------------------------------------------------------------------------

class Progress(Protocol):
    def stage(self, name: str, total: int) -> None: ...
    def advance(self, paper_id: str) -> None: ...
    def done(self) -> None: ...


class NoProgress:
    def stage(self, name: str, total: int) -> None:
        pass

    def advance(self, paper_id: str) -> None:
        pass

    def done(self) -> None:
        pass


@dataclass
class RunReport:
    """What a weekly run did, for the summary the CLI prints."""

    run_id: int
    plan: WeekPlan
    drafted: list[str] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)
    downloads: int = 0
    model_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


def run_week(
    config: Config,
    store: Store,
    source: ArxivSource,
    model_factory: Callable[[], AbstractContextManager[ChatModel]],
    plan: WeekPlan,
    progress: Progress | None = None,
) -> RunReport:
    """Record the plan's papers, then take every unfinished paper as far as a draft.

    A pipeline: papers are downloaded and extracted in growing batches while earlier ones are
    already with the model, so the model is busy almost from the start.
    """
    progress = progress or NoProgress()
    window = (plan.window.first.isoformat(), plan.window.last.isoformat())
    run_id = store.start_run("weekly", window)
    report = RunReport(run_id, plan)
    status = "failed"
    downloads_before = source.downloads
    try:
        for candidate in plan.selected:
            store.add_paper(candidate.paper, section=candidate.topic, run_id=run_id)
        work = store.pending(config.weekly.max_attempts)
        log.info("run %d: %d papers to take to a draft", run_id, len(work))
        progress.stage("Drafting", len(work))
        if work:
            with model_factory() as model, _Drafting(config, store, model, report,
                                                     progress) as drafting:
                preflight(config, model)  # a model that cannot do the job spends nothing
                for batch in _batches(work, first=config.model.concurrency):
                    ready = _download(source, store, batch, report, progress, drafting)
                    for record, extract in _extract(config, store, source, ready, report,
                                                    progress):
                        drafting.submit(record, extract)
                    drafting.collect()
                drafting.collect(wait=True)
        status = "finished"
    finally:
        progress.done()
        report.downloads = source.downloads - downloads_before
        store.finish_run(run_id, status, found=len(plan.selected), drafted=len(report.drafted),
                         failed=len(report.failed), downloads=report.downloads,
                         model_calls=report.model_calls, prompt_tokens=report.prompt_tokens,
                         completion_tokens=report.completion_tokens)
    return report


def _batches(items: list[PaperRecord], first: int, largest: int = 64) -> Iterator[
        list[PaperRecord]]:
    """Small first, so the model starts early; larger later, so extraction pools are few."""
    size, start = max(1, first), 0
    while start < len(items):
        yield items[start:start + size]
        start += size
        size = min(largest, size * 2)


def _fail(store: Store, report: RunReport, progress: Progress, paper_id: str, stage: str,
          exc: PipelineError) -> None:
    log.warning("%s: %s failed: %s", paper_id, stage, exc.message)
    store.mark_failed(paper_id, stage, exc.message, report.run_id)
    report.failed.append((paper_id, stage, exc.message))
    progress.advance(paper_id)


class _Drafting:
    """Model calls in a bounded thread pool; results are stored by the thread that owns the
    database, whenever it comes by to collect them."""

    def __init__(self, config: Config, store: Store, model: ChatModel, report: RunReport,
                 progress: Progress) -> None:
        self.config, self.store, self.model = config, store, model
        self.report, self.progress = report, progress
        self.pool = ThreadPoolExecutor(max_workers=model.settings.concurrency,
                                       thread_name_prefix="model")
        self.futures: dict[Future[Draft], PaperRecord] = {}
        self.calls_before = model.calls

    def __enter__(self) -> _Drafting:
        return self

    def __exit__(self, *exc: object) -> None:
        for future in self.futures:
            future.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.report.model_calls = self.model.calls - self.calls_before

    def submit(self, record: PaperRecord, extract: Extract) -> None:
        request = request_for(self.config, self.model, record.title, extract, record.id,
                              record.section)
        self.futures[self.pool.submit(summarize, self.model, request)] = record

    def collect(self, wait: bool = False) -> None:
        """Store every finished draft; with wait, until none is left."""
        while self.futures:
            done = [f for f in self.futures if f.done()]
            if not done:
                if not wait:
                    return
                done = [next(as_completed(self.futures))]
            for future in done:
                self._store(self.futures.pop(future), future)

    def _store(self, record: PaperRecord, future: Future[Draft]) -> None:
        try:
            result = future.result()
        except ConfigError:
            raise
        except PipelineError as exc:
            _fail(self.store, self.report, self.progress, record.id, "summarize", exc)
            return
        save(self.config, self.store, record.id, record.version, record.title, result)
        self.report.drafted.append(record.id)
        self.report.prompt_tokens += result.usage.prompt_tokens
        self.report.completion_tokens += result.usage.completion_tokens
        self.progress.advance(record.id)


def _download(source: ArxivSource, store: Store, work: list[PaperRecord], report: RunReport,
              progress: Progress, drafting: _Drafting) -> list[PaperRecord]:
    ready = []
    for record in work:
        try:
            pdf = source.download(record.id, record.version)
        except PipelineError as exc:
            _fail(store, report, progress, record.id, "download", exc)
        else:
            if record.status in ("found", "failed"):
                store.set_status(record.id, "downloaded", pdf_path=str(pdf))
            ready.append(record)
        drafting.collect()
    return ready


def _extract(config: Config, store: Store, source: ArxivSource, records: list[PaperRecord],
             report: RunReport, progress: Progress) -> list[tuple[PaperRecord, Extract]]:
    done: list[tuple[PaperRecord, Extract]] = []
    todo: list[tuple[PaperRecord, Path]] = []
    for record in records:
        pdf = source.pdf_path(record.id, record.version)
        cached = load_extract(pdf)
        if cached is None:
            todo.append((record, pdf))
        else:
            done.append((record, cached))
    results = extract_many([pdf for _, pdf in todo],
                           sources=[record.versioned_id for record, _ in todo],
                           workers=config.extract.workers, timeout=config.extract.timeout)
    for (record, pdf), result in zip(todo, results, strict=True):
        if isinstance(result, PipelineError):
            _fail(store, report, progress, record.id, "extract", result)
        else:
            save_extract(pdf, result)
            store.set_status(record.id, "extracted")
            done.append((record, result))
    return done
