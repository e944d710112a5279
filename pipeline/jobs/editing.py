"""An editor's edit of a draft's fields: validated, rendered, checked again, never lost.

A valid edit becomes the entry that gets published (the model's own entry is kept beside it)
and the draft's checks are run again on it against the paper's text. An edit that cannot be
saved (a field left empty, two keypoints, a published draft) is kept as it was typed, in
`<output>/edits/<id>.json`, with what was wrong, until the editor saves a valid one or discards
it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..config import Config
from ..draft.checks import (
    CheckReport,
    PaperText,
    Quote,
    check_keypoints,
    check_language,
    run_checks,
)
from ..errors import PipelineError, ReviewError
from ..models import DraftRecord
from ..models.summary import Summary
from ..publish.files import atomic_write_text
from ..review.decisions import get_draft
from ..store import Store
from .drafting import entry_for, load_extract

log = logging.getLogger(__name__)

FIELDS = ("keypoints", "objective", "method", "metric", "results", "limitation", "section")
NO_TEXT = "the paper's text is not at hand, so quotes and numbers were not checked again"


@dataclass(frozen=True)
class EditOutcome:
    """What became of an edit: saved (with its new check flags) or kept with its errors."""

    saved: bool
    changed: bool = False
    errors: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class PendingEdit:
    """An edit that could not be saved, as the editor typed it."""

    fields: dict[str, str]
    errors: tuple[str, ...]
    at: str
    path: Path = field(compare=False)


def summary_fields(summary: Summary) -> dict[str, str]:
    """A summary as the edit form shows it: keypoints joined by "; ", one method item per
    line, empty strings for absent optional fields."""
    return {"keypoints": "; ".join(summary.keypoints), "objective": summary.objective,
            "method": "\n".join(summary.method), "metric": summary.metric or "",
            "results": summary.results or "", "limitation": summary.limitation or "",
            "section": summary.section}


def parse_fields(fields: Mapping[str, str], sections: list[str]) -> Summary:
    """Form fields -> a validated Summary. Keypoints split on ";" or line breaks, method items
    on line breaks (a leading "- " is dropped). Raises pydantic's ValidationError."""
    text = {name: str(fields.get(name, "")).replace("\r\n", "\n") for name in FIELDS}
    data: dict[str, Any] = {
        "keypoints": [k for k in re.split(r"[;\n]", text["keypoints"]) if k.strip()],
        "objective": text["objective"],
        "method": [m for m in text["method"].split("\n") if m.strip()],
        "metric": text["metric"].strip() or None,
        "results": text["results"].strip() or None,
        "limitation": text["limitation"].strip() or None,
        "section": text["section"],
    }
    return Summary.model_validate(data, context={"sections": sections})


def plain_errors(exc: ValidationError) -> tuple[str, ...]:
    """pydantic's errors as an editor reads them: "Keypoints: List should have at least 3
    items after validation, not 2"."""
    out = []
    for error in exc.errors():
        name = str(error["loc"][0]).capitalize() if error["loc"] else "Entry"
        out.append(f"{name}: {error['msg'].removeprefix('Value error, ')}")
    return tuple(out)


def recheck(config: Config, record: DraftRecord, summary: Summary) -> dict[str, Any]:
    """The draft checks on edited fields, with the draft's evidence quotes, against the
    paper's extracted text (cached beside its PDF); without that text only the keypoint and
    language checks run, and a flag says so."""
    evidence = record.checks.get("evidence") or {}
    quotes = [Quote(name, str(quote.get("text", ""))) for name, items in evidence.items()
              for quote in items]
    extract = load_extract(Path(record.paper.pdf_path)) if record.paper.pdf_path else None
    if extract is not None:
        report = run_checks(summary, quotes, PaperText(extract.pages), title=record.paper.title,
                            language=config.output.language,
                            max_copied_words=config.checks.max_copied_words)
    else:
        report = CheckReport(evidence=evidence)
        check_keypoints(summary, record.paper.title, report)
        check_language(summary, config.output.language, report)
        report.flag("evidence", NO_TEXT)
    return report.as_dict()


def save_fields(config: Config, store: Store, paper_id: str,
                fields: Mapping[str, str]) -> EditOutcome:
    """Validate, render and check an editor's fields, and save them as the entry to publish.

    Whatever goes wrong, the fields are kept (see `pending_edit`) and the reasons returned;
    only a paper with no draft at all raises (ReviewError)."""
    record = get_draft(store, paper_id)
    typed = {name: str(fields.get(name, "")) for name in FIELDS}
    try:
        if record.paper.status == "published":
            raise ReviewError("already published; edit the monthly list itself",
                              paper_id=record.paper.id)
        summary = parse_fields(typed, config.sections)
    except ValidationError as exc:
        return _keep(config, record.paper.id, typed, plain_errors(exc))
    except PipelineError as exc:
        return _keep(config, record.paper.id, typed, (exc.message,))
    entry = entry_for(config, record.paper.id, record.paper.title, summary)
    changed = entry != record.final_entry or summary != record.summary
    checks = recheck(config, record, summary)
    if changed:
        store.save_edit(record.paper.id, entry, summary, checks)
        log.info("%s: an editor's edit saved from the review page", record.paper.id)
    discard_pending(config, record.paper.id)
    return EditOutcome(saved=True, changed=changed, flags=tuple(checks.get("flags", ())))


def _edit_file(config: Config, paper_id: str) -> Path:
    return config.path(config.output.dir) / "edits" / (paper_id.replace("/", "_") + ".json")


def _keep(config: Config, paper_id: str, fields: dict[str, str],
          errors: tuple[str, ...]) -> EditOutcome:
    path = _edit_file(config, paper_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    atomic_write_text(path, json.dumps({"paper_id": paper_id, "fields": fields,
                                        "errors": list(errors), "at": stamp},
                                       indent=2, ensure_ascii=False) + "\n")
    log.info("%s: an edit that could not be saved is kept in %s", paper_id, path)
    return EditOutcome(saved=False, errors=errors)


def pending_edit(config: Config, paper_id: str) -> PendingEdit | None:
    """The edit of this paper that could not be saved, if one is waiting."""
    path = _edit_file(config, paper_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        fields = {name: str(data["fields"].get(name, "")) for name in FIELDS}
        return PendingEdit(fields, tuple(str(e) for e in data["errors"]), str(data["at"]),
                           path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("%s: unreadable kept edit %s: %s", paper_id, path, exc)
        return None


def discard_pending(config: Config, paper_id: str) -> None:
    """Drop the kept edit of a paper (the editor discarded it, or saved a valid one)."""
    _edit_file(config, paper_id).unlink(missing_ok=True)
