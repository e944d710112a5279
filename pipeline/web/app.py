"""The Flask application of the review page: security first, then the pages (views.py).

Templates are jinja2 with autoescaping on for every template, so whatever a paper or a model
wrote is shown as text; a Content-Security-Policy without inline scripts backs that up.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from jinja2 import StrictUndefined

from ..config import Config
from ..jobs.runlock import lock_holder, lock_path
from .security import allowed_host_names, fingerprint, host_name, is_loopback, session_secret
from .tasks import DraftTasks
from .views import register

CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
OPEN_PATHS = ("/login", "/static/")


def create_app(config: Config, *, host: str = "127.0.0.1", token: str | None = None,
               tasks: DraftTasks | None = None) -> Flask:
    """The review page over `config`'s state database and output folder.

    `host` is where the server listens: on loopback without a token, requests must name a
    loopback host. `token` (checked by `security.check_bind`) makes every page ask for it.
    `tasks` runs requested drafts (default: a worker thread on the real job).
    """
    app = Flask(__name__)
    app.jinja_options = {**app.jinja_options, "autoescape": True, "undefined": StrictUndefined}
    output = config.path(config.output.dir)
    app.config.update(
        SECRET_KEY=session_secret(config.path(config.output.database).with_name(
            "paperlist-web.key")),
        SESSION_COOKIE_NAME="paperlist_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        WTF_CSRF_TIME_LIMIT=None,  # a form open for hours must still save the edit in it
        MAX_CONTENT_LENGTH=1_000_000,
    )
    CSRFProtect(app)
    app.extensions["paperlist"] = {
        "config": config, "tasks": tasks or DraftTasks(config), "token": token,
        "lock": lock_path(output),
    }
    hosts = allowed_host_names(host) if is_loopback(host) and token is None else None

    @app.before_request
    def guard() -> Any:
        if hosts is not None and host_name(request.host) not in hosts:
            return Response("This page answers on its loopback address only.\n", 421,
                            mimetype="text/plain")
        if token is not None and not request.path.startswith(OPEN_PATHS) \
                and session.get("auth") != fingerprint(token):
            return redirect(url_for("login", next=request.full_path))
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        if response.mimetype == "text/html":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(CSRFError)
    def csrf_refused(error: CSRFError) -> tuple[str, int]:
        return render_template("refused.html", reason=error.description), 400

    @app.context_processor
    def common() -> dict[str, Any]:
        state = app.extensions["paperlist"]
        return {"run_holder": lock_holder(state["lock"]), "tasks": state["tasks"],
                "signed_in": token is not None}

    register(app)
    return app
