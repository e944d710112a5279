"""Promises about the repository itself: CI runs the README's test command, as written."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("## On a fresh machine", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", section, re.S)


def test_readme_names_the_two_commands() -> None:
    main_job, tests = readme_commands()[:2]
    assert "paperlist weekly" in main_job and "pip install" in main_job
    assert "pytest" in tests and "pip install" in tests


def test_ci_runs_the_readme_test_command_exactly() -> None:
    tests = readme_commands()[1]
    lines = (REPO / ".ci" / "run").read_text().splitlines()
    assert tests in lines
    assert lines[1].startswith("#") and "set -euo pipefail" in lines
