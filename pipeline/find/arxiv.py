"""The arXiv export API and PDF downloads, trusting nothing that comes back.

Every answer is checked for what it must be, whatever URL it finally came from: an API page is
whole, well-formed Atom with its `totalResults` and as many entries as that promises (`feed`),
a PDF starts with `%PDF-`, ends with `%%EOF` and stays under the size cap. Redirects are
followed only to the hosts of `arxiv.api_url` and `arxiv.pdf_url`. Every request has an
overall deadline (`transport`), not only a per-read timeout. There is one retry layer, here:
a failed API request is tried again up to `arxiv.num_retries` times, after its Retry-After (at
most `arxiv.max_retry_after`) or a doubling backoff, within `arxiv.query_budget` seconds per
query; past that the source is unavailable (`SourceUnavailableError`, exit code 4). An entry
that cannot be read is skipped, and said in `warnings` for the run to record.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from ..config import ArxivSettings
from ..errors import FetchError, PaperNotFoundError, SourceUnavailableError
from ..models import ArxivId, Paper
from .feed import BadPage, Page, RefusedQuery, parse_page
from .transport import (
    TRANSIENT,
    DeadlineExceeded,
    RedirectRefused,
    RequestFailed,
    host_key,
    open_url,
    read_body,
    read_chunks,
    reason,
    retry_after,
)

log = logging.getLogger(__name__)

USER_AGENT = "paperlist/0.1 (weekly paper digest; https://github.com/paperlist)"
RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_PAGE_BYTES = 64 * 2**20  # 2,000 entries (arXiv's largest page) are about 5 MB


def make_session() -> requests.Session:
    """A plain session: the retries, timeouts and redirects are all handled by ArxivSource."""
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session


class ArxivSource:
    """Looks papers up, searches a date window, and downloads PDFs into the cache.

    One request at a time (arXiv's terms): API requests `delay_seconds` apart, downloads
    `download_delay` apart. Not thread-safe.
    """

    def __init__(
        self,
        settings: ArxivSettings,
        cache_dir: Path,
        *,
        session: requests.Session | None = None,
    ) -> None:
        self.settings = settings
        self.pdf_dir = cache_dir / "pdf"
        self.session = session or make_session()
        self.hosts = frozenset({host_key(settings.api_url),
                                host_key(settings.pdf_url.format(id="0000.00000"))})
        self.downloads = 0
        self.warnings: list[str] = []  # entries skipped since the last take_warnings()
        self._last_api = -float("inf")
        self._last_download = -float("inf")

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> ArxivSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def take_warnings(self) -> list[str]:
        """The warnings gathered so far (skipped entries), emptied: a run records them."""
        taken, self.warnings = self.warnings, []
        return taken

    # -- metadata ---------------------------------------------------------------------------

    def lookup(self, paper_id: ArxivId) -> Paper:
        """The paper's metadata; the latest version unless the id names one.

        Raises PaperNotFoundError when arXiv does not know it, FetchError when arXiv refuses
        the query, SourceUnavailableError when the API cannot be reached or keeps failing."""
        papers = self._query({"id_list": paper_id.versioned}, str(paper_id), limit=1)
        if not papers:
            raise PaperNotFoundError("arXiv has no paper with this id", paper_id=str(paper_id))
        return papers[0]

    def search(self, query: str, *, max_results: int | None = None) -> list[Paper]:
        """Every paper matching an export-API query (at most `max_results`), newest
        submission first; the same errors as `lookup`. Entries that cannot be read are
        skipped and added to `warnings`."""
        params = {"search_query": query, "sortBy": "submittedDate", "sortOrder": "descending"}
        return self._query(params, None, limit=max_results)

    def _query(self, params: dict[str, Any], what: str | None, limit: int | None) -> list[Paper]:
        papers: list[Paper] = []
        start = 0
        while limit is None or start < limit:
            size = self.settings.page_size if limit is None else min(self.settings.page_size,
                                                                     limit - start)
            page = self._page({**params, "start": start, "max_results": size}, what)
            for message in page.skipped:
                self._warn(f"{what}: {message}" if what else message)
            papers += page.papers
            start += page.entries
            if start >= page.total or page.entries < size:
                break
        return papers

    def _warn(self, message: str) -> None:
        log.warning("arXiv: %s", message)
        self.warnings.append(message)

    def _page(self, params: dict[str, Any], what: str | None) -> Page:
        """One page, asked again until it is whole, or SourceUnavailableError."""
        budget_end = time.monotonic() + self.settings.query_budget
        attempts = self.settings.num_retries + 1
        for attempt in range(1, attempts + 1):
            self._last_api = _pace(self._last_api, self.settings.delay_seconds)
            try:
                return self._fetch_page(params, what, budget_end)
            except RequestFailed as exc:
                failure = exc
            wait = (min(failure.retry_after, self.settings.max_retry_after)
                    if failure.retry_after is not None
                    else self.settings.delay_seconds * 2 ** (attempt - 1))
            if attempt == attempts:
                raise SourceUnavailableError(f"the arXiv export API failed {attempts} time"
                                             f"{'s' if attempts > 1 else ''}: {failure.reason}",
                                             paper_id=what)
            if time.monotonic() + wait >= budget_end:
                raise SourceUnavailableError(
                    f"the arXiv export API kept failing for arxiv.query_budget "
                    f"({self.settings.query_budget:g} s): {failure.reason}", paper_id=what)
            log.info("arXiv API: %s; trying again in %.1f s", failure.reason, wait)
            time.sleep(wait)
        raise AssertionError("unreachable")

    def _fetch_page(self, params: dict[str, Any], what: str | None, budget_end: float) -> Page:
        timeout = self.settings.timeout
        deadline = min(time.monotonic() + timeout, budget_end)
        try:
            response = open_url(self.session, self.settings.api_url, params=params,
                                allowed_hosts=self.hosts, deadline=deadline,
                                read_timeout=timeout)
            with response:
                body = read_body(response, deadline, MAX_PAGE_BYTES)
        except DeadlineExceeded as exc:
            raise RequestFailed(f"no whole answer within {timeout:g} s (arxiv.timeout)") from exc
        except RedirectRefused as exc:
            raise SourceUnavailableError(f"the arXiv export API was {exc}",
                                         paper_id=what) from None
        except requests.Timeout as exc:
            raise RequestFailed(f"no answer within {timeout:g} s (arxiv.timeout)") from exc
        except TRANSIENT as exc:
            raise RequestFailed(f"cannot reach the arXiv export API: {reason(exc)}") from exc
        status = response.status_code
        if status in RETRY_STATUSES:
            raise RequestFailed(f"HTTP {status}", retry_after=retry_after(response))
        try:
            page = parse_page(body)
        except RefusedQuery as exc:
            raise FetchError(f"arXiv refused the query: {exc}", paper_id=what) from None
        except BadPage as exc:
            if status != 200:
                raise FetchError(f"the arXiv export API answered HTTP {status}",
                                 paper_id=what) from None
            kind = response.headers.get("Content-Type", "no content type")
            raise RequestFailed(f"the answer ({kind}) is {exc}") from None
        if status != 200:
            raise FetchError(f"the arXiv export API answered HTTP {status}", paper_id=what)
        start, size = int(params["start"]), int(params["max_results"])
        expected = max(0, min(size, page.total - start))
        if page.entries < expected:
            raise RequestFailed(f"a page with {page.entries} of the {expected} entries that "
                                f"its totalResults ({page.total}) promises")
        return page

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
        """The PDF of one version, from the cache when it is there, else streamed from
        `arxiv.pdf_url`; FetchError (for this paper only) when it cannot be had."""
        cached = self.cached_pdf(paper_id, version)
        if cached:
            log.debug("%sv%d: PDF cache hit", paper_id, version)
            return cached
        label = f"{paper_id}v{version}"
        url = self.settings.pdf_url.format(id=label)
        attempts = self.settings.num_retries + 1
        for attempt in range(1, attempts + 1):
            self._last_download = _pace(self._last_download, self.settings.download_delay)
            try:
                path = self._stream(url, self.pdf_path(paper_id, version), label)
            except RequestFailed as exc:
                if attempt == attempts:
                    raise FetchError(f"cannot download the PDF from {url}: {exc.reason}",
                                     paper_id=label) from exc
                log.info("%s: download failed (%s); retrying", label, exc.reason)
                if exc.retry_after:
                    time.sleep(min(exc.retry_after, self.settings.max_retry_after))
                continue
            self.downloads += 1
            return path
        raise AssertionError("unreachable")

    def _stream(self, url: str, target: Path, label: str) -> Path:
        timeout = self.settings.download_timeout
        deadline = time.monotonic() + timeout
        try:
            response = open_url(self.session, url, params=None, allowed_hosts=self.hosts,
                                deadline=deadline, read_timeout=self.settings.timeout)
            with response:
                size = self._save(response, target, label, deadline)
        except DeadlineExceeded as exc:
            raise RequestFailed(f"not downloaded within {timeout:g} s "
                                "(arxiv.download_timeout)") from exc
        except RedirectRefused as exc:
            raise FetchError(f"the PDF download was {exc}", paper_id=label) from None
        except requests.Timeout as exc:
            raise RequestFailed(f"no answer within {self.settings.timeout:g} s") from exc
        except TRANSIENT as exc:
            raise RequestFailed(reason(exc)) from exc
        log.info("%s: downloaded %d bytes", label, size)
        return target

    def _save(self, response: requests.Response, target: Path, label: str,
              deadline: float) -> int:
        """The checked body written to `target` (atomically); its size."""
        status = response.status_code
        if status in RETRY_STATUSES:
            raise RequestFailed(f"HTTP {status}", retry_after=retry_after(response))
        if status == 404:
            raise FetchError(f"arXiv has no PDF at {response.url} (HTTP 404)", paper_id=label)
        if status != 200:
            raise FetchError(f"the PDF download answered HTTP {status}", paper_id=label)
        cap = int(self.settings.max_pdf_mb * 1024 * 1024)
        declared = int(response.headers.get("Content-Length") or 0)
        if declared > cap:
            raise FetchError(f"the PDF is {declared / 2**20:.0f} MB, over the "
                             f"{self.settings.max_pdf_mb:g} MB cap", paper_id=label)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=target.parent, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                size = 0
                head = tail = b""
                for chunk in read_chunks(response, deadline):
                    if len(head) < 1024:
                        head = (head + chunk)[:1024]
                        if len(head) == 1024:
                            _check_head(head, response, label)
                    size += len(chunk)
                    if size > cap:
                        raise FetchError(f"the PDF is over the {self.settings.max_pdf_mb:g}"
                                         " MB cap", paper_id=label)
                    tail = (tail + chunk)[-2048:]
                    out.write(chunk)
            if not head:
                raise FetchError("the download is empty", paper_id=label)
            _check_head(head, response, label)
            if b"%%EOF" not in tail:
                raise FetchError("the PDF is truncated (no %%EOF marker)", paper_id=label)
            os.replace(temp, target)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
        return size


def _pace(last: float, delay: float) -> float:
    """Sleep until `delay` seconds after `last`; the new time of the last request."""
    wait = last + delay - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    return time.monotonic()


def _check_head(head: bytes, response: requests.Response, label: str) -> None:
    if not _looks_like_pdf(head):
        kind = response.headers.get("Content-Type", "unknown")
        raise FetchError(f"the download is not a PDF (got {kind})", paper_id=label)


def _looks_like_pdf(head: bytes) -> bool:
    return b"%PDF-" in head[:1024]
