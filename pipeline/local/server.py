"""A llama.cpp OpenAI-compatible server that paperlist starts itself, in a child process.

`LocalServer` picks a free port on 127.0.0.1, starts the runtime (xllamacpp, through `python -m
pipeline.local.runner`), waits until `GET /health` answers 200, and stops the child on exit, on
errors and on Ctrl-C: SIGTERM, then SIGKILL after a grace period. A child that dies while loading
is reported at once, with the error lines of its log. The runner also exits when its stdin
closes, so even a parent killed with SIGKILL leaves no orphan.

Requests go through the ordinary openai client: `OpenAI(base_url=server.base_url,
api_key=server.api_key)`. The key is random per run, so other local users cannot use the server.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from ..config import LOCAL_CONTEXT_TOKENS, LOCAL_TIMEOUT, ModelSettings
from ..errors import LocalModelError, ModelFileError
from .files import (
    DEFAULT_MODEL,
    GGUF_MAGIC,
    LOCAL_EXTRA,
    RUNTIME_MODULE,
    Progress,
    configured_model_file,
    install_default_model,
    runtime_available,
)
from .runner import API_KEY_ENV, LOCAL_HOST

log = logging.getLogger(__name__)

__all__ = [
    "API_KEY_ENV",
    "LOCAL_CONTEXT_TOKENS",
    "LOCAL_TIMEOUT",
    "LocalServer",
    "free_port",
    "local_server",
    "local_settings",
    "runtime_available",
    "runtime_command",
    "wants_local",
]

_BIND_FAILURES = ("couldn't bind", "address already in use")
_PORT_ATTEMPTS = 3
_TAIL_LINES = 6


def wants_local(settings: ModelSettings, environ: Mapping[str, str] | None = None) -> bool:
    """`provider: local`, or `auto` with neither a base_url nor a key. A key variable other
    than the default one is a key the user means to use: unset, it is an error
    (jobs.drafting.missing_key), never a silent switch to the CPU model."""
    if settings.provider != "auto":
        return settings.provider == "local"
    env = os.environ if environ is None else environ
    default_env = ModelSettings.model_fields["api_key_env"].default
    return (settings.base_url is None and not env.get(settings.api_key_env)
            and settings.api_key_env == default_env)


def local_model_name(settings: ModelSettings) -> str:
    """The name the built-in model goes by in messages and stored drafts: its GGUF file's."""
    return DEFAULT_MODEL.name if settings.path is None else settings.path.stem


def local_settings(settings: ModelSettings) -> ModelSettings:
    """The settings a request to the built-in model runs with: the endpoint's name, timeout,
    context and concurrency replaced by `model.local`'s and the model's real name, so that
    a config written for a remote endpoint (or the shipped one) never changes them."""
    own = settings.local
    return settings.model_copy(update={
        "name": local_model_name(settings),
        "context_tokens": own.context_tokens,
        "timeout": own.timeout,
        "concurrency": own.concurrency,
    })


