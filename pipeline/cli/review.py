"""The editors' commands: drafts (scriptable), review (interactive), publish, status."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click

from ..models import DraftRecord
from ..review.decisions import (
    LIST_FILTERS,
    approve,
    describe,
    get_draft,
    list_drafts,
    reject,
    save_edit,
)
from ..store import Store
from .base import config_option, load


def _store(ctx: click.Context) -> Store:
    config = load(ctx)
    return Store(config.path(config.output.database))


def _as_dict(record: DraftRecord) -> dict[str, Any]:
    paper = record.paper
    return {
        "id": paper.id, "version": paper.version, "title": paper.title, "url": paper.abs_url,
        "status": paper.status, "section": record.summary.section,
        "summary": record.summary.model_dump(), "entry": record.final_entry,
        "edited": record.edited_entry is not None, "checks": record.checks,
        "flags": record.flags, "reject_reason": record.reject_reason,
        "model": record.model, "prompt": record.prompt, "prompt_version": record.prompt_version,
        "prompt_tokens": record.prompt_tokens, "completion_tokens": record.completion_tokens,
        "latency_s": record.latency_s, "drafted_at": record.created_at,
    }


@click.group()
def drafts() -> None:
    """List, show, approve, reject and edit drafts (scriptable; see also `review`).

    IDs may be given in any arXiv form (2404.07965, 2404.07965v2, arXiv:..., URLs).
    """


@drafts.command("list")
@click.option("--status", type=click.Choice(LIST_FILTERS), default="drafted", show_default=True,
              help="Which drafts: waiting for review (drafted), decided ones, or all.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@config_option
@click.pass_context
def list_command(ctx: click.Context, status: str, as_json: bool) -> None:
    """List drafts, with the checks that flagged them."""
    with _store(ctx) as store:
        records = list_drafts(store, status)
    if as_json:
        click.echo(json.dumps([_as_dict(r) for r in records], indent=2, ensure_ascii=False))
        return
    if not records:
        click.echo(f"No drafts with status {status}.", err=True)
        return
    for record in records:
        flags = f"  [{len(record.flags)} flag{'s' if len(record.flags) > 1 else ''}: " \
            f"{'; '.join(record.flags)}]" if record.flags else ""
        click.echo(f"{record.paper.id}\t{record.paper.status}\t{record.summary.section}\t"
                   f"{record.paper.title}{flags}")


@drafts.command("show")
@click.argument("paper_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@config_option
@click.pass_context
def show_command(ctx: click.Context, paper_id: str, as_json: bool) -> None:
    """Show one draft: the paper, the entry, evidence and checks."""
    with _store(ctx) as store:
        record = get_draft(store, paper_id)
    if as_json:
        click.echo(json.dumps(_as_dict(record), indent=2, ensure_ascii=False))
    else:
        click.echo(describe(record), nl=False)


@drafts.command("approve")
@click.argument("paper_ids", nargs=-1, required=True)
@config_option
@click.pass_context
def approve_command(ctx: click.Context, paper_ids: tuple[str, ...]) -> None:
    """Approve drafts for the next `publish`."""
    with _store(ctx) as store:
        for paper_id in paper_ids:
            changed = approve(store, paper_id)
            click.echo(f"{paper_id}: {'approved' if changed else 'already approved'}", err=True)


@drafts.command("reject")
@click.argument("paper_id")
@click.option("--reason", required=True, help="Why; kept with the draft.")
@config_option
@click.pass_context
def reject_command(ctx: click.Context, paper_id: str, reason: str) -> None:
    """Reject a draft; it is never published and later runs leave it alone."""
    with _store(ctx) as store:
        reject(store, paper_id, reason)
    click.echo(f"{paper_id}: rejected", err=True)


@drafts.command("edit")
@click.argument("paper_id")
@config_option
@click.pass_context
def edit_command(ctx: click.Context, paper_id: str) -> None:
    """Edit a draft's entry in $EDITOR; the edit is what gets published."""
    with _store(ctx) as store:
        _edit(store, paper_id)


