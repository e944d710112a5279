"""From pypdf's raw page text to clean pages and classified sections.

Pages are cleaned (`cleanup`), headings found (`headings`), lines re-flowed into paragraphs,
then the paragraphs grouped into sections by heading and the abstract found even without one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..models import Section
from .cleanup import (
    join_blocks,
    page_lines,
    reflow,
    remove_running_lines,
    typical_width,
    vocabulary,
)
from .headings import Heading, find_headings

KINDS = ("front", "abstract", "introduction", "related", "method", "experiments", "conclusion",
         "references", "appendix", "other")

# -- the whole document ------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """A paper's clean text per page and its sections."""

    pages: tuple[str, ...]
    sections: tuple[Section, ...]
    running_lines: frozenset[str] = frozenset()  # page 1's lines dropped as header or footer


def analyse(raw_pages: Sequence[str]) -> Document:
    """Clean every page and split the whole into classified sections."""
    original = [page_lines(raw) for raw in raw_pages]
    pages = remove_running_lines(original)
    flat = [line for lines in pages for line in lines]
    headings, consumed = find_headings(flat)
    vocab = vocabulary(pages)
    doc_width = typical_width(flat, 80.0)

    page_texts: list[str] = []
    # (page, text, heading) for every block in reading order
    blocks: list[tuple[int, str, Heading | None]] = []
    offset = 0
    for number, lines in enumerate(pages):
        keep = [j for j in range(len(lines)) if offset + j not in consumed]
        kept = [lines[j] for j in keep]
        local = {n for n, j in enumerate(keep) if offset + j in headings}
        page_blocks: list[tuple[int, str, Heading | None]] = []
        for n, text in reflow(kept, local, vocab, typical_width(kept, doc_width)):
            heading = headings.get(offset + keep[n]) if n in local else None
            if heading is not None:
                page_blocks.append((number, heading.line, heading))
            else:
                page_blocks.append((number, text, None))
        blocks.extend(page_blocks)
        page_texts.append("\n".join(text for _, text, _ in page_blocks))
        offset += len(lines)
    if not any(h.kind == "references" for h in headings.values()):
        blocks = _mark_references(blocks)
    sections = _build_sections(blocks, vocab)
    dropped = frozenset(original[0]) - frozenset(pages[0]) if pages else frozenset()
    return Document(tuple(page_texts), tuple(sections), dropped)


_REF_START = re.compile(r"^(?:\[1\]\s+\S|1\.?\s+(?:[A-Z]\.\s?)+[A-Z])")
_REF_ENTRY = re.compile(r"^(?:\[\d{1,3}\]\s+\S|\d{1,3}\.?\s+(?:[A-Z]\.\s?)+[A-Z])")
_REFERENCES = Heading("", "", 1, "references", "")  # found, not printed


