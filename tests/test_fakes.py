"""Sanity checks of the fakes themselves, through the real arxiv, requests and openai clients."""

from __future__ import annotations

import io
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import arxiv
import openai
import pypdf
import pytest
import requests
from fakes import (
    Completion,
    FakeArxiv,
    FakeChat,
    FakePaper,
    cut_off,
    html_page,
    parse_query,
    rate_limited,
    requested_sections,
    sample_papers,
    slow,
    truncated,
    unavailable,
)
from paths import SHARED

from pipeline.config import load_config
from pipeline.draft.schema import summary_schema
from pipeline.models.summary import Summary

CORPUS = SHARED / "corpus" / "api" / "export-api"
ATOM = "{http://www.w3.org/2005/Atom}"


def client_for(fake: FakeArxiv, page_size: int = 100, num_retries: int = 0) -> arxiv.Client:
    client = arxiv.Client(page_size=page_size, delay_seconds=0, num_retries=num_retries)
    client.query_url_format = fake.api_url + "?{}"
    return client


def fetch(fake: FakeArxiv, **search: object) -> list[arxiv.Result]:
    client = client_for(fake, page_size=int(search.pop("page_size", 100)))  # type: ignore[call-overload]
    return list(client.results(arxiv.Search(**search)))  # type: ignore[arg-type]


# --- fake arXiv --------------------------------------------------------------------------------

def test_id_lookup_versioned_unversioned_and_old_style(arxiv_api: FakeArxiv) -> None:
    arxiv_api.add(FakePaper("2404.01234", title="First version"),
                  FakePaper("2404.01234", version=2, title="Second version",
                            updated=datetime(2024, 4, 20, tzinfo=UTC)),
                  FakePaper("hep-th/9901001", title="Strings", categories=["hep-th", "gr-qc"]))

    latest, = fetch(arxiv_api, id_list=["2404.01234"])
    assert latest.entry_id == "http://arxiv.org/abs/2404.01234v2"
    assert latest.title == "Second version"
    assert latest.pdf_url == f"{arxiv_api.url}/pdf/2404.01234v2"
    first, = fetch(arxiv_api, id_list=["2404.01234v1"])
    assert (first.title, first.updated) == ("First version", first.published)
    old, = fetch(arxiv_api, id_list=["hep-th/9901001"])
    assert old.get_short_id() == "hep-th/9901001v1"
    assert (old.primary_category, old.categories) == ("hep-th", ["hep-th", "gr-qc"])
    assert [r.title for r in fetch(arxiv_api, id_list=["hep-th/9901001", "2404.01234v1"])] == [
        "Strings", "First version"]
    assert fetch(arxiv_api, id_list=["2404.09999"]) == []
    assert fetch(arxiv_api, id_list=["2404.01234v3"]) == []


def test_feed_has_the_real_shape(arxiv_api: FakeArxiv) -> None:
    arxiv_api.add(FakePaper("quant-ph/0201082", title="Quantum C", comment="32 pages",
                            categories=["quant-ph", "cs.PL"], authors=["Stephen Blaha"]))
    ours = ET.fromstring(requests.get(arxiv_api.api_url,
                                      params={"id_list": "quant-ph/0201082v1"}, timeout=5).content)
    real_file = CORPUS / "id_quant-ph_0201082v1_s0_m100_86989fe779ef.xml"
    if not real_file.exists():
        pytest.skip("shared corpus not present")
    real = ET.fromstring(real_file.read_bytes())
    assert [c.tag for c in ours] == [c.tag for c in real]
    assert [c.tag for c in ours.find(ATOM + "entry")] == [c.tag for c in real.find(ATOM + "entry")]
    assert ours.find(ATOM + "entry/" + ATOM + "id").text == (
        "http://arxiv.org/abs/quant-ph/0201082v1")


def test_malformed_id_gets_400_with_error_entry(arxiv_api: FakeArxiv) -> None:
    response = requests.get(arxiv_api.api_url, params={"id_list": "abc"}, timeout=5)
    assert response.status_code == 400
    feed = ET.fromstring(response.content)
    entry = feed.find(ATOM + "entry")
    assert entry.find(ATOM + "summary").text == "incorrect id format for abc"
    assert entry.find(ATOM + "id").text == "https://arxiv.org/api/errors#incorrect_id_format_for_abc"
    with pytest.raises(arxiv.HTTPError):
        fetch(arxiv_api, id_list=["abc"])
    empty = ET.fromstring(requests.get(arxiv_api.api_url, params={"id_list": "0808.05394"},
                                       timeout=5).content)
    assert empty.find("{http://a9.com/-/spec/opensearch/1.1/}totalResults").text == "0"


