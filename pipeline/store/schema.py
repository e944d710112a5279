"""SQLite plumbing for the state database: its schema and upgrades, and connections whose
errors are one line naming the file and what to do (a full disk, a read-only folder)."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from ..errors import StoreError

SCHEMA_VERSION = 3
SCHEMA = """
CREATE TABLE IF NOT EXISTS papers (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    abstract TEXT NOT NULL DEFAULT '',
    authors TEXT NOT NULL DEFAULT '[]',
    categories TEXT NOT NULL DEFAULT '[]',
    primary_category TEXT NOT NULL DEFAULT '',
    published TEXT,
    updated TEXT,
    comment TEXT NOT NULL DEFAULT '',
    section TEXT,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    error_stage TEXT,
    pdf_path TEXT,
    run_id INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    reasons TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS papers_status ON papers(status);
CREATE TABLE IF NOT EXISTS drafts (
    paper_id TEXT PRIMARY KEY REFERENCES papers(id),
    version INTEGER NOT NULL,
    summary TEXT NOT NULL,
    entry TEXT NOT NULL,
    edited_entry TEXT,
    checks TEXT NOT NULL DEFAULT '{}',
    model TEXT NOT NULL,
    prompt TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    response_format TEXT NOT NULL DEFAULT '',
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    latency_s REAL NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 1,
    reject_reason TEXT,
    reviewed_at TEXT,
    published_month TEXT,
    published_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    command TEXT NOT NULL,
    status TEXT NOT NULL,
    pid INTEGER,
    window_start TEXT,
    window_end TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    found INTEGER NOT NULL DEFAULT 0,
    drafted INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    downloads INTEGER NOT NULL DEFAULT 0,
    model_calls INTEGER NOT NULL DEFAULT 0,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE TABLE IF NOT EXISTS run_failures (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    paper_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    message TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run_warnings (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    source TEXT NOT NULL,
    message TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS endpoint_formats (
    endpoint TEXT PRIMARY KEY,
    response_format TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""
# What an older database needs, by the version that introduced it (new tables: from SCHEMA).
MIGRATIONS: dict[int, tuple[str, ...]] = {
    2: ("ALTER TABLE runs ADD COLUMN error TEXT",),
    3: ("ALTER TABLE papers ADD COLUMN reasons TEXT NOT NULL DEFAULT '[]'",),
}


# What to do about SQLite's errors, by the text of the message.
_SQLITE_HINTS = (
    ("disk is full", "the disk is full: free some space and run again"),
    ("readonly database", "it is read-only: make it and its folder writable"),
    ("unable to open", "it cannot be opened: check that its folder exists and is writable"),
    ("database is locked", "another process kept it locked for 30 s; try again"),
    ("not a database", "the file is not a paperlist database (damaged, or another file)"),
    ("malformed", "the file is damaged"),
)


def store_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """A sqlite3 error as one line naming the database and what to do about it."""
    text = str(exc)
    hint = next((h for key, h in _SQLITE_HINTS if key in text), text)
    if "disk I/O error" in text:  # SQLite's word for a failed write, a full disk among others
        hint = _SQLITE_HINTS[0][1] if _nearly_full(path.parent) else (
            "a read or write failed: check the disk")
    elif ("unable to open" in text or "readonly" in text) and path.parent.is_dir() \
            and not os.access(path.parent, os.W_OK):
        hint = "its folder is read-only: make it writable, or point output.dir elsewhere"
    return StoreError(f"the state database {path}: {hint}" + (f" ({text})" if hint != text
                                                               else ""))


def _nearly_full(folder: Path) -> bool:
    """Less than a megabyte free where the database lives (or the question cannot be asked)."""
    try:
        return shutil.disk_usage(folder).free < 2**20
    except OSError:
        return False


class _Connection(sqlite3.Connection):
    """A connection whose statements raise StoreError (with the file's name) instead of bare
    sqlite3 errors, so that a full disk is one clear line wherever it strikes."""

    path: Path

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from exc

    def executescript(self, script: str, /) -> sqlite3.Cursor:
        try:
            return super().executescript(script)
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from exc


def connect(path: Path, *, readonly: bool = False) -> _Connection:
    """A connection in autocommit mode (transactions are explicit) with rows by name;
    `readonly` opens an existing file without the right to change it. Raises StoreError."""
    if readonly:
        db = _open(f"{path.resolve().as_uri()}?mode=ro", path, uri=True)
        try:
            db.execute("SELECT count(*) FROM sqlite_master")
        except StoreError:
            db.close()
            wal = path.with_name(path.name + "-wal")
            if wal.exists() or os.access(path.parent, os.W_OK):
                raise
            # A folder nobody can write (a read-only mount) holds a database whose WAL index
            # cannot be created; with no WAL file left, nothing can change it under us.
            db = _open(f"{path.resolve().as_uri()}?mode=ro&immutable=1", path, uri=True)
        return db
    return _open(str(path), path, uri=False)


def _open(target: str, path: Path, *, uri: bool) -> _Connection:
    try:
        db = sqlite3.connect(target, uri=uri, timeout=30,
                             isolation_level=None, factory=_Connection)
    except sqlite3.Error as exc:
        raise store_error(path, exc) from exc
    assert isinstance(db, _Connection)
    db.path = path
    db.row_factory = sqlite3.Row
    return db
