"""The weekly run: find the week's papers per topic, then download, extract and draft them.

Each step's result is committed to the state database as soon as it exists (a draft by the
model thread that made it), and the next run starts with whatever an earlier run left
unfinished, so an interrupted or killed run loses no finished work.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, wait
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..config import Config
from ..draft.chat import ChatModel
from ..draft.summarize import SummaryRequest, summarize
from ..errors import (
    ConfigError,
    EndpointUnavailableError,
    PipelineError,
    StoreError,
    output_error,
)
from ..find.arxiv import ArxivSource
from ..find.shortlist import WeekPlan
from ..find.window import Window
from ..models import Extract, PaperRecord
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
    """What a weekly run did, for the summary the CLI prints; model threads add to it."""

    run_id: int
    plan: WeekPlan
    drafted: list[str] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)
    downloads: int = 0
    model_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)


INTERRUPTED = "interrupted (Ctrl-C or SIGTERM); finished drafts are kept"


def run_error(exc: BaseException) -> tuple[str, str]:
    """A run's closing status and the reason `status` shows, from what ended it."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted", INTERRUPTED
    if isinstance(exc, PipelineError):
        return "failed", str(exc)
    if isinstance(exc, OSError):
        return "failed", str(output_error(exc, doing="use"))
    return "failed", f"{type(exc).__name__}: {exc}"


@contextmanager
def recorded(store: Store, run_id: int) -> Iterator[None]:
    """Close the run as failed or interrupted, with the reason, when the block raises (arXiv
    unreachable while planning, a model that fails its preflight, Ctrl-C); a run the block
    closed itself stays as it is. A database that cannot record it (a full disk) does not
    hide the error that ended the run."""
    try:
        yield
    except BaseException as exc:
        status, error = run_error(exc)
        with contextlib.suppress(StoreError):
            store.finish_run(run_id, status, error=error)
        raise


def window_dates(window: Window) -> tuple[str, str]:
    """A window as a run records it."""
    return window.first.isoformat(), window.last.isoformat()


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
    already with the model, so the model is busy almost from the start. `run_id` is a run
    the caller started (before planning); by default one is started here. The run is closed
    with its counts: finished, failed (with the error) or interrupted.
    """
    progress = progress or NoProgress()
    if run_id is None:
        run_id = store.start_run("weekly", window_dates(plan.window))
    _record_warnings(store, run_id, source)  # entries the week's queries had to skip
    report = RunReport(run_id, plan)
    status, error = "failed", None
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
                drafting.collect(wait_all=True)
        status = "finished"
    except BaseException as exc:
        status, error = run_error(exc)
        raise
    finally:
        progress.done()
        _record_warnings(store, run_id, source)
        report.downloads = source.downloads - downloads_before
        with report.lock:
            counts = {"found": len(plan.selected), "drafted": len(report.drafted),
                      "failed": len(report.failed), "downloads": report.downloads,
                      "model_calls": report.model_calls, "prompt_tokens": report.prompt_tokens,
                      "completion_tokens": report.completion_tokens}
        try:
            store.finish_run(run_id, status, error=error, **counts)
        except StoreError:
            if status == "finished":
                raise
            # the error that ended the run is what the user must see, not this one
            log.info("run %d: could not record its end", run_id)
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
    with report.lock:
        report.failed.append((paper_id, stage, exc.message))
    progress.advance(paper_id)


_Task = tuple[PaperRecord, SummaryRequest, "Future[None]"]


class _Drafting:
    """Model calls on `model.concurrency` daemon threads. Each thread stores its drafts and
    failures through a database connection of its own the moment they exist, whatever the
    main thread is doing (a download may block it for minutes).

    Leaving the block early (Ctrl-C, SIGTERM, an error) cancels the papers not yet started
    and abandons the calls in flight, without waiting for a paper's remaining passes: a draft
    that is finished is in the database already, or is being saved and is waited for. An
    abandoned paper is not marked failed; the next run takes it up again.
    """

    def __init__(self, config: Config, store: Store, model: ChatModel, report: RunReport,
                 progress: Progress) -> None:
        self.config, self.store, self.model = config, store, model
        self.report, self.progress = report, progress
        self.tasks: queue.SimpleQueue[_Task | None] = queue.SimpleQueue()
        self.futures: list[Future[None]] = []
        self.stopping = threading.Event()
        self.saving = threading.Lock()  # held while a finished draft is written
        self.calls_before = model.calls
        self.threads = [threading.Thread(target=self._work, name=f"model-{n}", daemon=True)
                        for n in range(model.settings.concurrency)]
        for thread in self.threads:
            thread.start()

    def __enter__(self) -> _Drafting:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        for future in self.futures:
            future.cancel()  # those not started yet; calls in flight are abandoned
        for _ in self.threads:
            self.tasks.put(None)
        # a draft being written right now is finished work: let it reach the database
        if self.saving.acquire(timeout=60):
            self.saving.release()
        self.report.model_calls = self.model.calls - self.calls_before

    def submit(self, record: PaperRecord, extract: Extract) -> None:
        request = request_for(self.config, self.model, record.title, extract, record.id,
                              record.section)
        future: Future[None] = Future()
        self.futures.append(future)
        self.tasks.put((record, request, future))

    def collect(self, wait_all: bool = False) -> None:
        """Raise the error that stops the run (a refused API key, a database that cannot be
        written) if a model thread met one; with wait_all, first wait for every paper."""
        if wait_all and self.futures:
            wait(self.futures, return_when=FIRST_EXCEPTION)
        for future in [f for f in self.futures if f.done()]:
            self.futures.remove(future)
            if not future.cancelled() and future.exception() is not None:
                raise future.exception()  # type: ignore[misc]

    def _work(self) -> None:
        store: Store | None = None
        try:
            while not self.stopping.is_set():
                task = self.tasks.get()
                if task is None:
                    return
                record, request, future = task
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    store = store or self.store.reopen()
                    self._draft(store, record, request)
                except BaseException as exc:  # handed to the main thread, which stops the run
                    future.set_exception(exc)
                else:
                    future.set_result(None)
        finally:
            if store is not None:
                store.close()

    def _draft(self, store: Store, record: PaperRecord, request: SummaryRequest) -> None:
        try:
            draft = summarize(self.model, request)
        except (ConfigError, EndpointUnavailableError):
            raise  # a refused key or an endpoint that is down: no other paper would fare better
        except PipelineError as exc:
            if self.stopping.is_set():  # the call was abandoned under it: not the paper's fault
                log.info("%s: abandoned at shutdown (%s)", record.id, exc.message)
                return
            _fail(store, self.report, self.progress, record.id, "summarize", exc)
            return
        with self.saving:
            save(self.config, store, record.id, record.version, record.title, draft)
        with self.report.lock:
            self.report.drafted.append(record.id)
            self.report.prompt_tokens += draft.usage.prompt_tokens
            self.report.completion_tokens += draft.usage.completion_tokens
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
