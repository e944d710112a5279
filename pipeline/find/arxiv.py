"""arXiv metadata through the `arxiv` package, and PDFs downloaded by hand into a cache.

arxiv 4.x has no PDF download and no request timeout, and its retries ignore Retry-After. So
`ArxivSource` gives the client one `requests` session of its own making: every request has a
timeout, 429/5xx answers are retried with backoff that honours Retry-After, and the API and the
PDF downloads share one connection, one request at a time, as arXiv's terms ask.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import arxiv
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ..config import ArxivSettings
from ..errors import FetchError, PaperNotFoundError
from ..models import ArxivId, Paper, split_versioned

log = logging.getLogger(__name__)

USER_AGENT = "paperlist/0.1 (weekly paper digest; https://github.com/paperlist)"
_RETRY_STATUSES = (429, 500, 502, 503, 504)
_CHUNK = 64 * 1024
_TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


class _TimeoutAdapter(HTTPAdapter):
    """Supplies the timeout that the arxiv client never passes."""

    def __init__(self, timeout: float, retries: Retry) -> None:
        self.timeout = timeout
        super().__init__(max_retries=retries)

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


class NotAFeedError(requests.RequestException):
    """The API answered 200 with something that is not an Atom feed (an HTML error page)."""


def make_session(settings: ArxivSettings) -> requests.Session:
    """A session with a timeout and status retries; connection errors are left to the callers."""
    retries = Retry(
        total=None,
        connect=0,
        read=False,  # False re-raises a read timeout as itself, so it stays a Timeout
        other=0,
        redirect=5,
        status=settings.num_retries,
        status_forcelist=_RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD"}),
        backoff_factor=settings.delay_seconds,
        backoff_max=settings.max_retry_after,
        respect_retry_after_header=True,
        retry_after_max=int(settings.max_retry_after),
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = _TimeoutAdapter(settings.timeout, retries)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def _feed_check(api_url: str) -> Any:
    """A response hook: arxiv reads an HTML page served with 200 as 'no results'."""

    def check(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if not response.url.startswith(api_url) or response.status_code != 200:
            return
        if b"<feed" not in response.content[:2048]:
            kind = response.headers.get("Content-Type", "unknown content")
            raise NotAFeedError(f"the export API answered with {kind}, not an Atom feed",
                                response=response)

    return check


class ArxivSource:
    """Looks papers up, searches a date window, and downloads PDFs into the cache."""

    def __init__(
        self,
        settings: ArxivSettings,
        cache_dir: Path,
        *,
        session: requests.Session | None = None,
    ) -> None:
        self.settings = settings
        self.pdf_dir = cache_dir / "pdf"
        self.session = session or make_session(settings)
        self.client = arxiv.Client(
            page_size=settings.page_size,
            delay_seconds=settings.delay_seconds,
            num_retries=settings.num_retries,
        )
        self.client.query_url_format = settings.api_url + "?{}"
        self.session.hooks["response"].append(_feed_check(settings.api_url))
        self.client._session = self.session  # private, hence arxiv<5 in pyproject
        self.downloads = 0
        self._last_download = 0.0

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> ArxivSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- metadata ---------------------------------------------------------------------------

    def lookup(self, paper_id: ArxivId) -> Paper:
        """The paper's metadata; the latest version unless the id names one."""
        results = self._results(arxiv.Search(id_list=[paper_id.versioned]), str(paper_id))
        if not results:
            raise PaperNotFoundError("arXiv has no paper with this id", paper_id=str(paper_id))
        return results[0]

    def search(self, query: str, *, max_results: int | None = None) -> list[Paper]:
        """Every paper matching an export-API query, newest submission first."""
        search = arxiv.Search(
            query=query,
            max_results=max_results,
            sort_by=arxiv.SortCriterion.SubmittedDate,
            sort_order=arxiv.SortOrder.Descending,
        )
        return self._results(search, "search")

    def _results(self, search: arxiv.Search, what: str) -> list[Paper]:
        # The whole list is built here: a later empty page raises after earlier pages were
        # yielded, and a half-read query must not pass for a complete week.
        try:
            return [paper for paper in _papers(self.client.results(search))]
        except arxiv.HTTPError as exc:
            raise FetchError(f"the arXiv export API answered HTTP {exc.status}",
                             paper_id=what) from exc
        except arxiv.UnexpectedEmptyPageError as exc:
            raise FetchError("the arXiv export API kept returning an empty page",
                             paper_id=what) from exc
        except NotAFeedError as exc:
            raise FetchError(str(exc), paper_id=what) from exc
        except requests.Timeout as exc:
            raise FetchError(f"the arXiv export API did not answer within "
                             f"{self.settings.timeout:g} s", paper_id=what) from exc
        except requests.RequestException as exc:
            raise FetchError(f"cannot reach the arXiv export API: {_reason(exc)}",
                             paper_id=what) from exc

    # -- PDFs -------------------------------------------------------------------------------

    def pdf_path(self, paper_id: str, version: int) -> Path:
        return self.pdf_dir / f"{paper_id.replace('/', '_')}v{version}.pdf"

    def cached_pdf(self, paper_id: str, version: int) -> Path | None:
        path = self.pdf_path(paper_id, version)
        try:
            with path.open("rb") as handle:
                return path if _looks_like_pdf(handle.read(1024)) else None
        except OSError:
            return None

    def download(self, paper_id: str, version: int) -> Path:
        """The PDF of one version, from the cache when it is there, else streamed from arXiv."""
        cached = self.cached_pdf(paper_id, version)
        if cached:
            log.debug("%sv%d: PDF cache hit", paper_id, version)
            return cached
        label = f"{paper_id}v{version}"
        url = self.settings.pdf_url.format(id=label)
        for attempt in range(self.settings.num_retries + 1):
            self._pace()
            try:
                path = self._stream(url, self.pdf_path(paper_id, version), label)
            except _TRANSIENT as exc:
                if attempt == self.settings.num_retries:
                    raise FetchError(f"cannot download the PDF from {url}: {_reason(exc)}",
                                     paper_id=label) from exc
                log.info("%s: download failed (%s); retrying", label, _reason(exc))
                continue
            self.downloads += 1
            return path
        raise AssertionError("unreachable")

    def _pace(self) -> None:
        wait = self._last_download + self.settings.download_delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last_download = time.monotonic()

    def _stream(self, url: str, target: Path, label: str) -> Path:
        cap = int(self.settings.max_pdf_mb * 1024 * 1024)
        with self.session.get(url, stream=True) as response:
            if response.status_code == 404:
                raise FetchError(f"arXiv has no PDF at {url} (HTTP 404)", paper_id=label)
            if response.status_code != 200:
                raise FetchError(f"the PDF download answered HTTP {response.status_code}",
                                 paper_id=label)
            declared = int(response.headers.get("Content-Length") or 0)
            if declared > cap:
                raise FetchError(f"the PDF is {declared / 2**20:.0f} MB, over the "
                                 f"{self.settings.max_pdf_mb:g} MB cap", paper_id=label)
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=target.parent, suffix=".part")
            try:
                with os.fdopen(handle, "wb") as out:
                    size = 0
                    head = b""
                    tail = b""
                    for chunk in response.iter_content(_CHUNK):
                        if not head:
                            head = chunk[:1024]
                            if not _looks_like_pdf(head):
                                kind = response.headers.get("Content-Type", "unknown")
                                raise FetchError(f"the download is not a PDF (got {kind})",
                                                 paper_id=label)
                        size += len(chunk)
                        if size > cap:
                            raise FetchError(f"the PDF is over the {self.settings.max_pdf_mb:g}"
                                             " MB cap", paper_id=label)
                        tail = (tail + chunk)[-2048:]
                        out.write(chunk)
                if not head:
                    raise FetchError("the download is empty", paper_id=label)
                if b"%%EOF" not in tail:
                    raise FetchError("the PDF is truncated (no %%EOF marker)", paper_id=label)
                os.replace(temp, target)
            finally:
                if os.path.exists(temp):
                    os.unlink(temp)
        log.info("%s: downloaded %d bytes", label, size)
        return target


def _papers(results: Iterator[arxiv.Result]) -> Iterator[Paper]:
    for result in results:
        if "/api/errors" in result.entry_id:
            raise FetchError(f"arXiv refused the query: {result.summary.strip()}")
        yield paper_from_result(result)


def paper_from_result(result: arxiv.Result) -> Paper:
    arxiv_id = split_versioned(result.entry_id)
    return Paper(
        id=arxiv_id.base,
        version=arxiv_id.version or 1,
        title=_one_line(result.title),
        abstract=_one_line(result.summary),
        authors=tuple(author.name for author in result.authors),
        categories=tuple(result.categories),
        primary_category=result.primary_category or "",
        published=result.published,
        updated=result.updated,
        comment=_one_line(result.comment or ""),
    )


def _looks_like_pdf(head: bytes) -> bool:
    return b"%PDF-" in head[:1024]


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _reason(exc: BaseException) -> str:
    """The innermost cause, without urllib3's pool and object reprs."""
    text = str(exc)
    match = re.search(r"\] ([^')\]]+)", text) or re.search(r"\(Caused by \w+\('?([^)']+)", text)
    return (match.group(1) if match else text).strip()[:200]
