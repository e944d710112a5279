"""A fake Hugging Face Daily Papers endpoint: `GET /api/daily_papers?date=YYYY-MM-DD`.

Answers a JSON list shaped like the public endpoint's (and like ../shared/weeks/hf-daily):
`[{"paper": {"id", "title", "summary", "authors": [{"name"}], "upvotes"?}, "title",
"publishedAt"}]`; a day with nothing featured answers `[]`.

    daily.feature("2024-04-10", FakePaper(...), upvotes=12)   # or a raw item dict
    daily.fail_next(unavailable(), garbage())                 # the next requests, in order
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import date
from typing import Any

from .arxiv_api import FakePaper
from .http import FakeResponse, FakeServer, Injected, Request, resolve

JSON = "application/json; charset=utf-8"


def daily_item(paper: FakePaper, day: str, upvotes: int | None = None) -> dict[str, Any]:
    """One featured paper as the endpoint lists it (upvotes left out when None)."""
    item: dict[str, Any] = {"id": paper.id, "title": paper.title, "summary": paper.abstract,
                            "authors": [{"name": name} for name in paper.authors]}
    if upvotes is not None:
        item["upvotes"] = upvotes
    return {"paper": item, "title": paper.title, "publishedAt": f"{day}T00:00:00.000Z"}


class FakeDailyPapers(FakeServer):
    """`start()`, point `rank.hf_daily_url` at `api_url`, then `feature(...)` papers."""

    def __init__(self, days: dict[str, list[dict[str, Any]]] | None = None) -> None:
        super().__init__()
        self.days: dict[str, list[dict[str, Any]]] = {k: list(v) for k, v in
                                                     (days or {}).items()}
        self._failures: deque[Injected] = deque()
        self._data_lock = threading.Lock()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/daily_papers"

    def feature(self, day: str | date, *papers: FakePaper | dict[str, Any],
                upvotes: int | None = None) -> None:
        """List papers (FakePaper, or an item dict sent as is) on a day's page."""
        key = day.isoformat() if isinstance(day, date) else day
        with self._data_lock:
            self.days.setdefault(key, []).extend(
                p if isinstance(p, dict) else daily_item(p, key, upvotes) for p in papers)

    def fail_next(self, *responses: Injected) -> None:
        """Answer the next requests with `responses`, in order (FakeResponse or Mutate)."""
        with self._data_lock:
            self._failures.extend(responses)

    def dates(self) -> list[str]:
        """The `date` of every request so far, in order."""
        return [r.query.get("date", "") for r in self.log if r.kind == "daily"]

    def handle(self, request: Request) -> FakeResponse:
        if request.path.rstrip("/") != "/api/daily_papers":
            self.record("other", request)
            return FakeResponse(404, {"error": "Not Found"}, {"Content-Type": JSON})
        self.record("daily", request)
        with self._data_lock:
            injected = self._failures.popleft() if self._failures else None
        if injected is not None:
            return resolve(injected, lambda: self._answer(request))
        return self._answer(request)

    def _answer(self, request: Request) -> FakeResponse:
        day = request.query.get("date", "")
        try:
            date.fromisoformat(day)
        except ValueError:
            return FakeResponse(400, {"error": f"invalid date {day!r}"}, {"Content-Type": JSON})
        with self._data_lock:
            items = list(self.days.get(day, []))
        return FakeResponse(200, items, {"Content-Type": JSON})

