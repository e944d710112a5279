"""The state database: schema upgrades of an older file, run warnings and run errors,
ranking reasons and coverage."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pipeline.models import Paper, Reason
from pipeline.store import Store

# The runs and papers tables as paperlist 0.1 (schema 1) wrote them (schema 2 added
# runs.error, schema 3 papers.reasons).
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
CREATE TABLE papers (
    id TEXT PRIMARY KEY, version INTEGER NOT NULL, title TEXT NOT NULL,
    abstract TEXT NOT NULL DEFAULT '', authors TEXT NOT NULL DEFAULT '[]',
    categories TEXT NOT NULL DEFAULT '[]', primary_category TEXT NOT NULL DEFAULT '',
    published TEXT, updated TEXT, comment TEXT NOT NULL DEFAULT '', section TEXT,
    status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, error TEXT, error_stage TEXT,
    pdf_path TEXT, run_id INTEGER, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
INSERT INTO papers (id, version, title, section, status, created_at, updated_at)
    VALUES ('2404.00001', 1, 'An Old Paper', 'LLM', 'drafted', '2024-04-15', '2024-04-15');
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


def test_a_schema_2_database_gains_the_ranking_reasons(tmp_path: Path) -> None:
    path = tmp_path / "paperlist.db"
    with sqlite3.connect(path) as db:
        db.executescript(_V1_RUNS.replace("PRAGMA user_version=1;", "")
                         + "ALTER TABLE runs ADD COLUMN error TEXT; PRAGMA user_version=2;")
    with Store(path) as store:
        old = store.paper("2404.00001")
        assert old is not None and (old.reasons, old.score) == ((), None)
        reasons = (Reason("taste", 0.75, 'like "X"'), Reason("community", 0.5, "Daily Papers"))
        store.add_paper(Paper(id="2404.00002", version=1, title="New", abstract=""),
                        section="LLM", run_id=None, status="candidate", reasons=reasons)
        new = store.paper("2404.00002")
        assert new is not None and (new.reasons, new.score, new.status) == (
            reasons, 1.25, "candidate")
        assert store.counts()["candidate"] == 1


def test_coverage_is_the_end_of_the_finished_weekly_runs(tmp_path: Path) -> None:
    with Store(tmp_path / "paperlist.db") as store:
        assert store.coverage_end() is None
        store.finish_run(store.start_run("weekly", ("2024-04-08", "2024-04-14")), "finished")
        store.finish_run(store.start_run("weekly", ("2024-04-15", "2024-04-21")), "failed")
        store.finish_run(store.start_run("weekly", ("2024-03-01", "2024-03-07")), "finished")
        store.start_run("weekly", ("2024-04-22", "2024-04-28"))  # still running
        assert store.coverage_end() == "2024-04-14"
