"""One page of the arXiv export API's answer (Atom XML), read strictly.

The `arxiv` package reads with feedparser, which makes the best of anything: a truncated page
gives the entries before the cut, an HTML page or an empty feed gives none, and the week reads
as "no papers". Here the page must be whole, well-formed XML with the feed's
`opensearch:totalResults`, or it is a `BadPage` (worth asking again). One entry that cannot be
read (an `<id>` that is not an arXiv id, no title) is skipped and named in `skipped`, so that
one bad record does not cost the week.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime

from ..errors import UsageError
from ..models import Paper, plain_line, split_versioned

ATOM = "{http://www.w3.org/2005/Atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
ARXIV = "{http://arxiv.org/schemas/atom}"
_ERROR_ID = "/api/errors"


class BadPage(Exception):
    """The answer is not a whole export-API feed (truncated, HTML, no totalResults)."""


class RefusedQuery(Exception):
    """arXiv answered with its error feed: the query itself is wrong (not worth retrying)."""


@dataclass
class Page:
    """The papers of one page, the query's total, and the entries that were skipped."""

    total: int
    entries: int  # <entry> elements on the page, skipped ones included
    papers: list[Paper] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def parse_page(body: bytes) -> Page:
    """Read one page. Raises BadPage for anything that is not a whole feed and RefusedQuery
    for arXiv's error feed (what it answers a malformed query or id with)."""
    head = body[:2048].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise BadPage("an HTML page, not an Atom feed")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise BadPage(f"malformed or truncated XML ({exc})") from None
    if root.tag != ATOM + "feed":
        raise BadPage(f"XML that is not an Atom feed (<{_local(root.tag)}>)")
    entries = root.findall(ATOM + "entry")
    errors = [e for e in entries if _ERROR_ID in _text(e, ATOM + "id")]
    if errors:
        raise RefusedQuery(_text(errors[0], ATOM + "summary") or "an error entry")
    total_text = _text(root, OPENSEARCH + "totalResults")
    if not re.fullmatch(r"\d+", total_text):
        raise BadPage("a feed without opensearch:totalResults")
    page = Page(total=int(total_text), entries=len(entries))
    for number, entry in enumerate(entries, start=1):
        try:
            page.papers.append(_paper(entry))
        except ValueError as exc:
            page.skipped.append(f"entry {number} of the page skipped: {exc}")
    return page


def _paper(entry: ET.Element) -> Paper:
    raw_id = _text(entry, ATOM + "id")
    try:
        arxiv_id = split_versioned(raw_id)
    except UsageError:
        raise ValueError(f"its id {raw_id[:80]!r} is not an arXiv id") from None
    title = plain_line(_text(entry, ATOM + "title"))
    if not title:
        raise ValueError(f"{arxiv_id} has no title")
    primary = entry.find(ARXIV + "primary_category")
    return Paper(
        id=arxiv_id.base,
        version=arxiv_id.version or 1,
        title=title,
        abstract=plain_line(_text(entry, ATOM + "summary")),
        authors=tuple(name for a in entry.findall(ATOM + "author")
                      if (name := plain_line(_text(a, ATOM + "name")))),
        categories=tuple(term for c in entry.findall(ATOM + "category")
                         if (term := c.get("term", "").strip())),
        primary_category=(primary.get("term", "") if primary is not None else "").strip(),
        published=_date(entry, "published", arxiv_id.versioned),
        updated=_date(entry, "updated", arxiv_id.versioned, required=False),
        comment=plain_line(_text(entry, ARXIV + "comment")),
    )


def _date(entry: ET.Element, name: str, label: str, *, required: bool = True
          ) -> datetime | None:
    text = _text(entry, ATOM + name)
    if not text and not required:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{label} has no readable <{name}> date ({text[:40]!r})") from None
    if value.tzinfo is None:
        raise ValueError(f"{label}: <{name}> has no time zone")
    return value


def _text(element: ET.Element, path: str) -> str:
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
