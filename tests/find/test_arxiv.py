"""The arXiv source against a real HTTP fake: lookups, searches, downloads, and failures."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakes import (
    FakeArxiv,
    FakePaper,
    cut_off,
    garbage,
    html_page,
    rate_limited,
    sample_papers,
    server_error,
    slow,
    truncated,
    unavailable,
)

from pipeline.config import ArxivSettings
from pipeline.errors import FetchError, PaperNotFoundError, SourceUnavailableError
from pipeline.find.arxiv import ArxivSource
from pipeline.models import ArxivId

SourceFactory = Callable[..., ArxivSource]


@pytest.fixture
def make_source(arxiv_api: FakeArxiv, tmp_path: Path) -> SourceFactory:
    def build(**settings: object) -> ArxivSource:
        values: dict[str, object] = {
            "api_url": arxiv_api.api_url, "pdf_url": arxiv_api.pdf_url, "delay_seconds": 0,
            "download_delay": 0, "num_retries": 1, "timeout": 5, **settings}
        return ArxivSource(ArxivSettings.model_validate(values), tmp_path / "cache")

    return build


PAPER = FakePaper("2404.07965", version=2, title="TransformerFAM:  Feedback attention\n is "
                  "working memory", abstract="We propose  FAM.\nIt works.",
                  authors=["Dongseong Hwang"], categories=["cs.LG", "cs.AI"],
                  published=datetime(2024, 4, 11, 17, 0, tzinfo=UTC))


def test_lookup_reads_the_feed_into_a_paper(arxiv_api: FakeArxiv,
                                            make_source: SourceFactory) -> None:
    arxiv_api.add(PAPER)
    with make_source() as source:
        paper = source.lookup(ArxivId.parse("2404.07965"))
    assert paper.id == "2404.07965"
    assert paper.version == 2
    assert paper.title == "TransformerFAM: Feedback attention is working memory"
    assert paper.abstract == "We propose FAM. It works."
    assert paper.authors == ("Dongseong Hwang",)
    assert paper.categories == ("cs.LG", "cs.AI")
    assert paper.primary_category == "cs.LG"
    assert paper.published == datetime(2024, 4, 11, 17, 0, tzinfo=UTC)
    assert arxiv_api.log[-1].query["id_list"] == "2404.07965"


def test_a_title_reaches_the_terminal_on_one_line_without_controls(
        arxiv_api: FakeArxiv, make_source: SourceFactory) -> None:
    arxiv_api.add(FakePaper("2404.07001", title="A Title\u009b31m in red\n  and on two lines"))
    with make_source() as source:
        paper = source.lookup(ArxivId.parse("2404.07001"))
    assert paper.title == "A Title 31m in red and on two lines"  # C1 CSI is allowed in XML


def test_lookup_of_a_version_and_an_old_style_id(arxiv_api: FakeArxiv,
                                                 make_source: SourceFactory) -> None:
    arxiv_api.add(PAPER, FakePaper("hep-th/9901001", categories=["hep-th"]))
    with make_source() as source:
        assert source.lookup(ArxivId.parse("2404.07965v1")).version == 1
        assert source.lookup(ArxivId.parse("hep-th/9901001")).id == "hep-th/9901001"


def test_unknown_id_is_not_found(make_source: SourceFactory) -> None:
    with make_source() as source, pytest.raises(PaperNotFoundError) as caught:
        source.lookup(ArxivId.parse("2404.99999"))
    assert str(caught.value) == "2404.99999: arXiv has no paper with this id"


def test_html_page_with_status_200_is_not_read_as_no_results(
        arxiv_api: FakeArxiv, make_source: SourceFactory) -> None:
    arxiv_api.add(PAPER)
    arxiv_api.fail_next("query", html_page(), html_page())
    with make_source() as source, pytest.raises(SourceUnavailableError) as caught:
        source.lookup(ArxivId.parse("2404.07965"))
    assert str(caught.value) == ("2404.07965: the arXiv export API failed 2 times: the answer "
                                 "(text/html; charset=utf-8) is an HTML page, not an Atom feed")
    assert caught.value.exit_code == 4


def test_429_and_503_are_retried_after_retry_after(arxiv_api: FakeArxiv,
                                                   make_source: SourceFactory) -> None:
    arxiv_api.add(PAPER)
    arxiv_api.fail_next("query", rate_limited(retry_after=1), unavailable(retry_after=1))
    with make_source(num_retries=2) as source:
        assert source.lookup(ArxivId.parse("2404.07965")).id == "2404.07965"
    assert arxiv_api.count("query") == 3
    assert all(gap >= 0.95 for gap in arxiv_api.intervals("query"))


def test_retry_after_is_capped(arxiv_api: FakeArxiv, make_source: SourceFactory) -> None:
    arxiv_api.add(PAPER)
    arxiv_api.fail_next("query", rate_limited(retry_after=3600))
    started = time.monotonic()
    with make_source(num_retries=1, max_retry_after=1) as source:
        source.lookup(ArxivId.parse("2404.07965"))
    assert time.monotonic() - started < 5


def test_persistent_errors_give_up_with_the_status(arxiv_api: FakeArxiv,
                                                   make_source: SourceFactory) -> None:
    arxiv_api.fail_next("query", *[server_error(503)] * 10)
    with make_source(num_retries=3) as source, pytest.raises(SourceUnavailableError) as caught:
        source.lookup(ArxivId.parse("2404.07965"))
    assert str(caught.value) == "2404.07965: the arXiv export API failed 4 times: HTTP 503"
    # one retry layer: num_retries 3 is 4 requests (layered retries made 16)
    assert arxiv_api.count("query") == 4


def test_a_silent_api_times_out(arxiv_api: FakeArxiv, make_source: SourceFactory) -> None:
    arxiv_api.fail_next("query", slow(5))
    with make_source(timeout=0.5, num_retries=0) as source, \
            pytest.raises(SourceUnavailableError) as caught:
        source.lookup(ArxivId.parse("2404.07965"))
    assert str(caught.value) == ("2404.07965: the arXiv export API failed 1 time: no answer "
                                 "within 0.5 s (arxiv.timeout)")


def test_unreachable_api_is_one_line(make_source: SourceFactory) -> None:
    with make_source(api_url="http://127.0.0.1:9/api/query", num_retries=0) as source, \
            pytest.raises(SourceUnavailableError) as caught:
        source.lookup(ArxivId.parse("2404.07965"))
    assert str(caught.value).startswith("2404.07965: the arXiv export API failed 1 time: "
                                        "cannot reach the arXiv export API: ")
    assert "\n" not in str(caught.value)


def test_search_pages_politely_and_returns_everything(arxiv_api: FakeArxiv,
                                                      make_source: SourceFactory) -> None:
    arxiv_api.add(*sample_papers(5))
    with make_source(page_size=2, delay_seconds=0.2) as source:
        papers = source.search("cat:cs.CV AND submittedDate:[202404080000 TO 202404142359]")
    assert [p.id for p in papers] == [f"2404.0100{i}" for i in (4, 3, 2, 1, 0)]
    assert arxiv_api.count("query") == 3
    assert min(arxiv_api.intervals("query")) >= 0.19


def test_download_streams_into_the_cache_once(arxiv_api: FakeArxiv,
                                              make_source: SourceFactory) -> None:
    arxiv_api.add(PAPER)
    with make_source() as source:
        first = source.download("2404.07965", 2)
        second = source.download("2404.07965", 2)
        assert source.downloads == 1
    assert first == second
    assert first.name == "2404.07965v2.pdf"
    assert first.read_bytes().startswith(b"%PDF-")
    assert arxiv_api.count("pdf") == 1
    assert [e.path for e in arxiv_api.log if e.kind == "pdf"] == ["/pdf/2404.07965v2"]


def test_old_style_ids_get_a_flat_cache_name(arxiv_api: FakeArxiv,
                                             make_source: SourceFactory) -> None:
    arxiv_api.add(FakePaper("hep-th/9901001", categories=["hep-th"]))
    with make_source() as source:
        assert source.download("hep-th/9901001", 1).name == "hep-th_9901001v1.pdf"


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (html_page(), "the download is not a PDF (got text/html; charset=utf-8)"),
        (truncated(0.5), "the PDF is truncated (no %%EOF marker)"),
        (garbage(4096), "the download is not a PDF (got application/pdf)"),
        (server_error(404), "arXiv has no PDF at {url} (HTTP 404)"),
        (server_error(403), "the PDF download answered HTTP 403"),
    ],
)
def test_bad_downloads_are_refused_and_leave_nothing(
        arxiv_api: FakeArxiv, make_source: SourceFactory, tmp_path: Path,
        failure: object, message: str) -> None:
    arxiv_api.add(PAPER)
    arxiv_api.fail_next("pdf", failure)
    with make_source() as source, pytest.raises(FetchError) as caught:
        source.download("2404.07965", 2)
    url = arxiv_api.pdf_url.format(id="2404.07965v2")
    assert str(caught.value) == "2404.07965v2: " + message.format(url=url)
    assert list((tmp_path / "cache" / "pdf").glob("*")) == []


def test_a_broken_off_download_is_retried(arxiv_api: FakeArxiv,
                                          make_source: SourceFactory) -> None:
    arxiv_api.add(PAPER)
    arxiv_api.fail_next("pdf", cut_off(0.5))
    with make_source(num_retries=1) as source:
        path = source.download("2404.07965", 2)
    assert path.read_bytes() == arxiv_api.paper("2404.07965v2").pdf_bytes()
    assert arxiv_api.count("pdf") == 2


def test_size_cap(arxiv_api: FakeArxiv, make_source: SourceFactory) -> None:
    arxiv_api.add(PAPER)
    with make_source(max_pdf_mb=0.001) as source, pytest.raises(FetchError) as caught:
        source.download("2404.07965", 2)
    assert "MB cap" in str(caught.value)


def test_downloads_are_spaced(arxiv_api: FakeArxiv, make_source: SourceFactory) -> None:
    arxiv_api.add(*sample_papers(3))
    with make_source(download_delay=0.3) as source:
        for i in range(3):
            source.download(f"2404.0100{i}", 1)
    assert min(arxiv_api.intervals("pdf")) >= 0.29


def test_week_old_fake_dates_are_timezone_aware() -> None:
    assert sample_papers(1)[0].published.tzinfo is not None
    assert timedelta(hours=7) == sample_papers(2)[1].published - sample_papers(2)[0].published
