"""Which papers a weekly run drafts: the window it covers, the ranked candidates, the cap.

Shared by `weekly`, `weekly --dry-run` and `candidates`, so that all three show one ranking,
and by `summarize ID` / `draft ID` for a paper's section.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from ..config import Config
from ..find.arxiv import ArxivSource
from ..find.daily_papers import DailyPapers, DailyPapersError, Featured, feature_days
from ..find.ranking import candidate_text, rank
from ..find.sections import paper_section
from ..find.shortlist import WeekPlan, gather, shortlist
from ..find.taste import taste
from ..find.window import Window, last_complete_week, parse_week, window_between
from ..models import Paper
from ..publish.digest import title_key
from ..store import Store
from .history import past_entries

log = logging.getLogger(__name__)

DailyFactory = Callable[[Config], DailyPapers]


def current_date() -> date:
    """Today in UTC, which decides the last complete week (tests replace it)."""
    return datetime.now(UTC).date()


def weekly_window(config: Config, store: Store, *, week: str | None = None,
                  since: date | None = None, until: date | None = None,
                  today: date | None = None) -> Window:
    """The submission window a run covers: `--week` or `--since/--until` as given; by default
    from where earlier successful weekly runs stopped, less `weekly.overlap_days` (arXiv
    announces Friday-afternoon-to-Sunday submissions on Monday evening, after a Monday-morning
    run), to the end of the last complete week. Papers seen before are skipped, so the overlap
    only brings in papers that were not announced yet."""
    if week:
        return parse_week(week)
    if since and until:
        return window_between(since, until)
    requested = last_complete_week(today or current_date())
    covered = store.coverage_end()
    if covered is None:
        return requested
    first = date.fromisoformat(covered[:10]) + timedelta(days=1 - config.weekly.overlap_days)
    return Window(min(first, requested.last), requested.last)


def open_daily(config: Config) -> DailyPapers:
    """The Daily Papers client of `rank.hf_daily_url` (which must be set)."""
    settings = config.rank
    assert settings.hf_daily_url
    return DailyPapers(settings.hf_daily_url, timeout=settings.timeout, retries=settings.retries)


def daily_papers(config: Config, window: Window, factory: DailyFactory = open_daily
                 ) -> tuple[dict[str, Featured] | None, str | None]:
    """The papers Daily Papers featured on the window's days and `rank.hf_days_after` more:
    ({} , None) when the signal is off, (None, warning) when it cannot be read."""
    if not config.rank.hf_daily_url:
        return {}, None
    days = feature_days(window, config.rank.hf_days_after, current_date())
    try:
        with factory(config) as client:
            return client.featured(days), None
    except DailyPapersError as exc:
        warning = f"Hugging Face Daily Papers unavailable ({exc.message}); ranked without it"
        log.warning("%s", warning)
        return None, warning


def plan_week(config: Config, store: Store, source: ArxivSource, window: Window, *,
              limit: int | None = None, run_id: int | None = None,
              daily: DailyFactory = open_daily) -> WeekPlan:
    """Query arXiv for the window, rank every candidate, and shortlist the best new ones up
    to `limit` (default `weekly.max_papers`). Warnings (Daily Papers down, a history file
    that cannot be read) are in the plan, and recorded with the run when there is one.
    Raises EmptyWindowError when no topic query returned a paper, FetchError when arXiv
    cannot be queried."""
    gathered = gather(config, source, window)
    entries, warnings = past_entries(config, store)
    featured, warning = daily_papers(config, window, daily)
    ranked = rank(gathered.candidates, entries, featured, config.rank, config.sections,
                  title_key)
    known = {record.id: record.status for record in store.papers()}
    cap = limit if limit is not None else config.weekly.max_papers
    plan = shortlist(gathered, ranked, known, cap)
    plan.warnings = [*warnings, *([warning] if warning else [])]
    if run_id is not None:
        for text in plan.warnings:
            store.add_run_warning(run_id, "daily papers" if text == warning else "history",
                                  text)
    return plan


def section_for_paper(config: Config, store: Store, paper: Paper) -> str:
    """A paper's digest section outside a weekly run (`summarize ID`, `draft ID`): the
    section its nearest past entries agree on, else the topic it matches (see
    find/sections.py)."""
    entries, _ = past_entries(config, store)
    found = taste([candidate_text(paper)], [title_key(paper.title)], entries,
                  config.rank.neighbours)
    return paper_section(paper, config.topics, found[0].nearest, config.rank.neighbours)
