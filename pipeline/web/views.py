"""The pages: This week, a draft, Publish, Status, and the sign-in form.

Thin like the CLI: each view opens the state database, calls the stage or job that does the
work, and renders a template or redirects (after a POST) with a message. A PipelineError
becomes a message on the page, never a stack trace.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from ..config import Config
from ..errors import PipelineError
from ..jobs.drafting import entry_for
from ..jobs.editing import discard_pending, pending_edit, save_fields, summary_fields
from ..jobs.publishing import plan_approved, plan_digest, publish_as_shown
from ..models.ids import is_pdf_id, paper_key
from ..publish.writer import month_name, plan_diff
from ..review.decisions import approve, get_draft, reject
from ..store import Store
from .render import entry_html, plain_flag
from .security import fingerprint, token_matches
from .tasks import DraftTasks
from .week import load_week


def _config() -> Config:
    return cast(Config, current_app.extensions["paperlist"]["config"])


def _tasks() -> DraftTasks:
    return cast(DraftTasks, current_app.extensions["paperlist"]["tasks"])


def _store() -> Store:
    config = _config()
    return Store(config.path(config.output.database))


def _paper_id(text: str) -> str:
    """The stored id a URL or form names (an arXiv id in any form, or a local PDF's
    `pdf:<hash>`); anything else is a 404."""
    try:
        return paper_key(text)
    except PipelineError:
        abort(404)


def _back(default: str) -> Response:
    """Where a form came from (a path on this site only), else `default`."""
    target = request.form.get("next", "")
    local = target.startswith("/") and target[1:2] not in ("/", "\\")  # not //host nor /\host
    return redirect(target if local else default)


def _act(action: Callable[[], str | None], default: str) -> Response:
    """Run a state change; its message, or the error's, is shown on the next page."""
    try:
        message = action()
    except PipelineError as exc:
        flash(str(exc), "error")
    else:
        if message:
            flash(message, "ok")
    return _back(default)


