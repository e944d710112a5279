"""The state database: every paper's progress, its draft and the editors' decisions, and runs.

SQLite in WAL mode; each step commits as soon as it is done, so a killed run resumes from the
last finished step. A `Store` is used by the thread that opened it; another thread opens its
own connection with `reopen()`. Every sqlite3 error, and a folder that cannot be created, is a
`StoreError` naming the file (the schema and the connections: schema.py).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import StoreError, describe_os_error
from ..models import Draft, DraftRecord, Paper, PaperRecord, Reason
from ..models.summary import Summary
from .schema import MIGRATIONS, SCHEMA, SCHEMA_VERSION, connect

log = logging.getLogger(__name__)

STATUSES = ("found", "downloaded", "extracted", "drafted", "approved", "rejected",
            "published", "failed", "candidate")
UNFINISHED = ("found", "downloaded", "extracted")
REVIEWABLE = ("drafted",)

def process_alive(pid: int | None) -> bool:
    """Whether a run's recorded process still exists (one owned by another user counts)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    """The SQLite state database of one output folder."""

    def __init__(self, path: Path, *, setup: bool = True, readonly: bool = False) -> None:
        """Open (and create, unless `readonly`) the database at `path`. `setup=False` skips
        the schema work, for a second connection to a database that is open already."""
        self.path = path
        if not readonly:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder {path.parent} for the state "
                                 f"database: {describe_os_error(exc)}") from exc
        self.db = connect(path, readonly=readonly)
        try:
            if not readonly:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"{path} was written by a newer paperlist (schema {version})")
            if readonly and version < SCHEMA_VERSION:
                raise StoreError(f"{path} has an older schema ({version}); a command that "
                                 "writes (weekly, summarize, drafts approve) upgrades it")
            if setup and not readonly:
                self._migrate(version)
                self.db.executescript(SCHEMA)
                self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except BaseException:
            self.db.close()
            raise

    @classmethod
    def existing(cls, path: Path) -> Store | None:
        """The database for reading only, or None when there is none yet: a command that only
        reads (status, drafts list) creates no file and no folder."""
        if not path.is_file():
            return None
        try:
            return cls(path, readonly=True)
        except StoreError as exc:
            if "older schema" not in exc.message:
                raise
        return cls(path)  # an older schema is upgraded in place, as any command would

    @classmethod
    def in_memory(cls) -> Store:
        """An empty database that lives in memory: what a reading command works on before
        any database exists (it creates no file)."""
        return cls(Path(":memory:"))

    def reopen(self) -> Store:
        """Another connection to the same database, for another thread."""
        return Store(self.path, setup=False)

    def _migrate(self, version: int) -> None:
        """Bring a database written by an older paperlist up to date (a new one has no tables
        yet, and gets the whole schema below)."""
        if version == 0:
            return
        for step in range(version + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS.get(step, ()):
                log.info("state database %s: schema %d: %s", self.path, step, statement)
                self.db.execute(statement)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
            self.db.execute("COMMIT")
        except BaseException:
            # SQLite may have rolled back by itself (a full disk): the original error counts
            with contextlib.suppress(StoreError):
                self.db.execute("ROLLBACK")
            raise

    # -- papers -----------------------------------------------------------------------------

    def add_paper(self, paper: Paper, *, section: str | None, run_id: int | None,
                  status: str = "found", reasons: tuple[Reason, ...] = ()) -> bool:
        """Record a newly found paper, with its ranking reasons; False when it is known."""
        stamp = now()
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO papers (id, version, title, abstract, authors, categories,"
            " primary_category, published, updated, comment, section, status, run_id,"
            " created_at, updated_at, reasons) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (paper.id, paper.version, paper.title, paper.abstract, json.dumps(paper.authors),
             json.dumps(paper.categories), paper.primary_category,
             paper.published.isoformat() if paper.published else None,
             paper.updated.isoformat() if paper.updated else None, paper.comment, section,
             status, run_id, stamp, stamp, json.dumps([list(r) for r in reasons])),
        )
        return cursor.rowcount == 1

    def refresh_paper(self, paper: Paper, *, section: str | None = None) -> None:
        """Take a newer version's metadata (an explicit re-summarize asked for it)."""
        self.db.execute(
            "UPDATE papers SET version=?, title=?, abstract=?, authors=?, categories=?,"
            " primary_category=?, updated=?, section=COALESCE(?, section), updated_at=?"
            " WHERE id=?",
            (paper.version, paper.title, paper.abstract, json.dumps(paper.authors),
             json.dumps(paper.categories), paper.primary_category,
             paper.updated.isoformat() if paper.updated else None, section, now(), paper.id),
        )

    def paper(self, paper_id: str) -> PaperRecord | None:
        row = self.db.execute("SELECT * FROM papers WHERE id=?", (paper_id,)).fetchone()
        return _paper(row) if row else None

    def set_status(self, paper_id: str, status: str, **fields: Any) -> None:
        assert status in STATUSES, status
        assignments = ", ".join(f"{name}=?" for name in fields)
        sql = f"UPDATE papers SET status=?, updated_at=?{', ' if fields else ''}{assignments}"
        self.db.execute(sql + " WHERE id=?", (status, now(), *fields.values(), paper_id))

    def mark_failed(self, paper_id: str, stage: str, message: str, run_id: int | None) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE papers SET status='failed', attempts=attempts+1, error=?, error_stage=?,"
                " updated_at=? WHERE id=?", (message, stage, now(), paper_id))
            if run_id is not None:
                db.execute("INSERT INTO run_failures VALUES (?,?,?,?,?)",
                           (run_id, paper_id, stage, message, now()))

    def pending(self, max_attempts: int) -> list[PaperRecord]:
        """Papers an earlier run left unfinished, and failures still worth another try (not
        local PDFs: they come from `summarize --pdf`, never from arXiv)."""
        rows = self.db.execute(
            "SELECT * FROM papers WHERE (status IN ('found','downloaded','extracted')"
            " OR (status='failed' AND attempts < ?)) AND id NOT LIKE 'pdf:%'"
            " ORDER BY created_at, id", (max_attempts,))
        return [_paper(row) for row in rows]

    def papers(self, status: str | None = None) -> list[PaperRecord]:
        where, args = (" WHERE status=?", (status,)) if status else ("", ())
        return [_paper(row) for row in
                self.db.execute("SELECT * FROM papers" + where + " ORDER BY id", args)]

    def counts(self) -> dict[str, int]:
        found = dict(self.db.execute("SELECT status, COUNT(*) FROM papers GROUP BY status"))
        return {status: found.get(status, 0) for status in STATUSES}

    # -- drafts -----------------------------------------------------------------------------

    def save_draft(self, paper_id: str, version: int, draft: Draft, entry: str,
                   checks: dict[str, Any] | None = None) -> None:
        """Store a model's draft; an editor's edit of an earlier draft is kept."""
        usage, stamp = draft.usage, now()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO drafts (paper_id, version, summary, entry, checks, model, prompt,"
                " prompt_version, response_format, prompt_tokens, completion_tokens, latency_s,"
                " attempts, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(paper_id) DO UPDATE SET version=excluded.version,"
                " summary=excluded.summary, entry=excluded.entry, checks=excluded.checks,"
                " model=excluded.model, prompt=excluded.prompt,"
                " prompt_version=excluded.prompt_version,"
                " response_format=excluded.response_format,"
                " prompt_tokens=excluded.prompt_tokens,"
                " completion_tokens=excluded.completion_tokens, latency_s=excluded.latency_s,"
                " attempts=excluded.attempts, reject_reason=NULL, published_month=NULL,"
                " published_at=NULL, updated_at=excluded.updated_at",
                (paper_id, version, draft.summary.model_dump_json(), entry,
                 json.dumps(checks or {}), usage.model, usage.prompt, usage.prompt_version,
                 usage.response_format, usage.prompt_tokens, usage.completion_tokens,
                 usage.latency_s, usage.attempts, stamp, stamp))
            db.execute("UPDATE papers SET status='drafted', error=NULL, error_stage=NULL,"
                       " section=?, updated_at=? WHERE id=?",
                       (draft.summary.section, stamp, paper_id))

    def draft(self, paper_id: str) -> DraftRecord | None:
        row = self.db.execute(_DRAFT_SELECT + " WHERE d.paper_id=?", (paper_id,)).fetchone()
        return _draft(row) if row else None

    def drafts(self, statuses: tuple[str, ...] = REVIEWABLE) -> list[DraftRecord]:
        marks = ",".join("?" * len(statuses))
        rows = self.db.execute(
            _DRAFT_SELECT + f" WHERE p.status IN ({marks}) ORDER BY p.section, p.id",
            statuses)
        return [_draft(row) for row in rows]

    def review(self, paper_id: str, status: str, *, reason: str | None = None) -> None:
        stamp = now()
        with self.transaction() as db:
            db.execute("UPDATE drafts SET reject_reason=?, reviewed_at=?, updated_at=?"
                       " WHERE paper_id=?", (reason, stamp, stamp, paper_id))
            db.execute("UPDATE papers SET status=?, updated_at=? WHERE id=?",
                       (status, stamp, paper_id))

    def save_edit(self, paper_id: str, entry: str, summary: Summary | None = None,
                  checks: dict[str, Any] | None = None) -> None:
        """An editor's entry; from the review page also its fields and their new checks."""
        self.db.execute("UPDATE drafts SET edited_entry=?, summary=COALESCE(?, summary), checks="
                        "COALESCE(?, checks), updated_at=? WHERE paper_id=?",
                        (entry, summary and summary.model_dump_json(),
                         None if checks is None else json.dumps(checks), now(), paper_id))

    def mark_published(self, paper_id: str, month: str) -> None:
        stamp = now()
        with self.transaction() as db:
            db.execute("UPDATE drafts SET published_month=?, published_at=?, updated_at=?"
                       " WHERE paper_id=?", (month, stamp, stamp, paper_id))
            db.execute("UPDATE papers SET status='published', updated_at=? WHERE id=?",
                       (stamp, paper_id))

    # -- runs -------------------------------------------------------------------------------

    def start_run(self, command: str, window: tuple[str, str] | None = None) -> int:
        """Open a run; runs whose process is gone are marked crashed first."""
        for row in self.db.execute("SELECT id, pid FROM runs WHERE status='running'").fetchall():
            if not process_alive(row["pid"]):
                self.db.execute("UPDATE runs SET status='crashed' WHERE id=?", (row["id"],))
        cursor = self.db.execute(
            "INSERT INTO runs (command, status, pid, window_start, window_end, started_at)"
            " VALUES (?, 'running', ?, ?, ?, ?)",
            (command, os.getpid(), *(window or (None, None)), now()))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def finish_run(self, run_id: int, status: str, *, error: str | None = None,
                   **counts: int) -> None:
        """Close a run with its status, the error that ended it (if any) and its counts; a
        run that is closed already stays as it was."""
        assignments = "".join(f", {name}=?" for name in counts)
        self.db.execute(
            f"UPDATE runs SET status=?, finished_at=?, error=?{assignments}"
            " WHERE id=? AND status='running'", (status, now(), error, *counts.values(), run_id))

    def coverage_end(self) -> str | None:
        """The last submission date (YYYY-MM-DD) that finished weekly runs covered, if any."""
        end = self.db.execute("SELECT MAX(window_end) FROM runs WHERE command='weekly'"
                              " AND status='finished'").fetchone()[0]
        return None if end is None else str(end)

    def add_run_warning(self, run_id: int, source: str, message: str) -> None:
        """Something a run went on past (a source down, a malformed entry skipped)."""
        self.db.execute("INSERT INTO run_warnings VALUES (?,?,?,?)",
                        (run_id, source, message, now()))

    def run_warnings(self, run_id: int) -> list[dict[str, Any]]:
        return [dict(row) for row in self.db.execute(
            "SELECT * FROM run_warnings WHERE run_id=? ORDER BY rowid", (run_id,))]

    def runs(self, limit: int = 5) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,))
        return [dict(row) for row in rows]

    def run_failures(self, run_id: int) -> list[dict[str, Any]]:
        return [dict(row) for row in self.db.execute(
            "SELECT * FROM run_failures WHERE run_id=? ORDER BY at", (run_id,))]

    # -- what endpoints accept --------------------------------------------------------------

    def known_format(self, endpoint: str) -> str | None:
        row = self.db.execute("SELECT response_format FROM endpoint_formats WHERE endpoint=?",
                              (endpoint,)).fetchone()
        return row[0] if row else None

    def remember_format(self, endpoint: str, response_format: str) -> None:
        self.db.execute(
            "INSERT INTO endpoint_formats VALUES (?,?,?) ON CONFLICT(endpoint) DO UPDATE SET"
            " response_format=excluded.response_format, updated_at=excluded.updated_at",
            (endpoint, response_format, now()))


