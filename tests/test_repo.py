"""Promises about the repository itself: CI runs the README's test command as written, and
the package keeps its layout (a folder per stage, imports running downward)."""

from __future__ import annotations

import re

from paths import REPO


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


# The ground: two modules and two packages (the records; the state database).
GROUND = {"__init__", "__main__", "config", "models", "store", "errors"}
GROUND_PACKAGES = {"models", "store"}
STAGES = {"find", "read", "draft", "local", "review", "publish"}
# Who may import whom: a package may import the ground and the packages listed for it.
ALLOWED = {
    # `paperlist serve` starts the review page; the page never imports the command line.
    "cli": {"jobs", "web", *STAGES},
    "web": {"jobs", *STAGES},
    "jobs": STAGES,
    # The draft stage numbers a paper's sentences with the read stage's splitter.
    "draft": {"read"},
    **{stage: set() for stage in STAGES - {"draft"}},
    **{ground: set() for ground in GROUND_PACKAGES},
}


def test_pipeline_holds_a_folder_per_stage_and_only_the_ground_modules() -> None:
    top = {p.stem for p in (REPO / "pipeline").glob("*.py")}
    assert top | GROUND_PACKAGES == GROUND
    folders = {p.name for p in (REPO / "pipeline").iterdir()
               if p.is_dir() and not p.name.startswith(("_", "."))}
    assert folders == set(ALLOWED)
    for package in ALLOWED:
        init = (REPO / "pipeline" / package / "__init__.py").read_text()
        assert init.startswith('"""'), f"pipeline/{package}/__init__.py has no docstring"


def test_imports_run_downward_only() -> None:
    upward = []
    for path in sorted((REPO / "pipeline").glob("*/*.py")):
        package = path.parent.name
        for target in re.findall(r"^\s*from \.\.(\w+)", path.read_text(), re.M):
            if target not in GROUND and target not in ALLOWED[package]:
                upward.append(f"{path.relative_to(REPO)} imports pipeline.{target}")
    for path in sorted((REPO / "pipeline").glob("*.py")):
        for target in re.findall(r"^\s*from \.(\w+)", path.read_text(), re.M):
            if target not in GROUND and path.stem != "__main__":
                upward.append(f"{path.relative_to(REPO)} imports pipeline.{target}")
    assert upward == []


def test_no_module_passes_400_lines() -> None:
    long = [f"{p.relative_to(REPO)}: {n}" for p in sorted((REPO / "pipeline").rglob("*.py"))
            if (n := len(p.read_text().splitlines())) > 400]
    assert long == []