def free_port(host: str = LOCAL_HOST) -> int:
    """A TCP port that nothing listens on right now (the child binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def runtime_command(
    model_path: Path,
    *,
    context_tokens: int = LOCAL_CONTEXT_TOKENS,
    threads: int | None = None,
    alias: str | None = None,
) -> list[str]:
    """The command line of the xllamacpp runner; `{host}` and `{port}` are filled in at start."""
    command = [
        sys.executable, "-m", "pipeline.local.runner",
        "--model", str(model_path),
        "--host", "{host}", "--port", "{port}",
        "--ctx-size", str(context_tokens),
        "--parallel", "1",
    ]
    if threads:
        command += ["--threads", str(threads)]
    if alias:
        command += ["--alias", alias]
    return command


def local_server(
    settings: ModelSettings,
    *,
    root: Path | None = None,
    progress: Progress | None = None,
    ready_timeout: float = 180.0,
) -> LocalServer:
    """A (not yet started) server for the configured model; installs the default one if needed.
    ConfigError when model.path names no file, LocalModelError when the runtime is missing."""
    if not runtime_available():
        raise LocalModelError(f"the local model needs the {RUNTIME_MODULE} runtime: "
                              f"run {LOCAL_EXTRA}")
    path = (install_default_model(progress) if settings.path is None
            else configured_model_file(settings, root))
    local = local_settings(settings)
    return LocalServer(path, context_tokens=local.context_tokens, threads=settings.threads,
                       alias=local.name, ready_timeout=ready_timeout)


class LocalServer:
    """A llama.cpp server in a child process, for the length of a `with` block."""

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        context_tokens: int = LOCAL_CONTEXT_TOKENS,
        threads: int | None = None,
        alias: str | None = None,
        command: Sequence[str] | None = None,
        host: str = LOCAL_HOST,
        ready_timeout: float = 180.0,
        stop_timeout: float = 10.0,
        env: Mapping[str, str] | None = None,
    ) -> None:
        if command is None:
            if model_path is None:
                raise ValueError("LocalServer needs a model_path or a command")
            command = runtime_command(model_path, context_tokens=context_tokens,
                                      threads=threads, alias=alias)
        self.model_path = model_path
        self.command = list(command)
        self.host = host
        self.ready_timeout = ready_timeout
        self.stop_timeout = stop_timeout
        self.api_key = secrets.token_urlsafe(24)
        self.port: int | None = None
        self._log: BinaryIO | None = None  # our own handle on the child's output
        self._log_path: Path | None = None  # kept on disk only where it cannot be unlinked open
        self.startup_seconds: float | None = None
        self._env = dict(env) if env is not None else None
        self._proc: subprocess.Popen[bytes] | None = None

    # -- public ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL, e.g. http://127.0.0.1:PORT/v1."""
        if self.port is None:
            raise LocalModelError("the local model server is not running")
        return f"http://{self.host}:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> LocalServer:
        """Start the child and return once it answers /health; raise LocalModelError if not."""
        if self._proc is not None:
            return self
        if self.model_path is not None:
            _check_model_file(self.model_path)
        began = time.monotonic()
        for attempt in range(1, _PORT_ATTEMPTS + 1):
            port = free_port(self.host)
            self._spawn(port)
            try:
                self._wait_ready(last_attempt=attempt == _PORT_ATTEMPTS)
            except _PortTaken:
                log.info("port %d was taken before the server bound it; retrying", port)
                self.stop()
                continue
            except BaseException:
                self.stop()
                raise
            break
        self.startup_seconds = time.monotonic() - began
        log.info("local model server ready at %s after %.1f s (pid %s)",
                 self.base_url, self.startup_seconds, self.pid)
        return self

    def stop(self) -> None:
        """Stop the child (SIGTERM, then SIGKILL after `stop_timeout`); safe to call twice."""
        proc, self._proc = self._proc, None
        atexit.unregister(self.stop)
        if proc is not None:
            _terminate(proc, self.stop_timeout)
            log.debug("local model server (pid %d) stopped with code %s", proc.pid,
                      proc.returncode)
        self.port = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._log_path is not None:
            self._log_path.unlink(missing_ok=True)
            self._log_path = None

    def log_tail(self, lines: int = _TAIL_LINES) -> list[str]:
        """The last non-empty lines the child wrote to stdout/stderr."""
        if self._log is None:
            return []
        try:
            self._log.seek(0, os.SEEK_END)
            self._log.seek(max(0, self._log.tell() - 16384))
            text = self._log.read().decode("utf-8", errors="replace")
        except (OSError, ValueError):
            return []
        kept = [line.strip() for line in text.splitlines() if line.strip()]
        return [line[:300] for line in kept[-lines:]]

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals ------------------------------------------------------------------------

    def _spawn(self, port: int) -> None:
        fd, name = tempfile.mkstemp(prefix="paperlist-llama-", suffix=".log")
        self._log = open(name, "rb")  # closed in stop()
        if os.name == "posix":
            os.unlink(name)  # nothing left behind, even if we are killed
        else:  # pragma: no cover
            self._log_path = Path(name)
        self.port = port
        argv = [part.replace("{port}", str(port)).replace("{host}", self.host)
                for part in self.command]
        env = dict(os.environ if self._env is None else self._env)
        env[API_KEY_ENV] = self.api_key
        package_root = str(Path(__file__).resolve().parents[2])  # holds pipeline/
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH"))
                                            if p)
        log.debug("starting local model server: %s", " ".join(argv))
        try:
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,  # the runner exits when this closes, even if we are killed
                stdout=fd,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=os.name == "posix",  # Ctrl-C reaches us, and we stop it
            )
        except OSError as exc:
            self.stop()
            raise LocalModelError(f"cannot start the local model server ({argv[0]}): "
                                  f"{exc.strerror or exc}") from exc
        finally:
            os.close(fd)
        atexit.register(self.stop)

    def _wait_ready(self, *, last_attempt: bool) -> None:
        assert self._proc is not None and self.port is not None
        deadline = time.monotonic() + self.ready_timeout
        delay = 0.05
        while True:
            code = self._proc.poll()
            if code is not None:
                tail = self.log_tail(50)
                if not last_attempt and any(m in line.lower() for line in tail
                                            for m in _BIND_FAILURES):
                    raise _PortTaken()
                raise LocalModelError(
                    f"the local model server exited with code {code} before it was ready"
                    + _explain(self.log_tail(200))
                )
            if _healthy(self.host, self.port) and self._proc.poll() is None:
                return
            if time.monotonic() >= deadline:
                raise LocalModelError(
                    f"the local model server was not ready after {self.ready_timeout:g} s"
                    + _explain(self.log_tail(200))
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)