def test_category_and_date_window_search_pages(arxiv_api: FakeArxiv) -> None:
    week = sample_papers(5, start=datetime(2024, 4, 8, 1, tzinfo=UTC), step=timedelta(days=1))
    for paper in reversed(week):  # insertion order differs from date order
        arxiv_api.add(paper)
    arxiv_api.add(FakePaper("2404.09001", categories=["cs.CL"]),  # other category
                  FakePaper("2404.09002", published=datetime(2024, 4, 15, 0, 0, tzinfo=UTC)))
    query = "(cat:cs.CV OR cat:cs.GR) AND submittedDate:[202404080000 TO 202404142359]"
    results = fetch(arxiv_api, query=query, max_results=None, page_size=2,
                    sort_by=arxiv.SortCriterion.SubmittedDate,
                    sort_order=arxiv.SortOrder.Ascending)
    assert [r.get_short_id() for r in results] == [p.versioned_id for p in week]
    pages = [(r.query["start"], r.query["max_results"]) for r in arxiv_api.requests]
    assert pages == [("0", "2"), ("2", "2"), ("4", "2")]
    assert arxiv_api.count("query") == 3


def test_query_grammar() -> None:
    paper = FakePaper("2404.00001", title="Controllable Video Diffusion",
                      abstract="We use a diffusion transformer (DiT).", categories=["cs.CV"])
    for query, expected in [
        ('ti:"video diffusion"', True), ('ti:"diffusion video"', False), ("abs:dit", True),
        ("all:controllable AND cat:cs.CV", True), ("cat:cs.CL OR ti:video", True),
        ("cat:cs.CV ANDNOT abs:transformer", False), ("cat:cs.*", True),
        ("(cat:cs.CL OR cat:cs.LG) AND ti:video", False),
        ("submittedDate:[202404081200 TO 202404081200]", True),
        ("submittedDate:[202404081201 TO 202404142359]", False),
    ]:
        assert parse_query(query)(paper) is expected, query


