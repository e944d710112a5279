"""Hugging Face Daily Papers: which arXiv papers the community featured, on which days.

`GET <rank.hf_daily_url>?date=YYYY-MM-DD` answers a JSON list of
`{"paper": {"id", "title", "summary", "upvotes", ...}, "publishedAt", ...}`. The installed
libraries offer no client for it (huggingface_hub is not a dependency, and its endpoint setting
is a host, not this URL), so this is `requests` with a timeout per request and urllib3 retries
of connection errors, timeouts, 429 and 5xx (honouring Retry-After). Nothing in an answer is
trusted: an answer that is not a JSON list of objects is an error, an item without a usable
arXiv id is skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ..errors import FetchError, UsageError
from ..models import ArxivId
from .window import Window

log = logging.getLogger(__name__)

USER_AGENT = "paperlist/0.1 (weekly paper digest; https://github.com/paperlist)"
_RETRY_STATUSES = (429, 500, 502, 503, 504)
_MAX_RETRY_AFTER = 60  # seconds; a longer Retry-After is cut to this
_MAX_BYTES = 20 * 2**20  # a day's answer is about 50 kB; more than this is not a Daily Papers page


class DailyPapersError(FetchError):
    """Daily Papers could not be read: unreachable, an HTTP error after the retries, or an
    answer that is not the list it should be. The caller ranks without the signal."""


@dataclass(frozen=True)
class Featured:
    """A paper Daily Papers featured: the days it was on the page and its upvotes (None when
    the answer did not say)."""

    paper_id: str
    days: tuple[date, ...]
    upvotes: int | None = None


def feature_days(window: Window, days_after: int, today: date) -> list[date]:
    """The days whose Daily Papers count for a submission window: the window's own days and
    `days_after` more (a paper is featured a day or more after arXiv announces it, which is a
    day or more after its submission), none after `today`, which has no page yet."""
    last = min(window.last + timedelta(days=days_after), today)
    return [window.first + timedelta(days=n) for n in range((last - window.first).days + 1)]


class DailyPapers:
    """A client of the Daily Papers endpoint; one session, closed with the client."""

    def __init__(self, url: str, *, timeout: float, retries: int,
                 session: requests.Session | None = None) -> None:
        self.url = url
        self.timeout = timeout
        self.session = session or _session(retries)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> DailyPapers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def featured(self, days: Iterable[date]) -> dict[str, Featured]:
        """Every paper featured on any of `days`, by arXiv id (without version). The first day
        that cannot be read ends the lot with DailyPapersError: a partial answer would make
        the papers of the missing days look unfeatured. So does an answer of no paper on any
        day: the page features papers every day, weekends included (April 2024: 2 to 15 a
        day), so an empty week means the endpoint changed, not that nothing was featured."""
        found: dict[str, Featured] = {}
        days = list(days)
        for day in days:
            for paper_id, upvotes in self.day(day):
                seen = found.get(paper_id)
                if seen is None:
                    found[paper_id] = Featured(paper_id, (day,), upvotes)
                    continue
                votes = max((v for v in (seen.upvotes, upvotes) if v is not None), default=None)
                found[paper_id] = Featured(paper_id, (*seen.days, day), votes)
        if days and not found:
            raise DailyPapersError(f"Daily Papers listed no paper on any day from {days[0]} "
                                   f"to {days[-1]}")
        return found

    def day(self, day: date) -> list[tuple[str, int | None]]:
        """The (arXiv id, upvotes) pairs of one day's page; DailyPapersError when it cannot
        be read."""
        what = f"Daily Papers of {day.isoformat()}"
        try:
            response = self.session.get(self.url, params={"date": day.isoformat()},
                                        timeout=self.timeout)
        except requests.RequestException as exc:
            reason = _reason(exc)
            if reason == "timed out":
                reason = f"no answer within {self.timeout:g} s"
            raise DailyPapersError(f"cannot read the {what} at {self.url}: {reason}") from exc
        with response:
            if response.status_code != 200:
                raise DailyPapersError(f"the {what} answered HTTP {response.status_code}")
            if len(response.content) > _MAX_BYTES:
                raise DailyPapersError(f"the {what} answered {len(response.content)} bytes, "
                                       "more than a day's page can hold")
            try:
                data = response.json()
            except ValueError:
                kind = response.headers.get("Content-Type", "unknown content")
                raise DailyPapersError(f"the {what} is not JSON (got {kind})") from None
        return parse_day(data, what)


def parse_day(data: Any, what: str = "Daily Papers") -> list[tuple[str, int | None]]:
    """The (arXiv id, upvotes) pairs of one answer: a list of objects whose `paper` holds an
    arXiv `id`. Items without one are skipped (and logged); anything else is an error."""
    if not isinstance(data, list):
        raise DailyPapersError(f"the {what} is not a JSON list (got {type(data).__name__})")
    pairs: list[tuple[str, int | None]] = []
    skipped = 0
    for item in data:
        paper = item.get("paper") if isinstance(item, dict) else None
        raw_id = paper.get("id") if isinstance(paper, dict) else None
        try:
            arxiv_id = ArxivId.parse(raw_id) if isinstance(raw_id, str) else None
        except UsageError:
            arxiv_id = None
        if arxiv_id is None or paper is None:
            skipped += 1
            continue
        votes = paper.get("upvotes")
        upvotes = votes if isinstance(votes, int) and not isinstance(votes, bool) \
            and votes >= 0 else None
        pairs.append((arxiv_id.base, upvotes))
    if skipped:
        log.warning("%s: skipped %d of %d items without a usable paper.id", what, skipped,
                    len(data))
        if not pairs:
            raise DailyPapersError(f"the {what} holds {skipped} items and none names an "
                                   "arXiv paper")
    return pairs


def _session(retries: int) -> requests.Session:
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        redirect=5,
        status_forcelist=_RETRY_STATUSES,
        allowed_methods=frozenset({"GET"}),
        backoff_factor=1.0,
        backoff_max=_MAX_RETRY_AFTER,
        respect_retry_after_header=True,
        retry_after_max=_MAX_RETRY_AFTER,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    session.headers["Accept"] = "application/json"
    return session


def _reason(exc: BaseException) -> str:
    """The innermost cause of a requests error, without urllib3's pool and object reprs."""
    cause: BaseException = exc
    for _ in range(8):  # requests -> urllib3 MaxRetryError -> NewConnectionError -> OSError
        first = cause.args[0] if cause.args else None
        inner = getattr(cause, "reason", None) or cause.__cause__ or first
        if not isinstance(inner, BaseException):
            break
        cause = inner
    if isinstance(cause, TimeoutError | requests.Timeout):
        return "timed out"
    text = str(cause)
    return (text.split(": ", 1)[-1] if "object at 0x" in text else text).strip()[:200]
