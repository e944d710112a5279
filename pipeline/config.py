"""config.yaml, validated: a typo is an error that names the setting, never a silent default.

Relative paths in the file are resolved against the file's own folder, so a cron job that runs
`paperlist --config /srv/digest/config.yaml weekly` from any directory writes to the same place.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from . import CONFIG_ENV
from .errors import ConfigError

# Prompt processing on 2 CPU cores runs at about 40-55 tokens/s, so the local model reads at
# most this many (estimated) tokens of a paper's passages (abstract, what it does, conclusion):
# read once, then served from the prompt cache to every request for the draft.
LOCAL_INPUT_TOKENS = 900
DEFAULT_CONFIG = "config.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _http_url(value: str | None) -> str | None:
    """An http(s) URL with a host (None and '' pass: they turn a source off)."""
    if value and not re.match(r"https?://[^/\s?#]+", value, re.I):
        raise ValueError(f"must be an http:// or https:// URL; got {value!r}")
    return value


class ArxivSettings(_Strict):
    api_url: str = "https://export.arxiv.org/api/query"
    pdf_url: str = "https://arxiv.org/pdf/{id}"
    timeout: float = Field(30.0, gt=0)
    delay_seconds: float = Field(3.0, ge=0)
    page_size: int = Field(100, ge=1, le=2000)
    num_retries: int = Field(3, ge=0)
    max_retry_after: float = Field(120.0, ge=0)
    max_pdf_mb: float = Field(50.0, gt=0)
    download_delay: float = Field(1.0, ge=0)
    query_budget: float = Field(300.0, gt=0)
    download_timeout: float = Field(300.0, gt=0)

    _urls = field_validator("api_url", "pdf_url")(_http_url)

    @field_validator("pdf_url")
    @classmethod
    def _has_placeholder(cls, value: str) -> str:
        if "{id}" not in value:
            raise ValueError("must contain {id}, where the versioned arXiv id goes")
        return value


LOCAL_CONTEXT_TOKENS = 8192
LOCAL_TIMEOUT = 600.0  # a 4k-token prompt took 2.5 minutes on 2 cores; 6k takes about 4


class LocalModelSettings(_Strict):
    """The built-in llama.cpp model's own settings (`model.local` in config.yaml).

    Never taken from the endpoint's settings beside them: a config written for a remote model
    (its name, a 180 s timeout, 4 requests at a time, a 16k context) must not reach a 1.5B model
    on two CPU cores, which needs an 8k context, one request at a time (two would share the same
    cores and defeat prompt caching) and a timeout long enough for CPU prompt processing.
    """

    path: Path | None = None  # a GGUF file instead of the built-in default
    threads: int | None = Field(None, ge=1)  # CPU threads (empty: llama.cpp's default, all cores)
    context_tokens: int = Field(LOCAL_CONTEXT_TOKENS, ge=1024)
    timeout: float = Field(LOCAL_TIMEOUT, gt=0)
    concurrency: int = Field(1, ge=1, le=64)


class ModelSettings(_Strict):
    provider: Literal["auto", "openai", "local"] = "auto"
    base_url: str | None = None
    name: str = "gpt-4o-mini"
    api_key_env: str = "OPENAI_API_KEY"
    timeout: float = Field(180.0, gt=0)
    max_retries: int = Field(2, ge=0)
    max_retry_after: float = Field(120.0, ge=0)
    repair_attempts: int = Field(2, ge=0)
    temperature: float = Field(0.2, ge=0, le=2)
    max_output_tokens: int = Field(1200, ge=64)
    context_tokens: int = Field(16384, ge=1024)
    concurrency: int = Field(4, ge=1, le=64)
    local: LocalModelSettings = LocalModelSettings()

    _url = field_validator("base_url")(_http_url)

    @model_validator(mode="before")
    @classmethod
    def _local_keys_at_the_top(cls, data: Any) -> Any:
        """`model.path` and `model.threads`, the older spelling of `model.local.path/threads`."""
        if not isinstance(data, dict) or not {"path", "threads"} & data.keys():
            return data
        data = dict(data)
        local = data.get("local")
        local = dict(local) if isinstance(local, dict) else {}
        for key in ("path", "threads"):
            if key in data:
                if key in local:
                    raise ValueError(f"{key} is given twice, as model.{key} and model.local.{key}")
                local[key] = data.pop(key)
        data["local"] = local
        return data

    @property
    def path(self) -> Path | None:
        """The local model's GGUF file, when one is configured instead of the default."""
        return self.local.path

    @property
    def threads(self) -> int | None:
        return self.local.threads


