"""`paperlist serve`: loopback by default, a token beyond it, a real process that answers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from paths import REPO

from pipeline.cli.main import cli
from pipeline.config import load_config
from pipeline.errors import UsageError
from pipeline.web.security import host_name, is_loopback
from pipeline.web.server import Server

TOKEN_ENV = "PAPERLIST_SERVE_TOKEN"


@pytest.fixture
def config_path(make_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    return make_config()


def test_loopback_addresses() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "", "::", "192.0.2.7", "example.org"))
    assert [host_name(h) for h in ("127.0.0.1:8765", "[::1]:8765", "Example.org")] == [
        "127.0.0.1", "[::1]", "example.org"]


def test_a_non_loopback_bind_without_a_token_is_refused(config_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--config",
                                      str(config_path)])
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: not listening on 0.0.0.0: the review page can change and publish the digest, "
        "so beyond loopback it needs an access token; set $PAPERLIST_SERVE_TOKEN "
        "(serve.token_env) to a secret of at least 16 characters, or use --host 127.0.0.1\n")
    with pytest.raises(UsageError, match="not listening on 192.0.2.7"):
        Server(load_config(config_path), "192.0.2.7", 0)  # refused before any socket
    monkeypatch.setenv(TOKEN_ENV, "short")
    weak = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--config", str(config_path)])
    assert weak.exit_code == 2
    assert weak.stderr.startswith("Error: the access token in $PAPERLIST_SERVE_TOKEN is too "
                                  "short: use at least 16 characters")


def test_a_taken_port_is_one_line(config_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--port", str(port), "--config",
                                          str(config_path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: cannot listen on 127.0.0.1:{port}: ")
    assert result.stderr.endswith("; pick another with --port\n")


def test_serve_runs_until_stopped(config_path: Path) -> None:
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}
    env.pop(TOKEN_ENV, None)
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "serve", "--port", "0",
                             "--config", str(config_path)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert line.startswith("Review page: http://127.0.0.1:") and "Ctrl-C stops it." in line
        url = line.split()[2].rstrip(";")
        with urllib.request.urlopen(url + "week", timeout=60) as response:
            page = response.read().decode()
        assert response.status == 200 and "No candidates for this week yet." in page
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0  # stopping the page is its normal end
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
