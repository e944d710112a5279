"""The selection's commands: `candidates` (the window's ranking) and `draft ID...` (draft the
papers an editor wants), and what `weekly` shares with them (its window options, the rows)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..errors import UsageError
from .base import config_option, install_bar, load
from .review import open_store

if TYPE_CHECKING:  # the CLI imports nothing heavy at startup
    from ..config import Config
    from ..find.ranking import Ranked
    from ..find.shortlist import WeekPlan
    from ..find.window import Window
    from ..models import PaperRecord
    from ..store import Store

F = TypeVar("F", bound=Callable[..., Any])


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def window_options(command: F) -> F:
    """--week, or --since with --until: the submission window of `weekly` and `candidates`."""
    for option in reversed([
        click.option("--week", metavar="YYYY-Www", help="An ISO week, e.g. 2024-W15 (default: "
                     "from the end of the last successful run, less weekly.overlap_days, to "
                     "the end of the last complete week)."),
        click.option("--since", callback=_date, metavar="DATE", help="First submission date "
                     "(YYYY-MM-DD), with --until instead of --week."),
        click.option("--until", callback=_date, metavar="DATE",
                     help="Last submission date, inclusive."),
    ]):
        command = option(command)
    return command


def check_window_options(week: str | None, since: date | None, until: date | None) -> None:
    """UsageError for --week with --since/--until, or one of --since and --until alone."""
    if week and (since or until):
        raise UsageError("give --week or --since/--until, not both")
    if (since is None) != (until is None):
        raise UsageError("--since and --until go together")


def querying(config: Config, store: Store, window: Window, *, explicit: bool) -> None:
    """The progress line before arXiv is asked, naming the window and why it is that one."""
    covered = None if explicit else store.coverage_end()
    why = (f"; earlier runs covered up to {covered}, {config.weekly.overlap_days} days of "
           "overlap" if covered else "")
    click.echo(f"Querying arXiv for {window.label} ({len(config.topics)} topics{why})...",
               err=True)


def reasons_text(item: Ranked) -> str:
    """What each signal added, with its note: `taste 0.62 (like "..."); community ...`."""
    return "; ".join(f"{r.signal} {r.value:.2f} ({r.note})" for r in item.reasons)


def row(rank: int, item: Ranked, drafted: bool) -> str:
    """One candidate as a tab-separated line: rank, score, drafted or not, versioned id,
    section, title, reasons."""
    mark = "drafted" if drafted else "-"
    return (f"{rank}\t{item.score:.3f}\t{mark}\t{item.paper.versioned_id}\t{item.section}\t"
            f"{item.paper.title}\t{reasons_text(item)}")


def print_plan(plan: WeekPlan, pending: Sequence[PaperRecord]) -> None:
    """`weekly --dry-run`: the papers the run would draft, as `candidates` ranks them, then
    those earlier runs left unfinished."""
    selected = {item.paper.id for item in plan.selected}
    for number, item in enumerate(plan.ranked, start=1):
        if item.paper.id in selected:
            click.echo(row(number, item, True))
    for record in pending:
        click.echo(f"-\t-\tresumed\t{record.versioned_id}\t{record.section or '-'}\t"
                   f"{record.title}\t(left {record.status} by an earlier run)")
    for warning in plan.warnings:
        click.echo(f"Warning: {warning}", err=True)


def candidate_json(rank: int, item: Ranked, plan: WeekPlan) -> dict[str, Any]:
    """One candidate as `candidates --json` lists it."""
    paper = item.paper
    return {
        "rank": rank, "id": paper.id, "version": paper.version, "title": paper.title,
        "url": paper.abs_url, "section": item.section, "topic": item.candidate.topic,
        "score": item.score,
        "reasons": [{"signal": r.signal, "value": r.value, "note": r.note} for r in item.reasons],
        "drafted": plan.drafted(item), "status": plan.known.get(paper.id),
    }


@click.command()
@window_options
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, best first.")
@config_option
@click.pass_context
def candidates(ctx: click.Context, week: str | None, since: date | None, until: date | None,
               as_json: bool) -> None:
    """Every candidate of the window in rank order, with its score, section and reasons.

    The window is weekly's (--week, --since/--until, or by default the next run's); the
    ranking is the one `weekly` drafts from: "drafted" marks papers drafted already and those
    the next run would draft. `paperlist draft ID...` drafts others. Calls no model.
    """
    from ..find.arxiv import ArxivSource
    from ..jobs.selection import plan_week, weekly_window
    from ..store import Store

    check_window_options(week, since, until)
    config = load(ctx, writes=False)  # it only reads: no database or folder is created
    with open_store(ctx, writes=False) as existing, \
            (existing or Store.in_memory()) as store, \
            ArxivSource(config.arxiv, config.path(config.output.cache_dir)) as source:
        window = weekly_window(config, store, week=week, since=since, until=until)
        querying(config, store, window, explicit=bool(week or since))
        plan = plan_week(config, store, source, window)
    for warning in plan.warnings:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(f"{len(plan.ranked)} candidates in {window.label}; {len(plan.selected)} would be "
               f"drafted now, {len(plan.known)} known already.", err=True)
    if as_json:
        click.echo(json.dumps([candidate_json(n, item, plan)
                               for n, item in enumerate(plan.ranked, start=1)],
                              indent=2, ensure_ascii=False))
        return
    for number, item in enumerate(plan.ranked, start=1):
        click.echo(row(number, item, plan.drafted(item)))


@click.command()
@click.argument("arxiv_ids", nargs=-1, required=True, metavar="ID...")
@config_option
@click.pass_context
def draft(ctx: click.Context, arxiv_ids: tuple[str, ...]) -> None:
    """Draft the papers named, for review: candidates a weekly run ranked below its cap, or
    any arXiv id (any form `summarize` takes).

    Each paper is filed under the section the selection gives it. A paper with a current
    draft keeps it; an approved or published one is left alone. Prints each drafted id; exit
    code 1 when some failed.
    """
    from ..models.ids import ArxivId

    parsed = [ArxivId.parse(text) for text in arxiv_ids]  # a typo fails before anything runs
    from ..jobs.requested import draft_requested

    config = load(ctx)

    def tell(paper_id: str, state: str, message: str) -> None:
        click.echo(f"Drafting {paper_id} {message}..." if state == "drafting" else
                   f"  {message}" if state == "drafted" else f"  {state}: {message}", err=True)

    report = draft_requested(config, [str(arxiv_id) for arxiv_id in parsed], events=tell,
                             install_progress=install_bar())
    for record in report.records:
        click.echo(f"{record.paper.id}\t{record.summary.section}\t{record.paper.title}")
    if report.failed:
        click.echo(f"{len(report.failed)} of {len(parsed)} failed:", err=True)
        for paper_id, message in report.failed:
            click.echo(f"  {paper_id}: {message}", err=True)
        ctx.exit(1)


def register(group: click.Group) -> None:
    for command in (candidates, draft):
        group.add_command(command)
