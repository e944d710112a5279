"""A non-editable install carries the review page's templates and static files."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from paths import REPO

PAGE_CHECK = """
import pathlib, sys, pipeline
from pipeline.config import Config
from pipeline.web.app import create_app
assert not pathlib.Path(pipeline.__file__).is_relative_to(sys.argv[2]), pipeline.__file__
app = create_app(Config(root=pathlib.Path(sys.argv[1])))
client = app.test_client()
week = client.get("/week", headers={"Host": "127.0.0.1"})
css = client.get("/static/style.css", headers={"Host": "127.0.0.1"})
assert week.status_code == 200 and b"This week" in week.data, week.status_code
assert css.status_code == 200 and b".shortlist" in css.data, css.status_code
print("ok")
"""


def test_the_wheel_serves_the_page_without_the_source_tree(tmp_path: Path) -> None:
    wheel_builder = pytest.importorskip("hatchling.builders.wheel")
    wheel = Path(next(iter(wheel_builder.WheelBuilder(str(REPO)).build(
        directory=str(tmp_path / "dist"), versions=["standard"]))))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("week.html", "draft.html", "publish.html", "status.html", "base.html"):
        assert f"pipeline/web/templates/{name}" in names
    assert "pipeline/web/static/style.css" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    result = subprocess.run(
        [sys.executable, "-c", PAGE_CHECK, str(tmp_path / "work"), str(REPO)],
        cwd=tmp_path, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout) == (0, "ok\n"), result.stderr
