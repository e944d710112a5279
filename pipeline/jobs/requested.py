"""Drafting papers an editor asked for (`paperlist draft`, the review page), under the run lock.

The same path as `paperlist summarize` (`drafting.summarize_arxiv`) for each paper, with the
model opened once for all of them, and recorded as a run (`draft`) so that `status` shows it.
A paper that fails does not stop the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..config import Config
from ..errors import (
    ConfigError,
    EndpointUnavailableError,
    PipelineError,
    ReviewError,
    SourceUnavailableError,
)
from ..find.arxiv import ArxivSource
from ..models import ArxivId, DraftRecord
from ..store import Store
from .drafting import open_model, summarize_arxiv
from .runlock import lock_path, run_lock

log = logging.getLogger(__name__)

# Called with (paper id, state, message); state: "drafting", "drafted", "skipped", "failed".
# A "drafted" paper's message is its checks' verdict, or "a current draft exists (<when>)".
Events = Callable[[str, str, str], None]


@dataclass
class RequestReport:
    """What a requested drafting did, per paper."""

    run_id: int | None = None
    drafted: list[str] = field(default_factory=list)
    records: list[DraftRecord] = field(default_factory=list)  # of `drafted`, in order
    failed: list[tuple[str, str]] = field(default_factory=list)


def draft_requested(config: Config, paper_ids: Sequence[str], *, force: bool = False,
                    events: Events | None = None,
                    install_progress: Callable[[int, int], None] | None = None) -> RequestReport:
    """Draft each paper (any arXiv id form) as `summarize` and `draft` do; `force` drafts again
    a paper with a current draft. Raises LockedError when another run holds the lock and
    ConfigError when no model can be opened, before any paper is touched, and ConfigError,
    EndpointUnavailableError or SourceUnavailableError as soon as the model or arXiv fails in
    a way no other paper would escape (the run is recorded as failed with that reason);
    an approved or published paper is skipped, and a paper's own failure is reported through
    `events` and the report. Raises UsageError for a malformed id before anything runs.
    `install_progress(done, total)` reports the built-in model's first download (bytes)."""
    tell = events or (lambda paper_id, state, message: None)
    ids = [ArxivId.parse(paper_id) for paper_id in paper_ids]
    report = RequestReport()
    output = config.path(config.output.dir)
    with run_lock(lock_path(output), "draft"), \
            Store(config.path(config.output.database)) as store, \
            ArxivSource(config.arxiv, config.path(config.output.cache_dir)) as source, \
            open_model(config, store, install_progress=install_progress) as model:
        report.run_id = store.start_run("draft")
        status, error = "failed", None
        try:
            for arxiv_id in ids:
                tell(arxiv_id.base, "drafting", f"with {model.settings.name}")
                try:
                    outcome = summarize_arxiv(config, store, source, model, arxiv_id,
                                              force=force)
                except ReviewError as exc:  # approved or published: nothing to draft
                    tell(arxiv_id.base, "skipped", str(exc))
                    continue
                except (ConfigError, EndpointUnavailableError, SourceUnavailableError) as exc:
                    error = str(exc)
                    raise  # no other paper would fare better
                except PipelineError as exc:
                    log.warning("%s: requested draft failed: %s", arxiv_id, exc.message)
                    report.failed.append((arxiv_id.base, exc.message))
                    tell(arxiv_id.base, "failed", exc.message)
                    continue
                report.drafted.append(outcome.record.paper.id)
                report.records.append(outcome.record)
                flags = len(outcome.record.flags)
                tell(arxiv_id.base, "drafted",
                     f"a current draft exists ({outcome.record.created_at})" if outcome.cached
                     else f"{flags} check flag{'s' if flags != 1 else ''}" if flags
                     else "verified")
            status = "finished"
        except KeyboardInterrupt:
            status, error = "interrupted", ("interrupted (Ctrl-C or SIGTERM); finished drafts "
                                            "are kept")
            raise
        finally:
            store.finish_run(report.run_id, status, error=error, found=len(ids),
                             drafted=len(report.drafted), failed=len(report.failed),
                             model_calls=model.calls)
    return report
