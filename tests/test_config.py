"""config.yaml: documented defaults, resolution order, and typos named in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from paths import REPO

from pipeline.config import Config, load_config
from pipeline.errors import ConfigError


def test_shipped_config_documents_exactly_the_defaults() -> None:
    shipped = load_config(REPO / "config.yaml")
    assert shipped == Config(root=REPO)
    text = (REPO / "config.yaml").read_text()
    for section in ("arxiv", "model", "extract", "weekly", "rank", "output"):
        for key in type(getattr(shipped, section)).model_fields:
            assert f"  {key}:" in text, f"{section}.{key} is not documented in config.yaml"


def test_the_shipped_config_leaves_the_local_models_own_defaults(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's commands with the shipped config.yaml: the built-in model runs with its own
    timeout, concurrency, context and name, not the endpoint's written beside them."""
    from pipeline.local.files import DEFAULT_MODEL
    from pipeline.local.server import local_settings, wants_local

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    shipped = load_config(REPO / "config.yaml")
    assert wants_local(shipped.model)
    local = local_settings(shipped.model)
    assert (local.timeout, local.concurrency, local.context_tokens) == (600, 1, 8192)
    assert local.name == DEFAULT_MODEL.name == "qwen2.5-coder-1.5b-instruct-q4_k_m"
    assert shipped.input_budget(local, local=True) == 900


def test_the_older_spelling_of_the_local_model_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("model:\n  path: m.gguf\n  threads: 2\n")
    model = load_config(path).model
    assert (model.path, model.threads) == (Path("m.gguf"), 2)
    assert model.local.path == Path("m.gguf")
    path.write_text("model:\n  path: m.gguf\n  local:\n    path: n.gguf\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (f"{path}: model: path is given twice, as model.path and "
                                 "model.local.path")


def test_env_variable_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "digest.yaml"
    path.write_text("model:\n  name: other-model\n")
    monkeypatch.setenv("PAPERLIST_CONFIG", str(path))
    assert load_config().model.name == "other-model"
    assert load_config(None).root == tmp_path


def test_missing_default_file_means_defaults(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAPERLIST_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert load_config().model.name == "gpt-4o-mini"


def test_relative_paths_resolve_against_the_file(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "c.yaml"
    path.parent.mkdir()
    path.write_text("output:\n  database: state/x.db\n")
    config = load_config(path)
    assert config.path(config.output.database) == tmp_path / "conf" / "state" / "x.db"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("model:\n  nme: x\n", "c.yaml: model.nme: unknown setting (did you mean model.name?)"),
        ("modle:\n  name: x\n", "c.yaml: modle: unknown setting (did you mean model?)"),
        ("arxiv:\n  timeout: soon\n",
         "c.yaml: arxiv.timeout: Input should be a valid number, unable to parse string as a "
         "number"),
        ("arxiv:\n  pdf_url: https://arxiv.org/pdf/\n",
         "c.yaml: arxiv.pdf_url: must contain {id}, where the versioned arXiv id goes"),
        ("model:\n  base_url: notaurl\n",
         "c.yaml: model.base_url: must be an http:// or https:// URL; got 'notaurl'"),
        ("arxiv:\n  api_url: ftp://x\n",
         "c.yaml: arxiv.api_url: must be an http:// or https:// URL; got 'ftp://x'"),
        ("topics:\n  - name: LLM\n    categories: [cs.CL]\n    include: [LLM]\n    exlude: []\n",
         "c.yaml: topics.0.exlude: unknown setting (did you mean topics.0.exclude?)"),
        ("model: [1, 2\n",
         "c.yaml line 2: not valid YAML: expected ',' or ']', but got '<stream end>'"),
        ("- a\n- b\n", "c.yaml: expected a mapping of settings at the top level"),
    ],
)
def test_config_errors_are_one_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{tmp_path}/{message}"


def test_named_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_budget_follows_the_context_window() -> None:
    config = Config.model_validate({"model": {"context_tokens": 8192, "max_output_tokens": 1000}})
    assert config.token_budget == 8192 - 1000 - 900
    assert Config.model_validate({"extract": {"token_budget": 3000}}).token_budget == 3000
