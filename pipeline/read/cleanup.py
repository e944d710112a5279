"""Text cleanup, from pypdf's raw page text to paragraphs: pure string functions.

Each step is linear in the text's length: Unicode NFKC (ligatures, TeX's spacing accents), the
arXiv margin stamp out, running headers, footers and page numbers out, then lines re-flowed into
paragraphs with line-end hyphens resolved against the document's own vocabulary.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

# -- text normalisation ------------------------------------------------------------------------

_DROP = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff\x00"))
_DROP.update({ord("\t"): " ", ord("\r"): "\n", ord("\u2010"): "-", ord("\u2011"): "-"})
_SPACES = re.compile(r"[ \f\v\u00a0]{2,}")
_STAMP = re.compile(
    r"arXiv:\s?(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})v\d+\s+\[[\w.-]+\]\s+"
    r"\d{1,2}\s+[A-Z][a-z]{2}\s+\d{4}"
)
_ARXIV_FIGURE_NOTE = re.compile(
    r'^(?:This figure ".*" is available in ".*"|format from:|http://arxiv\.org/ps/\S+)$'
)
LINE_END_HYPHEN = re.compile(r"[^\W\d_]-$")
_COMBINING = dict(zip("´ˇ¨ˆ˜˘˝¸˛˙˚¯", "\u0301\u030c\u0308\u0302\u0303\u0306\u030b\u0327"
                                     "\u0328\u0307\u030a\u0304", strict=True))
_SPACING_ACCENT = re.compile(f"([{''.join(_COMBINING)}])([^\\W\\d_])")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def normalize_text(text: str) -> str:
    """NFKC (so 'ﬁ' becomes 'fi'), invisible characters dropped, pypdf's double spaces collapsed."""
    if _SPACING_ACCENT.search(text):  # TeX sets the accent before its letter: 'Tesanovi´c'
        text = _SPACING_ACCENT.sub(
            lambda m: m[2].replace("ı", "i") + _COMBINING[m[1]], text)
    text = unicodedata.normalize("NFKC", text).translate(_DROP)
    return _SPACES.sub(" ", text)


def remove_stamp(text: str) -> str:
    """Drop arXiv's margin stamp ('arXiv:1706.03762v7 [cs.CL] 2 Aug 2023'), also if reversed."""
    text = _STAMP.sub("", text)
    if "viXra" in text:  # rotated text read backwards
        backwards = text[::-1]
        match = _STAMP.search(backwards)
        if match:
            start, end = len(text) - match.end(), len(text) - match.start()
            text = text[:start] + text[end:]
    return text


def page_lines(raw: str) -> list[str]:
    """One page's pypdf text as normalised, stripped, non-empty lines without the stamp."""
    text = remove_stamp(normalize_text(raw))
    lines = (line.strip() for line in text.split("\n"))
    return [line for line in lines if line and not _ARXIV_FIGURE_NOTE.match(line)]


# -- running headers, footers and page numbers -------------------------------------------------

_PAGE_NUMBER = re.compile(r"^(?:[Pp]age\s+)?(?:\d{1,4}|[ivxl]{1,6})(?:\s*(?:/|of)\s*\d{1,4})?$")
_DIGITS = re.compile(r"\d+")
_ZONE = 2  # lines at the top and at the bottom of a page where headers and footers live


