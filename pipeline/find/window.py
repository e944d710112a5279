"""The submission window a run covers: an ISO week or explicit dates, in GMT as arXiv's
submittedDate uses them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from ..errors import UsageError


@dataclass(frozen=True)
class Window:
    """Submission dates, inclusive, in GMT as arXiv's submittedDate uses."""

    first: date
    last: date

    @property
    def label(self) -> str:
        iso = self.first.isocalendar()
        if self.first.weekday() == 0 and self.last == self.first + timedelta(days=6):
            return f"{iso.year}-W{iso.week:02d}"
        return f"{self.first.isoformat()}..{self.last.isoformat()}"

    def query(self) -> str:
        return (f"submittedDate:[{self.first:%Y%m%d}0000 TO {self.last:%Y%m%d}2359]")

    def contains(self, moment: datetime | None) -> bool:
        if moment is None:
            return True
        start = datetime.combine(self.first, time.min, UTC)
        end = datetime.combine(self.last, time.max, UTC)
        return start <= moment.astimezone(UTC) <= end


def last_complete_week(today: date) -> Window:
    monday = today - timedelta(days=today.weekday() + 7)
    return Window(monday, monday + timedelta(days=6))


def parse_week(text: str) -> Window:
    match = re.fullmatch(r"(\d{4})-?W(\d{1,2})", text.strip(), re.I)
    if not match:
        raise UsageError(f"--week {text!r}: expected an ISO week such as 2024-W15")
    try:
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise UsageError(f"--week {text!r}: {match[1]} has no week {match[2]}") from None
    return Window(monday, monday + timedelta(days=6))


def window_between(since: date, until: date) -> Window:
    if until < since:
        raise UsageError(f"--until {until} is before --since {since}")
    return Window(since, until)
