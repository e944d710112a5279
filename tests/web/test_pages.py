"""The review page through Flask's test client: security, edits that are never lost, the run
lock, publishing as shown. The same flows in a real browser are in test_browser.py."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from web_fixtures import CANDIDATES, WebWeek

from pipeline.jobs.runlock import lock_path, run_lock
from pipeline.web.app import create_app
from pipeline.web.tasks import DraftTasks

DRAFTED, UNDRAFTED, EVIL, UNWANTED = (paper_id for paper_id, _, _ in CANDIDATES)
HOST = {"Host": "127.0.0.1:8765"}


@pytest.fixture
def app(web_week: WebWeek) -> Flask:
    return create_app(web_week.config, tasks=DraftTasks(web_week.config))


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as client:
        client.environ_base["HTTP_HOST"] = HOST["Host"]
        yield client


def csrf(client: FlaskClient, page: str = "/week") -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)
    assert match, f"{page} has no form with a CSRF token"
    return match[1]


def fields(**change: str) -> dict[str, str]:
    base = {"keypoints": "Long context; Retrieval; Benchmark gain",
            "objective": "The paper asks how long a context a language model really uses.",
            "method": "First step of the method.\nSecond step of the method.",
            "metric": "Improves the main benchmark by 12.5% with 3x less compute.",
            "results": "", "limitation": "", "section": "LLM"}
    return {**base, **change}


def status(web_week: WebWeek, paper_id: str) -> str:
    with web_week.store() as store:
        paper = store.paper(paper_id)
    assert paper is not None
    return paper.status


def test_every_page_answers_and_a_hostile_title_is_text(client: FlaskClient) -> None:
    for page in ("/week", f"/drafts/{DRAFTED}", f"/drafts/{UNDRAFTED}", f"/drafts/{EVIL}",
                 "/publish", "/status"):
        response = client.get(page)
        assert response.status_code == 200, page
        assert "<script" not in response.text, page
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    week = client.get("/week").text
    assert "&lt;/details&gt;&lt;script&gt;window.pwned = 1&lt;/script&gt; Evil &lt;b&gt;" in week
    draft = client.get(f"/drafts/{EVIL}").text
    # the entry as published: the title heading and the Objective carry it, escaped
    assert draft.count("&lt;/details&gt;&lt;script&gt;") >= 3
    assert draft.count("<details open>") == 1 and draft.count("</details>") == 1
    assert client.get("/drafts/2404.99999").status_code == 404
    assert client.get("/drafts/not-an-id").status_code == 404


def test_a_post_without_its_csrf_token_is_refused(client: FlaskClient,
                                                 web_week: WebWeek) -> None:
    refused = client.post(f"/drafts/{DRAFTED}/approve")
    assert refused.status_code == 400
    assert "Refused: nothing was changed" in refused.text
    assert "The CSRF token is missing." in refused.text
    forged = client.post(f"/drafts/{DRAFTED}/approve", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    assert status(web_week, DRAFTED) == "drafted"
    done = client.post(f"/drafts/{DRAFTED}/approve", data={"csrf_token": csrf(client)})
    assert done.status_code == 302 and status(web_week, DRAFTED) == "approved"


def test_other_host_names_are_refused_on_loopback(client: FlaskClient) -> None:
    # a page elsewhere that rebinds its own name to 127.0.0.1 still sends its own Host
    assert client.get("/week", headers={"Host": "evil.example:8765"}).status_code == 421
    for host in ("localhost:8765", "127.0.0.1", "[::1]:8765"):
        assert client.get("/week", headers={"Host": host}).status_code == 200, host


def test_with_a_token_every_page_asks_for_it(web_week: WebWeek) -> None:
    token = "a-long-enough-access-token"
    app = create_app(web_week.config, host="127.0.0.1", token=token,
                     tasks=DraftTasks(web_week.config))
    with app.test_client() as client:
        first = client.get("/week")
        assert first.status_code == 302 and first.location.startswith("/login")
        assert client.get("/static/style.css").status_code == 200
        wrong = client.post("/login", data={"csrf_token": csrf(client, "/login"),
                                            "token": "not-it", "next": "/week"})
        assert "That is not the access token." in wrong.text
        assert client.get("/status").status_code == 302
        right = client.post("/login", data={"csrf_token": csrf(client, "/login"),
                                            "token": token, "next": "/status"})
        assert right.status_code == 302 and right.location == "/status"
        assert client.get("/week").status_code == 200
    other = create_app(web_week.config, token="another-long-access-token",
                       tasks=DraftTasks(web_week.config))
    with other.test_client() as client:  # a session of another token is no session
        assert client.get("/week").status_code == 302


def test_a_valid_edit_is_saved_and_checked_again(client: FlaskClient,
                                                 web_week: WebWeek) -> None:
    token = csrf(client, f"/drafts/{DRAFTED}")
    saved = client.post(f"/drafts/{DRAFTED}/edit", data={"csrf_token": token, **fields()},
                        follow_redirects=True)
    assert "Saved; checked again: every check passes." in saved.text
    with web_week.store() as store:
        record = store.draft(DRAFTED)
    assert record is not None
    assert "- `Keypoints:` Long context; Retrieval; Benchmark gain;\n" in record.final_entry
    assert record.entry != record.final_entry  # the model's own entry is kept
    assert record.summary.objective.startswith("The paper asks how long")
    # a number the paper does not have is flagged by the checks run again on the edit
    flagged = client.post(f"/drafts/{DRAFTED}/edit", follow_redirects=True, data={
        "csrf_token": token, **fields(metric="Improves the main benchmark by 99.9%.")})
    assert "Saved; checked again: 1 check flag." in flagged.text
    assert "Metric: numbers not in the paper: 99.9%" in flagged.text
    again = client.post(f"/drafts/{DRAFTED}/edit", follow_redirects=True, data={
        "csrf_token": token, **fields(metric="Improves the main benchmark by 99.9%.")})
    assert "No changes." in again.text


def test_an_invalid_edit_is_kept_shown_and_blocks_approval(client: FlaskClient,
                                                          web_week: WebWeek) -> None:
    token = csrf(client, f"/drafts/{DRAFTED}")
    typed = fields(keypoints="Only one; and two", objective="Too short.")
    page = client.post(f"/drafts/{DRAFTED}/edit", data={"csrf_token": token, **typed},
                       follow_redirects=True).text
    assert "Not saved: Keypoints: List should have at least 3 items" in page
    assert "Objective: String should have at least 20 characters" in page
    assert 'value="Only one; and two"' in page and ">Too short.</textarea>" in page
    kept = web_week.output / "edits" / f"{DRAFTED}.json"
    assert json.loads(kept.read_text())["fields"]["objective"] == "Too short."
    with web_week.store() as store:
        record = store.draft(DRAFTED)
    assert record is not None and record.edited_entry is None  # the draft is untouched
    # a reload still shows the kept edit, and approving waits for it
    assert 'value="Only one; and two"' in client.get(f"/drafts/{DRAFTED}").text
    refused = client.post(f"/drafts/{DRAFTED}/approve", data={"csrf_token": token},
                          follow_redirects=True)
    assert "an edit that could not be saved is waiting; save or discard it first" in refused.text
    assert status(web_week, DRAFTED) == "drafted"
    client.post(f"/drafts/{DRAFTED}/discard", data={"csrf_token": token})
    assert not kept.exists()
    client.post(f"/drafts/{DRAFTED}/approve", data={"csrf_token": token})
    assert status(web_week, DRAFTED) == "approved"


def test_reject_needs_a_reason_for_a_draft_not_for_a_candidate(client: FlaskClient,
                                                               web_week: WebWeek) -> None:
    token = csrf(client)
    blank = client.post(f"/drafts/{DRAFTED}/reject", data={"csrf_token": token, "reason": " "},
                        follow_redirects=True)
    assert "a rejection needs a reason" in blank.text and status(web_week, DRAFTED) == "drafted"
    client.post(f"/drafts/{DRAFTED}/reject", data={"csrf_token": token, "reason": "off topic"})
    client.post("/candidates/reject", data={"csrf_token": token, "paper_id": UNWANTED})
    assert (status(web_week, DRAFTED), status(web_week, UNWANTED)) == ("rejected", "rejected")
    with web_week.store() as store:
        record = store.draft(DRAFTED)
    assert record is not None and record.reject_reason == "off topic"


def test_a_run_in_progress_is_shown_and_publishing_waits(client: FlaskClient,
                                                        web_week: WebWeek) -> None:
    token = csrf(client)
    client.post(f"/drafts/{DRAFTED}/approve", data={"csrf_token": token})
    shown = client.get("/publish?month=202404").text
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', shown)
    assert digest and "+#### Long Context Language Models Revisited" in shown
    with run_lock(lock_path(web_week.output), "weekly"):
        week = client.get("/week").text
        assert "A run is in progress (pid " in week and ", weekly, since " in week
        refused = client.post("/publish", follow_redirects=True, data={
            "csrf_token": token, "month": "202404", "digest": digest[1]})
        assert "another paperlist run is in progress" in refused.text
        assert not (web_week.output / "PaperList_202404.md").exists()
    assert "A run is in progress" not in client.get("/week").text
    # approvals changed since the diff was shown: shown again, not applied
    client.post(f"/drafts/{EVIL}/approve", data={"csrf_token": token})
    stale = client.post("/publish", follow_redirects=True, data={
        "csrf_token": token, "month": "202404", "digest": digest[1]})
    assert "the changes are no longer those shown" in stale.text
    assert not (web_week.output / "PaperList_202404.md").exists()
    fresh = re.search(r'name="digest" value="([0-9a-f]+)"', stale.text)
    assert fresh and fresh[1] != digest[1]
    done = client.post("/publish", follow_redirects=True, data={
        "csrf_token": token, "month": "202404", "digest": fresh[1]})
    assert "Published 2 entries to PaperList_202404.md." in done.text
    monthly = (web_week.output / "PaperList_202404.md").read_text()
    assert "#### Long Context Language Models Revisited\n" in monthly
    assert (status(web_week, DRAFTED), status(web_week, EVIL)) == ("published", "published")


def test_a_malformed_month_is_a_message(client: FlaskClient) -> None:
    page = client.get("/publish?month=2024-13")
    assert page.status_code == 200
    assert "&#39;2024-13&#39; is not a month: expected YYYYMM, e.g. 202404" in page.text


def test_redraft_runs_the_drafting_job_again_and_keeps_an_edit(app: Flask, client: FlaskClient,
                                                               web_week: WebWeek) -> None:
    token = csrf(client, f"/drafts/{DRAFTED}")
    client.post(f"/drafts/{DRAFTED}/edit", data={"csrf_token": token, **fields()})
    calls = web_week.chat.calls
    queued = client.post(f"/drafts/{DRAFTED}/redraft", data={"csrf_token": token},
                         follow_redirects=True)
    assert (f"{DRAFTED}: drafting again in the background; an editor&#39;s edit stays what "
            "gets published.") in queued.text
    tasks: DraftTasks = app.extensions["paperlist"]["tasks"]
    assert tasks.wait(timeout=120)
    state = tasks.state(DRAFTED)
    assert state is not None and (state.state, state.message) == ("drafted", "verified")
    assert web_week.chat.calls == calls + 1  # an endpoint's one request for the entry, again
    with web_week.store() as store:
        record = store.draft(DRAFTED)
        runs = store.runs(limit=1)
    assert record is not None and "Long context; Retrieval" in record.final_entry
    assert runs[0]["command"] == "draft" and runs[0]["drafted"] == 1
    page = client.get(f"/drafts/{DRAFTED}").text
    assert "saving these fields replaces that text" in page and "The model's own draft" in page


def test_an_edit_of_a_published_draft_is_kept_not_applied(client: FlaskClient,
                                                          web_week: WebWeek) -> None:
    with web_week.store() as store:
        store.review(DRAFTED, "approved")
        store.mark_published(DRAFTED, "202404")
    token = csrf(client)
    page = client.post(f"/drafts/{DRAFTED}/edit", data={"csrf_token": token, **fields()},
                       follow_redirects=True).text
    assert "Not saved: already published; edit the monthly list itself." in page
    kept = json.loads((web_week.output / "edits" / f"{DRAFTED}.json").read_text())
    assert kept["fields"]["keypoints"] == "Long context; Retrieval; Benchmark gain"
    with web_week.store() as store:
        record = store.draft(DRAFTED)
    assert record is not None and record.edited_entry is None


def test_status_shows_runs_their_windows_failures_and_reasons(client: FlaskClient,
                                                              web_week: WebWeek) -> None:
    with web_week.store() as store:
        run_id = store.start_run("weekly", ("2024-04-15", "2024-04-21"))
        store.mark_failed(UNDRAFTED, "download", "PDF is not a PDF (text/html)", run_id)
        store.add_run_warning(run_id, "daily papers", "unreachable: timed out")
        store.finish_run(run_id, "failed", error="arXiv cannot be reached", failed=1)
    page = client.get("/status").text
    assert "2024-04-15 to 2024-04-21" in page and "2024-04-08 to 2024-04-14" in page
    assert '<p class="error">arXiv cannot be reached</p>' in page
    assert f"{UNDRAFTED} (download): PDF is not a PDF (text/html)" in page
    assert "daily papers: unreachable: timed out" in page
    assert "download, 1 of 3 attempts (will retry)" in page
    # the week page offers both windows, the newest first
    week = client.get("/week").text
    assert week.index('value="2024-04-15"') < week.index('value="2024-04-08"')
    assert "This week: 2024-04-15 to 2024-04-21" in week
    older = client.get("/week?start=2024-04-08").text
    assert "This week: 2024-04-08 to 2024-04-14" in older and CANDIDATES[0][1] in older


def test_a_form_only_sends_the_editor_back_within_the_page(client: FlaskClient) -> None:
    token = csrf(client)
    for target in ("//evil.example/x", "/\\evil.example/x", "https://evil.example/"):
        response = client.post("/candidates/draft", data={"csrf_token": token, "next": target})
        assert response.location == "/week", target
    response = client.post("/candidates/draft", data={"csrf_token": token, "next": "/status"})
    assert response.location == "/status"


def test_a_local_pdfs_draft_has_its_page(client: FlaskClient, web_week: WebWeek,
                                         tmp_path: Path) -> None:
    from click.testing import CliRunner
    from pdfgen import make_pdf, paper_pages

    from pipeline.cli.main import cli

    pdf = tmp_path / "local.pdf"
    pdf.write_bytes(make_pdf(paper_pages("A Local Paper on Diffusion Models")))
    made = CliRunner().invoke(cli, ["summarize", "--pdf", str(pdf), "--json",
                                    "--config", str(web_week.config_path)])
    assert made.exit_code == 0, made.stderr
    key = json.loads(made.stdout)["id"]
    page = client.get(f"/drafts/{key}")
    assert page.status_code == 200
    assert f"{key} · a local PDF: {pdf}" in page.text
    assert "Re-draft" not in page.text  # it is drafted again from its file, on the command line
    token = csrf(client, f"/drafts/{key}")
    client.post(f"/drafts/{key}/approve", data={"csrf_token": token})
    assert status(web_week, key) == "approved"
    assert client.get("/drafts/pdf:nothex").status_code == 404
