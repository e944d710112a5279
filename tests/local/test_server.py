"""The local model's lifecycle, with a stand-in server process.

The stand-in is a small Python script written to tmp_path: it serves /health and
/v1/chat/completions on the port it is given, and can be told to load slowly, never become ready,
crash at start or after, fail to bind once, or ignore SIGTERM. Offline and fast.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from openai import OpenAI

from pipeline.config import ModelSettings
from pipeline.errors import LocalModelError, SummarizeError
from pipeline.local import files as modelfiles
from pipeline.local import server as local
from pipeline.local.server import LocalServer, local_settings, runtime_command, wants_local

STAND_IN = r'''
import argparse, json, os, signal, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

p = argparse.ArgumentParser()
p.add_argument("--port", type=int, required=True)
p.add_argument("--mode", default="ok")
p.add_argument("--delay", type=float, default=0.0)
p.add_argument("--pidfile")
p.add_argument("--flag")
a = p.parse_args()
if a.pidfile:
    with open(a.pidfile, "w") as f:
        f.write(str(os.getpid()))
print("stand-in starting", flush=True)
if a.mode == "crash":
    print("error: failed to load model: tensor 'blk.0' has wrong shape", file=sys.stderr)
    sys.exit(3)
if a.mode == "bind-once" and not os.path.exists(a.flag):
    open(a.flag, "w").close()
    print("E srv start: couldn't bind HTTP server socket, port: %d" % a.port, file=sys.stderr)
    sys.exit(1)
if a.mode == "ignore-term":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
started = time.monotonic()

class H(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        loading = a.mode == "never" or time.monotonic() - started < a.delay
        if self.path == "/health":
            if loading:
                self.reply(503, {"error": {"code": 503, "message": "Loading model"}})
            else:
                self.reply(200, {"status": "ok"})
        elif self.path == "/v1/models":
            self.reply(200, {"object": "list", "data": [{"id": "stand-in", "object": "model"}]})
        else:
            self.reply(404, {"error": "not found"})
    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        request = json.loads(self.rfile.read(length))
        auth = self.headers.get("Authorization", "")
        content = json.dumps({"echo": request["messages"][-1]["content"], "auth": auth})
        self.reply(200, {
            "id": "x", "object": "chat.completion", "created": 0, "model": "stand-in",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
        })

server = ThreadingHTTPServer(("127.0.0.1", a.port), H)
if a.mode == "die-after":
    threading.Timer(a.delay + 0.3, lambda: os._exit(7)).start()
server.serve_forever()
'''


@pytest.fixture
def stand_in(tmp_path: Path) -> Callable[..., list[str]]:
    """Build a stand-in server command: stand_in("slow", delay=0.5) -> argv with {port}."""
    script = tmp_path / "stand_in.py"
    script.write_text(STAND_IN, encoding="utf-8")

    def command(mode: str = "ok", *, delay: float = 0.0) -> list[str]:
        return [sys.executable, str(script), "--port", "{port}", "--mode", mode,
                "--delay", str(delay), "--pidfile", str(tmp_path / "pid"),
                "--flag", str(tmp_path / "flag")]

    return command


def _child_pid(tmp_path: Path) -> int:
    return int((tmp_path / "pid").read_text())


def _gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_starts_waits_for_readiness_and_serves_openai_requests(
    stand_in: Callable[..., list[str]], tmp_path: Path
) -> None:
    with LocalServer(command=stand_in("slow", delay=0.6), ready_timeout=20) as server:
        assert server.running
        assert server.startup_seconds is not None and server.startup_seconds >= 0.5
        assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
        client = OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0)
        reply = client.chat.completions.create(
            model="local", messages=[{"role": "user", "content": "hello"}]
        )
        body = json.loads(reply.choices[0].message.content or "")
        assert body == {"echo": "hello", "auth": f"Bearer {server.api_key}"}
        pid = server.pid
        assert pid == _child_pid(tmp_path)
    assert not server.running
    assert pid is not None and _gone(pid)
    with pytest.raises(LocalModelError, match="not running"):
        _ = server.base_url


def test_child_that_exits_at_start_is_reported_at_once_with_its_output(
    stand_in: Callable[..., list[str]], tmp_path: Path
) -> None:
    began = time.monotonic()
    with pytest.raises(LocalModelError) as caught:
        LocalServer(command=stand_in("crash"), ready_timeout=60).start()
    assert time.monotonic() - began < 10  # not the 60 s timeout
    message = str(caught.value)
    assert "exited with code 3 before it was ready" in message
    assert "tensor 'blk.0' has wrong shape" in message
    assert "\n" not in message
    assert isinstance(caught.value, SummarizeError)


def test_never_ready_times_out_and_kills_the_child(
    stand_in: Callable[..., list[str]], tmp_path: Path
) -> None:
    server = LocalServer(command=stand_in("never"), ready_timeout=1.0)
    with pytest.raises(LocalModelError, match=r"not ready after 1 s"):
        server.start()
    assert _gone(_child_pid(tmp_path))
    assert not server.running


def test_an_error_inside_the_block_still_stops_the_child(
    stand_in: Callable[..., list[str]], tmp_path: Path
) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        with LocalServer(command=stand_in(), ready_timeout=20):
            raise RuntimeError("boom")
    assert _gone(_child_pid(tmp_path))


def test_ctrl_c_inside_the_block_still_stops_the_child(
    stand_in: Callable[..., list[str]], tmp_path: Path
) -> None:
    with pytest.raises(KeyboardInterrupt):
        with LocalServer(command=stand_in(), ready_timeout=20):
            raise KeyboardInterrupt
    assert _gone(_child_pid(tmp_path))


def test_a_child_ignoring_sigterm_is_killed_after_the_grace_period(
    stand_in: Callable[..., list[str]], tmp_path: Path
) -> None:
    server = LocalServer(command=stand_in("ignore-term"), ready_timeout=20, stop_timeout=0.5)
    server.start()
    pid = _child_pid(tmp_path)
    began = time.monotonic()
    server.stop()
    assert 0.4 <= time.monotonic() - began < 5
    assert _gone(pid, within=0.5)


def test_a_crash_after_readiness_shows_and_stop_is_still_clean(
    stand_in: Callable[..., list[str]], tmp_path: Path
) -> None:
    with LocalServer(command=stand_in("die-after"), ready_timeout=20) as server:
        deadline = time.monotonic() + 5
        while server.running and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not server.running
        assert any("stand-in starting" in line for line in server.log_tail())
    server.stop()  # twice is harmless


def test_port_taken_between_pick_and_bind_is_retried(
    stand_in: Callable[..., list[str]], tmp_path: Path
) -> None:
    with LocalServer(command=stand_in("bind-once"), ready_timeout=20) as server:
        assert (tmp_path / "flag").exists()
        assert server.running


def test_a_model_file_that_is_not_gguf_fails_before_anything_starts(tmp_path: Path) -> None:
    notes = tmp_path / "model.gguf"
    notes.write_text("not a model")
    with pytest.raises(LocalModelError, match="is not a GGUF model file"):
        LocalServer(notes, command=["/nonexistent/never-run"]).start()
    with pytest.raises(LocalModelError, match="cannot read the model file"):
        LocalServer(tmp_path / "missing.gguf").start()


def test_llama_cpp_output_is_cut_to_its_first_and_last_errors() -> None:
    lines = [
        "0.00.000.353 I srv          init: initializing ...",
        "0.00.004.135 E gguf_init_from_reader: invalid magic characters",
        "0.00.004.287 E llama_model_load: error loading model",
        "0.00.004.288 E llama_model_load: error loading model",
        "0.00.004.300 E common_init_: failed to load model",
        "0.00.004.385 I srv    operator(): cleaning up before exit...",
        "error: Failed to init server, please check the input params.",
    ]
    assert local._explain(lines) == (
        "; its output: gguf_init_from_reader: invalid magic characters | llama_model_load: "
        "error loading model | error: Failed to init server, please check the input params."
    )
    assert local._explain(["loading", "still loading"]) == "; its output: loading | still loading"
    assert local._explain([]) == ""


def test_missing_executable_is_a_clear_error() -> None:
    with pytest.raises(LocalModelError, match="cannot start the local model server"):
        LocalServer(command=["/nonexistent/llama-server", "--port", "{port}"]).start()


def test_stop_is_registered_with_atexit_while_running(
    stand_in: Callable[..., list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    registered: list[object] = []
    monkeypatch.setattr(local.atexit, "register", registered.append)
    monkeypatch.setattr(local.atexit, "unregister", registered.remove)
    with LocalServer(command=stand_in(), ready_timeout=20) as server:
        assert registered == [server.stop]
    assert registered == []


def test_runtime_command_runs_our_runner_with_the_settings() -> None:
    command = runtime_command(Path("/m/model.gguf"), context_tokens=8192, threads=2, alias="q")
    assert command[:3] == [sys.executable, "-m", "pipeline.local.runner"]
    joined = " ".join(command)
    assert "--model /m/model.gguf" in joined
    assert "--host {host} --port {port}" in joined
    assert "--ctx-size 8192" in joined and "--threads 2" in joined and "--alias q" in joined
    assert "--threads" not in runtime_command(Path("m.gguf"))


def test_server_needs_a_model_or_a_command() -> None:
    with pytest.raises(ValueError):
        LocalServer()


@pytest.mark.parametrize(
    ("settings", "env", "expected"),
    [
        (ModelSettings(), {}, True),
        (ModelSettings(), {"OPENAI_API_KEY": "sk-x"}, False),
        (ModelSettings(base_url="http://127.0.0.1:9/v1"), {}, False),
        (ModelSettings(provider="local"), {"OPENAI_API_KEY": "sk-x"}, True),
        (ModelSettings(provider="openai"), {}, False),
        # a key variable the config names itself is a key the user means to use: unset, it is
        # an error (open_model says so), not a reason to run the CPU model
        (ModelSettings(api_key_env="MY_KEY"), {"OPENAI_API_KEY": "sk-x"}, False),
        (ModelSettings(api_key_env="MY_KEY"), {}, False),
    ],
)
def test_wants_local(settings: ModelSettings, env: dict[str, str], expected: bool) -> None:
    assert wants_local(settings, env) is expected


def test_local_settings_are_the_local_models_own() -> None:
    filled = local_settings(ModelSettings())
    assert (filled.context_tokens, filled.concurrency, filled.timeout) == (8192, 1, 600)
    assert filled.name == modelfiles.DEFAULT_MODEL.name
    # what a config says for a remote endpoint never reaches the local model
    remote = local_settings(ModelSettings(context_tokens=16384, name="gpt-4o-mini", timeout=180,
                                          concurrency=4))
    assert (remote.context_tokens, remote.concurrency, remote.timeout) == (8192, 1, 600)
    assert remote.name == modelfiles.DEFAULT_MODEL.name
    own = local_settings(ModelSettings.model_validate(
        {"local": {"context_tokens": 4096, "timeout": 30, "concurrency": 2}}))
    assert (own.context_tokens, own.timeout, own.concurrency) == (4096, 30, 2)
    assert local_settings(ModelSettings(path=Path("/x/other.gguf"))).name == "other"


def test_local_server_for_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "runtime_available", lambda: True)
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "other.gguf").write_bytes(b"GGUF")
    server = local.local_server(ModelSettings(path=Path("m/other.gguf"), threads=2), root=tmp_path)
    assert server.model_path == tmp_path / "m" / "other.gguf"
    assert " ".join(server.command).endswith(
        f"--model {tmp_path}/m/other.gguf --host {{host}} --port {{port}} --ctx-size 8192 "
        "--parallel 1 --threads 2 --alias other")
    assert not server.running

    installed = tmp_path / "default.gguf"
    monkeypatch.setattr(local, "install_default_model", lambda progress=None: installed)
    assert local.local_server(ModelSettings()).model_path == installed


def test_local_server_without_the_runtime_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "runtime_available", lambda: False)
    with pytest.raises(LocalModelError) as caught:
        local.local_server(ModelSettings())
    assert "xllamacpp runtime: run pip install 'paperlist[local]'" in str(caught.value)
