"""The weekly run: find the week's papers per topic, then download, extract and draft them.

Each step's result is committed to the state database as soon as it exists, and the next run
starts with whatever an earlier run left unfinished, so a killed run loses no finished work.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..config import Config
from ..draft.chat import ChatModel
from ..draft.summarize import summarize
from ..errors import ConfigError, PipelineError, StoreError
from ..find.arxiv import ArxivSource
from ..find.shortlist import WeekPlan
from ..find.window import Window
from ..models import Draft, Extract, PaperRecord
from ..read.extract import extract_many
from ..store import Store
from .drafting import load_extract, request_for, save, save_extract
from .preflight import preflight

log = logging.getLogger(__name__)


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


def window_dates(window: Window) -> tuple[str, str]:
    """A window as a run records it."""
    return window.first.isoformat(), window.last.isoformat()


@contextmanager
def recorded(store: Store, run_id: int) -> Iterator[None]:
    """Close the run as failed (or interrupted), with the reason, when the block raises:
    arXiv unreachable or an empty window while planning. A database that cannot record it
    does not hide the error that ended the run."""
    try:
        yield
    except BaseException as exc:
        interrupted = isinstance(exc, KeyboardInterrupt)
        error = "interrupted" if interrupted else str(exc) or type(exc).__name__
        with contextlib.suppress(StoreError):
            store.finish_run(run_id, "interrupted" if interrupted else "failed", error=error)
        raise


def record_plan(store: Store, plan: WeekPlan, run_id: int | None) -> None:
    """Every new candidate of the plan, with its section and ranking reasons: the selected
    ones to be drafted, the others as candidates that later runs skip (and `paperlist draft`
    drafts on request)."""
    with store.transaction():
        for status, items in (("found", plan.selected), ("candidate", plan.over_cap)):
            for item in items:
                store.add_paper(item.paper, section=item.section, run_id=run_id, status=status,
                                reasons=item.reasons)


def run_week(
    config: Config,
    store: Store,
    source: ArxivSource,
    model_factory: Callable[[], AbstractContextManager[ChatModel]],
    plan: WeekPlan,
    progress: Progress | None = None,
    *,
    run_id: int | None = None,
) -> RunReport:
    """Record the plan's candidates, then take every unfinished paper as far as a draft.

    A pipeline: papers are downloaded and extracted in growing batches while earlier ones are
    already with the model, so the model is busy almost from the start. `run_id` is a run the
    caller started before planning (by default one is started here); it is closed here.
    """
    progress = progress or NoProgress()
    if run_id is None:
        run_id = store.start_run("weekly", window_dates(plan.window))
    _record_warnings(store, run_id, source)  # entries the week's queries had to skip
    report = RunReport(run_id, plan)
    status = "failed"
    downloads_before = source.downloads
    try:
        record_plan(store, plan, run_id)
        work = store.pending(config.weekly.max_attempts)
        log.info("run %d: %d papers to take to a draft", run_id, len(work))
        progress.stage("Drafting", len(work))
        if work:
            with model_factory() as model, _Drafting(config, store, model, report,
                                                     progress) as drafting:
                preflight(config, model)  # a model that cannot do the job spends nothing
                for batch in _batches(work, first=model.settings.concurrency):
                    ready = _download(source, store, batch, report, progress, drafting)
                    for record, extract in _extract(config, store, source, ready, report,
                                                    progress):
                        drafting.submit(record, extract)
                    drafting.collect()
                drafting.collect(wait=True)
        status = "finished"
    finally:
        progress.done()
        _record_warnings(store, run_id, source)
        report.downloads = source.downloads - downloads_before
        store.finish_run(run_id, status, found=len(plan.selected), drafted=len(report.drafted),
                         failed=len(report.failed), downloads=report.downloads,
                         model_calls=report.model_calls, prompt_tokens=report.prompt_tokens,
                         completion_tokens=report.completion_tokens)
    return report


def _record_warnings(store: Store, run_id: int, source: ArxivSource) -> None:
    for message in source.take_warnings():
        store.add_run_warning(run_id, "arxiv", message)


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
