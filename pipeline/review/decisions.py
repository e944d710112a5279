"""Editors' decisions on drafts: list, show, approve, reject, edit.

A draft moves drafted -> approved | rejected -> published. An edit replaces the entry's text
for publishing and is never overwritten by a later run.
"""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, datetime
from pathlib import Path

from ..errors import ReviewError
from ..models import DraftRecord
from ..models.ids import paper_key
from ..store import Store

REVIEW_STATUSES = ("drafted", "approved", "rejected", "published")


def list_drafts(store: Store, status: str = "drafted") -> list[DraftRecord]:
    """The drafts with one of REVIEW_STATUSES, or with any of them ("all")."""
    if status != "all" and status not in REVIEW_STATUSES:
        raise ReviewError(f"no such draft status {status!r}")
    return store.drafts(REVIEW_STATUSES if status == "all" else (status,))


def get_draft(store: Store, paper_id: str) -> DraftRecord:
    record = store.draft(paper_key(paper_id))
    if record is None:
        raise ReviewError("no draft for this paper", paper_id=paper_id)
    return record


def approve(store: Store, paper_id: str) -> bool:
    """Approve a draft (also a rejected one); False when it was approved already."""
    record = get_draft(store, paper_id)
    status = record.paper.status
    if status == "approved":
        return False
    if status == "published":
        raise ReviewError("already published", paper_id=record.paper.id)
    store.review(record.paper.id, "approved")
    return True


def reject(store: Store, paper_id: str, reason: str) -> None:
    if not reason.strip():
        raise ReviewError("a rejection needs a reason (--reason TEXT)", paper_id=paper_id)
    record = get_draft(store, paper_id)
    if record.paper.status == "published":
        raise ReviewError("already published; remove it from the monthly list by hand",
                          paper_id=record.paper.id)
    store.review(record.paper.id, "rejected", reason=reason.strip())


def editable(store: Store, paper_id: str) -> DraftRecord:
    """The draft to edit; ReviewError when it cannot be edited, checked before an editor is
    opened so that nobody edits for nothing."""
    record = get_draft(store, paper_id)
    if record.paper.status == "published":
        raise ReviewError("already published; edit the monthly list itself",
                          paper_id=record.paper.id)
    return record


def save_edit(store: Store, paper_id: str, text: str) -> bool:
    """Keep an editor's version of the entry; False when nothing changed. ReviewError when the
    draft cannot be edited or the text is not an entry."""
    record = editable(store, paper_id)
    cleaned = text.replace("\r\n", "\n").strip("\n") + "\n"
    if not re.match(r"#{1,6} \S", cleaned):
        raise ReviewError("an entry must start with its title heading (#### Title)",
                          paper_id=record.paper.id)
    if cleaned == record.final_entry:
        return False
    store.save_edit(record.paper.id, cleaned)
    return True


def keep_rejected_edit(folder: Path, paper_id: str, text: str) -> Path:
    """Save an edit that was refused as `folder/<id>-<UTC time>.md`, so no typing is lost;
    returns the file's path. Raises OSError when the folder cannot be written."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{re.sub(r'[^0-9A-Za-z.-]+', '_', paper_id)}-{stamp}.md"
    path.write_text(text, encoding="utf-8")
    return path


def describe(record: DraftRecord, width: int = 96) -> str:
    """A draft as an editor reads it before deciding: what the paper is, then the entry."""
    paper = record.paper
    lines = [
        f"{paper.title}",
        f"{paper.url or paper.pdf_path or paper.id}  "
        f"({f'v{paper.version}' if paper.url else 'local PDF ' + paper.id}, {paper.status}, "
        f"section {record.summary.section})",
    ]
    if paper.abstract:
        lines += ["", "Abstract:", textwrap.fill(paper.abstract, width, initial_indent="  ",
                                                 subsequent_indent="  ")]
    lines += ["", "Entry" + (" (edited by an editor):" if record.edited_entry else ":"),
              record.final_entry.rstrip("\n")]
    evidence = record.checks.get("evidence") or {}
    if evidence:
        lines += ["", "Evidence (not published):"]
        for field_name, quotes in evidence.items():
            for quote in quotes:
                mark = "verified" if quote.get("verified") else "NOT FOUND in the paper"
                lines.append(f"  {field_name}, p. {quote.get('page', '?')}, {mark}: "
                             f"\"{quote.get('text', '')}\"")
    flags = record.flags
    lines += ["", "Checks: " + ("; ".join(flags) if flags else
                                "verified" if record.checks else "not run")]
    if record.reject_reason:
        lines.append(f"Rejected: {record.reject_reason}")
    lines.append(f"Model: {record.model}, prompt {record.prompt_version}, "
                 f"{record.prompt_tokens}+{record.completion_tokens} tokens, "
                 f"{record.latency_s:.1f} s")
    return "\n".join(lines) + "\n"
