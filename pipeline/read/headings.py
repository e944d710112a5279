"""Headings in a paper's lines, in the forms arXiv papers use, and the kind of text under each.

A numbered line counts only if it continues the document's own numbering (learned from its
introduction heading), so that table rows, list items and equation lines do not pass.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .cleanup import LINE_END_HYPHEN, is_table_row

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
# 'Experiments', 'Retrieval Augmented Prompt Tuning (RAPT)': a short line of words, and the
# abbreviation the heading defines
_PLAIN_HEADING = re.compile(
    r"^[A-Z][A-Za-z&’'-]*(?:\s+[A-Za-z&’'-]+){0,5}(?:\s\([A-Z][A-Za-z-]*\))?:?$")
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
    open_end = (title.endswith(":") or bool(LINE_END_HYPHEN.search(title))
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
    return (len(line) >= 25 and not is_table_row(line)
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

    def _subsection(self, i: int, c: _Candidate, following: str | None) -> bool:
        """A method's own subsection in an unnumbered paper (AAAI style): a line in title case
        ('Novelty Conditioned RAPT (NC-RAPT)') between the end of a paragraph and the start of
        the next, inside a top-level method section. Its words name no kind, so only its place
        tells it from a figure's label; other sections' subsections stay body text."""
        words = [w for w in re.findall(r"[\w’'-]+", c.title) if w.casefold() not in _CONNECTIVES]
        return (self.style.scheme == "plain" and self.kinds[:1] == ["method"]
                and not (self.after_references or self.in_appendix)
                and all(w[0].isupper() for w in words) and i > 0
                and self.lines[i - 1].endswith(".") and following is not None
                and following[:1].isupper() and _prose_line(following))

    def _accept_unnumbered(self, i: int, c: _Candidate, following: str | None) -> bool:
        own = classify(c.title)
        if c.scheme == "plain" and own is None and self._subsection(i, c, following):
            self._add(i, c, 2)
            return True
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