def test_pdf_download_opens_in_pypdf(arxiv_api: FakeArxiv) -> None:
    arxiv_api.add(FakePaper("2404.01234", title="Readable Paper"),
                  FakePaper("hep-th/9901001", title="Old Paper"))
    response = requests.get(arxiv_api.pdf_url.format(id="2404.01234v1"), timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert int(response.headers["Content-Length"]) == len(response.content)
    assert "Readable Paper" in pypdf.PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    old = requests.get(f"{arxiv_api.url}/pdf/hep-th/9901001v1.pdf", timeout=5)
    assert old.content.startswith(b"%PDF-")
    assert requests.get(arxiv_api.pdf_url.format(id="2404.99999"), timeout=5).status_code == 404
    assert [r.kind for r in arxiv_api.requests] == ["pdf"] * 3


def test_failure_injection(arxiv_api: FakeArxiv) -> None:
    paper = arxiv_api.add(FakePaper("2404.01234"))
    url = arxiv_api.pdf_url.format(id="2404.01234")
    full = paper.pdf_bytes()
    arxiv_api.fail_next("pdf", truncated(), cut_off(), slow(5))
    short = requests.get(url, timeout=5)
    assert short.status_code == 200 and len(short.content) == len(full) // 2
    with pytest.raises(pypdf.errors.PyPdfError):
        pypdf.PdfReader(io.BytesIO(short.content)).pages[0].extract_text()
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(url, timeout=5)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(url, timeout=0.2)
    assert requests.get(url, timeout=5).content == full

    paper.pdf = b"<html>captcha</html>"
    assert requests.get(url, timeout=5).content == b"<html>captcha</html>"

    client = client_for(arxiv_api, num_retries=1)
    arxiv_api.fail_next("query", unavailable())
    assert len(list(client.results(arxiv.Search(id_list=["2404.01234"])))) == 1  # 503, retried
    arxiv_api.fail_next("query", html_page())
    assert list(client.results(arxiv.Search(id_list=["2404.01234"]))) == []  # HTML with 200
    assert arxiv_api.count("query") == 3


# --- fake chat ---------------------------------------------------------------------------------

def summary_request(sections: list[str], fmt: str = "json_schema") -> dict[str, object]:
    response_format: dict[str, object] = {"type": fmt}
    if fmt == "json_schema":
        response_format["json_schema"] = {"name": "summary", "strict": True,
                                          "schema": summary_schema(sections)}
    return {"model": "fake-model", "response_format": response_format,
            "messages": [{"role": "system", "content": "Summarise the paper as JSON."},
                         {"role": "user", "content": "Title: Fast Diffusion\n\nAbstract: ..."}]}


def test_json_schema_request_gets_valid_summary(chat_api: FakeChat) -> None:
    client = openai.OpenAI(base_url=chat_api.base_url, api_key="x", max_retries=0)
    completion = client.chat.completions.create(**summary_request(["Diffusion", "LLM"]))
    content = completion.choices[0].message.content
    summary = Summary.model_validate_json(content, context={"sections": ["Diffusion", "LLM"]})
    assert summary.section == "Diffusion"
    assert "Fast Diffusion" in summary.objective
    assert completion.model == "fake-model" and completion.choices[0].finish_reason == "stop"
    assert completion.usage.prompt_tokens > 0 and completion.usage.completion_tokens > 0
    assert chat_api.requests[0]["response_format"]["type"] == "json_schema"
    assert [m.id for m in client.models.list()] == ["fake-model"]


def test_reply_queue_in_order(chat_api: FakeChat) -> None:
    client = openai.OpenAI(base_url=chat_api.base_url, api_key="x", max_retries=0)
    chat_api.reply({"a": 1}, "```json\n{}\n```", Completion('{"keyp', finish_reason="length"),
                   lambda request: None)
    answers = [client.chat.completions.create(**summary_request(["LLM"])).choices[0]
               for _ in range(4)]
    assert [a.message.content for a in answers[:3]] == ['{"a": 1}', "```json\n{}\n```", '{"keyp']
    assert answers[2].finish_reason == "length"
    assert Summary.model_validate_json(answers[3].message.content).section == "LLM"
    assert chat_api.pending == 0 and chat_api.calls == 4


def test_unsupported_format_is_rejected(chat_api: FakeChat) -> None:
    chat_api.accepts = {"json_object", "text"}
    client = openai.OpenAI(base_url=chat_api.base_url, api_key="x", max_retries=0)
    with pytest.raises(openai.BadRequestError, match="json_schema is not supported"):
        client.chat.completions.create(**summary_request(["LLM"]))
    answer = client.chat.completions.create(**summary_request(["LLM"], fmt="json_object"))
    assert Summary.model_validate_json(answer.choices[0].message.content).section == "LLM"


def test_default_section_without_schema() -> None:
    def request(prompt: str) -> dict[str, object]:
        return {"messages": [{"role": "system", "content": prompt}]}

    assert requested_sections(request("Sections: Diffusion, LLM")) == ["Diffusion", "LLM"]
    listed = "- section: one of:\n  - Video Generation (text-to-video)\n  - LLM\n"
    assert requested_sections(request(listed)) == ["Video Generation", "LLM"]
    assert requested_sections(summary_request(["B", "A"])) == ["B", "A"]


def test_rate_limit_is_retried_by_the_client(chat_api: FakeChat) -> None:
    chat_api.reply(rate_limited(retry_after=0.5))
    client = openai.OpenAI(base_url=chat_api.base_url, api_key="x", max_retries=1)
    started = time.monotonic()
    client.chat.completions.create(**summary_request(["LLM"]))
    assert time.monotonic() - started >= 0.45
    assert len(chat_api.requests) == 2


def test_max_in_flight_under_concurrency(chat_api: FakeChat) -> None:
    chat_api.latency = 0.3
    client = openai.OpenAI(base_url=chat_api.base_url, api_key="x", max_retries=0)
    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: client.chat.completions.create(**summary_request(["LLM"])),
                      range(8)))
    assert chat_api.max_in_flight == 4
    assert time.monotonic() - started < 8 * 0.3
    assert chat_api.calls == 8


# --- config fixture ----------------------------------------------------------------------------

def test_make_config_points_at_the_fakes(make_config, arxiv_api, chat_api, tmp_path) -> None:
    path = make_config({"model": {"concurrency": 2}}, weekly={"max_papers": 5})
    config = load_config(path)
    assert config.arxiv.api_url == arxiv_api.api_url
    assert config.arxiv.pdf_url.format(id="2404.01234v1").startswith(arxiv_api.url)
    assert (config.model.base_url, config.model.concurrency) == (chat_api.base_url, 2)
    assert config.weekly.max_papers == 5 and config.arxiv.delay_seconds == 0
    assert config.path(config.output.database).is_relative_to(tmp_path)
