"""Serving the review page with waitress (a production WSGI server in pure Python)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

from ..config import Config
from ..errors import UsageError
from .app import create_app
from .security import check_bind
from .tasks import DraftTasks

log = logging.getLogger(__name__)
THREADS = 4


class Server:
    """A listening review page; `run` serves until Ctrl-C (or `shutdown` from a thread)."""

    def __init__(self, config: Config, host: str, port: int, *,
                 tasks: DraftTasks | None = None) -> None:
        """Checks that `host` may be listened on (security.check_bind) and binds the port:
        UsageError when it is refused or taken."""
        token = check_bind(config, host)
        self.app = create_app(config, host=host, token=token, tasks=tasks)
        try:
            server: Any = create_server(self.app, host=host, port=port, threads=THREADS,
                                        ident="paperlist", clear_untrusted_proxy_headers=True)
        except OSError as exc:
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; pick "
                             "another with --port") from exc
        self._server = server
        # a name such as localhost may resolve to several addresses: one socket each
        listen = getattr(server, "effective_listen", None) or [
            (server.effective_host, server.effective_port)]
        self.host, self.port = host, int(listen[0][1])
        self.token_required = token is not None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def run(self) -> None:
        self._server.run()

    def start(self) -> Server:
        """Serve from a background thread (tests); `shutdown` stops it."""
        self._thread = threading.Thread(target=self.run, name="paperlist-web", daemon=True)
        self._thread.start()
        return self

    def shutdown(self) -> None:
        """Stop serving and close every connection (what webtest's StopableWSGIServer does)."""
        server = self._server
        server.task_dispatcher.shutdown()
        wasyncore.close_all(server.map if hasattr(server, "effective_listen") else server._map)
        if self._thread is not None:
            self._thread.join(timeout=30)


def serve(config: Config, host: str, port: int,
          ready: Callable[[Server], None] | None = None) -> None:
    """Serve the review page until Ctrl-C; `ready` is told the URL once it listens."""
    server = Server(config, host, port)
    if ready is not None:
        ready(server)
    log.info("review page at %s", server.url)
    server.run()
