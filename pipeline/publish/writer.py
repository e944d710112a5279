"""Publishing approved entries into the monthly list and the README, edited in place.

`plan_publish` reads both files and computes their new text without writing anything, so that
`--dry-run` can print `plan_diff`; `apply_plan` then writes them atomically, the monthly list
first. Only lines are inserted (the README's Latest Update block is replaced when it shows an
older month): hand-written content, line endings, a BOM and duplicated sections stay as they are.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..errors import PublishError, output_error
from .digest import (
    MONTH_NAMES,
    Document,
    Heading,
    base_id,
    block_keys,
    entry_headings,
    find_section,
    heading_line,
    ids_in,
    is_blank,
    is_month_heading,
    latest_update_month,
    list_links,
    match_heading,
    month_heading,
    section_key,
    split_lines,
    strip_eol,
    title_key,
    title_keys,
)
from .files import atomic_write_text, read_text

log = logging.getLogger(__name__)

NEW_MONTHLY = "# Introduction\n\n\n\n# PaperList\n"
NEW_README = "# Introduction\n"
DEFAULT_MONTH_LEVEL = 2
README_BLOCK_LEVEL = 1

_MONTH = re.compile(r"[0-9]{4}(?:0[1-9]|1[0-2])")


# The files publish writes, for clearing what a killed publish left (publish.files)
TARGET_NAMES = re.compile(r"README\.md|PaperList_[0-9]{6}\.md")


@dataclass(frozen=True)
class PublishItem:
    """An approved entry to publish; `entry` is monthly-level markdown (#### title), LF endings.
    `day` is when the paper was submitted (or drafted, for a local PDF): it picks the month."""

    paper_id: str
    title: str
    section: str
    entry: str
    day: date | None = None


@dataclass(frozen=True)
class FileChange:
    """A file's text before (None: the file is created) and after publishing."""

    path: Path
    before: str | None
    after: str


@dataclass(frozen=True)
class PublishPlan:
    """What publishing would write, computed without writing: shown by --dry-run, then applied."""

    month: str
    changes: tuple[FileChange, ...]
    added: tuple[str, ...]
    already_present: tuple[str, ...]


@dataclass(frozen=True)
class _Entry:
    paper_id: str  # as given
    key: str  # base id, lower case
    section: str
    titles: frozenset[str]  # title keys: the item's title and the entry's heading
    lines: tuple[str, ...]  # content lines, the title heading first


def month_name(month: str) -> str:
    """"202404" -> "April 2024"; English whatever the locale, as in the README's headings."""
    if not _MONTH.fullmatch(month):
        raise PublishError(f"{month!r} is not a month: expected YYYYMM, e.g. 202404")
    return f"{MONTH_NAMES[int(month[4:]) - 1]} {month[:4]}"


def plan_publish(
    output_dir: Path, month: str, items: Sequence[PublishItem], section_order: Sequence[str]
) -> PublishPlan:
    """The changes that publish `items` into output_dir/PaperList_<month>.md and README.md."""
    month_name(month)
    entries = [_prepare(item, section_order) for item in items]
    monthly_path = output_dir / f"PaperList_{month}.md"
    before = read_text(monthly_path)
    monthly = Document(before if before is not None else NEW_MONTHLY)
    added, present = _publish_monthly(monthly, month, entries, section_order)
    changes: list[FileChange] = []
    if before is not None or added:
        if monthly.text() != before:
            changes.append(FileChange(monthly_path, before, monthly.text()))
        readme_path = output_dir / "README.md"
        readme_before = read_text(readme_path)
        readme = Document(readme_before if readme_before is not None else NEW_README)
        published = ids_in(monthly.text())
        shown = [e for e in _unique(entries) if e.key in published]
        _ensure_link(readme, month)
        _update_latest(readme, month, monthly, shown, section_order)
        if readme.text() != readme_before:
            changes.append(FileChange(readme_path, readme_before, readme.text()))
    log.info("publish %s: %d added, %d already present, %d file(s) change", month, len(added),
             len(present), len(changes))
    return PublishPlan(
        month=month,
        changes=tuple(changes),
        added=tuple(e.paper_id for e in added),
        already_present=tuple(e.paper_id for e in present),
    )


def apply_plan(plan: PublishPlan) -> None:
    """Write every change atomically, the monthly list before the README.

    A file that changed since the plan was made (an editor saving it meanwhile) stops the
    publish before anything is written, rather than overwriting the editor's work.
    """
    for change in plan.changes:
        if read_text(change.path) != change.before:
            raise PublishError(f"{change.path} changed since the publish was planned; run it again")
    for change in plan.changes:
        try:
            change.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise output_error(exc, change.path.parent, "create") from exc
        atomic_write_text(change.path, change.after)
        log.info("wrote %s", change.path)


def plan_diff(plan: PublishPlan) -> str:
    """A unified diff of every change (what --dry-run prints); "" when nothing changes."""
    parts: list[str] = []
    for change in plan.changes:
        parts.extend(
            difflib.unified_diff(
                _diff_lines(change.before or ""),
                _diff_lines(change.after),
                fromfile=str(change.path) if change.before is not None else "/dev/null",
                tofile=str(change.path),
            )
        )
    return "".join(parts)


def _diff_lines(text: str) -> list[str]:
    lines = split_lines(text)
    if lines and strip_eol(lines[-1]) == lines[-1]:
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


# --- entries -------------------------------------------------------------------------------


def _prepare(item: PublishItem, section_order: Sequence[str]) -> _Entry:
    """Check an entry's shape and make sure it carries its id, so re-runs recognise it."""
    key = base_id(item.paper_id)
    if not key:
        raise PublishError("an item to publish has no paper id")
    text = item.entry.replace("\r\n", "\n")
    lines = _trimmed(text.split("\n"))
    title = match_heading(lines[0]) if lines else None
    if title is None:
        raise PublishError("the entry does not start with a title heading", paper_id=item.paper_id)
    lines[0] = lines[0].lstrip(" ")
    nested = [h for h in Document("\n".join(lines)).headings() if h.index and h.level <= title[0]]
    if nested:
        raise PublishError(f"the entry has a second heading on line {nested[0].index + 1}",
                           paper_id=item.paper_id)
    if key not in ids_in(text):
        marker = key if key.startswith("pdf:") else f"arxiv:{key}"  # a local PDF: pdf:HASH
        lines.insert(1, f"<!-- {marker} -->")
    section = next((name for name in section_order
                    if section_key(name) == section_key(item.section)), item.section.strip())
    if not section:
        raise PublishError("the entry has no section", paper_id=item.paper_id)
    titles = frozenset(k for k in (title_key(item.title), title_key(title[1])) if k)
    return _Entry(item.paper_id, key, section, titles, tuple(lines))


def _trimmed(lines: list[str]) -> list[str]:
    """The lines without blank ones at either end."""
    start, end = 0, len(lines)
    while start < end and is_blank(lines[start]):
        start += 1
    while end > start and is_blank(lines[end - 1]):
        end -= 1
    return lines[start:end]


def _split_known(entries: Sequence[_Entry], ids: set[str],
                 titles: set[str]) -> tuple[list[_Entry], list[_Entry]]:
    """(new, already there), by id or by title; each new entry joins `ids` and `titles`, so
    that a paper given twice counts once."""
    new: list[_Entry] = []
    known: list[_Entry] = []
    for entry in entries:
        if entry.key in ids or entry.titles & titles:
            known.append(entry)
            continue
        new.append(entry)
        ids.add(entry.key)
        titles |= entry.titles
    return new, known


def _unique(entries: Sequence[_Entry]) -> list[_Entry]:
    """The first entry of each paper: one paper given twice is published once."""
    first: dict[str, _Entry] = {}
    for entry in entries:
        first.setdefault(entry.key, entry)
    return list(first.values())


def _grouped(entries: Sequence[_Entry], section_order: Sequence[str]) -> list[list[_Entry]]:
    """Entries by section, sections in `section_order` (others after, as they come)."""
    order: dict[str, int] = {}
    for index, name in enumerate(section_order):
        order.setdefault(section_key(name), index)
    groups: dict[str, list[_Entry]] = {}
    for entry in entries:
        groups.setdefault(section_key(entry.section), []).append(entry)
    return [groups[k] for k in sorted(groups, key=lambda k: order.get(k, len(order)))]


def _insert_entries(
    doc: Document, container: Heading, entries: Sequence[_Entry], section_order: Sequence[str]
) -> None:
    """Append entries at the end of their section under `container` (a month heading or the
    README's Latest Update heading), the first one when a section heading appears twice;
    a missing section is appended at the end of the container's block."""
    headings = doc.headings()
    end = doc.block_end(container, headings)
    section_level = container.level + 1
    title_level = next((h.level for h in headings
                        if container.index < h.index < end and h.level > section_level),
                       section_level + 1)
    for group in _grouped(entries, section_order):
        for entry in group:
            section = find_section(doc, container, section_level, entry.section)
            if section is None:
                headings = doc.headings()
                doc.append_to_block(container.index, doc.block_end(container, headings),
                                    [heading_line(section_level, entry.section)])
                section = find_section(doc, container, section_level, entry.section)
                assert section is not None
            lines = [relevel(entry.lines[0], min(title_level, 6)), *entry.lines[1:]]
            doc.append_to_block(section.index, doc.block_end(section), lines, tight=True)


# --- the monthly list ----------------------------------------------------------------------


def _publish_monthly(
    doc: Document, month: str, entries: Sequence[_Entry], section_order: Sequence[str]
) -> tuple[list[_Entry], list[_Entry]]:
    """Insert the entries the file does not have yet; return (added, already present)."""
    added, present = _split_known(_unique(entries), ids_in(doc.text()),
                                  title_keys(entry_headings(doc)))
    if added:
        heading = month_heading(doc, month)
        if heading is None:
            levels = [h.level for h in doc.headings() if is_month_heading(h)]
            doc.append_to_block(0, len(doc.lines),
                                [heading_line(levels[0] if levels else DEFAULT_MONTH_LEVEL, month)])
            heading = month_heading(doc, month)
            assert heading is not None
        _insert_entries(doc, heading, added, section_order)
    return added, present


# --- the README ----------------------------------------------------------------------------


def _ensure_link(doc: Document, month: str) -> None:
    """Link the monthly file from the `# PaperLists` list, in the list's sorted order."""
    item = f"- [{month} weekly papers](PaperList_{month}.md)"
    headings = doc.headings()
    lists = next((h for h in headings if section_key(h.text) in ("paperlists", "paperlist")), None)
    if lists is None:
        intro = next((h for h in headings if section_key(h.text) == "introduction"), None)
        latest = next((h for h in headings if latest_update_month(h.text)[0]), None)
        if intro is not None:
            doc.append_to_block(intro.index, doc.block_end(intro, headings), ["# PaperLists", item])
        elif latest is not None:
            doc.insert_paragraph(latest.index, ["# PaperLists", item])
        else:
            doc.append_to_block(0, len(doc.lines), ["# PaperLists", item])
        return
    links, listed = list_links(doc, lists.index + 1, doc.block_end(lists, headings))
    if month in links:
        return
    if not listed:
        doc.insert_paragraph(lists.index + 1, [item], after_heading=True)
        return
    months = [m for _, m in listed]
    if len(months) > 1 and months == sorted(months, reverse=True) and months != sorted(months):
        pos = next((i for i, m in listed if m < month), listed[-1][0] + 1)  # newest first
    else:
        earlier = [i for i, m in listed if m < month]
        pos = earlier[-1] + 1 if earlier else listed[0][0]
    doc.insert(pos, [item])


def _update_latest(
    doc: Document,
    month: str,
    monthly: Document,
    entries: Sequence[_Entry],
    section_order: Sequence[str],
) -> None:
    """Bring the Latest Update block to `month`: insert the entries it lacks when it already
    shows this month, otherwise replace it by this month's part of the monthly list."""
    headings = doc.headings()
    block, shown = next(((h, m) for h in headings
                         for is_latest, m in [latest_update_month(h.text)] if is_latest),
                        (None, None))
    source = month_heading(monthly, month)
    if block is None:
        if source is not None:
            doc.append_to_block(0, len(doc.lines), _fresh_block(README_BLOCK_LEVEL, month,
                                                                 monthly, source))
        return
    end = doc.block_end(block, headings)
    ids, titles = block_keys(doc, block, end)
    if ids or titles:
        matches: bool | None = bool(ids & ids_in(monthly.text())
                                    or titles & title_keys(entry_headings(monthly)))
    else:
        matches = None
    if shown == month and matches is not False:
        missing, _ = _split_known(entries, ids, titles)
        _insert_entries(doc, block, missing, section_order)
        return
    if shown is not None and shown > month and matches is not True:
        log.info("README shows %s, newer than %s: Latest Update left as it is", shown, month)
        return
    if source is None:
        return
    log.info("README Latest Update: replacing %s by %s", shown or block.text, month)
    new = _fresh_block(block.level, month, monthly, source) + [""] * (end < len(doc.lines))
    doc.lines[block.index : end] = [line + doc.eol for line in new]


def _fresh_block(level: int, month: str, monthly: Document, source: Heading) -> list[str]:
    """A Latest Update block whose heading and body agree: the month's sections and entries
    from the monthly list, re-levelled so that sections sit just below the block heading."""
    body = _trimmed(monthly.relevelled(source.index + 1, monthly.block_end(source),
                                       source.level - level))
    heading = heading_line(level, f"Latest Update: {month_name(month)}")
    return [heading, "", *body] if body else [heading]


def relevel(entry: str, level: int) -> str:
    """Move an entry's title heading to another level (monthly list #### vs README ###)."""
    return re.sub(r"^#+ ", "#" * level + " ", entry, count=1)
