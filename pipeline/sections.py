"""From pypdf's raw page text to clean pages and classified sections: pure string functions.

The steps, each linear in the text's length: Unicode NFKC (ligatures), the arXiv margin stamp
out, running headers, footers and page numbers out, headings found in the forms arXiv papers use
(checked against the document's own numbering so that table rows, list items and equation lines
do not pass), lines re-flowed into paragraphs with line-end hyphens resolved against the
document's own vocabulary, then sections classified and the abstract found even without a heading.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from .models import Section

KINDS = ("front", "abstract", "introduction", "related", "method", "experiments", "conclusion",
         "references", "appendix", "other")

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
_LINE_END_HYPHEN = re.compile(r"[^\W\d_]-$")
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
            broken_end = bool(_LINE_END_HYPHEN.search(line))
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


# -- headings ----------------------------------------------------------------------------------

_KIND_PATTERNS = [(kind, re.compile(pattern)) for kind, pattern in [
    ("references", r"^(?:references?|bibliography|literature cited|works cited|reference list)$"),
    ("appendix", r"\bappendi(?:x|ces)\b|^supplementa(?:ry|l)\b"),
    ("abstract", r"^abstract$"),
    ("other", r"^(?:acknowledge?ments?|(?:table of )?contents|keywords|key words|index terms"
              r"|author contributions?|ethics statement|broader impacts?|impact statement"
              r"|reproducibility statement|funding|competing interests?|conflicts? of interests?"
              r"|data availability(?: statement)?|code availability)$"),
    ("introduction", r"^introduction\b|^motivation$"),
    ("conclusion", r"\bconclu(?:sion|sions|ding)\b"),
    ("related", r"\brelated works?\b|\bprior work|\bprevious work|^background\b"
                r"|\bliterature review|^preliminar"),
    ("experiments", r"\bexperiment|\bresults?\b|\bevaluat|\bempirical|\bbenchmark|\bablation"
                    r"|^analysis\b|\bcase stud"),
    ("conclusion", r"^discussion|\bsummary\b|\bfuture work\b|\blimitations?\b|\boutlook\b"
                   r"|\bclosing remarks|\bfinal remarks"),
    ("method", r"\bmethod|\bapproach|\bmodels?\b|\barchitecture|\bframework\b|\balgorithm"
               r"|\bproposed\b|^our\b|\bformulation\b"),
]]
_STRONG = re.compile(
    r"^(?:abstract|references|bibliography|acknowledge?ments?|appendix|appendices"
    r"|supplementa(?:ry|l) materials?|(?:table of )?contents|keywords|index terms|limitations"
    r"|ethics statement|broader impacts?|author contributions?|competing interests?"
    r"|conflicts? of interests?|data availability(?: statement)?|code availability|funding)[:.]?$",
    re.I)
_RUN_IN = re.compile(
    r"^(?P<head>abstract|keywords|key words|index terms)\s*[—–:.-]\s*(?P<body>\S.*)$"
    r"|^(?P<head2>acknowledge?ments?|keywords)[.:]?\s+(?P<body2>[A-Z].*)$", re.I)
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})(\.?)\s+(\S.*)$")
_ROMAN = re.compile(r"^([IVX]{1,6})\.\s+(\S.*)$")
_LETTERED = re.compile(r"^([A-Z])((?:\.\d{1,2}){0,3})(\.?)\s+(\S.*)$")
_APPENDIX = re.compile(r"^(?:appendix|appendices)\s+([A-Z])((?:\.\d{1,2}){0,3})\s*[.:—–-]?\s*(.*)$",
                       re.I)
_TOC_LINE = re.compile(r"(?:\.\s?){3,}|…|(?:[A-Za-z)]|\d\.\d+)\s+\d{1,3}$")
_AUTHORS = re.compile(r"^[A-Z]\.\s?[A-Z]|\b[A-Z]\.\s[A-Z][a-z]+,")
_PLAIN_HEADING = re.compile(r"^[A-Z][A-Za-z&’'-]*(?:\s+[A-Za-z&’'-]+){0,5}:?$")
_CONNECTIVES = frozenset(
    "a an the of and or in on for to with by from at via as vs versus between into under over "
    "toward towards using through without".split())
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10}
_SUBSECTION_KINDS = frozenset({"method", "experiments", "related"})


def classify(title: str) -> str | None:
    """The kind a heading's words announce ('Experimental Setup' -> 'experiments'), if any."""
    words = " ".join(re.sub(r"[^\w\s-]", " ", title.casefold()).split())
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(words):
            return kind
    return None


