"""The review page in a real headless browser: Debian's chromium driven by Playwright.

An editor takes the week from the shortlist to published files: drafts a candidate with the
(fake) model, edits a field, approves, rejects with a reason, publishes, and the files on disk
are checked. Screenshots of each page go to test-artifacts/web/ (git-ignored) for a reviewer.
Skipped, saying why, when Playwright or a chromium binary is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from paths import REPO
from web_fixtures import CANDIDATES, HOSTILE, WebWeek

from pipeline.web.server import Server

DRAFTED, UNDRAFTED, EVIL, UNWANTED = (paper_id for paper_id, _, _ in CANDIDATES)
ARTIFACTS = Path(os.environ.get("PAPERLIST_TEST_ARTIFACTS", REPO / "test-artifacts")) / "web"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync"]
WAIT_S = 120  # for a draft made in the background: generous, the machine may be busy


def chromium_path() -> str | None:
    for candidate in (os.environ.get("PAPERLIST_CHROMIUM"), shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def no_browser(reason: str) -> None:
    """Skip, unless .ci/run said the browser tests must run (PAPERLIST_BROWSER_TESTS)."""
    if os.environ.get("PAPERLIST_BROWSER_TESTS") == "required":
        pytest.fail(f"browser tests required, but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        no_browser("Playwright is not installed (pip install -e '.[test]')")
    executable = chromium_path()
    if executable is None:
        no_browser("no chromium to drive: apt-get install chromium (or set "
                   "PAPERLIST_CHROMIUM); .ci/run installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)
    page = context.new_page()
    yield page
    context.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def row(page: Any, paper_id: str) -> Any:
    return page.locator(f'tr[id="c-{paper_id}"]')


def status(web_week: WebWeek, paper_id: str) -> str:
    with web_week.store() as store:
        paper = store.paper(paper_id)
    assert paper is not None
    return paper.status


def submit(page: Any, button: Any) -> None:
    """Press a form's button and wait for the page it leads to (the POST, then its redirect)."""
    with page.expect_navigation():
        button.click()


def flash(page: Any) -> str:
    return " ".join(page.locator(".flash").all_inner_texts())


def test_an_editor_takes_the_week_to_published_files(page: Any, serving: Server,
                                                     web_week: WebWeek) -> None:
    url = serving.url
    page.goto(url + "week")
    titles = page.locator("tr td a.title").all_inner_texts()
    assert titles == [title for _, title, _ in CANDIDATES]  # best score first
    assert row(page, DRAFTED).locator("td").nth(3).inner_text() == "1.30"
    assert row(page, DRAFTED).locator(".reason").all_inner_texts() == [
        'taste +0.80: like "LLoCO: Learning Long Contexts Offline"',
        "community +0.50: Daily Papers 2024-04-09, 35 upvotes"]
    # the hostile title is text, in the list and on its draft; no script ran or exists
    assert HOSTILE in titles
    assert page.evaluate("() => [window.pwned, document.scripts.length]") == [None, 0]
    assert row(page, DRAFTED).locator(".verified").inner_text() == "verified"
    shot(page, "1-week")

    # draft a candidate that was not drafted: the fake model answers in the background
    submit(page, row(page, UNDRAFTED).get_by_role("button", name="Draft"))
    assert f"Drafting {UNDRAFTED} in the background" in flash(page)
    deadline = time.monotonic() + WAIT_S
    while row(page, UNDRAFTED).locator(".status").inner_text() != "drafted":
        assert time.monotonic() < deadline, row(page, UNDRAFTED).inner_text()
        page.wait_for_timeout(500)
        page.goto(url + "week")
    assert "drafted: verified" in row(page, UNDRAFTED).inner_text()
    shot(page, "2-week-drafted")

    # the draft beside its paper and evidence
    row(page, UNDRAFTED).locator("a.title").click()
    assert page.locator("h1.paper-title").inner_text() == CANDIDATES[1][1]
    assert page.locator(".evidence-field li.verified .where").first.inner_text() == (
        "p. 1 · found in the paper")
    assert page.locator("a.pdf").get_attribute("href").endswith(f"/pdf/{UNDRAFTED}v1")
    assert page.locator("article.rendered details[open] summary").first.inner_text() == "Details"
    shot(page, "3-draft")

    # edit a field in place: saved, checked again, rendered as it will be published
    objective = "The paper shows that guidance helps most in a limited interval of noise."
    page.locator("textarea[name=objective]").fill(objective)
    submit(page, page.get_by_role("button", name="Save and check"))
    assert "Saved; checked again: every check passes." in flash(page)
    assert objective in page.locator("article.rendered").first.inner_text()
    shot(page, "4-draft-edited")
    submit(page, page.get_by_role("button", name="Approve"))
    assert f"{UNDRAFTED}: approved." in flash(page)

    # reject another draft with a reason, and a candidate nobody wants
    page.goto(url + f"drafts/{DRAFTED}")
    page.locator(".decide input[name=reason]").fill("not for this digest")
    submit(page, page.locator(".decide").get_by_role("button", name="Reject"))
    assert page.locator(".entry p.error").inner_text() == "Rejected: not for this digest"
    page.goto(url + "week")
    submit(page, row(page, UNWANTED).get_by_role("button", name="Reject"))
    assert f"{UNWANTED}: rejected" in flash(page)

    # a state change without its CSRF token is refused, from the editor's own session too
    refused = page.request.post(url + f"drafts/{EVIL}/approve", form={"reason": "x"})
    assert refused.status == 400 and "The CSRF token is missing." in refused.text()
    assert status(web_week, EVIL) == "drafted"

    # publish: the diff that will be applied, then the files
    page.goto(url + "publish")
    month = page.get_by_role("textbox", name="Month").input_value()
    assert f"+#### {CANDIDATES[1][1]}" in page.locator("pre.diff").inner_text()
    shot(page, "5-publish")
    submit(page, page.get_by_role("button", name="Publish these changes"))
    assert f"Published 1 entries to PaperList_{month}.md." in flash(page)
    monthly = (web_week.output / f"PaperList_{month}.md").read_text(encoding="utf-8")
    readme = (web_week.output / "README.md").read_text(encoding="utf-8")
    for text in (monthly, readme):
        assert CANDIDATES[1][1] in text
        assert f"- `Objective:` {objective} [arXiv](https://arxiv.org/abs/{UNDRAFTED})" in text
        assert CANDIDATES[0][1] not in text and "pwned" not in text
    assert [status(web_week, p) for p, _, _ in CANDIDATES] == [
        "rejected", "published", "drafted", "rejected"]

    page.goto(url + "status")
    assert "draft" in page.locator("table.runs").inner_text()
    shot(page, "6-status")


