"""Which monthly list an approved entry goes to: the month its paper's week belongs to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from .writer import PublishItem


def week_month(day: date) -> str:
    """YYYYMM of the month a day's week belongs to: the month of the week's Thursday, the rule
    ISO 8601 uses to put a week in a year (2024-W18, Apr 29 - May 5, is May's)."""
    return (day + timedelta(days=3 - day.weekday())).strftime("%Y%m")


def by_month(items: Sequence[PublishItem], month: str | None = None,
             today: date | None = None) -> list[tuple[str, list[PublishItem]]]:
    """Items grouped by the monthly list they go to, oldest month first: `month` for all of
    them when given, else the month of each paper's week (this week's for an item with no
    day)."""
    groups: dict[str, list[PublishItem]] = {}
    for item in items:
        key = month or week_month(item.day or today or date.today())
        groups.setdefault(key, []).append(item)
    return sorted(groups.items())
