"""HTTP for the arXiv source: one request under an overall deadline, redirects followed only
to the configured hosts, and a server's Retry-After read.

`requests` has only a per-read timeout: a server that sends a few bytes every 10-20 s never
trips it, and one download could last forever. So the wait for the status line and headers is
given up at the request's deadline, and the body of every answer is read under a watchdog that
shuts the socket down when the deadline passes.
"""

from __future__ import annotations

import contextlib
import email.utils
import re
import socket
import threading
import time
from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

MAX_REDIRECTS = 5
HEAD_GRACE = 1.0  # seconds past a request's deadline before a trickling head is given up
_CHUNK = 64 * 1024
TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


class RequestFailed(Exception):
    """One request failed in a way worth trying again (a dropped connection, a deadline,
    429/5xx, a page that is not a whole feed)."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class DeadlineExceeded(RequestFailed):
    """The request as a whole took longer than its deadline."""


class RedirectRefused(Exception):
    """A redirect pointed at a host that is not configured: its bytes are not taken."""


def host_key(url: str) -> str:
    """The host a URL names, with its port when it gives one: http and https of one host
    are the same host, 127.0.0.1:8001 and 127.0.0.1:8002 are not."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def retry_after(response: requests.Response) -> float | None:
    """Seconds a server asks to wait (Retry-After as seconds or as an HTTP date), or None."""
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def open_url(session: requests.Session, url: str, *, params: dict[str, Any] | None,
             allowed_hosts: Collection[str], deadline: float, read_timeout: float
             ) -> requests.Response:
    """The answer's status and headers (the body still to be read), following at most
    MAX_REDIRECTS redirects, each only to a host in `allowed_hosts`.

    Raises RedirectRefused, DeadlineExceeded, or requests' own errors (connection, timeout).
    """
    for _ in range(MAX_REDIRECTS + 1):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DeadlineExceeded("no answer before the deadline")
        wait = max(0.01, min(read_timeout, remaining))
        response = _get_before(deadline, session, url, params=params, stream=True,
                               allow_redirects=False, timeout=(wait, wait))
        if not response.is_redirect:
            return response
        target = urljoin(response.url, response.headers.get("Location", ""))
        response.close()
        if host_key(target) not in allowed_hosts:
            raise RedirectRefused(f"redirected to {host_key(target) or target!r}, which is not "
                                  "a configured arXiv host")
        url, params = target, None
    raise RedirectRefused(f"more than {MAX_REDIRECTS} redirects")


def _get_before(deadline: float, session: requests.Session, url: str,
                **kwargs: Any) -> requests.Response:
    """`session.get(url, **kwargs)` (streamed: the status line and headers), given up with
    DeadlineExceeded HEAD_GRACE seconds after `deadline` (time.monotonic()). A server can
    trickle its headers forever within the per-read timeout; the request is then left to its
    own thread, which ends with the connection (the next read timeout, or the server giving
    up)."""
    answer: dict[str, Any] = {}

    def fetch() -> None:
        try:
            answer["response"] = session.get(url, **kwargs)
        except BaseException as exc:  # handed to the caller's thread below
            answer["error"] = exc

    thread = threading.Thread(target=fetch, name="paperlist-http", daemon=True)
    thread.start()
    # a second's grace: a server that sends nothing is the per-read timeout's to report
    thread.join(max(0.0, deadline - time.monotonic()) + HEAD_GRACE)
    if thread.is_alive():
        raise DeadlineExceeded("no answer before the deadline")
    if "error" in answer:
        raise answer["error"]
    response: requests.Response = answer["response"]
    return response


@contextlib.contextmanager
def watchdog(response: requests.Response, deadline: float) -> Iterator[threading.Event]:
    """Shut the answer's socket down when the deadline passes; the event says it did."""
    fired = threading.Event()
    connection = getattr(response.raw, "connection", None)
    sock = getattr(connection, "sock", None)

    def expire() -> None:
        fired.set()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(max(0.0, deadline - time.monotonic()), expire)
    timer.daemon = True
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()


def read_chunks(response: requests.Response, deadline: float) -> Iterator[bytes]:
    """The body in chunks, ended by DeadlineExceeded when the deadline passes first."""
    with watchdog(response, deadline) as fired:
        try:
            for chunk in response.iter_content(_CHUNK):
                if fired.is_set() or time.monotonic() > deadline:
                    raise DeadlineExceeded("the answer did not finish before the deadline")
                yield chunk
        except TRANSIENT + (OSError,) as exc:
            if fired.is_set():
                raise DeadlineExceeded("the answer did not finish before the deadline") from exc
            raise
    if fired.is_set():
        raise DeadlineExceeded("the answer did not finish before the deadline")


def read_body(response: requests.Response, deadline: float, cap: int) -> bytes:
    """The whole body, at most `cap` bytes (more is a RequestFailed), before the deadline."""
    parts: list[bytes] = []
    size = 0
    for chunk in read_chunks(response, deadline):
        size += len(chunk)
        if size > cap:
            raise RequestFailed(f"the answer is larger than {cap // 2**20} MB")
        parts.append(chunk)
    return b"".join(parts)


def reason(exc: BaseException) -> str:
    """The innermost cause, without urllib3's pool and object reprs."""
    text = str(exc)
    match = re.search(r"\] ([^')\]]+)", text) or re.search(r"\(Caused by \w+\('?([^)']+)", text)
    return (match.group(1) if match else text).strip()[:200]
