"""`kill <pid>` of a run on the built-in model, for real: a `paperlist summarize --pdf` process
whose local server (a stand-in that never finishes answering) is mid-request when SIGTERM
arrives. The run ends as interrupted and leaves no server process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from paths import REPO
from pdfgen import make_pdf, paper_pages

STAND_IN = r'''
import json, os, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
port, pidfile, asked = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(pidfile, "w") as f:
    f.write(str(os.getpid()))

class H(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        open(asked, "w").close()
        time.sleep(600)  # a CPU model mid-answer: this request never ends by itself

ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
'''

LAUNCHER = r'''
import sys
from pipeline.jobs import drafting
from pipeline.local.server import LocalServer


def local_server(settings, *, root=None, progress=None, ready_timeout=180.0):
    stand_in, pidfile, asked = ARGS
    return LocalServer(command=[sys.executable, stand_in, "{port}", pidfile, asked],
                       ready_timeout=ready_timeout)


if __name__ == "__main__":  # the extraction worker (spawned) imports this file too
    ARGS = sys.argv[1:4]
    drafting.local_server = local_server
    drafting.runtime_available = lambda: True
    from pipeline.cli.main import main
    sys.argv = ["paperlist", *sys.argv[4:]]
    main()
'''


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by init) counts as gone
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait(predicate: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_mid_request_stops_the_run_and_its_local_server(tmp_path: Path) -> None:
    stand_in, launcher = tmp_path / "stand_in.py", tmp_path / "launch.py"
    stand_in.write_text(STAND_IN)
    launcher.write_text(LAUNCHER)
    pidfile, asked = tmp_path / "server.pid", tmp_path / "asked"
    config = tmp_path / "config.yaml"
    config.write_text("model:\n  provider: local\noutput:\n  dir: out\n")
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(make_pdf(paper_pages("Sparse Lantern Attention for Long Documents")))
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_PROXY": "127.0.0.1,localhost"}
    run = subprocess.Popen(
        [sys.executable, str(launcher), str(stand_in), str(pidfile), str(asked),
         "--config", str(config), "summarize", "--pdf", str(pdf)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    try:
        assert _wait(asked.exists, 120), "the run never sent a request to its local server"
        server_pid = int(pidfile.read_text())
        assert _alive(server_pid)
        run.send_signal(signal.SIGTERM)  # what `kill <pid>`, `timeout` and cron wrappers send
        _, err = run.communicate(timeout=60)
        assert run.returncode == 130, err.decode()
        assert _wait(lambda: not _alive(server_pid), 30), "the local server outlived the run"
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        if pidfile.exists() and _alive(int(pidfile.read_text())):
            os.kill(int(pidfile.read_text()), signal.SIGKILL)