def _check_model_file(path: Path) -> None:
    """Fail before starting anything when the model file is missing or not a GGUF."""
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise ModelFileError(f"cannot read the model file {path}: {exc.strerror or exc}") from exc
    if magic != GGUF_MAGIC:
        raise ModelFileError(f"{path} is not a GGUF model file (model.local.path)")


_LEVEL = re.compile(r"^\d+\.\d+\.\d+\.\d+ ([IWED]) ")
_ERROR_WORDS = ("error", "failed", "traceback", "exception")


def _explain(lines: list[str]) -> str:
    """The child's output, cut to what explains a failure: its first and last error lines."""
    errors: list[str] = []
    for line in lines:
        level = _LEVEL.match(line)
        if (level.group(1) == "E") if level else any(w in line.lower() for w in _ERROR_WORDS):
            text = _LEVEL.sub("", line).strip()
            if text not in errors:
                errors.append(text)
    picked = errors[:2] + errors[-1:] if len(errors) > 3 else errors
    shown = picked or [_LEVEL.sub("", line).strip() for line in lines[-3:]]
    return f"; its output: {' | '.join(shown)}" if shown else ""


class _PortTaken(Exception):
    """The chosen port was grabbed by someone else between picking and binding it."""


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _healthy(host: str, port: int) -> bool:
    """True once llama.cpp's /health answers 200 (it answers 503 while the model loads)."""
    try:
        with _NO_PROXY.open(f"http://{host}:{port}/health", timeout=2.0) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _signal_group(proc: subprocess.Popen[bytes], *, kill: bool) -> None:
    """SIGTERM (or SIGKILL) the child's whole process group, so no helper it started survives."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
        elif kill:  # pragma: no cover - Windows
            proc.kill()
        else:  # pragma: no cover - Windows
            proc.terminate()


def _terminate(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM, wait up to `grace`, then SIGKILL; a second Ctrl-C skips straight to SIGKILL."""
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    if proc.poll() is None:
        try:
            _signal_group(proc, kill=False)
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            log.warning("local model server (pid %d) ignored SIGTERM; killing it", proc.pid)
        except KeyboardInterrupt:
            _signal_group(proc, kill=True)
            proc.wait()
            raise
    if proc.poll() is None:
        _signal_group(proc, kill=True)
        proc.wait()