def register(app: Flask) -> None:
    """Add every page to the app."""

    @app.get("/")
    def index() -> Response:
        return redirect(url_for("week"))

    # -- This week --------------------------------------------------------------------------

    @app.get("/week")
    def week() -> str:
        with _store() as store:
            shown = load_week(_config(), store, request.args.get("start"))
        return render_template("week.html", week=shown, refresh=_tasks().busy)

    @app.post("/candidates/draft")
    def draft_candidates() -> Response:
        ids = [_paper_id(p) for p in request.form.getlist("paper_id")]
        force = request.form.get("force") == "1"

        def queue() -> str:
            if not ids:
                return "Pick a paper to draft."
            queued = _tasks().submit(ids, force=force)
            if not queued:
                return "Already being drafted."
            return f"Drafting {', '.join(queued)} in the background; this page follows it."

        return _act(queue, url_for("week"))

    @app.post("/candidates/reject")
    def reject_candidate() -> Response:
        paper_id = _paper_id(request.form.get("paper_id", ""))
        reason = request.form.get("reason", "").strip()

        def decide() -> str:
            with _store() as store:
                if store.draft(paper_id) is not None:
                    reject(store, paper_id, reason)
                elif store.paper(paper_id) is None:
                    raise PipelineError("not a candidate of any week", paper_id=paper_id)
                else:
                    store.review(paper_id, "rejected", reason=reason or None)
            return f"{paper_id}: rejected; later runs leave it alone."

        return _act(decide, url_for("week"))

    # -- A draft ----------------------------------------------------------------------------

    @app.get("/drafts/<path:paper_id>")
    def draft(paper_id: str) -> str:
        key = _paper_id(paper_id)
        config = _config()
        with _store() as store:
            record = store.draft(key)
            paper = store.paper(key)
        if paper is None:
            abort(404)
        if record is None:
            return render_template("undrafted.html", paper=paper, task=_tasks().state(key))
        pending = pending_edit(config, key)
        rendered = entry_for(config, paper.id, paper.title, record.summary)
        return render_template(
            "draft.html", record=record, paper=paper, entry=entry_html(record.final_entry),
            model_entry=entry_html(record.entry) if record.edited_entry else None,
            markdown_edit=record.edited_entry is not None and record.edited_entry != rendered,
            fields=pending.fields if pending else summary_fields(record.summary),
            pending=pending, sections=config.sections, flags=_flags(record.checks),
            evidence=record.checks.get("evidence") or {}, task=_tasks().state(key),
            pdf_url=config.arxiv.pdf_url.format(id=paper.versioned_id))

    @app.post("/drafts/<path:paper_id>/edit")
    def edit(paper_id: str) -> Response:
        key = _paper_id(paper_id)
        fields = {name: request.form.get(name, "") for name in
                  ("keypoints", "objective", "method", "metric", "results", "limitation",
                   "section")}
        with _store() as store:
            try:
                outcome = save_fields(_config(), store, key, fields)
            except PipelineError as exc:
                flash(str(exc), "error")
                return redirect(url_for("week"))
        if not outcome.saved:
            flash("Not saved: " + "; ".join(outcome.errors) + ". Your text is kept below; "
                  "fix it and save again, or discard it.", "error")
        elif not outcome.changed:
            flash("No changes.", "ok")
        else:
            checks = (f"{len(outcome.flags)} check flag{'s' if len(outcome.flags) > 1 else ''}"
                      if outcome.flags else "every check passes")
            flash(f"Saved; checked again: {checks}.", "ok")
        return redirect(url_for("draft", paper_id=key) + "#edit")

    @app.post("/drafts/<path:paper_id>/discard")
    def discard(paper_id: str) -> Response:
        key = _paper_id(paper_id)

        def drop() -> str:
            discard_pending(_config(), key)
            return "The unsaved edit is discarded."

        return _act(drop, url_for("draft", paper_id=key))

    @app.post("/drafts/<path:paper_id>/approve")
    def approve_draft(paper_id: str) -> Response:
        key = _paper_id(paper_id)

        def decide() -> str:
            if pending_edit(_config(), key) is not None:
                raise PipelineError("an edit that could not be saved is waiting; save or "
                                    "discard it first", paper_id=key)
            with _store() as store:
                changed = approve(store, key)
            return f"{key}: {'approved' if changed else 'already approved'}."

        return _act(decide, url_for("draft", paper_id=key))

    @app.post("/drafts/<path:paper_id>/reject")
    def reject_draft(paper_id: str) -> Response:
        key = _paper_id(paper_id)

        def decide() -> str:
            with _store() as store:
                reject(store, key, request.form.get("reason", ""))
            return f"{key}: rejected."

        return _act(decide, url_for("draft", paper_id=key))

    @app.post("/drafts/<path:paper_id>/redraft")
    def redraft(paper_id: str) -> Response:
        key = _paper_id(paper_id)

        def queue() -> str:
            with _store() as store:
                record = get_draft(store, key)
            if record.paper.status == "published":
                raise PipelineError("already published", paper_id=key)
            if is_pdf_id(key):
                raise PipelineError("a local PDF is drafted again from its file: paperlist "
                                    f"summarize --pdf {record.paper.pdf_path} --force",
                                    paper_id=key)
            if not _tasks().submit([key], force=True):
                return "Already being drafted."
            return (f"{key}: drafting again in the background"
                    + ("; an editor's edit stays what gets published" if record.edited_entry
                       else "") + ".")

        return _act(queue, url_for("draft", paper_id=key))

    # -- Publish ----------------------------------------------------------------------------

    @app.get("/publish")
    def publish() -> str:
        month = request.args.get("month") or datetime.now(UTC).strftime("%Y%m")
        config = _config()
        try:
            month_name(month)
            with _store() as store:
                plan = plan_approved(config, store, month)
                approved = store.drafts(("approved",))
        except PipelineError as exc:
            flash(str(exc), "error")
            return render_template("publish.html", month=month, plan=None, diff="",
                                   digest="", approved=[])
        return render_template("publish.html", month=month, plan=plan, diff=plan_diff(plan),
                               digest=plan_digest(plan), approved=approved)

    @app.post("/publish")
    def publish_apply() -> Response:
        month = request.form.get("month", "")

        def apply() -> str:
            plan = publish_as_shown(_config(), month, request.form.get("digest", ""))
            return (f"Published {len(plan.added)} entries to PaperList_{month}.md"
                    + (f"; {len(plan.already_present)} were already there"
                       if plan.already_present else "") + ".")

        return _act(apply, url_for("publish", month=month))

    # -- Status -----------------------------------------------------------------------------

    @app.get("/status")
    def status() -> str:
        with _store() as store:
            runs = store.runs(limit=10)
            for run in runs:
                run["failures"] = store.run_failures(run["id"])
                run["warnings"] = store.run_warnings(run["id"])
            counts, failed = store.counts(), store.papers("failed")
        return render_template("status.html", runs=runs, counts=counts, failed=failed,
                               max_attempts=_config().weekly.max_attempts,
                               refresh=_tasks().busy)

    # -- Signing in (only with an access token) --------------------------------------------

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        token = app.extensions["paperlist"]["token"]
        if token is None:
            return redirect(url_for("week"))
        if request.method == "POST":
            if token_matches(request.form.get("token", ""), token):
                session.clear()
                session["auth"] = fingerprint(token)
                return _back(url_for("week"))
            flash("That is not the access token.", "error")
        return render_template("login.html", next=request.values.get("next", "/week"))


def _flags(checks: dict[str, Any]) -> dict[str, list[str]]:
    """Check flags in plain words, facts the paper does not back apart from style."""
    trust = set(checks.get("trust", []))
    flags = list(checks.get("flags", []))
    return {"facts": [plain_flag(f) for f in flags if f in trust],
            "style": [plain_flag(f) for f in flags if f not in trust]}