_DRAFT_SELECT = (
    "SELECT p.*, d.summary, d.entry, d.edited_entry, d.checks, d.model, d.prompt,"
    " d.prompt_version, d.response_format, d.prompt_tokens, d.completion_tokens, d.latency_s,"
    " d.attempts AS draft_attempts, d.reject_reason, d.published_month,"
    " d.created_at AS drafted_at FROM drafts d JOIN papers p ON p.id = d.paper_id"
)


def _paper(row: sqlite3.Row) -> PaperRecord:
    return PaperRecord(
        id=row["id"], version=row["version"], title=row["title"], abstract=row["abstract"],
        status=row["status"], authors=tuple(json.loads(row["authors"])),
        categories=tuple(json.loads(row["categories"])), published=row["published"],
        section=row["section"], attempts=row["attempts"], error=row["error"],
        error_stage=row["error_stage"], pdf_path=row["pdf_path"], updated_at=row["updated_at"],
        reasons=tuple(Reason(*r) for r in json.loads(row["reasons"])),
    )


def _draft(row: sqlite3.Row) -> DraftRecord:
    return DraftRecord(
        paper=_paper(row), summary=Summary.model_validate_json(row["summary"]),
        entry=row["entry"], edited_entry=row["edited_entry"], model=row["model"],
        prompt=row["prompt"], prompt_version=row["prompt_version"],
        response_format=row["response_format"], prompt_tokens=row["prompt_tokens"],
        completion_tokens=row["completion_tokens"], latency_s=row["latency_s"],
        attempts=row["draft_attempts"], created_at=row["drafted_at"],
        checks=json.loads(row["checks"]), reject_reason=row["reject_reason"],
        published_month=row["published_month"],
    )
