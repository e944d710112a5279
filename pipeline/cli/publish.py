"""Publishing approved entries, and the status of papers and runs."""

from __future__ import annotations

import re
from contextlib import nullcontext

import click

from ..errors import UsageError
from .base import config_option, load
from .review import open_store

_MONTH = re.compile(r"[0-9]{4}(?:0[1-9]|1[0-2])")


@click.command()
@click.option("--month", metavar="YYYYMM", help="Put every approved entry in this monthly list "
              "(default: each in the month its paper's week belongs to).")
@click.option("--dry-run", is_flag=True, help="Print the changes as a unified diff; write "
              "nothing.")
@config_option
@click.pass_context
def publish(ctx: click.Context, month: str | None, dry_run: bool) -> None:
    """Append approved entries to output/PaperList_YYYYMM.md and update output/README.md.

    An entry goes to the month its paper's week belongs to (the month of the week's
    Thursday), so last week's papers published on the 2nd land in last month's list; --month
    overrides. Hand-written content is kept byte for byte; an entry already in the list (by
    arXiv link, or by title for hand-written entries) is never added twice. Temporary files
    an interrupted publish left behind are removed.
    """
    if month is not None and not _MONTH.fullmatch(month):
        raise UsageError(f"{month!r} is not a month: expected YYYYMM, e.g. 202404")
    config = load(ctx, writes=not dry_run)

    from ..jobs.publishing import apply_approved, approved_items, output_dir, plan_approved
    from ..jobs.runlock import lock_path, run_lock
    from ..publish.files import remove_stale_temps
    from ..publish.months import by_month
    from ..publish.writer import TARGET_NAMES, plan_diff

    output = output_dir(config)
    lock = nullcontext() if dry_run else run_lock(lock_path(output), "publish")
    with lock, open_store(ctx, writes=not dry_run) as store:
        if not dry_run:
            remove_stale_temps(output, TARGET_NAMES)
        items = approved_items(store) if store else []
        for target, group in by_month(items, month):
            assert store is not None
            plan = plan_approved(config, store, target, group)
            if dry_run:
                click.echo(plan_diff(plan), nl=False)
                click.echo(f"Would add {len(plan.added)} entries to PaperList_{target}.md "
                           f"({len(plan.already_present)} already there).", err=True)
                continue
            apply_approved(config, store, plan)
            for paper_id in plan.added:
                click.echo(paper_id)
            click.echo(f"Published {len(plan.added)} entries to PaperList_{target}.md"
                       + (f"; {len(plan.already_present)} were already there"
                          if plan.already_present else "") + ".", err=True)
    if not items:
        click.echo("Nothing approved to publish.", err=True)


@click.command()
@config_option
@click.pass_context
def status(ctx: click.Context) -> None:
    """Papers by status, what the weekly runs covered, the last runs (a failed one with its
    reason, their warnings), and failed papers with their reasons."""
    config = load(ctx, writes=False)
    limit = config.weekly.max_attempts
    with open_store(ctx, writes=False) as store:
        if store is None:
            click.echo(f"Papers: none yet (no state database at "
                       f"{config.path(config.output.database)})")
            return
        counts = store.counts()
        runs = store.runs(limit=3)
        warnings = {run["id"]: store.run_warnings(run["id"]) for run in runs}
        covered = store.coverage_end()
        failed = store.papers("failed")
    click.echo("Papers: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n) if any(
        counts.values()) else "Papers: none yet")
    if runs:
        click.echo("Runs:")
        for run in runs:
            window = f" {run['window_start']}..{run['window_end']}" if run["window_start"] else ""
            click.echo(f"  #{run['id']} {run['command']}{window}: {run['status']}, started "
                       f"{run['started_at']}, {run['drafted']} drafted, {run['failed']} failed, "
                       f"{run['model_calls']} model calls, {run['downloads']} downloads")
            if run["error"]:
                click.echo(f"    reason: {run['error']}")
            for warning in warnings[run["id"]]:
                click.echo(f"    warning ({warning['source']}): {warning['message']}")
    if covered:
        click.echo(f"Coverage: weekly runs have covered submissions up to {covered}; the next "
                   f"one starts {config.weekly.overlap_days} days before that.")
    if failed:
        click.echo("Failures:")
        for record in failed:
            retry = "will retry" if record.attempts < limit else "gave up"
            click.echo(f"  {record.id} ({record.error_stage}, {record.attempts} of {limit} "
                       f"attempts, {retry}): {record.error}")
