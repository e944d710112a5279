"""Shared plumbing for the fake servers: a threaded HTTP server on 127.0.0.1 and canned answers.

A fake subclasses `FakeServer` and implements `handle(request) -> FakeResponse`. The base class
reads the request, applies the response's `delay`, writes status, headers and body (with a
Content-Length), keeps connections alive (HTTP/1.1), never prints to stderr, records handler
crashes in `errors` (answered with a 500) and tracks `in_flight` / `max_in_flight`.

Failure injection uses two kinds of items:
  * `FakeResponse(status, body, headers, delay)`: served as is, instead of the normal answer;
  * `Mutate(fn)`: `fn(normal_answer) -> FakeResponse` changes the answer the fake would have
    sent (the helpers `truncated`, `cut_off`, `garbage` and `slow` are built this way).
"""

from __future__ import annotations

import json
import random
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple, Self
from urllib.parse import parse_qs, unquote, urlsplit

HTML_ERROR_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>\n"
    b"<body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your "
    b"request. Please try again later.</p></body></html>\n"
)


@dataclass
class FakeResponse:
    """A raw HTTP answer. `body` may be bytes, str (UTF-8) or a dict/list (sent as JSON).

    A `Content-Length` given in `headers` is sent as is (even if it does not match the body)
    and the connection is closed after the body: that is how `cut_off` simulates a dropped
    connection. Otherwise the length is computed from the body.
    """

    status: int = 200
    body: bytes | str | dict[str, Any] | list[Any] = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drip: float = 0.0  # seconds between chunks of `drip_size` bytes: a server that trickles
    drip_size: int = 64
    drip_head: bool = False  # drip the status line and headers too (a long padding header)

    def data(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body).encode("utf-8")

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


@dataclass(frozen=True)
class Mutate:
    """Change the answer the fake would have sent: `fn(normal) -> FakeResponse`."""

    fn: Callable[[FakeResponse], FakeResponse]
    label: str = "mutate"

    def __call__(self, normal: FakeResponse) -> FakeResponse:
        return self.fn(normal)


Injected = FakeResponse | Mutate


def resolve(item: Injected, normal: Callable[[], FakeResponse]) -> FakeResponse:
    """The response to send for an injected item; `normal` builds the regular answer."""
    if isinstance(item, FakeResponse):
        return item
    if isinstance(item, Mutate):
        return item(normal())
    raise TypeError(f"cannot inject {item!r}: expected FakeResponse or Mutate")


# --- helpers for common failures --------------------------------------------------------------

def rate_limited(retry_after: float | None = 1, *, body: bytes | str = b"Rate exceeded.\n"
                 ) -> FakeResponse:
    """HTTP 429 with `Retry-After` (seconds; None leaves the header out)."""
    return _status(429, body, retry_after)


def unavailable(retry_after: float | None = 1, *, body: bytes | str = HTML_ERROR_PAGE
                ) -> FakeResponse:
    """HTTP 503 with `Retry-After` and an HTML body, as arXiv's front end sends."""
    return _status(503, body, retry_after, content_type="text/html; charset=utf-8")


def server_error(status: int = 500, body: bytes | str = b"Internal Server Error\n"
                 ) -> FakeResponse:
    return _status(status, body, None)


def html_page(status: int = 200, body: bytes | str = HTML_ERROR_PAGE) -> FakeResponse:
    """An HTML error page, by default served with status 200 (a captive portal, a CDN page)."""
    return FakeResponse(status, body, {"Content-Type": "text/html; charset=utf-8"})


def garbage(size: int = 2048, *, seed: int = 0) -> Mutate:
    """The normal status and headers with `size` random bytes as the body."""
    data = random.Random(seed).randbytes(size)
    return Mutate(lambda normal: replace(normal, body=data, headers=_without_length(normal)),
                  "garbage")


def truncated(fraction: float = 0.5) -> Mutate:
    """The first `fraction` of the normal body, with a Content-Length that matches it."""
    def cut(normal: FakeResponse) -> FakeResponse:
        data = normal.data()
        return replace(normal, body=data[: int(len(data) * fraction)],
                       headers=_without_length(normal))
    return Mutate(cut, "truncated")


def cut_off(fraction: float = 0.5) -> Mutate:
    """Announce the full Content-Length, send only `fraction` of the body, close the socket."""
    def cut(normal: FakeResponse) -> FakeResponse:
        data = normal.data()
        headers = {**_without_length(normal), "Content-Length": str(len(data))}
        return replace(normal, body=data[: int(len(data) * fraction)], headers=headers)
    return Mutate(cut, "cut_off")


def slow(delay: float, then: FakeResponse | None = None) -> Mutate:
    """Wait `delay` seconds, then send `then` or else the normal answer."""
    return Mutate(lambda normal: replace(then or normal, delay=delay), f"slow({delay})")