def remove_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Drop bare page numbers and lines repeated at the top or bottom of many pages."""

    def key(line: str) -> str:
        return _DIGITS.sub("#", line.casefold())

    seen: Counter[str] = Counter()
    for lines in pages:
        seen.update({key(line) for line in lines[:_ZONE] + lines[-_ZONE:]})
    threshold = max(2, math.ceil(0.3 * len(pages)))
    running = {k for k, n in seen.items() if n >= threshold} if len(pages) >= 3 else set()

    cleaned = []
    for lines in pages:
        zone = set(range(min(_ZONE, len(lines)))) | set(range(max(0, len(lines) - _ZONE),
                                                               len(lines)))
        cleaned.append([
            line for i, line in enumerate(lines)
            if i not in zone or not (_PAGE_NUMBER.match(line) or key(line) in running)
        ])
    return cleaned


# -- de-hyphenation ----------------------------------------------------------------------------


def vocabulary(pages: Iterable[Sequence[str]]) -> Counter[str]:
    """Lower-cased words (hyphenated compounds whole) as the document spells them mid-line."""
    words: Counter[str] = Counter()
    broken_start = False
    for lines in pages:
        for line in lines:
            tokens = _WORD.findall(line.casefold())
            broken_end = bool(LINE_END_HYPHEN.search(line))
            words.update(tokens[int(broken_start):len(tokens) - int(broken_end)])
            broken_start = broken_end
    return words


def join_hyphenated(left: str, right: str, vocab: Counter[str]) -> str:
    """Join `left` (ending in '-' at a line end) with `right`, the next line.

    The document's own spelling decides: 'gen-' + 'eration' becomes 'generation' and
    'PAS-' + 'CAL' becomes 'PASCAL' when that is written elsewhere; 'self-' + 'attention' stays
    hyphenated when the document writes it so. Unknown to the document, a break before a
    suffix ('normal-' + 'ization') is joined, two words ('sequence-' + 'aligned') are not.
    """
    return f"{left}{right}" if _keeps_hyphen(left, right, vocab) else f"{left[:-1]}{right}"


def _keeps_hyphen(left: str, right: str, vocab: Counter[str]) -> bool:
    head = left[-41:-1]  # only the word before the hyphen matters: no copy of long text
    before = _WORD.findall(head)
    after = _WORD.match(right)
    if not before or not after or not head.endswith(before[-1]):
        return True
    first, second = before[-1].casefold(), after.group().casefold()
    hyphenated, joined = vocab[f"{first}-{second}"], vocab[first + second]
    if not right[:1].islower():  # 'GPT-' + '4', 'Multi-' + 'Head', unless 'PASCAL' is known
        return joined <= hyphenated
    if hyphenated or joined:
        return hyphenated > joined
    if "-" in first or "-" in second:  # 'state-of-' + 'the-art'
        return True
    # both halves words of their own ('teacher-' + 'student') stay two words
    return (vocab[first] > 0 and not _SUFFIX.match(second)
            and (len(first) >= 4 and len(second) >= 5 or len(first) >= 3 and vocab[second] > 0))


_SUFFIX = re.compile(
    r"(?:ing|ings|ed|er|ers|est|ly|ally|ic|ics|ical|ically|ation|ations|[iy][sz]ations?|ment|ments"
    r"|ness|ity|ities|ive|ives|ous|able|ably|ible|[iy][sz](?:e|es|ed|ing)|al|ance|ances|ence"
    r"|ences|ant|ants|ent|ents|ial|ian|ist|ists|ism|less|ful|ship|[st]ions?|ures?|ory|ary)$")


# -- re-flow into paragraphs -------------------------------------------------------------------

_TERMINAL = (".", "!", "?", ":")
_NUMBER_TOKEN = re.compile(r"^[-+±(]?\d[\d.,%×x]*\)?$")


def is_table_row(line: str) -> bool:
    """A line of mostly numbers ('ResNet-34 21.53 5.60 3.6'): a table row ends a block."""
    tokens = line.split()
    numeric = sum(1 for t in tokens if _NUMBER_TOKEN.match(t))
    return numeric >= 3 and numeric >= 0.4 * len(tokens)


def typical_width(lines: Sequence[str], fallback: float) -> float:
    """The width of a full line here, so that a shorter one can end a paragraph."""
    lengths = sorted(len(line) for line in lines if len(line) >= 20)
    if len(lengths) < 8:
        return fallback
    return lengths[int(0.8 * (len(lengths) - 1))]


def _append(parts: list[str], line: str, vocab: Counter[str]) -> None:
    """Add `line` to a paragraph being built of `parts`, mending the break before it."""
    if not parts:
        parts.append(line)
        return
    last = parts[-1]
    if LINE_END_HYPHEN.search(last):
        if not _keeps_hyphen(last, line, vocab):
            parts[-1] = last[:-1]
    elif not last.endswith(("-", "/")):  # '2020-' + '2021', 'https://github.com/' + 'x/y'
        parts.append(" ")
    parts.append(line)


def reflow(lines: Sequence[str], breaks: set[int], vocab: Counter[str],
           width: float) -> list[tuple[int, str]]:
    """Join a page's lines into paragraphs; returns (index of first line, text) per block.

    A block ends at a short line (a paragraph's last line, a table row, a caption), before
    and after each index in `breaks` (headings), and where the next line cannot continue it.
    """
    blocks: list[tuple[int, str]] = []
    start, parts = 0, list[str]()
    for i, line in enumerate(lines):
        if i in breaks:
            if parts:
                blocks.append((start, "".join(parts)))
            blocks.append((i, line))
            parts = []
            continue
        if not parts:
            start = i
        _append(parts, line, vocab)
        following = lines[i + 1] if i + 1 < len(lines) and i + 1 not in breaks else None
        if following is None:
            continue_block = False
        elif LINE_END_HYPHEN.search(line):
            continue_block = True
        elif is_table_row(line):
            continue_block = False
        elif following[:1].islower() and not line.endswith(_TERMINAL):
            continue_block = True
        else:
            continue_block = len(line) >= 0.75 * width
        if not continue_block:
            blocks.append((start, "".join(parts)))
            parts = []
    if parts:
        blocks.append((start, "".join(parts)))
    return blocks


def join_blocks(blocks: Iterable[str], vocab: Counter[str]) -> str:
    """Blocks as lines; a paragraph running on over a page or column break is joined up."""
    parts: list[str] = []
    previous = ""
    for block in blocks:
        if (parts and block[:1].islower() and not previous.endswith(_TERMINAL)
                and not is_table_row(previous)):
            _append(parts, block, vocab)
        else:
            if parts:
                parts.append("\n")
            parts.append(block)
        previous = block
    return "".join(parts)


_SMALL_WORDS = frozenset("a an and as at but by for from in into of on or the to via with vs"
                         .split())


def recase_title(title: str, text: str) -> str:
    """A title set in capitals ('MOBA: MIXTURE OF BLOCK ATTENTION FOR LONG-CONTEXT LLMS') in
    title case with each word as the paper's text writes it most often ('MoBA: Mixture of
    Block Attention for Long-Context LLMs'); a title with lower-case letters is returned as is.
    A word the text writes only in capitals stays so (an acronym); small words ('of', 'for')
    are lower case but for the first and the first after a colon."""
    if not any(c.isalpha() for c in title) or any(c.islower() for c in title):
        return title
    rest = text.replace(title, " ")  # the title's own capitals are no evidence
    words = re.split(r"(\W+)", title)
    out = []
    first = True
    for word in words:
        if not word or not word[0].isalpha():
            out.append(word)
            first = first or ":" in word  # 'MoBA: A ...' starts again after the colon
            continue
        if word.lower() in _SMALL_WORDS and not first:
            out.append(word.lower())
            first = False
            continue
        found = re.findall(rf"\b{re.escape(word)}\b", rest, re.I)
        common = max(sorted(set(found)), key=found.count) if found else word.lower()
        out.append(common.capitalize() if common.islower() else common)
        first = False
    return "".join(out)