def test_a_weekly_run_meanwhile_is_shown_and_waited_for(page: Any, serving: Server,
                                                       web_week: WebWeek) -> None:
    """Another process holds the run lock (as `weekly` does): the page says so, keeps
    reading, and neither drafts nor publishes."""
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from pathlib import Path; from pipeline.jobs.runlock import run_lock\n"
         f"with run_lock(Path({str(web_week.output / 'paperlist.lock')!r}), 'weekly'):\n"
         "    print('held', flush=True); sys.stdin.read()"],
        cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        page.goto(serving.url + "week")
        banner = page.locator(".banner.running").inner_text()
        assert f"A run is in progress (pid {holder.pid}, weekly, since " in banner
        assert row(page, UNDRAFTED).get_by_role("button", name="Draft").is_disabled()
        shot(page, "7-run-in-progress")
        token = page.locator("input[name=csrf_token]").first.input_value()
        refused = page.request.post(serving.url + "candidates/draft", form={
            "csrf_token": token, "paper_id": UNDRAFTED})
        assert refused.ok
        deadline = time.monotonic() + WAIT_S
        while "failed:" not in row(page, UNDRAFTED).inner_text():
            assert time.monotonic() < deadline
            page.wait_for_timeout(300)
            page.goto(serving.url + "week")
        assert "another paperlist run is in progress" in row(page, UNDRAFTED).inner_text()
        assert status(web_week, UNDRAFTED) == "candidate"
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    page.goto(serving.url + "week")
    assert page.locator(".banner.running").count() == 0


def test_with_an_access_token_the_page_asks_for_it(page: Any, web_week: WebWeek,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    token = "correct-horse-battery-staple"
    monkeypatch.setenv(web_week.config.serve.token_env, token)
    server = Server(web_week.config, "127.0.0.1", 0).start()
    try:
        page.goto(server.url + f"drafts/{EVIL}")
        assert page.locator("h1").inner_text() == "Sign in"
        page.get_by_label("Access token").fill("wrong-token-of-some-length")
        submit(page, page.get_by_role("button", name="Sign in"))
        assert "That is not the access token." in flash(page)
        page.get_by_label("Access token").fill(token)
        submit(page, page.get_by_role("button", name="Sign in"))
        assert page.locator("h1.paper-title").inner_text() == HOSTILE
        shot(page, "8-signed-in")
    finally:
        server.shutdown()
