"""The review page's fixtures (tests/web_fixtures.py): a seeded week and a served page."""

from web_fixtures import serving, web_week

__all__ = ["serving", "web_week"]