@dataclass(frozen=True)
class Heading:
    """A heading line: how it is numbered, what it says, and the kind of text under it."""

    label: str  # '3.1', 'II', 'A.2' or '' for unnumbered
    title: str
    level: int
    kind: str
    line: str  # as printed (two lines joined when the heading wraps)
    body: str = ""  # text that follows a run-in heading on its line ('Abstract—We study ...')
    scheme: str = "keyword"  # keyword, plain, arabic, roman, letter
    inherited: bool = False  # kind taken from the enclosing section

    @property
    def text(self) -> str:
        return f"{self.label} {self.title}" if self.label else self.title


@dataclass(frozen=True)
class _Candidate:
    scheme: str  # keyword, arabic, roman, letter
    numbers: tuple[int, ...]
    dot: bool
    label: str
    title: str
    body: str = ""
    appendix: bool = False  # written 'Appendix A ...'


def _roman(text: str) -> int | None:
    values = [_ROMAN_VALUES[c] for c in text]
    total = sum(-v if i + 1 < len(values) and v < values[i + 1] else v
                for i, v in enumerate(values))
    canonical = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI", 7: "VII", 8: "VIII",
                 9: "IX", 10: "X", 11: "XI", 12: "XII", 13: "XIII", 14: "XIV", 15: "XV"}
    return total if canonical.get(total) == text else None


def _plausible_title(title: str) -> bool:
    """A numbered line's text looks like a heading, not a sentence, table row or TOC entry."""
    if not 1 <= len(title) <= 100 or len(title.split()) > 14:
        return False
    if not (title[0].isupper() or re.match(r"\d[A-Za-z]", title)):
        return False
    if title.endswith((",", ";")) or any(s in title for s in ("=", "@", "http", "|")):
        return False
    if _TOC_LINE.search(title) or _AUTHORS.search(title) or re.search(r"[a-z]{2}\. [A-Z]", title):
        return False
    words = title.split()
    if len(words) > 2 and sum(len(w) == 1 for w in words) * 2 >= len(words):
        return False  # 'D D D E F': a matrix, not a heading
    letters = sum(c.isalpha() for c in title)
    return letters >= 0.5 * len(title.replace(" ", ""))


def _candidates(line: str) -> list[_Candidate]:
    if len(line) > 110:
        return []
    match = _RUN_IN.match(line)
    if match and (match["head"] or match["head2"]):
        head = match["head"] or match["head2"]
        if head[0].isupper():
            return [_Candidate("keyword", (), False, "", head, match["body"] or match["body2"])]
    if _STRONG.match(line) and line[0].isupper():
        return [_Candidate("keyword", (), False, "", line.rstrip(":."))]
    found = []
    match = _APPENDIX.match(line)
    if match:
        numbers = (ord(match[1].upper()) - 64, *(int(n) for n in match[2].split(".")[1:]))
        return [_Candidate("letter", numbers, True, "", line.rstrip(".:"), "", True)]
    match = _ROMAN.match(line)
    if match and (value := _roman(match[1])):
        found.append(_Candidate("roman", (value,), True, match[1], match[2]))
    match = _NUMBERED.match(line)
    if match:
        numbers = tuple(int(n) for n in match[1].split("."))
        if 1 <= numbers[0] <= 20:
            found.append(_Candidate("arabic", numbers, bool(match[2]), match[1], match[3]))
    match = _LETTERED.match(line)
    if match:
        numbers = (ord(match[1]) - 64, *(int(n) for n in match[2].split(".")[1:]))
        found.append(_Candidate("letter", numbers, bool(match[3]), match[1] + match[2], match[4]))
    if not found and _PLAIN_HEADING.match(line) and not line.endswith("."):
        found.append(_Candidate("plain", (), False, "", line.rstrip(":")))
    return found


def _follows(last: tuple[int, ...], new: tuple[int, ...]) -> bool:
    """Whether `new` can come after `last` in a numbering (one missed heading is forgiven)."""
    for k in range(len(new)):
        if new[:k] != last[:k]:
            return False
        step = new[k] - last[k] if k < len(last) else new[k]
        if step in ((1, 2) if k < len(last) else (1,)) and all(n == 1 for n in new[k + 1:]):
            return True
    return False


def _is_heading_like(line: str) -> bool:
    return any(c.scheme != "plain" for c in _candidates(line))


