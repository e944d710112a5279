"""The Daily Papers client against a fake endpoint on 127.0.0.1: answers, retries, and every
way an answer can be unusable."""

from __future__ import annotations

from datetime import date

import pytest
from fakes import (
    FakeDailyPapers,
    FakePaper,
    FakeResponse,
    garbage,
    html_page,
    server_error,
    slow,
    unavailable,
)

from pipeline.find.daily_papers import DailyPapers, DailyPapersError, feature_days, parse_day
from pipeline.find.window import Window

DAYS = [date(2024, 4, 10), date(2024, 4, 11)]


def paper(paper_id: str) -> FakePaper:
    return FakePaper(paper_id, title=f"Paper {paper_id}")


def client(daily_api: FakeDailyPapers, retries: int = 1) -> DailyPapers:
    return DailyPapers(daily_api.api_url, timeout=10, retries=retries)


def test_featured_papers_by_id_with_days_and_the_most_upvotes(
        daily_api: FakeDailyPapers) -> None:
    daily_api.feature("2024-04-10", paper("2404.00001"), upvotes=3)
    daily_api.feature("2024-04-10", paper("2404.00002"))
    daily_api.feature("2024-04-11", paper("2404.00001"), upvotes=12)
    with client(daily_api) as daily:
        found = daily.featured(DAYS)
    assert set(found) == {"2404.00001", "2404.00002"}
    assert found["2404.00001"].days == tuple(DAYS)
    assert found["2404.00001"].upvotes == 12
    assert found["2404.00002"].upvotes is None
    assert daily_api.dates() == ["2024-04-10", "2024-04-11"]


def test_a_failing_day_is_retried(daily_api: FakeDailyPapers) -> None:
    daily_api.feature("2024-04-10", paper("2404.00001"))
    daily_api.fail_next(unavailable(retry_after=0))
    with client(daily_api, retries=1) as daily:
        assert set(daily.featured(DAYS[:1])) == {"2404.00001"}
    assert daily_api.dates() == ["2024-04-10", "2024-04-10"]


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (server_error(502), "the Daily Papers of 2024-04-10 answered HTTP 502"),
        (FakeResponse(404, "Not Found"), "the Daily Papers of 2024-04-10 answered HTTP 404"),
        (html_page(), "the Daily Papers of 2024-04-10 is not JSON (got text/html; "
                      "charset=utf-8)"),
        (garbage(), "the Daily Papers of 2024-04-10 is not JSON (got application/json; "
                    "charset=utf-8)"),
        (FakeResponse(200, {"papers": []}), "the Daily Papers of 2024-04-10 is not a JSON list "
                                            "(got dict)"),
        (FakeResponse(200, [{"paper": {"id": "not an id"}}, 7]),
         "the Daily Papers of 2024-04-10 holds 2 items and none names an arXiv paper"),
    ],
)
def test_an_unusable_answer_is_an_error_that_says_what_was_wrong(
        daily_api: FakeDailyPapers, failure: object, message: str) -> None:
    daily_api.fail_next(failure, failure)  # type: ignore[arg-type]
    with client(daily_api) as daily, pytest.raises(DailyPapersError) as caught:
        daily.featured(DAYS)
    assert caught.value.message == message
    assert daily_api.dates()[-1] == "2024-04-10"  # the days after a failure are not asked for


def test_an_unreachable_endpoint_is_an_error_naming_it() -> None:
    with FakeDailyPapers() as gone:
        url = gone.api_url
    with DailyPapers(url, timeout=5, retries=0) as daily, \
            pytest.raises(DailyPapersError) as caught:
        daily.featured(DAYS)
    assert caught.value.message.startswith(f"cannot read the Daily Papers of 2024-04-10 at {url}:")
    assert "refused" in caught.value.message.lower()


def test_a_silent_endpoint_times_out(daily_api: FakeDailyPapers) -> None:
    daily_api.fail_next(slow(30), slow(30))
    with DailyPapers(daily_api.api_url, timeout=0.5, retries=1) as daily, \
            pytest.raises(DailyPapersError) as caught:
        daily.featured(DAYS)
    assert caught.value.message == ("cannot read the Daily Papers of 2024-04-10 at "
                                    f"{daily_api.api_url}: no answer within 0.5 s")


def test_no_paper_on_any_day_is_an_error_not_a_quiet_week(daily_api: FakeDailyPapers) -> None:
    with client(daily_api) as daily, pytest.raises(DailyPapersError) as caught:
        daily.featured(DAYS)
    assert caught.value.message == ("Daily Papers listed no paper on any day from 2024-04-10 "
                                    "to 2024-04-11")
    with client(daily_api) as daily:
        assert daily.featured([]) == {}


def test_items_without_a_usable_id_are_skipped_and_upvotes_must_be_counts() -> None:
    data = [
        {"paper": {"id": "2404.00001", "upvotes": 5}},
        {"paper": {"id": "2404.00002v3", "upvotes": "many"}},
        {"paper": {"id": "2404.00003", "upvotes": True}},
        {"paper": {"title": "no id"}},
        {"paper": {"id": 2404.00004}},
        "not an object",
    ]
    assert parse_day(data) == [("2404.00001", 5), ("2404.00002", None), ("2404.00003", None)]
    assert parse_day([]) == []


def test_the_days_asked_for_are_the_window_and_after_but_never_tomorrow() -> None:
    window = Window(date(2024, 4, 8), date(2024, 4, 14))
    days = feature_days(window, 3, today=date(2024, 5, 1))
    assert (days[0], days[-1], len(days)) == (date(2024, 4, 8), date(2024, 4, 17), 10)
    assert feature_days(window, 3, today=date(2024, 4, 15))[-1] == date(2024, 4, 15)