def _mark_references(blocks: list[tuple[int, str, Heading | None]]
                     ) -> list[tuple[int, str, Heading | None]]:
    """A reference list without a heading (REVTeX): where '1 D. C. Johnston, ...' starts a run
    of numbered entries in the second half of the paper."""
    for j in range(len(blocks) // 2, len(blocks)):
        page, text, heading = blocks[j]
        if heading is None and _REF_START.match(text):
            following = [t for _, t, h in blocks[j + 1:j + 5] if h is None]
            if sum(bool(_REF_ENTRY.match(t)) for t in following) >= 2:
                return [*blocks[:j], (page, "", _REFERENCES), *blocks[j:]]
    return blocks


def _build_sections(blocks: Sequence[tuple[int, str, Heading | None]],
                    vocab: Counter[str]) -> list[Section]:
    sections: list[Section] = []
    current: tuple[str, str, int] = ("front", "", 1)
    body: list[str] = []

    def flush() -> None:
        kind, heading, page = current
        text = join_blocks(body, vocab)
        if text or heading:
            sections.append(Section(kind=kind, heading=heading, text=text, page=page))

    for page, text, heading in blocks:
        if heading is None:
            body.append(text)
            continue
        flush()
        current = (heading.kind, heading.text, page + 1)
        body = [heading.body] if heading.body else []  # run-in: 'Abstract—We study ...'
    flush()
    return _settle_abstract(sections, vocab)


# -- the abstract ------------------------------------------------------------------------------

_FOOTNOTE = re.compile(r"^(?:[∗*†‡§¶]|\d+(?:st|nd|rd|th)\b|\d+https?:|\d[A-Z])")
_CAPTION = re.compile(r"^(?:Figure|Fig\.|Table)\s*\d")


def _prose(block: str) -> bool:
    if len(block) < 40 or _FOOTNOTE.match(block) or _CAPTION.match(block):
        return False
    visible = block.replace(" ", "")
    return sum(c.isalpha() for c in visible) >= 0.7 * len(visible)


def _split_blocks(text: str) -> list[str]:
    return [block for block in text.split("\n") if block]


def _settle_abstract(sections: list[Section], vocab: Counter[str]) -> list[Section]:
    """Every paper gets an abstract: found without a heading, cut from what follows it."""
    index = next((i for i, s in enumerate(sections) if s.kind == "abstract"), None)
    if index is None:
        index = _find_abstract(sections)
    if index is None:
        return sections
    abstract = sections[index]
    blocks = _split_blocks(abstract.text)
    has_intro = any(s.kind == "introduction" for s in sections)
    if not has_intro and len(abstract.text) > 2500 and len(blocks) > 1:
        # No introduction heading (e.g. 1906.08632): the abstract runs on into the introduction.
        keep = 1
        while keep < len(blocks) and sum(map(len, blocks[:keep])) < 250 and _prose(blocks[keep]):
            keep += 1
        rest = Section("introduction", "", join_blocks(blocks[keep:], vocab), abstract.page)
        abstract = replace(abstract, text=join_blocks(blocks[:keep], vocab))
        sections = [*sections[:index], abstract, rest, *sections[index + 1:]]
        blocks = blocks[:keep]
    # Footnotes, figure text and notices that pypdf places after the abstract are not part of it.
    keep = next((n for n in range(1, len(blocks)) if not _prose(blocks[n])), len(blocks))
    if keep < len(blocks):
        rest = Section("other", "", join_blocks(blocks[keep:], vocab), abstract.page)
        abstract = replace(abstract, text=join_blocks(blocks[:keep], vocab))
        sections = [*sections[:index], abstract, rest, *sections[index + 1:]]
    return sections


def _find_abstract(sections: list[Section]) -> int | None:
    """No 'Abstract' heading: the prose closing the title block, else the first paragraph."""
    first_body = next((i for i, s in enumerate(sections) if s.kind != "front"), len(sections))
    for i in range(first_body - 1, -1, -1):
        blocks = _split_blocks(sections[i].text)
        end = len(blocks)
        while end and not (_prose(blocks[end - 1]) and len(blocks[end - 1]) >= 200):
            end -= 1
        if not end:
            continue
        start = end - 1
        while (start and _prose(blocks[start - 1]) and len(blocks[start - 1]) >= 200
               and blocks[start - 1].endswith((".", "!", "?"))):
            start -= 1
        front = sections[i]
        parts = [Section("abstract", "", "\n".join(blocks[start:end]), front.page)]
        if start:
            parts.insert(0, replace(front, text="\n".join(blocks[:start])))
        if end < len(blocks):
            parts.append(Section("other", "", "\n".join(blocks[end:]), front.page))
        sections[i:i + 1] = parts
        return i + (1 if start else 0)
    for i, section in enumerate(sections):
        if section.kind in ("references", "appendix"):
            break
        prose = next((b for b in _split_blocks(section.text) if _prose(b) and len(b) >= 200), None)
        if prose:  # a copy of the first paragraph, which stays where it is
            sections.insert(i, Section("abstract", "", prose, section.page))
            return i
    text = "\n".join(s.text for s in sections if s.kind not in ("references", "appendix"))
    if not text.strip():
        return None
    at = 1 if sections and sections[0].kind == "front" else 0
    sections.insert(at, Section("abstract", "", text[:1500].strip(), 1))  # a copy: the start
    return at
