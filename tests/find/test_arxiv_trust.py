"""The arXiv source trusts no answer: truncated, empty, redirected, dripping, malformed ones
are errors with a message (or a skipped entry with a warning), never a quiet "no papers"."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from fakes import (
    FakeArxiv,
    FakeResponse,
    FakeServer,
    Mutate,
    dripping,
    dripping_head,
    html_page,
    rate_limited,
    redirect,
    sample_papers,
    server_error,
)
from fakes.arxiv_api import ATOM
from fakes.http import Request
from paths import SHARED

from pipeline.config import ArxivSettings
from pipeline.errors import FetchError, SourceUnavailableError
from pipeline.find.arxiv import ArxivSource
from pipeline.models import ArxivId

SourceFactory = Callable[..., ArxivSource]
QUERY = "cat:cs.CV AND submittedDate:[202404080000 TO 202404142359]"
EXPORT_API = SHARED / "corpus" / "api" / "export-api"


@pytest.fixture
def make_source(arxiv_api: FakeArxiv, tmp_path: Path) -> SourceFactory:
    def build(**settings: object) -> ArxivSource:
        values: dict[str, object] = {
            "api_url": arxiv_api.api_url, "pdf_url": arxiv_api.pdf_url, "delay_seconds": 0,
            "download_delay": 0, "num_retries": 1, "timeout": 5, **settings}
        return ArxivSource(ArxivSettings.model_validate(values), tmp_path / "cache")

    return build


class Elsewhere(FakeServer):
    """Another host: answers everything with one response and counts what it was asked."""

    def __init__(self, response: FakeResponse) -> None:
        super().__init__()
        self.response = response

    def handle(self, request: Request) -> FakeResponse:
        self.record("other", request)
        return self.response


def without_entries(keep: int) -> Mutate:
    """The normal page with only its first `keep` entries: totalResults still says all."""
    def cut(normal: FakeResponse) -> FakeResponse:
        text = normal.data().decode()
        entries = re.findall(r"  <entry>.*?</entry>\n", text, re.S)
        for entry in entries[keep:]:
            text = text.replace(entry, "")
        return replace(normal, body=text)
    return Mutate(cut, f"without_entries({keep})")


def with_bad_id(number: int, bad_id: str = "not-an-arxiv-id") -> Mutate:
    """The normal page with the `number`-th entry's <id> replaced."""
    def change(normal: FakeResponse) -> FakeResponse:
        text = normal.data().decode()
        ids = re.findall(r"<id>http://arxiv\.org/abs/[^<]+</id>", text)
        return replace(normal, body=text.replace(ids[number], f"<id>{bad_id}</id>", 1))
    return Mutate(change, "with_bad_id")


