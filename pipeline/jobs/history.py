"""The group's history, as the taste signal learns from it.

Positives: every entry in the monthly lists (`PaperList_*.md`) and the README's Latest Update
block in `output.dir`, hand-written or published by paperlist, and every approved draft;
negatives: every rejected draft. An entry is its title and its text (keypoints, objective,
method, ...) without the markup; a rejected draft is the paper's title and abstract, as the
candidates are. Each paper counts once (by title), the first occurrence winning: the files,
then the state database.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from ..config import Config
from ..errors import PipelineError
from ..find.taste import PastEntry
from ..publish.digest import Document, entry_headings, is_month_heading, title_key
from ..publish.files import read_text
from ..store import Store

log = logging.getLogger(__name__)

_MARKUP = re.compile(r"<[^>]+>|`[^`\n]{1,40}:`|!?\[([^\]]*)\]\([^)]*\)")


def history_files(output_dir: Path) -> list[Path]:
    """The monthly lists, oldest first, then the README."""
    return [*sorted(output_dir.glob("PaperList_*.md")), output_dir / "README.md"]


def file_entries(text: str) -> list[PastEntry]:
    """The entries of one hand-written digest file, each with the section it is filed under
    (the heading one level above its title; None for a title directly under a month)."""
    doc = Document(text)
    headings = doc.headings()
    entries = []
    for heading in entry_headings(doc):
        parent = next((h for h in reversed(headings) if h.index < heading.index
                       and h.level == heading.level - 1), None)
        section = parent.text if parent and not is_month_heading(parent) else None
        body = "".join(doc.lines[heading.index + 1:doc.block_end(heading, headings)])
        entries.append(PastEntry(heading.text, clean(f"{heading.text}\n{body}"), section,
                                 key=title_key(heading.text)))
    return entries


def clean(text: str) -> str:
    """Entry text without HTML tags, field labels and link targets, whitespace collapsed."""
    return " ".join(_MARKUP.sub(lambda m: f" {m.group(1) or ''} ", text).split())


def past_entries(config: Config, store: Store) -> tuple[list[PastEntry], list[str]]:
    """The history and the problems met reading it (a file that cannot be read is left out
    and named, never a reason to stop a run)."""
    entries: list[PastEntry] = []
    problems: list[str] = []
    for path in history_files(config.path(config.output.dir)):
        try:
            text = read_text(path)
        except PipelineError as exc:
            problems.append(f"{path.name} left out of the history: {exc.message}")
            continue
        if text is not None:
            entries += file_entries(text)
    for record in store.drafts(("approved", "published")):
        entries.append(PastEntry(record.paper.title, clean(record.final_entry),
                                 record.summary.section,
                                 key=title_key(record.paper.title)))
    for record in store.drafts(("rejected",)):
        paper = record.paper
        entries.append(PastEntry(paper.title, f"{paper.title}. {paper.abstract}",
                                 positive=False, key=title_key(paper.title)))
    unique: dict[str, PastEntry] = {}
    for entry in entries:
        unique.setdefault(entry.key or f"#{len(unique)}", entry)
    log.info("history: %d entries (%d rejected drafts)", len(unique),
             sum(not e.positive for e in unique.values()))
    return list(unique.values()), problems
