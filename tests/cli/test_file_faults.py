"""File-system faults wherever they strike (the lock, the store, the log file, publish's
writes): one `Error:` line with what to do and exit code 2, never a traceback.

Real faults where the machine allows it: a read-only mount and a full disk are made with a
small tmpfs in a private mount namespace (`unshare -rm`, no root needed where user
namespaces are enabled); those tests skip where it is not. A file where the output folder
should be is real everywhere; a full state database after the files were written is a
patched error, as it strikes only in a narrow window.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from fakes import FakeArxiv, FakeChat
from paths import REPO
from weekly_fixtures import week_papers

from pipeline.cli import base
from pipeline.cli.main import cli
from pipeline.store import Store
from pipeline.store.schema import store_error


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    try:
        done = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs tmpfs /mnt"],
                              capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


needs_namespace = pytest.mark.skipif(not _unshare_works(),
                                     reason="needs unshare -rm to mount a small tmpfs")


@pytest.fixture
def site(make_config: Callable[..., Path], arxiv_api: FakeArxiv, chat_api: FakeChat,
         tmp_path: Path) -> Path:
    """A digest folder (config with relative paths, one approved draft) to copy elsewhere."""
    arxiv_api.add(*week_papers())
    data = yaml.safe_load(make_config().read_text())
    data["output"] = {"dir": "output", "database": "output/paperlist.db", "cache_dir": "cache"}
    folder = tmp_path / "site"
    folder.mkdir()
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump(data))
    for args in (["summarize", "2404.06001"], ["drafts", "approve", "2404.06001"]):
        result = CliRunner().invoke(cli, [*args, "--config", str(config)])
        assert result.exit_code == 0, result.output
    return folder


def in_namespace(site: Path, mount: Path, setup: str,
                 *commands: str | tuple[str, str]) -> list[dict[str, Any]]:
    """Copy `site` onto a tmpfs mounted at `mount` in a private mount namespace, run the shell
    `setup` there, then each paperlist command (a `(shell, command)` pair runs the shell line
    first); their exit code, stdout, stderr and what the output folder holds after each."""
    mount.mkdir()
    out = mount.parent / f"{mount.name}-results"
    out.mkdir()
    python = shlex.quote(sys.executable)
    lines = ["set -e", f"mount -t tmpfs -o size=4m tmpfs {mount}", f"cp -a {site}/. {mount}/",
             setup, "set +e"]
    for number, item in enumerate(commands):
        before, command = item if isinstance(item, tuple) else ("", item)
        lines.append(before)
        lines.append(f"{python} -m pipeline {command} --config {mount}/config.yaml "
                     f"> {out}/{number}.out 2> {out}/{number}.err; echo $? > {out}/{number}.rc")
        lines.append(f"ls -a {mount}/output > {out}/{number}.ls")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(["unshare", "-rm", "sh", "-c", "\n".join(lines)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return [{"rc": int((out / f"{n}.rc").read_text()), "out": (out / f"{n}.out").read_text(),
             "err": (out / f"{n}.err").read_text(), "ls": (out / f"{n}.ls").read_text().split()}
            for n in range(len(commands))]


def one_error_line(result: dict[str, Any]) -> str:
    err = result["err"]
    assert err.count("\n") == 1 and err.startswith("Error: "), err
    assert "Traceback" not in err and "Logging error" not in err
    return str(err)


@needs_namespace
def test_a_read_only_output_folder(site: Path, tmp_path: Path) -> None:
    mount = tmp_path / "ro"
    status, listed, publish, weekly, summarize = in_namespace(
        site, mount, f"mount -o remount,ro {mount}", "status", "drafts list",
        "publish", "weekly --week 2024-W15", "summarize 2404.06002")
    # reading works on a read-only folder
    assert (status["rc"], status["err"]) == (0, "")
    assert status["out"].startswith("Papers: 1 approved\n")
    assert (listed["rc"], listed["err"]) == (0, "No drafts with status drafted.\n")
    # writing says what is wrong and what to do
    lock = f"{mount}/output/paperlist.lock"
    for result in (publish, weekly):
        assert result["rc"] == 2
        assert one_error_line(result) == (f"Error: cannot write {lock}: the file system is "
                                          "read-only: point output.dir at a writable folder\n")
    assert summarize["rc"] == 2
    assert one_error_line(summarize).startswith(
        f"Error: the state database {mount}/output/paperlist.db: its folder is read-only: make "
        "it writable, or point output.dir elsewhere (")


@needs_namespace
def test_a_full_disk_during_publish(site: Path, tmp_path: Path) -> None:
    mount = tmp_path / "full"
    # the disk is filled to its last page; then room is made and publish runs again
    full, freed = in_namespace(
        site, mount, f"dd if=/dev/zero of={mount}/filler bs=4k 2>/dev/null || true",
        "publish", (f"rm {mount}/filler", "publish"))
    assert full["rc"] == 2
    assert "free some space" in one_error_line(full)
    assert not any(name.endswith(".tmp") or name.startswith("PaperList_")
                   for name in full["ls"])
    assert (freed["rc"], freed["out"]) == (0, "2404.06001\n"), freed["err"]
    assert "PaperList_202404.md" in freed["ls"]


def test_a_file_where_the_output_folder_should_be(site: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    shutil.copytree(site, blocked)
    shutil.rmtree(blocked / "output")
    (blocked / "output").write_text("not a folder\n")
    config = blocked / "config.yaml"
    expected = {
        "publish": f"Error: cannot write {blocked}/output: a file is in the way where a folder "
                   "should be: check output.dir\n",
        "weekly": f"Error: cannot write {blocked}/output: a file is in the way where a folder "
                  "should be: check output.dir\n",
        "summarize": f"Error: cannot create the folder {blocked}/output for the state "
                     "database: a file is in the way where a folder should be: check "
                     "output.dir\n",
        "drafts": "Error: 2404.06001: no draft for this paper (there are no drafts yet)\n",
    }
    for command, args in (("publish", []), ("weekly", ["--week", "2024-W15"]),
                          ("summarize", ["2404.06002"]),
                          ("drafts", ["approve", "2404.06001"])):
        result = CliRunner().invoke(cli, [command, *args, "--config", str(config)])
        assert (result.exit_code, result.stderr) == (2, expected[command]), command
    status = CliRunner().invoke(cli, ["status", "--config", str(config)])
    assert status.exit_code == 0 and status.stdout.startswith("Papers: none yet")


def test_a_full_database_after_the_files_were_written(site: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    config = site / "config.yaml"

    def full(self: Store, paper_id: str, month: str) -> None:
        raise store_error(self.path, sqlite3.OperationalError("database or disk is full"))

    with monkeypatch.context() as patch:
        patch.setattr(Store, "mark_published", full)
        result = CliRunner().invoke(cli, ["publish", "--config", str(config)])
    assert (result.exit_code, result.stderr) == (
        2, f"Error: the entries are in PaperList_202404.md, but the state database {site}/"
        "output/paperlist.db: the disk is full: free some space and run again (database or disk "
        "is full); publish again when that is fixed (nothing is added twice)\n")
    monthly = (site / "output" / "PaperList_202404.md").read_text()
    again = CliRunner().invoke(cli, ["publish", "--config", str(config)])
    assert again.exit_code == 0
    assert again.stderr == "Published 0 entries to PaperList_202404.md; 1 were already there.\n"
    assert (site / "output" / "PaperList_202404.md").read_text() == monthly
    listed = CliRunner().invoke(cli, ["drafts", "list", "--status", "published", "--config",
                                      str(config)])
    assert listed.stdout.startswith("2404.06001\tpublished\t")


class _FullDisk:
    """A log file stream on a full disk."""

    def write(self, text: str) -> int:
        raise OSError(28, "No space left on device")

    def flush(self) -> None:
        raise OSError(28, "No space left on device")

    def close(self) -> None:
        pass


def test_a_log_file_that_cannot_be_written(site: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base.LogFile, "_open", lambda self: _FullDisk())
    config = site / "config.yaml"
    ok = CliRunner().invoke(cli, ["publish", "--dry-run", "--config", str(config)])
    assert ok.exit_code == 0
    assert ok.stderr.endswith(
        "Would add 1 entries to PaperList_202404.md (0 already there).\n"
        f"Warning: could not write the log file {site}/output/paperlist.log: no space left on "
        "the device: free some space and run again.\n")
    assert "Logging error" not in ok.output
    failed = CliRunner().invoke(cli, ["summarize", "2404.99999", "--config", str(config)])
    assert failed.exit_code == 2
    # the error line says what failed; a word about the log file would only distract
    assert failed.stderr == ("Summarizing 2404.99999 with fake-model...\n"
                             "Error: 2404.99999: arXiv has no paper with this id\n")


def test_read_only_commands_create_nothing(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    monkeypatch.delenv("PAPERLIST_CONFIG", raising=False)
    for args in (["status"], ["drafts", "list"], ["drafts", "list", "--json"],
                 ["model", "status"], ["publish", "--dry-run"], ["drafts", "show", "2404.00001"]):
        result: Result = CliRunner().invoke(cli, args)
        assert result.exit_code in (0, 2), (args, result.output)
        assert "Traceback" not in result.output
        assert list(empty.iterdir()) == [], args
    assert CliRunner().invoke(cli, ["status"]).stdout == (
        f"Papers: none yet (no state database at {empty}/output/paperlist.db)\n")


def test_candidates_only_reads(arxiv_api: FakeArxiv, make_config: Callable[..., Path],
                               tmp_path: Path) -> None:
    arxiv_api.add(*week_papers())
    data = yaml.safe_load(make_config().read_text())
    data["output"] = {"dir": "output", "database": "output/paperlist.db", "cache_dir": "cache"}
    folder = tmp_path / "fresh"
    folder.mkdir()
    (folder / "config.yaml").write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(cli, ["candidates", "--week", "2024-W15", "--config",
                                      str(folder / "config.yaml")])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 24  # the week's papers on topic, ranked
    assert [p.name for p in folder.iterdir()] == ["config.yaml"]