def _merge_continuation(title: str, following: str | None) -> tuple[str, bool]:
    """A heading broken over two lines ('... ACTION IN THE' / 'LARGE CONNECTIVITY LIMIT').

    Returns the whole title and whether it merged; ('', False) when the title is left
    open (ends with 'of', ':' or a hyphen) and the next line cannot close it: not a heading.
    """
    open_end = (title.endswith(":") or bool(_LINE_END_HYPHEN.search(title))
                or title.split()[-1].casefold() in _CONNECTIVES)
    if (following is None or len(following) > 70 or following.endswith(".")
            or any(c.isdigit() for c in following) or _is_heading_like(following)):
        return ("" if open_end else title), False
    wraps = (open_end
             or title.isupper() and following.isupper()  # REVTeX and ACM headings in capitals
             or following[:1].islower() and len(following) <= 30 and len(following.split()) <= 3)
    if not wraps:
        return title, False
    if title.endswith("-") and following[:1].islower():
        return title[:-1] + following, True
    return f"{title} {following}", True


def _prose_line(line: str) -> bool:
    visible = line.replace(" ", "")
    return (len(line) >= 25 and not _table_row(line)
            and sum(c.isalpha() for c in visible) >= 0.7 * len(visible))


@dataclass
class _Style:
    scheme: str  # arabic, roman or plain
    dot: bool
    start: int  # first line where numbered headings may occur


def _style(cands: dict[int, list[_Candidate]]) -> _Style:
    """How this document numbers its sections, learned from its introduction heading."""
    abstract = next((i for i, cs in cands.items()
                     if cs[0].scheme == "keyword" and classify(cs[0].title) == "abstract"), None)
    for i, cs in cands.items():
        for c in cs:
            if classify(c.title) != "introduction" or c.body:
                continue
            start = min(i, abstract if abstract is not None else i)
            if c.scheme in ("plain", "keyword"):
                return _Style("plain", False, start)
            if c.scheme in ("arabic", "roman") and c.numbers == (1,) \
                    and _plausible_title(c.title):
                return _Style(c.scheme, c.dot, start)
    after = abstract if abstract is not None else 0
    for i, cs in cands.items():
        for c in cs:
            if i > after and c.scheme in ("arabic", "roman") and c.numbers == (1,) \
                    and _plausible_title(c.title):
                return _Style(c.scheme, c.dot, after)
    return _Style("plain", False, after)


