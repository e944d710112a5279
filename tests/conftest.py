"""Shared fixtures: fake arXiv and chat servers on 127.0.0.1, and a config pointing at them.

`tests/` (and the repo root, for `pipeline`) is put on sys.path so tests can write
`from fakes import FakeArxiv, FakePaper` and `from pdfgen import make_pdf`. Proxies are
switched off for the session: every request goes to 127.0.0.1.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

TESTS_DIR = Path(__file__).parent
for _path in (TESTS_DIR.parent, TESTS_DIR):  # the repo root (for `pipeline`), then tests/
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

for _name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_name, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

from fakes import FakeArxiv, FakeChat, FakeDailyPapers  # noqa: E402

from pipeline.config import load_config  # noqa: E402


@pytest.fixture
def arxiv_api() -> Iterator[FakeArxiv]:
    """A started fake arXiv (export API + PDFs); add papers with `arxiv_api.add(FakePaper(...))`."""
    with FakeArxiv() as fake:
        yield fake


@pytest.fixture
def chat_api() -> Iterator[FakeChat]:
    """A started fake chat-completions server; `chat_api.base_url` ends in /v1."""
    with FakeChat() as fake:
        yield fake


@pytest.fixture
def daily_api() -> Iterator[FakeDailyPapers]:
    """A started fake Hugging Face Daily Papers endpoint; `daily_api.feature(day, paper)`."""
    with FakeDailyPapers() as fake:
        yield fake


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`base` updated by `overrides`, nested dicts merged key by key (lists are replaced)."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@pytest.fixture
def make_config(
    tmp_path: Path, arxiv_api: FakeArxiv, chat_api: FakeChat, daily_api: FakeDailyPapers,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., Path]:
    """`make_config(**overrides)` or `make_config({...})` -> tmp_path/"config.yaml".

    The file points at the fakes (arXiv, chat, Daily Papers) with no delays and one retry,
    keeps every output under tmp_path, and is validated with pipeline.config.load_config
    before it is returned. The API key env var (model.api_key_env, OPENAI_API_KEY by default)
    is set to "test-key".
    """

    def write(overrides: dict[str, Any] | None = None, /, **more: Any) -> Path:
        base: dict[str, Any] = {
            "arxiv": {
                "api_url": arxiv_api.api_url,
                "pdf_url": arxiv_api.pdf_url,
                "delay_seconds": 0,
                "download_delay": 0,
                "num_retries": 1,
                "timeout": 10,
            },
            "model": {
                "base_url": chat_api.base_url,
                "name": "fake-model",
                "api_key_env": "OPENAI_API_KEY",
                "timeout": 30,
            },
            "rank": {"hf_daily_url": daily_api.api_url, "timeout": 10, "retries": 1},
            "output": {
                "dir": str(tmp_path / "output"),
                "database": str(tmp_path / "output" / "paperlist.db"),
                "cache_dir": str(tmp_path / "cache"),
            },
        }
        data = merge(merge(base, overrides or {}), more)
        monkeypatch.setenv(data["model"].get("api_key_env") or "OPENAI_API_KEY", "test-key")
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        load_config(path)  # a schema mismatch fails here, naming the setting
        return path

    return write
