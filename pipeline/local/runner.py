"""The local model's server process: `python -m pipeline.local.runner --model M --port P`.

Runs llama.cpp's OpenAI-compatible server (xllamacpp) in this process until SIGTERM or SIGINT
arrives or stdin closes, so that a parent killed with SIGKILL leaves no orphan behind. A stop
takes effect at once, even while a request is being answered.
`pipeline.local.server.LocalServer` starts it and watches it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from ..config import LOCAL_CONTEXT_TOKENS
from .files import RUNTIME_MODULE

LOCAL_HOST = "127.0.0.1"
API_KEY_ENV = "PAPERLIST_LOCAL_API_KEY"

def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.local.runner",
        description="Serve a GGUF model with llama.cpp's OpenAI-compatible server (xllamacpp) "
                    "until stdin closes or SIGTERM arrives.",
    )
    parser.add_argument("--model", required=True, type=Path)
    parser.add_argument("--host", default=LOCAL_HOST)
    parser.add_argument("--port", required=True, type=int)
    parser.add_argument("--ctx-size", type=int, default=LOCAL_CONTEXT_TOKENS)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--parallel", type=int, default=1)
    parser.add_argument("--alias", default=None)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server in this process until told to stop."""
    args = _parse_args(argv)
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def watch_stdin() -> None:
        # os.read, not sys.stdin: a daemon thread blocked in a buffered read aborts shutdown.
        with contextlib.suppress(OSError):
            while os.read(0, 4096):
                pass
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        import xllamacpp  # type: ignore[import-untyped]
    except ImportError:
        print(f"error: the {RUNTIME_MODULE} package is not installed", file=sys.stderr)
        return 2
    params = xllamacpp.CommonParams()
    params.model.path = str(args.model)
    params.n_ctx = args.ctx_size
    params.n_parallel = args.parallel
    if args.threads:
        params.cpuparams.n_threads = args.threads
        params.cpuparams_batch.n_threads = args.threads
    params.hostnames = [args.host]
    params.port = args.port
    if hasattr(params, "ui"):  # newer llama.cpp: no web UI, we only need the API
        params.ui = False
    if args.alias:
        params.model_alias = {args.alias}
    key = os.environ.get(API_KEY_ENV)
    if key:
        params.api_keys = [key]
    try:
        server = xllamacpp.Server(params)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"listening on {server.listening_address}", file=sys.stderr, flush=True)
    while not stop.wait(0.5):
        pass
    # Not `del server`: llama.cpp's own shutdown waits, holding the GIL, for the answer in
    # progress to finish (30 s to minutes on a CPU). Nothing the server holds is worth keeping,
    # so the process ends here, at once, with or without a request in progress.
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
