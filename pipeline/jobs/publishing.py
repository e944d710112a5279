"""Publishing the approved drafts: the plan `publish --dry-run` and the review page show, and
applying it under the run lock. Shared by `paperlist publish` and the review page."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from ..config import Config
from ..draft.markup import sanitize_entry
from ..errors import PublishError, StoreError
from ..publish.writer import PublishItem, PublishPlan, apply_plan, month_name, plan_publish
from ..store import Store
from .runlock import lock_path, run_lock


def output_dir(config: Config) -> Path:
    """Where the monthly lists, the README and the run lock are."""
    return config.path(config.output.dir)


def _day(stamp: str | None) -> date | None:
    try:
        return datetime.fromisoformat(stamp).date() if stamp else None
    except ValueError:
        return None


def approved_items(store: Store) -> list[PublishItem]:
    """Every approved draft as an item to publish, with the day that picks its month: the
    paper's submission date (a local PDF's: the day it was drafted)."""
    return [PublishItem(paper_id=r.paper.id, title=r.paper.title, section=r.summary.section,
                        entry=r.final_entry, day=_day(r.paper.published) or _day(r.created_at))
            for r in store.drafts(("approved",))]


def plan_approved(config: Config, store: Store, month: str,
                  items: Sequence[PublishItem] | None = None) -> PublishPlan:
    """What publishing `items` (default: every approved draft) into PaperList_<month>.md and
    README.md would change; nothing is written. Raises PublishError for a malformed month."""
    month_name(month)  # refuses a malformed month before anything is read
    items = approved_items(store) if items is None else items
    hosts = config.output.link_hosts  # the last gate: an editor's edit is checked too
    items = [replace(item, entry=sanitize_entry(item.entry, hosts)) for item in items]
    return plan_publish(output_dir(config), month, items, config.sections)


def plan_digest(plan: PublishPlan) -> str:
    """A short fingerprint of a plan's changes: what an editor saw is what gets applied."""
    digest = hashlib.sha256(plan.month.encode())
    for change in plan.changes:
        digest.update(f"\0{change.path}\0{change.before}\0{change.after}".encode())
    return digest.hexdigest()[:16]


def apply_approved(config: Config, store: Store, plan: PublishPlan) -> None:
    """Write a plan's files and mark its papers published (the caller holds the run lock).

    A database that cannot record it after the files were written (a full disk) is a
    StoreError that says so; publishing again marks them, as nothing is added twice.
    """
    apply_plan(plan)
    try:
        for paper_id in (*plan.added, *plan.already_present):
            store.mark_published(paper_id, plan.month)
    except StoreError as exc:
        raise StoreError(f"the entries are in PaperList_{plan.month}.md, but {exc.message}; "
                         "publish again when that is fixed (nothing is added twice)") from exc


def publish_as_shown(config: Config, month: str, shown: str) -> PublishPlan:
    """Publish under the run lock, provided the changes are still those with digest `shown`
    (approvals or files may change between showing a diff and pressing the button).

    Raises LockedError while another run holds the lock, PublishError when the plan changed.
    """
    with run_lock(lock_path(output_dir(config)), "publish"), \
            Store(config.path(config.output.database)) as store:
        plan = plan_approved(config, store, month)
        if plan_digest(plan) != shown:
            raise PublishError("the changes are no longer those shown (a draft was approved, "
                               "or a file was edited, meanwhile); look at them again")
        apply_approved(config, store, plan)
    return plan
