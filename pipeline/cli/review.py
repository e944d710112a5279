"""The editors' commands: drafts (scriptable) and review (interactive).

`drafts list` and `drafts show` only read: without a state database they create none.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import ReviewError, UsageError, output_error
from .base import config_option, draft_json, load, verbose_option

if TYPE_CHECKING:
    from ..store import Store

# review.decisions.REVIEW_STATUSES and "all" (spelt out: that module loads pydantic)
LIST_FILTERS = ("drafted", "approved", "rejected", "published", "all")


@contextmanager
def open_store(ctx: click.Context, *, writes: bool) -> Iterator[Store | None]:
    """The state database, or None when there is none yet (nothing is created: a decision
    about a draft needs a draft, and listing nothing needs no file)."""
    from ..store import Store

    config = load(ctx, writes=writes)
    path = config.path(config.output.database)
    store = (Store(path) if path.is_file() else None) if writes else Store.existing(path)
    if store is None:
        yield None
        return
    with store:
        yield store


def _needs(store: Store | None, paper_id: str) -> Store:
    if store is None:
        raise ReviewError("no draft for this paper (there are no drafts yet)", paper_id=paper_id)
    return store


@click.group()
@verbose_option
def drafts() -> None:
    """List, show, approve, reject and edit drafts (scriptable; see also `review`).

    IDs may be given in any arXiv form (2404.07965, 2404.07965v2, arXiv:..., URLs), or as
    pdf:<hash> for a local PDF's draft.
    """


@drafts.command("list")
@click.option("--status", type=click.Choice(LIST_FILTERS), default="drafted",
              show_default=True,
              help="Which drafts: waiting for review (drafted), decided ones, or all.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@config_option
@click.pass_context
def list_command(ctx: click.Context, status: str, as_json: bool) -> None:
    """List drafts, with the checks that flagged them."""
    from ..review.decisions import list_drafts

    with open_store(ctx, writes=False) as store:
        records = list_drafts(store, status) if store else []
    if as_json:
        click.echo(json.dumps([draft_json(r) for r in records], indent=2, ensure_ascii=False))
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
    from ..models.ids import paper_key

    paper_key(paper_id)  # a malformed id is refused before anything is loaded
    from ..review.decisions import describe, get_draft

    with open_store(ctx, writes=False) as store:
        record = get_draft(_needs(store, paper_id), paper_id)
    if as_json:
        click.echo(json.dumps(draft_json(record), indent=2, ensure_ascii=False))
    else:
        click.echo(describe(record), nl=False)


@drafts.command("approve")
@click.argument("paper_ids", nargs=-1, required=True)
@config_option
@click.pass_context
def approve_command(ctx: click.Context, paper_ids: tuple[str, ...]) -> None:
    """Approve drafts for the next `publish`."""
    from ..models.ids import paper_key

    for paper_id in paper_ids:
        paper_key(paper_id)
    from ..review.decisions import approve

    with open_store(ctx, writes=True) as store:
        for paper_id in paper_ids:
            changed = approve(_needs(store, paper_id), paper_id)
            click.echo(f"{paper_id}: {'approved' if changed else 'already approved'}", err=True)


@drafts.command("reject")
@click.argument("paper_id")
@click.option("--reason", required=True, help="Why; kept with the draft.")
@config_option
@click.pass_context
def reject_command(ctx: click.Context, paper_id: str, reason: str) -> None:
    """Reject a draft; it is never published and later runs leave it alone."""
    from ..models.ids import paper_key

    paper_key(paper_id)
    if not reason.strip():
        raise ReviewError("a rejection needs a reason (--reason TEXT)", paper_id=paper_id)
    from ..review.decisions import reject

    with open_store(ctx, writes=True) as store:
        reject(_needs(store, paper_id), paper_id, reason)
    click.echo(f"{paper_id}: rejected", err=True)


@drafts.command("edit")
@click.argument("paper_id")
@config_option
@click.pass_context
def edit_command(ctx: click.Context, paper_id: str) -> None:
    """Edit a draft's entry in $EDITOR; the edit is what gets published.

    A published draft is refused before the editor opens. An edit that is not an entry (its
    `#### Title` heading broken) is refused, and kept in output/edits/ to copy from.
    """
    from ..models.ids import paper_key

    paper_key(paper_id)
    with open_store(ctx, writes=True) as store:
        _edit(_needs(store, paper_id), _edits_folder(ctx), paper_id)


def _edits_folder(ctx: click.Context) -> Path:
    config = load(ctx)
    return config.path(config.output.dir) / "edits"


def _edit(store: Store, folder: Path, paper_id: str) -> bool:
    """Edit one draft; ReviewError (naming the file that keeps the text) for a refused edit."""
    from ..review.decisions import editable, keep_rejected_edit, save_edit

    record = editable(store, paper_id)  # before the editor: nobody edits for nothing
    try:
        text = click.edit(record.final_entry, extension=".md", require_save=True)
    except click.ClickException as exc:
        raise UsageError(f"cannot run the editor ({exc.message}): set $EDITOR or $VISUAL "
                         "to an editor that is installed") from exc
    if text is None:
        click.echo(f"{paper_id}: no changes", err=True)
        return False
    try:
        changed = save_edit(store, record.paper.id, text)
    except ReviewError as exc:
        try:
            kept = keep_rejected_edit(folder, record.paper.id, text)
        except OSError as write_error:
            raise output_error(write_error, doing="keep the refused edit in") from exc
        raise ReviewError(f"{exc.message}; your edit is kept in {kept}",
                          paper_id=record.paper.id) from exc
    click.echo(f"{paper_id}: {'edit saved' if changed else 'no changes'}", err=True)
    return changed


class _EndOfInput(Exception):
    """Standard input ended in the middle of a review: stop as if the editor typed q."""


def _ask(text: str, **options: Any) -> Any:
    """click.prompt, telling an ended input (stop) from Ctrl-C (interrupted, exit 130)."""
    try:
        return click.prompt(text, **options)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__context__, EOFError):
            raise _EndOfInput from None
        raise


@click.command()
@config_option
@click.pass_context
def review(ctx: click.Context) -> None:
    """Walk the drafts waiting for review: approve, edit, reject, skip or quit.

    Every decision is stored at once; Ctrl-C (exit 130) or the end of the input stops the
    walk, keeping the decisions made so far.
    """
    from ..review.decisions import approve, describe, get_draft, list_drafts, reject

    with open_store(ctx, writes=True) as store:
        pending = list_drafts(store, "drafted") if store else []
        if store is None or not pending:
            click.echo("Nothing to review.", err=True)
            return
        counts = {"approved": 0, "rejected": 0, "edited": 0, "skipped": 0}
        folder = _edits_folder(ctx)
        try:
            for number, record in enumerate(pending, start=1):
                click.echo(f"\n[{number}/{len(pending)}] " + "-" * 60)
                while True:
                    click.echo(describe(get_draft(store, record.paper.id)), nl=False)
                    action = _ask("[a]pprove, [e]dit, [r]eject, [s]kip, [q]uit",
                                  type=click.Choice(["a", "e", "r", "s", "q"]),
                                  show_choices=False)
                    if action != "e":
                        break
                    try:
                        counts["edited"] += _edit(store, folder, record.paper.id)
                    except ReviewError as exc:
                        click.echo(f"Error: {exc}", err=True)
                if action == "q":
                    break
                if action == "a":
                    approve(store, record.paper.id)
                    counts["approved"] += 1
                elif action == "r":
                    reject(store, record.paper.id, _ask("Reason"))
                    counts["rejected"] += 1
                else:
                    counts["skipped"] += 1
        except _EndOfInput:
            click.echo("\n(end of input: stopping)", err=True)
        click.echo(", ".join(f"{n} {what}" for what, n in counts.items()), err=True)
