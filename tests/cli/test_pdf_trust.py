"""PDFs from outside: an AES-encrypted one that any viewer opens is read, and a PDF that keeps
pypdf busy for long is given up after extract.timeout on every path (summarize ID, --pdf)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fakes import FakeArxiv, FakeChat, FakePaper
from pdfgen import make_pdf, paper_pages
from pypdf import PdfReader, PdfWriter

from pipeline.cli.main import cli
from pipeline.errors import ExtractError
from pipeline.read.extract import extract_isolated, extract_pdf

Run = Callable[..., Result]
TITLE = "Owner Password Only: A Paper About Diffusion Models"


@pytest.fixture
def run(make_config: Callable[..., Path]) -> Run:
    def invoke(*args: str, config: dict[str, Any] | None = None, **kwargs: Any) -> Result:
        path = make_config(config or {})
        return CliRunner().invoke(cli, [*args, "--config", str(path)], **kwargs)

    return invoke


def encrypted(pdf: bytes, algorithm: str = "AES-256") -> bytes:
    """The PDF encrypted with an owner password and an empty user password: it opens in any
    viewer without asking, as many publishers' PDFs do."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password="", owner_password="owner-secret", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def slow_pdf() -> bytes:
    """One page of 30,000 lines: pypdf takes seconds over it (about 5 s for 20,000 lines on
    an idle core, growing faster than the line count)."""
    return make_pdf([[f"word word word word word word word word {i}" for i in range(30000)]])


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256"])
def test_an_aes_encrypted_pdf_with_an_owner_password_only_is_read(tmp_path: Path,
                                                                 algorithm: str) -> None:
    path = tmp_path / "locked.pdf"
    path.write_bytes(encrypted(make_pdf(paper_pages(TITLE), title=TITLE), algorithm))
    assert PdfReader(path).is_encrypted
    extract = extract_pdf(path)
    assert extract.title == TITLE
    assert "improves accuracy by 12.5%" in extract.text


def test_summarize_pdf_of_an_encrypted_paper(chat_api: FakeChat, run: Run,
                                             tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    path.write_bytes(encrypted(make_pdf(paper_pages(TITLE), title=TITLE)))
    result = run("summarize", "--pdf", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"#### {TITLE}\n")


def test_extraction_in_a_worker_is_given_up_after_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "slow.pdf"
    path.write_bytes(slow_pdf())
    with pytest.raises(ExtractError) as caught:
        extract_isolated(path, timeout=0.5)
    assert str(caught.value) == "slow.pdf: extraction timed out after 0.5 s"


def test_summarize_pdf_honours_extract_timeout(chat_api: FakeChat, run: Run,
                                               tmp_path: Path) -> None:
    path = tmp_path / "slow.pdf"
    path.write_bytes(slow_pdf())
    result = run("summarize", "--pdf", str(path), config={"extract": {"timeout": 0.5}})
    assert result.exit_code == 2  # like every other problem with the file the user named
    assert result.stderr == f"Error: {path}: extraction timed out after 0.5 s\n"
    assert chat_api.calls == 0


def test_summarize_id_honours_extract_timeout(arxiv_api: FakeArxiv, chat_api: FakeChat,
                                              run: Run, tmp_path: Path) -> None:
    arxiv_api.add(FakePaper("2404.07001", pdf=slow_pdf()))
    result = run("summarize", "2404.07001", config={"extract": {"timeout": 0.5}})
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == ("Error: 2404.07001v1: extraction timed out after "
                                              "0.5 s")
    assert chat_api.calls == 0