class ExtractSettings(_Strict):
    token_budget: int | None = Field(None, ge=256)
    workers: int | None = Field(None, ge=1)
    timeout: float = Field(120.0, gt=0)
    chars_per_token: float = Field(3.5, gt=0)


class ChecksSettings(_Strict):
    max_copied_words: int = Field(30, ge=5)
    numbers_budget: int = Field(500, ge=0)


class TopicSettings(_Strict):
    name: str
    categories: list[str] = Field(min_length=1)
    include: list[str] = Field(min_length=1)
    exclude: list[str] = []


class WeeklySettings(_Strict):
    max_papers: int = Field(15, ge=1)
    max_attempts: int = Field(3, ge=1)
    overlap_days: int = Field(3, ge=0)


class RankWeights(_Strict):
    """How much each signal counts in a candidate's score (see config.yaml for the scale)."""

    taste: float = Field(1.0, ge=0)
    community: float = Field(0.5, ge=0)
    topic: float = Field(0.05, ge=0)


class RankSettings(_Strict):
    """The shortlist's signals: pipeline/find/ranking.py and the modules it calls."""

    weights: RankWeights = RankWeights()
    neighbours: int = Field(3, ge=1)
    rejected: float = Field(0.5, ge=0)
    upvotes: float = Field(0.5, ge=0, le=1)
    hf_daily_url: str | None = "https://huggingface.co/api/daily_papers"
    hf_days_after: int = Field(3, ge=0)
    timeout: float = Field(20.0, gt=0)
    retries: int = Field(2, ge=0)

    _url = field_validator("hf_daily_url")(_http_url)


class OutputSettings(_Strict):
    dir: Path = Path("output")
    database: Path = Path("output/paperlist.db")
    cache_dir: Path = Path("output/cache")
    language: str = "English"
    link_hosts: list[str] = []

    @field_validator("link_hosts")
    @classmethod
    def _bare_hosts(cls, value: list[str]) -> list[str]:
        hosts = [host.strip().lower() for host in value]
        bad = next((h for h in hosts if not re.fullmatch(r"[a-z0-9.-]+(?::\d+)?", h)), None)
        if bad is not None:
            raise ValueError(f"{bad!r} is not a host name (e.g. github.com, without https://)")
        return hosts


class ServeSettings(_Strict):
    """The review page (`paperlist serve`)."""

    host: str = "127.0.0.1"
    port: int = Field(8765, ge=0, le=65535)
    # The variable that holds the page's access token; required to bind beyond loopback.
    token_env: str = "PAPERLIST_SERVE_TOKEN"


def _default_topics() -> list[TopicSettings]:
    image = ["cs.CV", "cs.GR", "cs.LG"]
    return [
        TopicSettings(name="LLM", categories=["cs.CL", "cs.LG", "cs.AI"],
                      include=["large language model", "LLM", "long context", "language model"],
                      exclude=["survey"]),
        TopicSettings(name="Diffusion", categories=image,
                      include=["diffusion model", "denoising diffusion", "score-based",
                               "flow matching", "classifier-free guidance"],
                      exclude=["survey"]),
        TopicSettings(name="Controllable", categories=image,
                      include=["controllable generation", "ControlNet", "conditional control",
                               "layout-to-image"],
                      exclude=["survey"]),
        TopicSettings(name="Diffusion Transformer", categories=image,
                      include=["diffusion transformer", "DiT"], exclude=["survey"]),
        TopicSettings(name="Video Generation", categories=image,
                      include=["video generation", "text-to-video", "video diffusion"],
                      exclude=["survey"]),
        TopicSettings(name="Image Generation", categories=image,
                      include=["image generation", "text-to-image", "image synthesis"],
                      exclude=["survey"]),
    ]


