"""Hand-written digest files read as editors wrote them, so that edits leave the rest untouched.

A `Document` keeps every line with its own terminator (CRLF, LF, or none on a last line) and a
UTF-8 BOM if there is one; headings are found the way GitHub finds them (ATX, at most three
spaces of indent, not inside a fenced code block). Entries are recognised by the arXiv ids they
link to and by their titles compared case-, space- and punctuation-insensitively.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

BOM = "\ufeff"
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)

_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")
_HEADING = re.compile(r"^( {0,3})(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_MONTH_TEXT = re.compile(r"^[0-9]{4}(?:0[1-9]|1[0-2])$")
_ID = r"(?:\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[a-z]{2})?/\d{7})"
_ID_REFS = re.compile(
    rf"arxiv\.org/(?:abs|pdf)/(?P<link>{_ID})(?:v\d+)?(?!\d)"
    rf"|<!--\s*arxiv:\s*(?P<comment>{_ID})(?:v\d+)?\s*-->"
    r"|<!--\s*(?P<pdf>pdf:[0-9a-f]{12})\s*-->",  # a local PDF's entry (ids.pdf_id)
    re.IGNORECASE,
)
_VERSION = re.compile(r"v\d+$")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_HTML = re.compile(r"<!--.*?-->|<[^>]+>")
_LATEST = re.compile(r"^latest\s+update\b[\s:：\-–—]*(?P<rest>.*)$", re.IGNORECASE)
_NAMED_MONTH = re.compile(r"^(?P<name>[^\W\d_]+)\.?,?\s*(?P<year>\d{4})$")
_NUMERIC_MONTH = re.compile(r"^(?P<year>[0-9]{4})[-/.]?(?P<month>[0-9]{2})$")
_MONTHLY = r"\(\s*<?(?:[^)\s>]*/)?PaperList_(?P<month>[0-9]{6})\.md(?:#[^)\s>]*)?>?\s*\)"
_MONTHLY_LINK = re.compile(r"\]" + _MONTHLY)
_LIST_ITEM = re.compile(r"^ {0,3}[-*+][ \t]+\[[^\]]*\]" + _MONTHLY)


@dataclass(frozen=True)
class Heading:
    """An ATX heading: the line it is on, its level (number of #) and its text."""

    index: int
    level: int
    text: str


def detect_eol(text: str) -> str:
    """The file's own line terminator: the more common of CRLF and LF, LF when there is none."""
    crlf = text.count("\r\n")
    return "\r\n" if crlf > text.count("\n") - crlf else "\n"


def split_lines(text: str) -> list[str]:
    """Lines with their terminators; only LF ends a line (str.splitlines also splits on \\x85,
    U+2028 and others, which would change hand-written text)."""
    return _LINE.findall(text)


def strip_eol(line: str) -> str:
    if line.endswith("\r\n"):
        return line[:-2]
    return line[:-1] if line.endswith("\n") else line


def is_blank(line: str) -> bool:
    """Empty or whitespace only (a line of four spaces separates entries just as well)."""
    return not line.strip()


class Document:
    """A markdown file as a list of lines that keep their terminators."""

    def __init__(self, text: str) -> None:
        self.bom = BOM if text.startswith(BOM) else ""
        body = text[len(self.bom) :]
        self.eol = detect_eol(body)
        self.lines = split_lines(body)

    def text(self) -> str:
        return self.bom + "".join(self.lines)

    def content(self, index: int) -> str:
        return strip_eol(self.lines[index])

    def blank(self, index: int) -> bool:
        return is_blank(self.lines[index])

    def headings(self) -> list[Heading]:
        """Every ATX heading outside fenced code blocks, in order."""
        found: list[Heading] = []
        fence: str | None = None
        for index, line in enumerate(self.lines):
            content = strip_eol(line)
            opener = _FENCE.match(content)
            if fence is not None:
                if opener and opener[1][0] == fence[0] and len(opener[1]) >= len(fence):
                    fence = None
                continue
            if opener:
                fence = opener[1]
                continue
            match = _HEADING.match(content)
            if match:
                found.append(Heading(index, len(match[2]), (match[3] or "").strip()))
        return found

    def block_end(self, heading: Heading, headings: Sequence[Heading] | None = None) -> int:
        """Index just past the heading's block: the next heading of the same or a higher level."""
        for other in headings if headings is not None else self.headings():
            if other.index > heading.index and other.level <= heading.level:
                return other.index
        return len(self.lines)

    def insert(self, pos: int, new: Sequence[str]) -> None:
        """Insert content lines at `pos`, terminated with the file's own line ending.

        Only when inserting after a last line that has no terminator is an existing line touched:
        it gets one.
        """
        if pos > 0 and pos == len(self.lines) and strip_eol(self.lines[-1]) == self.lines[-1]:
            self.lines[-1] += self.eol
        self.lines[pos:pos] = [line + self.eol for line in new]

    def insert_paragraph(
        self, pos: int, new: Sequence[str], *, after_heading: bool = False
    ) -> None:
        """Insert lines at `pos` with one blank line on each side, reusing blank lines already
        there; `after_heading` puts them right under the heading above, with no blank line."""
        before = pos > 0 and not self.blank(pos - 1) and not after_heading
        after = pos < len(self.lines) and not self.blank(pos)
        self.insert(pos, [""] * before + list(new) + [""] * after)

    def append_to_block(
        self, start: int, end: int, new: Sequence[str], *, tight: bool = False
    ) -> None:
        """Insert lines at the end of lines[start:end], after its last non-blank line and the
        first blank line that follows it, so that trailing blank lines stay where they are.

        `tight`: when the block (lines[start] is its heading) is still empty, the lines go right
        under the heading, as an entry goes under its section in `### LLM` / `#### Title`.
        """
        last = end - 1
        while last >= start and self.blank(last):
            last -= 1
        under_heading = tight and last == start
        pos = last + 1
        if pos < end and self.blank(pos) and not under_heading:
            pos += 1
        self.insert_paragraph(pos, new, after_heading=under_heading)

    def relevelled(self, start: int, end: int, shift: int) -> list[str]:
        """Content lines of lines[start:end] with every heading moved `shift` levels up."""
        heading_lines = {h.index for h in self.headings() if start <= h.index < end}
        out = []
        for index in range(start, end):
            content = self.content(index)
            if index in heading_lines:
                match = _HEADING.match(content)
                assert match is not None
                level = max(1, len(match[2]) - shift)
                content = match[1] + "#" * level + content[match.end(2) :]
            out.append(content)
        return out


def heading_line(level: int, text: str) -> str:
    return f"{'#' * level} {text}"


def match_heading(line: str) -> tuple[int, str] | None:
    """Level and text of a heading line, None when the line is not a heading."""
    match = _HEADING.match(line)
    return (len(match[2]), (match[3] or "").strip()) if match else None


def is_month_heading(heading: Heading) -> bool:
    return bool(_MONTH_TEXT.match(heading.text))


def base_id(paper_id: str) -> str:
    """An arXiv id without version, lower-cased for comparison."""
    return _VERSION.sub("", paper_id.strip()).lower()


def ids_in(text: str) -> set[str]:
    """arXiv ids the text links to (abs or pdf, any version) or names in `<!-- arxiv:ID -->`,
    and local PDFs' ids in `<!-- pdf:HASH -->`."""
    return {(m["link"] or m["comment"] or m["pdf"]).lower() for m in _ID_REFS.finditer(text)}


def title_key(title: str) -> str:
    """A title for comparison: link and HTML markup dropped, NFKC, case-folded, and only letters,
    digits and combining marks kept (no spaces, NBSP, punctuation or full-width punctuation)."""
    text = _HTML.sub("", _MD_LINK.sub(r"\1", title))
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LNM")


def section_key(name: str) -> str:
    """A section name for comparison: NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def title_keys(headings: Iterable[Heading]) -> set[str]:
    return {key for h in headings if (key := title_key(h.text))}


def entry_headings(doc: Document) -> list[Heading]:
    """Headings that are entry titles: two or more levels below their month heading, or level 3
    and deeper outside any month (never month or section headings)."""
    titles = []
    month_level: int | None = None
    for heading in doc.headings():
        if is_month_heading(heading):
            month_level = heading.level
            continue
        if month_level is not None and heading.level <= month_level:
            month_level = None
        if heading.level >= (month_level + 2 if month_level is not None else 3):
            titles.append(heading)
    return titles


def latest_update_month(text: str) -> tuple[bool, str | None]:
    """Whether a heading is a "Latest Update" heading, and the month it names as YYYYMM."""
    match = _LATEST.match(text)
    if not match:
        return False, None
    rest = match["rest"].strip()
    numeric = _NUMERIC_MONTH.match(rest)
    if numeric:
        month = f"{numeric['year']}{numeric['month']}"
        return True, month if _MONTH_TEXT.match(month) else None
    named = _NAMED_MONTH.match(rest)
    if named and len(named["name"]) >= 3:
        prefix = named["name"].casefold()
        for number, name in enumerate(MONTH_NAMES, start=1):
            if name.casefold().startswith(prefix):
                return True, f"{named['year']}{number:02d}"
    return True, None


def month_heading(doc: Document, month: str) -> Heading | None:
    """The first `YYYYMM` heading for the month, at whatever level the file puts months."""
    return next((h for h in doc.headings() if h.text == month), None)


def find_section(doc: Document, container: Heading, level: int, name: str) -> Heading | None:
    """The first section heading of that name in the container's block (a section heading can
    appear twice in one month)."""
    headings = doc.headings()
    end = doc.block_end(container, headings)
    return next((h for h in headings if container.index < h.index < end and h.level == level
                 and section_key(h.text) == section_key(name)), None)


def block_keys(doc: Document, block: Heading, end: int) -> tuple[set[str], set[str]]:
    """Ids and title keys of the entries in a block (titles sit two levels below its heading)."""
    ids = ids_in("".join(doc.lines[block.index + 1 : end]))
    titles = title_keys([h for h in doc.headings()
                              if block.index < h.index < end and h.level >= block.level + 2])
    return ids, titles


def list_links(doc: Document, start: int, end: int) -> tuple[set[str], list[tuple[int, str]]]:
    """In lines[start:end]: the months of every link to a monthly file, and the list items
    `- [...](PaperList_YYYYMM.md)` as (line index, month)."""
    links: set[str] = set()
    items: list[tuple[int, str]] = []
    for index in range(start, end):
        content = doc.content(index)
        links.update(m["month"] for m in _MONTHLY_LINK.finditer(content))
        item = _LIST_ITEM.match(content)
        if item:
            items.append((index, item["month"]))
    return links, items
