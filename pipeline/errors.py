"""One error base; each stage raises its own subclass with the paper it was working on.

The CLI catches `PipelineError` once, prints `Error: <message>` on one line and exits with
`exit_code`, so a cron job can tell a bad invocation or setup (2) from a failed run (1), a run
that another one blocks (3), a source or endpoint that cannot be reached (4) and an interrupted
run (130). The table is in the README ("Exit codes") and in `paperlist --help`.
"""

from __future__ import annotations

import errno
import os
import re
import threading

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_LOCKED = 3
EXIT_UNAVAILABLE = 4
EXIT_INTERRUPTED = 130


REDACTED = "[redacted]"
_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()
# A credential in an echoed request: an Authorization header's value (whatever its scheme),
# a bearer token, an api-key header or parameter, an OpenAI-style key.
_CREDENTIAL = re.compile(
    r"(?i)(?P<name>\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)[^\"'\n,}]+"
    r"|(?P<bearer>\bbearer\s+)[A-Za-z0-9._~+/=-]+"
    r"|(?P<key>\b(?:x-)?api[-_]?key[\"']?\s*[:=]\s*[\"']?)[^\s\"',}&]+"
    r"|\bsk-[A-Za-z0-9_-]{8,}")


def register_secret(value: str | None) -> None:
    """Remember a secret (an API key) so that `redact` removes it wherever it shows up."""
    if value and len(value) >= 6:
        with _SECRETS_LOCK:
            _SECRETS.add(value)


def redact(text: str) -> str:
    """The text with registered secrets and anything that looks like a credential replaced by
    [redacted]: for every message, log line and stored error (an endpoint may echo the
    Authorization header in its error body)."""
    with _SECRETS_LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, REDACTED)

    def hide(match: re.Match[str]) -> str:
        prefix = match.group("name") or match.group("bearer") or match.group("key") or ""
        return prefix + REDACTED

    return _CREDENTIAL.sub(hide, text)


class PipelineError(Exception):
    """Base of every error paperlist reports to a user; its message is redacted."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, *, paper_id: str | None = None) -> None:
        message = redact(message)
        self.paper_id = paper_id
        self.message = message
        super().__init__(f"{paper_id}: {message}" if paper_id else message)


class UsageError(PipelineError):
    """The command line asked for something malformed (a bad id, a missing file)."""

    exit_code = EXIT_USAGE


class ConfigError(PipelineError):
    """config.yaml is missing, malformed, or names an unknown setting."""

    exit_code = EXIT_USAGE


class ModelNotConfiguredError(ConfigError):
    """No model endpoint and no key: nothing to send a prompt to."""


class FetchError(PipelineError):
    """arXiv metadata or a PDF could not be fetched."""


class SourceUnavailableError(FetchError):
    """A paper source (the arXiv API) cannot be reached or keeps failing: nothing was done."""

    exit_code = EXIT_UNAVAILABLE


class PaperNotFoundError(FetchError):
    """arXiv answered, but does not know the id: when the user named it, a bad argument."""

    exit_code = EXIT_USAGE


class ExtractError(PipelineError):
    """A PDF could not be read into text."""


class SummarizeError(PipelineError):
    """The model endpoint failed or never produced a valid summary."""


class UnusableAnswerError(SummarizeError):
    """The endpoint answered every time, but never with a usable object."""


class EndpointUnavailableError(SummarizeError):
    """The model endpoint cannot be reached or keeps failing (connection refused, timeouts,
    429 or 5xx past the retries): a transport failure, not a verdict on the model."""

    exit_code = EXIT_UNAVAILABLE


class ModelPreflightError(SummarizeError):
    """The configured model cannot follow the summary format; the run stops before spending."""

    exit_code = EXIT_USAGE


class StoreError(PipelineError):
    """The state database cannot be opened, read or written (a newer schema, a damaged file,
    a full disk): the setup needs fixing, so it counts as a configuration error."""

    exit_code = EXIT_USAGE


class OutputError(PipelineError):
    """A file or folder paperlist writes cannot be written: read-only, a file where a folder
    should be, the disk full. Fixing it is up to the user, like a configuration error."""

    exit_code = EXIT_USAGE


class LockedError(PipelineError):
    """Another paperlist run holds the lock."""

    exit_code = EXIT_LOCKED


class ReviewError(PipelineError):
    """A review action does not apply to the draft's current state."""

    exit_code = EXIT_USAGE


class PublishError(PipelineError):
    """The monthly list or README could not be written."""


class LocalModelError(SummarizeError):
    """The local model could not be installed, or its llama.cpp server would not start."""


class ModelFileError(LocalModelError):
    """The configured model file cannot be read or is not a GGUF model: a setting to fix."""

    exit_code = EXIT_USAGE


# What the user can do about a file-system error, by errno.
_HINTS = {
    errno.EACCES: "permission denied: make it writable, or point output.dir elsewhere",
    errno.EPERM: "permission denied: make it writable, or point output.dir elsewhere",
    errno.EROFS: "the file system is read-only: point output.dir at a writable folder",
    errno.ENOSPC: "no space left on the device: free some space and run again",
    errno.EDQUOT: "the disk quota is used up: free some space and run again",
    errno.EEXIST: "a file is in the way where a folder should be: check output.dir",
    errno.ENOTDIR: "a file is in the way where a folder should be: check output.dir",
    errno.EISDIR: "it is a folder, not a file",
    errno.ENOENT: "no such file or folder",
}


def describe_os_error(exc: OSError) -> str:
    """What went wrong with a file and what to do, in a few words (strerror as a fallback)."""
    if exc.errno in _HINTS:
        return _HINTS[exc.errno]
    return exc.strerror or str(exc) or type(exc).__name__


def output_error(exc: OSError, path: str | os.PathLike[str] | None = None,
                 doing: str = "write") -> OutputError:
    """An OSError met while `doing` something to `path` (default: the error's own filename),
    as one line: `cannot write output/paperlist.lock: the file system is read-only: ...`."""
    where = path if path is not None else exc.filename
    target = f" {os.fspath(where)}" if where is not None else ""
    return OutputError(f"cannot {doing}{target}: {describe_os_error(exc)}")
