"""Fake arXiv, chat-completions and Daily Papers servers on 127.0.0.1 for the test suite.

`tests/conftest.py` puts `tests/` on sys.path, so tests write `from fakes import FakeArxiv`.
"""

from .arxiv_api import FakeArxiv, FakePaper, QueryError, parse_query, sample_papers, split_id
from .chat_api import (
    Completion,
    FakeChat,
    asked_fields,
    chat_error,
    citing,
    default_summary,
    preflight_answer,
    requested_sections,
)
from .daily_papers import FakeDailyPapers, daily_item
from .http import (
    FakeResponse,
    FakeServer,
    Logged,
    Mutate,
    cut_off,
    dripping,
    dripping_head,
    garbage,
    html_page,
    rate_limited,
    redirect,
    server_error,
    slow,
    truncated,
    unavailable,
)

__all__ = [
    "asked_fields",
    "Completion",
    "FakeArxiv",
    "FakeChat",
    "FakeDailyPapers",
    "FakePaper",
    "FakeResponse",
    "FakeServer",
    "Logged",
    "Mutate",
    "QueryError",
    "chat_error",
    "citing",
    "cut_off",
    "daily_item",
    "dripping",
    "dripping_head",
    "default_summary",
    "garbage",
    "html_page",
    "preflight_answer",
    "parse_query",
    "rate_limited",
    "redirect",
    "requested_sections",
    "sample_papers",
    "server_error",
    "slow",
    "split_id",
    "truncated",
    "unavailable",
]