def _edit(store: Store, paper_id: str) -> bool:
    record = get_draft(store, paper_id)
    text = click.edit(record.final_entry, extension=".md", require_save=True)
    if text is None or not save_edit(store, paper_id, text):
        click.echo(f"{paper_id}: no changes", err=True)
        return False
    click.echo(f"{paper_id}: edit saved", err=True)
    return True


@click.command()
@config_option
@click.pass_context
def review(ctx: click.Context) -> None:
    """Walk the drafts waiting for review: approve, edit, reject, skip or quit."""
    with _store(ctx) as store:
        pending = list_drafts(store, "drafted")
        if not pending:
            click.echo("Nothing to review.", err=True)
            return
        counts = {"approved": 0, "rejected": 0, "edited": 0, "skipped": 0}
        for number, record in enumerate(pending, start=1):
            click.echo(f"\n[{number}/{len(pending)}] " + "-" * 60)
            while True:
                click.echo(describe(get_draft(store, record.paper.id)), nl=False)
                action = click.prompt(
                    "[a]pprove, [e]dit, [r]eject, [s]kip, [q]uit",
                    type=click.Choice(["a", "e", "r", "s", "q"]), show_choices=False)
                if action == "e":
                    counts["edited"] += _edit(store, record.paper.id)
                    continue
                break
            if action == "q":
                break
            if action == "a":
                approve(store, record.paper.id)
                counts["approved"] += 1
            elif action == "r":
                reason = click.prompt("Reason")
                reject(store, record.paper.id, reason)
                counts["rejected"] += 1
            else:
                counts["skipped"] += 1
        click.echo(", ".join(f"{n} {what}" for what, n in counts.items()), err=True)


@click.command()
@click.option("--month", metavar="YYYYMM", help="The monthly list to write (default: this "
              "month).")
@click.option("--dry-run", is_flag=True, help="Print the changes as a unified diff; write "
              "nothing.")
@config_option
@click.pass_context
def publish(ctx: click.Context, month: str | None, dry_run: bool) -> None:
    """Append approved entries to output/PaperList_YYYYMM.md and update output/README.md.

    Hand-written content is kept byte for byte; an entry already in the list (by arXiv link,
    or by title for hand-written entries) is never added twice.
    """
    from ..jobs.publishing import apply_approved, output_dir, plan_approved
    from ..jobs.runlock import lock_path, run_lock
    from ..publish.writer import month_name, plan_diff

    month = month or datetime.now(UTC).strftime("%Y%m")
    month_name(month)  # refuses a malformed month before anything is read
    config = load(ctx)
    with run_lock(lock_path(output_dir(config)), "publish"), _store(ctx) as store:
        plan = plan_approved(config, store, month)
        if dry_run:
            click.echo(plan_diff(plan), nl=False)
            click.echo(f"Would add {len(plan.added)} entries to PaperList_{month}.md "
                       f"({len(plan.already_present)} already there).", err=True)
            return
        apply_approved(config, store, plan)
    for paper_id in plan.added:
        click.echo(paper_id)
    click.echo(f"Published {len(plan.added)} entries to PaperList_{month}.md"
               + (f"; {len(plan.already_present)} were already there" if plan.already_present
                  else "") + ".", err=True)


@click.command()
@config_option
@click.pass_context
def status(ctx: click.Context) -> None:
    """Papers by status, what the weekly runs covered, the last runs with their warnings,
    and failures with their reasons."""
    with _store(ctx) as store:
        counts = store.counts()
        runs = store.runs(limit=3)
        warnings = {run["id"]: store.run_warnings(run["id"]) for run in runs}
        covered = store.coverage_end()
        failed = store.papers("failed")
        config = load(ctx)
        limit = config.weekly.max_attempts
    click.echo("Papers: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n) if any(
        counts.values()) else "Papers: none yet")
    if runs:
        click.echo("Runs:")
        for run in runs:
            window = f" {run['window_start']}..{run['window_end']}" if run["window_start"] else ""
            click.echo(f"  #{run['id']} {run['command']}{window}: {run['status']}, started "
                       f"{run['started_at']}, {run['drafted']} drafted, {run['failed']} failed, "
                       f"{run['model_calls']} model calls, {run['downloads']} downloads")
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


def register(group: click.Group) -> None:
    for command in (drafts, review, publish, status):
        group.add_command(command)