@pytest.mark.parametrize("failure", [
    Mutate(lambda n: replace(n, body=n.data()[: len(n.data()) // 2]), "truncated XML"),
    Mutate(lambda n: replace(n, body=b"{\"not\": \"xml\"}"), "not XML"),
    without_entries(0),
    without_entries(3),
], ids=["truncated", "not-xml", "no-entries", "three-of-five"])
def test_a_bad_first_page_is_an_error_never_fewer_papers(
        arxiv_api: FakeArxiv, make_source: SourceFactory, failure: Mutate) -> None:
    arxiv_api.add(*sample_papers(5))
    arxiv_api.fail_next("query", failure, failure)
    with make_source(num_retries=1) as source, pytest.raises(SourceUnavailableError) as caught:
        source.search(QUERY)
    assert str(caught.value).startswith("the arXiv export API failed 2 times: ")
    assert arxiv_api.count("query") == 2


def test_a_bad_page_is_asked_again_and_the_whole_answer_kept(
        arxiv_api: FakeArxiv, make_source: SourceFactory) -> None:
    arxiv_api.add(*sample_papers(5))
    arxiv_api.fail_next("query", without_entries(3))
    with make_source(num_retries=1) as source:
        assert len(source.search(QUERY)) == 5
    assert arxiv_api.count("query") == 2


def test_an_empty_later_page_is_an_error(arxiv_api: FakeArxiv,
                                         make_source: SourceFactory) -> None:
    arxiv_api.add(*sample_papers(5))
    with make_source(page_size=2, num_retries=0) as source:
        arxiv_api.fail_next("query", Mutate(lambda n: n), without_entries(0))
        with pytest.raises(SourceUnavailableError, match="a page with 0 of the 2 entries"):
            source.search(QUERY)


def test_a_real_answer_cut_anywhere_is_never_a_silent_result(
        arxiv_api: FakeArxiv, make_source: SourceFactory) -> None:
    answer = EXPORT_API / "q_testing_s0_m10_bc5a6c384fe9.xml"
    if not answer.exists():
        pytest.skip(f"{answer} is absent (../shared is not beside the checkout)")
    body = answer.read_bytes()
    with make_source(num_retries=0, page_size=10) as source:
        arxiv_api.fail_next("query", FakeResponse(200, body, {"Content-Type": ATOM}))
        whole = source.search("all:testing", max_results=10)
        assert len(whole) == 10
        points = sorted({len(body) * i // 40 for i in range(1, 40)} | {len(body) - 10})
        assert len(points) >= 38
        silent = []
        for point in points:
            arxiv_api.fail_next("query", FakeResponse(200, body[:point], {"Content-Type": ATOM}))
            try:
                papers = source.search("all:testing", max_results=10)
            except SourceUnavailableError as exc:
                assert "the arXiv export API failed 1 time: the answer" in str(exc)
                continue
            if papers != whole:
                silent.append((point, len(papers)))
    assert silent == []


def test_an_api_redirect_to_another_host_is_refused(
        arxiv_api: FakeArxiv, make_source: SourceFactory) -> None:
    arxiv_api.add(*sample_papers(2))
    with Elsewhere(html_page()) as portal:
        arxiv_api.fail_next("query", redirect(f"{portal.url}/login"))
        with make_source() as source, pytest.raises(SourceUnavailableError) as caught:
            source.search(QUERY)
        assert str(caught.value) == (f"the arXiv export API was redirected to "
                                     f"'127.0.0.1:{portal.port}', which is not a configured "
                                     "arXiv host")
        assert portal.count("other") == 0


def test_a_redirect_on_the_same_host_is_followed_and_checked(
        arxiv_api: FakeArxiv, make_source: SourceFactory) -> None:
    arxiv_api.add(*sample_papers(2))
    arxiv_api.fail_next("query", redirect(f"{arxiv_api.api_url}?search_query=all:x"))
    with make_source() as source:
        assert source.search(QUERY) == []  # the fake knows no "x": an honest empty answer


def test_a_pdf_redirect_to_another_host_is_refused(
        arxiv_api: FakeArxiv, make_source: SourceFactory, tmp_path: Path) -> None:
    arxiv_api.add(*sample_papers(1))
    evil = FakeResponse(200, sample_papers(1, title="Other bytes")[0].pdf_bytes(),
                        {"Content-Type": "application/pdf"})
    with Elsewhere(evil) as other:
        arxiv_api.fail_next("pdf", redirect(f"{other.url}/paper.pdf", 301))
        with make_source() as source, pytest.raises(FetchError) as caught:
            source.download("2404.01000", 1)
        assert str(caught.value) == (f"2404.01000v1: the PDF download was redirected to "
                                     f"'127.0.0.1:{other.port}', which is not a configured "
                                     "arXiv host")
        assert other.count("other") == 0
    assert list((tmp_path / "cache" / "pdf").glob("*")) == []


def test_an_entry_that_is_not_an_arxiv_id_is_skipped_with_a_warning(
        arxiv_api: FakeArxiv, make_source: SourceFactory) -> None:
    arxiv_api.add(*sample_papers(4))
    arxiv_api.fail_next("query", with_bad_id(1))
    with make_source() as source:
        papers = source.search(QUERY)
        warnings = source.take_warnings()
        assert source.warnings == []
    assert len(papers) == 3
    assert warnings == ["entry 2 of the page skipped: its id 'not-an-arxiv-id' is not an "
                        "arXiv id"]


def test_a_dripping_api_answer_hits_the_overall_deadline(
        arxiv_api: FakeArxiv, make_source: SourceFactory) -> None:
    arxiv_api.add(*sample_papers(5))
    arxiv_api.fail_next("query", dripping(0.2, size=16))  # minutes in all, 0.2 s per read
    started = time.monotonic()
    with make_source(timeout=1, num_retries=0) as source, \
            pytest.raises(SourceUnavailableError) as caught:
        source.search(QUERY)
    assert time.monotonic() - started < 30
    assert str(caught.value) == ("the arXiv export API failed 1 time: no whole answer within "
                                 "1 s (arxiv.timeout)")


def test_an_answer_whose_headers_drip_hits_the_overall_deadline(
        arxiv_api: FakeArxiv, make_source: SourceFactory) -> None:
    arxiv_api.add(*sample_papers(5))
    arxiv_api.fail_next("query", dripping_head(0.2))  # the head alone takes seconds
    started = time.monotonic()
    with make_source(timeout=1, num_retries=0) as source, \
            pytest.raises(SourceUnavailableError) as caught:
        source.search(QUERY)
    assert time.monotonic() - started < 5
    assert str(caught.value) == ("the arXiv export API failed 1 time: no whole answer within "
                                 "1 s (arxiv.timeout)")


def test_a_dripping_pdf_hits_the_download_deadline(
        arxiv_api: FakeArxiv, make_source: SourceFactory, tmp_path: Path) -> None:
    arxiv_api.add(*sample_papers(1))
    arxiv_api.fail_next("pdf", dripping(0.2, size=16))
    started = time.monotonic()
    with make_source(download_timeout=1, num_retries=0) as source, \
            pytest.raises(FetchError) as caught:
        source.download("2404.01000", 1)
    assert time.monotonic() - started < 30
    assert str(caught.value) == (f"2404.01000v1: cannot download the PDF from "
                                 f"{arxiv_api.pdf_url.format(id='2404.01000v1')}: not "
                                 "downloaded within 1 s (arxiv.download_timeout)")
    assert list((tmp_path / "cache" / "pdf").glob("*")) == []


def test_a_huge_retry_after_is_capped_and_bounded_by_the_query_budget(
        arxiv_api: FakeArxiv, make_source: SourceFactory) -> None:
    arxiv_api.fail_next("query", rate_limited(retry_after=86400))
    started = time.monotonic()
    with make_source(num_retries=3, max_retry_after=120, query_budget=2) as source, \
            pytest.raises(SourceUnavailableError) as caught:
        source.lookup(ArxivId.parse("2404.07965"))
    assert time.monotonic() - started < 30
    assert str(caught.value) == ("2404.07965: the arXiv export API kept failing for "
                                 "arxiv.query_budget (2 s): HTTP 429")
    assert arxiv_api.count("query") == 1


def test_retries_back_off_and_stop_at_num_retries(arxiv_api: FakeArxiv,
                                                  make_source: SourceFactory) -> None:
    arxiv_api.fail_next("query", *[server_error(502)] * 3)
    with make_source(num_retries=2, delay_seconds=0.2) as source, \
            pytest.raises(SourceUnavailableError):
        source.lookup(ArxivId.parse("2404.07965"))
    gaps = arxiv_api.intervals("query")
    assert arxiv_api.count("query") == 3
    assert gaps[0] >= 0.19 and gaps[1] >= 0.39  # delay_seconds, doubled


def test_an_error_feed_is_a_refused_query_not_retried(arxiv_api: FakeArxiv,
                                                      make_source: SourceFactory) -> None:
    with make_source(num_retries=2) as source, pytest.raises(FetchError) as caught:
        source.search("ti:(unclosed")
    assert not isinstance(caught.value, SourceUnavailableError)
    assert str(caught.value).startswith("arXiv refused the query: malformed query")
    assert arxiv_api.count("query") == 1


def test_a_500_html_page_is_retried_then_unavailable(arxiv_api: FakeArxiv,
                                                     make_source: SourceFactory) -> None:
    arxiv_api.fail_next("query", server_error(500), html_page(500))
    with make_source(num_retries=1) as source, pytest.raises(SourceUnavailableError) as caught:
        source.search(QUERY)
    assert str(caught.value) == "the arXiv export API failed 2 times: HTTP 500"
