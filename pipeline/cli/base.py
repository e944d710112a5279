"""What every command shares: error mapping, --config and -v, logging, progress bars.

Only click and the light ground modules are imported here: `--help` and a malformed argument
are answered before config.yaml, pydantic, openai or pypdf are loaded.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .. import CONFIG_ENV
from ..errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    PipelineError,
    describe_os_error,
    output_error,
    redact,
)

if TYPE_CHECKING:
    from ..config import Config
    from ..models import DraftRecord

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("pipeline.cli")

EXIT_CODES = """\b
Exit codes (for cron):
  0    done
  1    some papers failed (the summary names them; later runs retry them)
  2    usage or configuration: a bad argument, file or value, a model that
       cannot do the job, an output folder that cannot be written
  3    another paperlist run holds the lock
  4    a source (arXiv) or the model endpoint cannot be reached; nothing
       done, or the run stopped there with its finished drafts kept
  130  interrupted (Ctrl-C or SIGTERM); finished work is kept"""


class PaperlistGroup(click.Group):
    """Turns every failure into one `Error: ...` line and its exit code (see EXIT_CODES);
    the error also goes to the log file, with a traceback when it is a bug."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return self._invoke(ctx)
        finally:  # a log file that could not be written is worth a word, unless an error was
            teardown_logging(warn=not ctx.meta.get("paperlist.failed"))

    def _invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit):
            raise  # click prints usage errors itself (exit 2)
        except PipelineError as exc:
            _fail(ctx, str(exc), exc.exit_code)
        except (KeyboardInterrupt, click.exceptions.Abort):
            ctx.meta["paperlist.failed"] = True
            if _handlers():
                log.warning("%s: interrupted", _command(ctx), extra={"to_terminal": False})
            click.echo("Interrupted.", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:  # stdout's reader left (`paperlist status | head -1`): fine
            _quiet_stdout()
            ctx.exit(0)
        except OSError as exc:  # one no stage wrapped (a cache file, a download folder)
            error = output_error(exc, doing="access")
            _fail(ctx, str(error), error.exit_code)
        except Exception as exc:  # a bug: one line here, the traceback in the log file
            ctx.meta["paperlist.failed"] = True
            where = _log_file()
            if _handlers():
                log.error("%s: internal error", _command(ctx), exc_info=exc,
                          extra={"to_terminal": False})
            hint = (f"the traceback is in {where}" if where else "run with -vv for the traceback")
            what = " ".join(str(exc).split())[:200]
            click.echo(f"Error: internal error ({type(exc).__name__}: {what}); {hint}. Please "
                       "report it.", err=True)
            if _verbosity(ctx) > 1:
                import traceback

                traceback.print_exception(exc, file=sys.stderr)
            ctx.exit(EXIT_FAILED)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush of a closed pipe does
    not fail a second time (the recipe of the Python docs for SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass  # not a real file (a test runner's buffer)


def _fail(ctx: click.Context, message: str, code: int) -> None:
    ctx.meta["paperlist.failed"] = True
    if _handlers():  # else logging's last resort would print the error a second time
        log.error("%s: %s (exit %d)", _command(ctx), message, code,
                  extra={"to_terminal": False})
    click.echo(f"Error: {message}", err=True)
    ctx.exit(code)


def _command(ctx: click.Context) -> str:
    return f"paperlist {ctx.invoked_subcommand or ''}".rstrip()


def _verbosity(ctx: click.Context) -> int:
    value: int = ctx.ensure_object(dict).get("verbose", 0)
    return value


def config_option(command: F) -> F:
    """--config and -v on every command, so they can follow the subcommand name as users
    type them (`paperlist weekly -v --config cron.yaml`)."""

    def remember(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
        if value is not None:
            ctx.ensure_object(dict)["config"] = value

    command = click.option(
        "--config", "config_file", metavar="FILE", expose_value=False, is_eager=True,
        callback=remember,
        help=f"Settings file (default: ${CONFIG_ENV}, else ./config.yaml).",
    )(command)
    return verbose_option(command)


def verbose_option(command: F) -> F:
    """-v (progress logs) and -vv (debug), counted wherever they appear on the line."""

    def count(ctx: click.Context, _param: click.Parameter, value: int) -> None:
        state = ctx.ensure_object(dict)
        state["verbose"] = state.get("verbose", 0) + value

    return click.option("-v", "--verbose", count=True, expose_value=False, callback=count,
                        help="Show progress logs; -vv adds debug.")(command)


def load(ctx: click.Context, *, writes: bool = True) -> Config:
    """The config named by --config (on the group or the command), with logging set up.

    A command that only reads (`writes=False`) creates no folder: it logs to the log file
    only when the output folder exists already.
    """
    from ..config import load_config

    state = ctx.ensure_object(dict)
    if "loaded" not in state:
        state["loaded"] = load_config(state.get("config"))
        setup_logging(state["loaded"], state.get("verbose", 0), writes=writes)
    config: Config = state["loaded"]
    return config


class RedactingFilter(logging.Filter):
    """Secrets never reach a log line: the formatted message is redacted (errors.redact)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


class LogFile(logging.FileHandler):
    """output/paperlist.log, opened at the first record. When it cannot be written (a full
    disk, a read-only folder) logging to it stops quietly, instead of a `--- Logging error ---`
    block for every record; `teardown_logging` says so in one line when the command itself
    succeeded (when it failed, its one `Error:` line says what is wrong)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, encoding="utf-8", delay=True)
        self.path = path
        self.broken: str | None = None  # why it cannot be written

    def emit(self, record: logging.LogRecord) -> None:
        if self.broken is not None:
            return
        try:
            super().emit(record)
        except Exception:  # opening the file happens outside logging's own error handling
            self.handleError(record)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        if self.broken is not None:
            return
        exc = sys.exc_info()[1]
        self.broken = describe_os_error(exc) if isinstance(exc, OSError) else str(exc)
        try:
            self.close()  # drops the stream even when its last flush fails again
        except (OSError, ValueError):
            pass


class _Terminal(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (click's test runner swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if getattr(h, "_paperlist", False)]


def _log_file() -> Path | None:
    for handler in _handlers():
        if isinstance(handler, LogFile) and handler.broken is None:
            return handler.path
    return None


def teardown_logging(*, warn: bool = True) -> None:
    """Close the handlers `setup_logging` added (at the end of each command); with `warn`,
    say so when the log file could not be written."""
    root = logging.getLogger()
    for handler in _handlers():
        root.removeHandler(handler)
        try:
            handler.close()
        except (OSError, ValueError):
            pass
        if warn and isinstance(handler, LogFile) and handler.broken:
            click.echo(f"Warning: could not write the log file {handler.path}: "
                       f"{handler.broken}.", err=True)


def setup_logging(config: Config, verbose: int, *, writes: bool = True) -> None:
    """Library logs and every error go to output/paperlist.log (INFO and up, also without
    -v); the terminal sees warnings, more with -v, and each error once as the `Error:` line."""
    root = logging.getLogger()
    teardown_logging()
    root.setLevel(logging.DEBUG)
    terminal = _Terminal(sys.stderr)
    terminal._paperlist = True  # type: ignore[attr-defined]
    terminal.setLevel(logging.DEBUG if verbose > 1 else logging.INFO if verbose else
                      logging.WARNING)
    terminal.addFilter(lambda record: getattr(record, "to_terminal", True) and (
        record.name.startswith("pipeline") or verbose > 1))
    terminal.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    terminal.addFilter(RedactingFilter())
    root.addHandler(terminal)
    logdir = config.path(config.output.dir)
    try:
        if writes:
            logdir.mkdir(parents=True, exist_ok=True)
        usable = logdir.is_dir()
    except OSError:
        usable = False  # the command itself says what is wrong with the folder when it writes
    if usable:
        logfile = LogFile(logdir / "paperlist.log")
        logfile.setLevel(logging.INFO)
        logfile.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logfile._paperlist = True  # type: ignore[attr-defined]
        logfile.addFilter(RedactingFilter())
        root.addHandler(logfile)
    for noisy in ("httpx", "httpx2", "openai", "urllib3", "arxiv"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class BarProgress:
    """One progress bar per stage, on stderr so that stdout stays data; model threads may
    advance it."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._lock = threading.Lock()

    def stage(self, name: str, total: int) -> None:
        self.done()
        if total:
            with self._lock:
                self._bar = click.progressbar(length=total, label=f"{name:<12}",
                                              file=sys.stderr, show_pos=True, width=30)
                self._bar.__enter__()

    def advance(self, paper_id: str) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.update(1)

    def done(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.__exit__(None, None, None)
                self._bar = None


def install_bar() -> Callable[[int, int], None]:
    """A progress callback for joining the local model's slices (a first run does it once)."""
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            click.echo("Installing the local model (once)...", err=True)
            state["bar"] = click.progressbar(length=total, label="Joining", file=sys.stderr,
                                             width=30)
            state["bar"].__enter__()
            state["done"] = 0
        state["bar"].update(done - state["done"])
        state["done"] = done
        if done >= total:
            state["bar"].__exit__(None, None, None)

    return update


def draft_json(record: DraftRecord) -> dict[str, Any]:
    """A stored draft as `drafts show --json` and `summarize --json` print it: the paper, the
    entry, the structured summary, the checks with their evidence, and what it cost."""
    paper = record.paper
    return {
        "id": paper.id, "version": paper.version, "title": paper.title, "url": paper.url,
        "pdf": paper.pdf_path, "status": paper.status, "section": record.summary.section,
        "summary": record.summary.model_dump(), "entry": record.final_entry,
        "edited": record.edited_entry is not None, "checks": record.checks,
        "evidence": record.checks.get("evidence", {}), "flags": record.flags,
        "reject_reason": record.reject_reason,
        "model": record.model, "prompt": record.prompt, "prompt_version": record.prompt_version,
        "prompt_tokens": record.prompt_tokens, "completion_tokens": record.completion_tokens,
        "latency_s": record.latency_s, "drafted_at": record.created_at,
    }