def dripping(interval: float, size: int = 64, then: FakeResponse | None = None) -> Mutate:
    """Send the body (of `then`, else the normal answer) `size` bytes at a time, `interval`
    seconds apart: no single read ever waits long, so only an overall deadline ends it."""
    return Mutate(lambda normal: replace(then or normal, drip=interval, drip_size=size),
                  f"dripping({interval})")


def dripping_head(interval: float, size: int = 16) -> Mutate:
    """Send even the status line and headers (padded to a few hundred bytes) `size` bytes at
    a time, `interval` seconds apart: the answer's head never arrives within a deadline."""
    return Mutate(lambda normal: replace(normal, drip=interval, drip_size=size, drip_head=True),
                  f"dripping_head({interval})")


def redirect(location: str, status: int = 302) -> FakeResponse:
    """A redirect to `location` (another host, a captive portal, ...)."""
    return FakeResponse(status, b"", {"Location": location, "Content-Type": "text/plain"})


def _status(status: int, body: bytes | str, retry_after: float | None,
            content_type: str = "text/plain; charset=utf-8") -> FakeResponse:
    headers = {"Content-Type": content_type}
    if retry_after is not None:
        headers["Retry-After"] = f"{retry_after:g}"
    return FakeResponse(status, body, headers)


def _without_length(response: FakeResponse) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower() != "content-length"}


# --- the server ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Request:
    method: str
    path: str  # percent-decoded, without the query string
    query: dict[str, str]  # last value of each parameter, blanks kept
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


class Logged(NamedTuple):
    """One request in a fake's `log` (FakeArxiv.requests is that log)."""

    kind: str  # "query", "pdf" or "other"
    path: str
    query: dict[str, str]
    time: float  # time.monotonic() when the request arrived


class FakeServer:
    """Base of the fakes: `start()`, `stop()`, context manager, `url`, `max_in_flight`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.errors: list[str] = []  # tracebacks of handler crashes (each answered with a 500)
        self.in_flight = 0
        self.max_in_flight = 0
        self._log: list[Logged] = []

    def handle(self, request: Request) -> FakeResponse:
        raise NotImplementedError

    # lifecycle
    def start(self) -> Self:
        if self._server is not None:
            return self
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._stopping.clear()
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"{type(self).__name__}-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; requests still sleeping in a delay are woken and answered at once."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sleep(self, seconds: float) -> None:
        """Sleep, but wake up when the server stops (so teardown never waits on a delay)."""
        if seconds > 0:
            self._stopping.wait(seconds)

    def reset_stats(self) -> None:
        with self._lock:
            self.max_in_flight = self.in_flight

    # the request log
    def record(self, kind: str, request: Request) -> None:
        with self._lock:
            self._log.append(Logged(kind, request.path, dict(request.query), time.monotonic()))

    @property
    def log(self) -> list[Logged]:
        """A snapshot of the requests recorded so far, in arrival order."""
        with self._lock:
            return list(self._log)

    def count(self, kind: str) -> int:
        return sum(1 for r in self.log if r.kind == kind)

    def intervals(self, kind: str) -> list[float]:
        """Seconds between consecutive requests of `kind` (to check rate limiting, backoff)."""
        times = [r.time for r in self.log if r.kind == kind]
        return [b - a for a, b in zip(times, times[1:], strict=False)]

    # called by the handler
    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _exit(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _crashed(self) -> FakeResponse:
        text = traceback.format_exc()
        with self._lock:
            self.errors.append(text)
        return FakeResponse(500, text, {"Content-Type": "text/plain; charset=utf-8"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up is not our problem; never print to stderr


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeServer/1.0"
    timeout = 60  # an idle keep-alive connection's thread ends after this
    fake: FakeServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, head: bool = False) -> None:
        self.fake._enter()
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            request = Request(self.command, unquote(parts.path), query,
                              dict(self.headers.items()), body)
            try:
                response = self.fake.handle(request)
            except Exception:
                response = self.fake._crashed()
            self.fake.sleep(response.delay)
            self._send(response, head)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
        finally:
            self.fake._exit()

    def _send(self, response: FakeResponse, head: bool) -> None:
        data = response.data()
        explicit_length = response.header("Content-Length") is not None
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if not explicit_length:
            self.send_header("Content-Length", str(len(data)))
        if explicit_length or response.header("Connection") == "close":
            self.close_connection = True
            if response.header("Connection") is None:
                self.send_header("Connection", "close")
        if response.drip_head:
            self.send_header("X-Padding", "x" * 400)
            self._headers_buffer.append(b"\r\n")
            data = b"".join(self._headers_buffer) + data
            self._headers_buffer = []
        else:
            self.end_headers()
        if head and not response.drip_head:
            self.wfile.flush()
            return
        if not response.drip:
            self.wfile.write(data)
            self.wfile.flush()
            return
        for start in range(0, len(data), max(1, response.drip_size)):
            self.wfile.write(data[start:start + response.drip_size])
            self.wfile.flush()
            if self.fake._stopping.is_set():
                return
            self.fake.sleep(response.drip)

