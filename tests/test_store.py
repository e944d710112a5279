"""The state database: schema upgrades of an older file, run warnings and run errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pipeline.store import Store

# The runs table as paperlist 0.1 (schema 1) wrote it.
_V1_RUNS = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, command TEXT NOT NULL, status TEXT NOT NULL,
    pid INTEGER, window_start TEXT, window_end TEXT, started_at TEXT NOT NULL,
    finished_at TEXT, found INTEGER NOT NULL DEFAULT 0, drafted INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0, downloads INTEGER NOT NULL DEFAULT 0,
    model_calls INTEGER NOT NULL DEFAULT 0, prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0
);
INSERT INTO runs (command, status, started_at) VALUES ('weekly', 'finished', '2024-04-15');
PRAGMA user_version=1;
"""


def test_a_schema_1_database_is_upgraded_and_keeps_its_runs(tmp_path: Path) -> None:
    path = tmp_path / "paperlist.db"
    with sqlite3.connect(path) as db:
        db.executescript(_V1_RUNS)
    with Store(path) as store:
        [old] = store.runs()
        assert old["command"] == "weekly" and old["error"] is None
        run_id = store.start_run("weekly")
        store.finish_run(run_id, "failed", error="arXiv cannot be reached")
        assert store.runs(limit=1)[0]["error"] == "arXiv cannot be reached"
    with Store(path) as store:  # a second open migrates nothing twice
        assert store.db.execute("PRAGMA user_version").fetchone()[0] >= 2


def test_run_warnings_are_kept_in_order(tmp_path: Path) -> None:
    with Store(tmp_path / "paperlist.db") as store:
        run_id = store.start_run("weekly")
        store.add_run_warning(run_id, "daily-papers", "unreachable: connection refused")
        store.add_run_warning(run_id, "arxiv", "skipped an entry without an arXiv id")
        other = store.start_run("weekly")
        assert [(w["source"], w["message"]) for w in store.run_warnings(run_id)] == [
            ("daily-papers", "unreachable: connection refused"),
            ("arxiv", "skipped an entry without an arXiv id")]
        assert store.run_warnings(other) == []