class _HeadingFinder:
    """Walks the candidate lines in order, keeping the numbering state of the document."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = lines
        self.cands = {i: cs for i, line in enumerate(lines) if (cs := _candidates(line))}
        self.style = _style(self.cands)
        self.headings: dict[int, Heading] = {}
        self.consumed: set[int] = set()
        self.last: tuple[int, ...] = (0,)
        self.last_letter: tuple[int, ...] = (0,)
        self.kinds: list[str] = []  # kind of the open section at each level
        self.seen_abstract = self.after_references = self.in_appendix = False

    def run(self) -> tuple[dict[int, Heading], set[int]]:
        for i in sorted(self.cands):
            if i >= self.style.start and i not in self.consumed:
                for c in self.cands[i]:
                    if self._accept(i, c):
                        break
        _infer_method(self.headings)
        return self.headings, self.consumed

    def _add(self, i: int, c: _Candidate, level: int, kind: str | None = None,
             line: str | None = None) -> None:
        own = classify(c.title)
        inherited = False
        parent = self.kinds[min(level - 2, len(self.kinds) - 1)] if level > 1 and self.kinds \
            else None
        if kind is None:
            if level == 1:
                kind = own or "other"
            elif parent in (None, "other") and own in _SUBSECTION_KINDS:
                kind = own
            else:
                kind, inherited = parent or "other", True
        del self.kinds[level - 1:]
        self.kinds.extend([kind] * (level - len(self.kinds)))
        self.headings[i] = Heading(c.label, c.title, level, kind, line or self.lines[i], c.body,
                                   c.scheme, inherited)

    def _accept(self, i: int, c: _Candidate) -> bool:
        following = self.lines[i + 1] if i + 1 < len(self.lines) else None
        if c.scheme in ("keyword", "plain"):
            return self._accept_unnumbered(i, c, following)
        title, merged = _merge_continuation(c.title, following)
        if not title or not _plausible_title(title):
            return False
        c = replace(c, title=title)
        line = f"{self.lines[i]} {following}" if merged else None
        if c.scheme == "letter" and (c.appendix or self.after_references or self.in_appendix):
            if not _follows(self.last_letter, c.numbers):
                return False
            self.last_letter = c.numbers
            self.in_appendix = True
            self._add(i, c, len(c.numbers), "appendix", line)
        elif c.scheme == "letter" and self.style.scheme == "roman" and len(c.numbers) == 1:
            numbers = (self.last[0], c.numbers[0])
            if self.after_references or not _follows(self.last, numbers):
                return False
            self.last = numbers
            self._add(i, c, 2, None, line)
        elif (c.scheme == self.style.scheme and c.dot == self.style.dot
              and not self.after_references and not self.in_appendix):
            if not _follows(self.last, c.numbers):
                return False
            self.last = c.numbers
            self._add(i, c, len(c.numbers), None, line)
        else:
            return False
        if merged:
            self.consumed.add(i + 1)
        return True

    def _accept_unnumbered(self, i: int, c: _Candidate, following: str | None) -> bool:
        own = classify(c.title)
        if c.scheme == "plain":
            # Unnumbered papers (AAAI style): a short title-case line naming a known kind,
            # followed by prose; never a table header, never in the back matter.
            if (self.style.scheme != "plain" or own in (None, "abstract", "references", "other")
                    or self.after_references or self.in_appendix or c.title.endswith("-")
                    or any(ch.isdigit() for ch in c.title)
                    or following is None
                    or not (_prose_line(following) or _PLAIN_HEADING.match(following))):
                return False
        if own == "abstract":
            if self.seen_abstract:
                return False
            self.seen_abstract = True
        if own == "references":
            self.after_references = True
        elif own == "appendix":
            self.in_appendix = True
        elif self.after_references or self.in_appendix:
            own = "other" if own == "other" else "appendix"
        self._add(i, c, 1, own or "other")
        return True


def find_headings(lines: Sequence[str]) -> tuple[dict[int, Heading], set[int]]:
    """Headings by line index, and the indices of lines folded into a two-line heading."""
    return _HeadingFinder(lines).run()


def _infer_method(headings: dict[int, Heading]) -> None:
    """No top-level section says 'method': the numbered ones between introduction and results
    hold it ('3 Deep Residual Learning')."""
    if any(h.kind == "method" and h.level == 1 for h in headings.values()):
        return
    order = sorted(headings)
    tops = [i for i in order if headings[i].level == 1]
    begin = max((i for i in tops if headings[i].kind in ("abstract", "introduction", "related")),
                default=-1)
    end = min((i for i in tops if i > begin and headings[i].kind in
               ("experiments", "conclusion", "references", "appendix")), default=math.inf)
    inside = False
    for i in order:
        h = headings[i]
        if h.level == 1:
            inside = begin < i < end and h.kind == "other" and h.scheme not in ("keyword", "plain")
        if inside and h.kind == "other":
            headings[i] = replace(h, kind="method")


# -- re-flow into paragraphs -------------------------------------------------------------------

_TERMINAL = (".", "!", "?", ":")
_NUMBER_TOKEN = re.compile(r"^[-+±(]?\d[\d.,%×x]*\)?$")


def _table_row(line: str) -> bool:
    tokens = line.split()
    numeric = sum(1 for t in tokens if _NUMBER_TOKEN.match(t))
    return numeric >= 3 and numeric >= 0.4 * len(tokens)


def _typical_width(lines: Sequence[str], fallback: float) -> float:
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
    if _LINE_END_HYPHEN.search(last):
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
        elif _LINE_END_HYPHEN.search(line):
            continue_block = True
        elif _table_row(line):
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
                and not _table_row(previous)):
            _append(parts, block, vocab)
        else:
            if parts:
                parts.append("\n")
            parts.append(block)
        previous = block
    return "".join(parts)


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
    doc_width = _typical_width(flat, 80.0)

    page_texts: list[str] = []
    # (page, text, heading) for every block in reading order
    blocks: list[tuple[int, str, Heading | None]] = []
    offset = 0
    for number, lines in enumerate(pages):
        keep = [j for j in range(len(lines)) if offset + j not in consumed]
        kept = [lines[j] for j in keep]
        local = {n for n, j in enumerate(keep) if offset + j in headings}
        page_blocks: list[tuple[int, str, Heading | None]] = []
        for n, text in reflow(kept, local, vocab, _typical_width(kept, doc_width)):
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
