"""What every command shares: error mapping, --config, logging, progress bars."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..config import CONFIG_ENV, Config, load_config
from ..errors import PipelineError, redact

F = TypeVar("F", bound=Callable[..., Any])


class PaperlistGroup(click.Group):
    """Turns every PipelineError into one `Error: ...` line and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PipelineError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


def config_option(command: F) -> F:
    """--config on every command, so it can follow the subcommand name as users type it."""

    def remember(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
        if value is not None:
            ctx.ensure_object(dict)["config"] = value

    return click.option(
        "--config", "config_file", metavar="FILE", expose_value=False, is_eager=True,
        callback=remember,
        help=f"Settings file (default: ${CONFIG_ENV}, else ./config.yaml).",
    )(command)


def load(ctx: click.Context) -> Config:
    """The config named by --config (on the group or the command), with logging set up."""
    state = ctx.ensure_object(dict)
    if "loaded" not in state:
        state["loaded"] = load_config(state.get("config"))
        setup_logging(state["loaded"], state.get("verbose", 0))
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


def setup_logging(config: Config, verbose: int) -> None:
    """Library logs go to output/paperlist.log; the terminal sees warnings (more with -v)."""
    root = logging.getLogger()
    if getattr(root, "_paperlist", False):
        return
    root.setLevel(logging.DEBUG)
    terminal = logging.StreamHandler(sys.stderr)
    terminal.setLevel(logging.DEBUG if verbose > 1 else logging.INFO if verbose else
                      logging.WARNING)
    terminal.addFilter(lambda record: record.name.startswith("pipeline") or verbose > 1)
    terminal.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    terminal.addFilter(RedactingFilter())
    root.addHandler(terminal)
    try:
        logdir = config.path(config.output.dir)
        logdir.mkdir(parents=True, exist_ok=True)
        logfile = logging.FileHandler(logdir / "paperlist.log", encoding="utf-8")
    except OSError:
        pass
    else:
        logfile.setLevel(logging.INFO)
        logfile.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logfile.addFilter(RedactingFilter())
        root.addHandler(logfile)
    for noisy in ("httpx", "httpx2", "openai", "urllib3", "arxiv"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    root._paperlist = True  # type: ignore[attr-defined]


class BarProgress:
    """One progress bar per stage, on stderr so that stdout stays data."""

    def __init__(self) -> None:
        self._bar: Any = None

    def stage(self, name: str, total: int) -> None:
        self.done()
        if total:
            self._bar = click.progressbar(length=total, label=f"{name:<12}", file=sys.stderr,
                                          show_pos=True, width=30)
            self._bar.__enter__()

    def advance(self, paper_id: str) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def done(self) -> None:
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