class Config(_Strict):
    """Every setting paperlist reads; see config.yaml for what each one does."""

    arxiv: ArxivSettings = ArxivSettings()
    model: ModelSettings = ModelSettings()
    extract: ExtractSettings = ExtractSettings()
    topics: list[TopicSettings] = Field(default_factory=_default_topics, min_length=1)
    weekly: WeeklySettings = WeeklySettings()
    rank: RankSettings = RankSettings()
    checks: ChecksSettings = ChecksSettings()
    output: OutputSettings = OutputSettings()
    serve: ServeSettings = ServeSettings()
    root: Path = Path(".")

    @field_validator("topics")
    @classmethod
    def _unique_topics(cls, value: list[TopicSettings]) -> list[TopicSettings]:
        names = [t.name.casefold() for t in value]
        duplicate = next((n for n in names if names.count(n) > 1), None)
        if duplicate:
            raise ValueError(f"topic {duplicate!r} is listed twice")
        return value

    @property
    def sections(self) -> list[str]:
        return [t.name for t in self.topics]

    def path(self, value: Path) -> Path:
        """A configured path, resolved against the config file's folder."""
        value = value.expanduser()
        return value if value.is_absolute() else self.root / value

    @property
    def token_budget(self) -> int:
        return self.input_budget()

    def input_budget(self, model: ModelSettings | None = None, *, local: bool = False) -> int:
        """The paper text's size in tokens: explicit, or what the model's context window leaves
        after instructions and answer. On the local CPU model it is also capped for speed."""
        if self.extract.token_budget:
            return self.extract.token_budget
        model = model or self.model
        reserve = model.max_output_tokens + 900  # instructions, schema and the paper's header
        derived = max(512, model.context_tokens - reserve)
        return min(derived, LOCAL_INPUT_TOKENS) if local else derived


def config_path(explicit: str | os.PathLike[str] | None) -> Path:
    """--config, then $PAPERLIST_CONFIG, then ./config.yaml."""
    return Path(explicit or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def load_config(explicit: str | os.PathLike[str] | None = None) -> Config:
    """Read and validate the config; a missing default file means 'all defaults'."""
    path = config_path(explicit)
    named = explicit is not None or CONFIG_ENV in os.environ
    if not path.exists():
        if named:
            raise ConfigError(f"config file {path} does not exist")
        return Config(root=Path.cwd())
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}{where}: not valid YAML: {problem}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    return parse_config(data, root=path.resolve().parent, source=str(path))


def parse_config(data: dict[str, Any], *, root: Path, source: str = "config") -> Config:
    try:
        return Config.model_validate({**data, "root": root})
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_describe(exc, data)}") from exc


def _describe(exc: ValidationError, data: dict[str, Any]) -> str:
    """The first problem, as `section.key: what is wrong`, with a suggestion for typos."""
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"]]
    where = ".".join(loc) or "(top level)"
    if error["type"] == "extra_forbidden":
        known = _known_keys(loc[:-1])
        close = difflib.get_close_matches(loc[-1], known, n=1)
        hint = f" (did you mean {'.'.join([*loc[:-1], close[0]])}?)" if close else ""
        return f"{where}: unknown setting{hint}"
    message = error["msg"].removeprefix("Value error, ")
    return f"{where}: {message}"


def _known_keys(loc: list[str]) -> list[str]:
    model: Any = Config
    for part in loc:
        if part.isdigit():
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", None)
        model = args[0] if args else annotation
    fields = getattr(model, "model_fields", {})
    return [name for name in fields if name != "root"]
