"""The exit-code table, row by row, as cron sees it: one `Error:` line and the documented code.

0 done; 1 some papers failed; 2 usage or configuration; 3 locked; 4 a source or the model
endpoint cannot be reached; 130 interrupted (SIGINT and SIGTERM alike, in every command).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fakes import FakeArxiv, FakeChat
from paths import REPO
from pdfgen import make_pdf, paper_pages
from processes import interruptible
from weekly_fixtures import answer, week_papers

from pipeline.cli.base import EXIT_CODES
from pipeline.cli.main import cli
from pipeline.errors import EndpointUnavailableError, SourceUnavailableError
from pipeline.jobs.runlock import run_lock

Run = Callable[..., Result]
ID_HELP = ("(expected e.g. 2404.07965, 2404.07965v2, arXiv:2404.07965, "
           "https://arxiv.org/abs/2404.07965 or hep-th/9901001)")


@pytest.fixture
def config_path(make_config: Callable[..., Path]) -> Path:
    return make_config()


@pytest.fixture
def run(config_path: Path) -> Run:
    def invoke(*args: str, **kwargs: Any) -> Result:
        return CliRunner().invoke(cli, [*args, "--config", str(config_path)], **kwargs)

    return invoke


def test_the_table_is_in_the_help_and_the_readme() -> None:
    help_text = CliRunner().invoke(cli, ["--help"]).stdout
    readme = (REPO / "README.md").read_text()
    rows = dict(re.findall(r"^\| `(\d+)` \| (.+) \|$", readme, re.M))
    assert sorted(rows, key=int) == ["0", "1", "2", "3", "4", "130"]
    for code, words in [("0", "done"), ("1", "some papers failed"), ("2", "usage or "
                        "configuration"), ("3", "lock"), ("4", "cannot be reached"),
                        ("130", "interrupted")]:
        assert re.search(rf"^ +{code} +.*{words}", EXIT_CODES, re.M), code
        assert re.search(rf"^ +{code} +.*{words}", help_text, re.M), code
        assert words in rows[code], code


# -- 0 ---------------------------------------------------------------------------------------

def test_0_done(run: Run) -> None:
    result = run("status")
    assert (result.exit_code, result.stderr) == (0, "")


# -- 1 ---------------------------------------------------------------------------------------

def test_1_the_paper_asked_for_failed(arxiv_api: FakeArxiv, chat_api: FakeChat,
                                      run: Run) -> None:
    arxiv_api.add(*week_papers())
    chat_api.reply(*["no JSON here"] * 5)
    result = run("summarize", "2404.06001")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith("Error: 2404.06001: the model gave no "
                                                     "valid ")


def test_1_some_papers_of_a_run_failed(arxiv_api: FakeArxiv, chat_api: FakeChat,
                                       run: Run) -> None:
    arxiv_api.add(*week_papers())
    chat_api.default = answer
    for paper in arxiv_api.papers:
        paper.pdf = b"<html>captcha</html>"
    result = run("weekly", "--week", "2024-W15", "--limit", "2")
    assert result.exit_code == 1
    assert "2 of 2 failed:" in result.stderr


def test_1_a_bug_is_one_line_and_its_traceback_goes_to_the_log(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.publish.months

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline.publish.months, "by_month", broken)
    result = run("publish")
    log = tmp_path / "output" / "paperlist.log"
    assert (result.exit_code, result.stderr) == (
        1, f"Error: internal error (RuntimeError: boom); the traceback is in {log}. Please "
        "report it.\n")
    text = log.read_text()
    assert "paperlist publish: internal error\nTraceback (most recent call last):" in text
    assert text.rstrip().endswith("RuntimeError: boom")


# -- 2 ---------------------------------------------------------------------------------------

def _pdf_files(tmp_path: Path) -> dict[str, Path]:
    good = make_pdf(paper_pages("A Paper About Diffusion"), title="A Paper About Diffusion")
    files = {"empty": b"", "truncated": good[: len(good) // 3], "html": b"<html>login</html>",
             "text": b"just some words\n"}
    for name, data in files.items():
        (tmp_path / f"{name}.pdf").write_bytes(data)
    (tmp_path / "folder.pdf").mkdir()
    return {name: tmp_path / f"{name}.pdf" for name in [*files, "folder"]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["summarize", ""], f"Error: '' is not an arXiv id {ID_HELP}"),
        (["summarize", "nonsense"], f"Error: 'nonsense' is not an arXiv id {ID_HELP}"),
        (["summarize", "--pdf", "/dev/null"], "Error: /dev/null: not a regular file"),
        (["summarize", "--pdf", "{folder}"], "Error: {folder}: not a regular file"),
        (["summarize", "--pdf", "{empty}"], "Error: {empty}: the file is empty, not a PDF"),
        (["summarize", "--pdf", "{html}"], "Error: {html}: not a PDF: the file is an HTML/XML "
                                           "page (an error or login page?)"),
        (["summarize", "--pdf", "{text}"], "Error: {text}: not a PDF: "),
        (["summarize", "--pdf", "{truncated}"], "Error: {truncated}: "),
        (["summarize", "--pdf", "{html}", "--title", " "], "Error: --title is empty"),
        (["summarize", "--pdf", "{html}", "--title", "A \x1b]0;pwned\x07 title"],
         "Error: --title has a control character (a line break, a tab, an escape): give the "
         "title on one line"),
        (["publish", "--month", "2024-13"], "Error: '2024-13' is not a month: expected YYYYMM, "
                                            "e.g. 202404"),
        (["publish", "--month", "202413"], "Error: '202413' is not a month: expected YYYYMM, "
                                           "e.g. 202404"),
        (["publish", "--month", "April"], "Error: 'April' is not a month: expected YYYYMM, "
                                          "e.g. 202404"),
        (["drafts", "show", "pdf:xyz"], "Error: 'pdf:xyz' is not a local PDF's id (expected "
                                        "pdf: and 12 hex digits, as `drafts list` shows it)"),
        (["drafts", "approve", "2404.00001", "nope"], f"Error: 'nope' is not an arXiv id "
                                                      f"{ID_HELP}"),
        (["drafts", "show", "2404.00001"], "Error: 2404.00001: no draft for this paper (there "
                                           "are no drafts yet)"),
        (["weekly", "--week", "April"], "Error: --week 'April': expected an ISO week such as "
                                        "2024-W15"),
    ],
)
def test_2_a_bad_argument_or_file(run: Run, tmp_path: Path, chat_api: FakeChat,
                                  args: list[str], message: str) -> None:
    files = {name: str(path) for name, path in _pdf_files(tmp_path).items()}
    result = run(*[arg.format(**files) for arg in args])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert result.stderr.startswith(message.format(**files))
    assert chat_api.calls == 0


def test_2_usage_errors_that_click_reports(run: Run) -> None:
    for args in (["weekly", "--limit", "-1"], ["weekly", "--since", "yesterday", "--until",
                                                "2024-04-02"], ["summarize", "--nope"]):
        result = run(*args)
        assert result.exit_code == 2 and "Traceback" not in result.output, args
        assert result.stderr.splitlines()[-1].startswith("Error: "), args


def test_2_configuration(make_config: Callable[..., Path], tmp_path: Path,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    def invoke(config: Path, *args: str) -> Result:
        return CliRunner().invoke(cli, [*args, "--config", str(config)])

    missing = invoke(tmp_path / "nowhere.yaml", "status")
    assert (missing.exit_code, missing.stderr) == (
        2, f"Error: config file {tmp_path / 'nowhere.yaml'} does not exist\n")
    gguf = tmp_path / "no-such-model.gguf"
    local = make_config(model={"provider": "local", "path": str(gguf)})
    check = invoke(local, "check-model")
    assert (check.exit_code, check.stderr) == (
        2, f"Error: model.path {gguf} does not exist: point it at a GGUF file, or remove it "
        "to use the built-in model\n")


def test_2_an_unset_key_variable_is_named_in_the_first_line(
        arxiv_api: FakeArxiv, chat_api: FakeChat, make_config: Callable[..., Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_config(model={"base_url": None, "api_key_env": "PAPERLIST_TEST_KEY"})
    monkeypatch.delenv("PAPERLIST_TEST_KEY")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-other")
    result = CliRunner().invoke(cli, ["summarize", "2404.06001", "--config", str(config)])
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: model.api_key_env names $PAPERLIST_TEST_KEY, which is not set (OPENAI_API_KEY "
        "is set: did you mean it?): export it, or remove model.api_key_env to use the built-in "
        "local model\n")
    status = CliRunner().invoke(cli, ["model", "status", "--config", str(config)])
    assert status.stdout.startswith("used for summaries: no: model.api_key_env names "
                                    "$PAPERLIST_TEST_KEY, which is not set")
    assert arxiv_api.log == [] and chat_api.calls == 0


# -- 3 ---------------------------------------------------------------------------------------

def test_3_locked_and_the_refused_run_is_recorded(run: Run, tmp_path: Path) -> None:
    lock = tmp_path / "output" / "paperlist.lock"
    with run_lock(lock, "a test"):
        for command in (["publish"], ["weekly", "--week", "2024-W15"]):
            result = run(*command)
            assert result.exit_code == 3, result.output
            assert result.stderr == (f"Error: another paperlist run is in progress (pid "
                                     f"{os.getpid()}, a test, since "
                                     f"{lock.read_text().split('since ')[1]}); not starting "
                                     f"{command[0]}\n")
    status = run("status").stdout
    assert "#1 weekly 2024-04-08..2024-04-14: failed, started " in status
    assert "    reason: another paperlist run is in progress (pid " in status


# -- 4 ---------------------------------------------------------------------------------------

def test_4_arxiv_unreachable_is_recorded_and_logged(run: Run, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.find import arxiv

    def down(*args: Any, **kwargs: Any) -> Any:
        raise SourceUnavailableError("arXiv cannot be reached (connection refused)")

    monkeypatch.setattr(arxiv.ArxivSource, "search", down)
    result = run("weekly", "--week", "2024-W15")
    assert result.exit_code == 4
    assert result.stderr.splitlines()[-1] == ("Error: arXiv cannot be reached (connection "
                                              "refused)")
    # a trace for cron, without -v: the log file and the run's record
    log = (tmp_path / "output" / "paperlist.log").read_text()
    assert re.search(r" pipeline.cli ERROR paperlist weekly: arXiv cannot be reached "
                     r"\(connection refused\) \(exit 4\)$", log, re.M)
    status = run("status").stdout
    assert "#1 weekly 2024-04-08..2024-04-14: failed, started " in status
    assert "    reason: arXiv cannot be reached (connection refused)\n" in status


def test_4_the_model_endpoint_unreachable(arxiv_api: FakeArxiv, run: Run, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.draft.chat import ChatModel

    def down(*args: Any, **kwargs: Any) -> Any:
        raise EndpointUnavailableError("cannot reach the model endpoint (connection refused)")

    monkeypatch.setattr(ChatModel, "_complete", down)
    arxiv_api.add(*week_papers())
    result = run("weekly", "--week", "2024-W15")
    assert result.exit_code == 4
    assert result.stderr.splitlines()[-1] == (
        "Error: model preflight: the endpoint is unavailable: cannot reach the model endpoint "
        "(connection refused)")
    assert arxiv_api.count("pdf") == 0  # the preflight met it: nothing was done
    assert ("    reason: model preflight: the endpoint is unavailable: cannot reach the model "
            "endpoint (connection refused)") in run("status").stdout
    check = run("check-model")
    assert (check.exit_code, check.stderr.splitlines()[-1]) == (
        4, "Error: model preflight: the endpoint is unavailable: cannot reach the model endpoint "
           "(connection refused)")


# -- 130 -------------------------------------------------------------------------------------

def _leaf_commands() -> list[list[str]]:
    def walk(group: Any, path: list[str]) -> list[list[str]]:
        commands = getattr(group, "commands", None)
        if commands is None:
            return [path]
        return [leaf for name, command in sorted(commands.items())
                for leaf in walk(command, [*path, name])]

    return walk(cli, [])


ARGS = {("summarize",): ["2404.06001"], ("drafts", "show"): ["2404.06001"],
        ("drafts", "approve"): ["2404.06001"], ("drafts", "edit"): ["2404.06001"],
        ("drafts", "reject"): ["2404.06001", "--reason", "r"], ("draft",): ["2404.06001"]}


@pytest.mark.parametrize("command", _leaf_commands(), ids=" ".join)
def test_130_ctrl_c_in_every_command(run: Run, monkeypatch: pytest.MonkeyPatch,
                                     command: list[str]) -> None:
    import pipeline.config

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline.config, "load_config", interrupted)
    result = run(*command, *ARGS.get(tuple(command), []))
    assert (result.exit_code, result.stderr) == (130, "Interrupted.\n")


class _CtrlC(BytesIO):
    """Standard input on which the editor presses Ctrl-C at the first prompt."""

    def read(self, size: int | None = -1) -> bytes:
        if size == 0:  # click asks whether the stream is binary
            return b""
        raise KeyboardInterrupt

    def readline(self, *args: Any) -> bytes:
        raise KeyboardInterrupt

    def read1(self, *args: Any) -> bytes:
        raise KeyboardInterrupt

    def readinto(self, *args: Any) -> int:
        raise KeyboardInterrupt


def test_130_ctrl_c_at_a_review_prompt(arxiv_api: FakeArxiv, chat_api: FakeChat,
                                       run: Run) -> None:
    arxiv_api.add(*week_papers())
    assert run("summarize", "2404.06001").exit_code == 0
    result = run("review", input=_CtrlC())
    assert result.exit_code == 130
    assert result.stderr.endswith("Interrupted.\n") and "Aborted" not in result.output


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_130_a_signal_at_a_review_prompt(arxiv_api: FakeArxiv, chat_api: FakeChat,
                                         config_path: Path, run: Run, signum: int) -> None:
    arxiv_api.add(*week_papers())
    assert run("summarize", "2404.06001").exit_code == 0
    reviewer = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "review", "--config", str(config_path)],
        env={**os.environ, "PYTHONPATH": str(REPO)}, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=interruptible)
    try:
        assert reviewer.stdout is not None and reviewer.stderr is not None
        seen = b""
        deadline = time.monotonic() + 120
        while b"[a]pprove" not in seen and time.monotonic() < deadline:
            seen += os.read(reviewer.stdout.fileno(), 4096) or b""
            if reviewer.poll() is not None:
                break
        assert b"[a]pprove" in seen, seen
        # A signal that lands after the prompt is written but before the read begins waits
        # in CPython until the read returns (a race of microseconds, in the interpreter): so
        # the signal is sent again until the reviewer stops, as a user presses Ctrl-C again.
        deadline = time.monotonic() + 120
        while reviewer.poll() is None and time.monotonic() < deadline:
            reviewer.send_signal(signum)
            with contextlib.suppress(subprocess.TimeoutExpired):
                reviewer.wait(timeout=1)
        assert reviewer.wait(timeout=1) == 130
        assert reviewer.stderr.read().decode().endswith("Interrupted.\n")
    finally:
        if reviewer.poll() is None:
            reviewer.kill()
            reviewer.wait()


def test_0_a_reader_that_leaves_early_is_not_a_failure(config_path: Path) -> None:
    reader = subprocess.Popen(  # `paperlist status | head -c 0`: the pipe closes at once
        [sys.executable, "-m", "pipeline", "status", "--config", str(config_path)],
        env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.close()
    assert reader.wait(timeout=120) == 0
    assert reader.stderr.read() == b""


@pytest.mark.parametrize("args", [["--help"], ["summarize", "nonsense"], ["summarize", ""],
                                  ["drafts", "show", "nonsense"], ["draft", "nonsense"],
                                  ["publish", "--month", "2024-13"]], ids=" ".join)
def test_argument_errors_answer_before_heavy_imports(args: list[str]) -> None:
    """`--help` and a malformed argument load no config, pydantic, openai, pypdf or arxiv:
    they answer at once even on a busy machine (measured, not timed here: see the report)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "pipeline", *args],
                          env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == (0 if args == ["--help"] else 2), done.stderr
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:")}
    heavy = {"pydantic", "openai", "pypdf", "arxiv", "yaml", "requests", "flask",
             "pipeline.config", "pipeline.models.summary", "pipeline.store"}
    assert imported & heavy == set()
