"""Text from a paper or a model, made safe for the digest's markdown (and for HTML).

A title or a field can carry anything a PDF's author or an obedient model put there: raw HTML
(`</details><script>`, `<img src=x onerror=…>`, `<s>`), markdown links and images, bare URLs
that GitHub turns into links, backticks. `inline_markdown` writes such text so that the
rendered markdown shows it as text: HTML characters become entities, markdown punctuation is
escaped, and a URL stays a link only when its host is arXiv or one of `output.link_hosts`
(any other is shown as code, which no renderer links). `markup_in` says what a text carried,
so a draft can be flagged for its editor; `sanitize_entry` is the last gate before an entry
(which an editor may have edited) is published; `escape_html` is the same for an HTML page.
The rules follow GitHub's renderer (cmark-gfm with its autolink extension), which the tests
render with.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Collection, Iterator
from urllib.parse import urlsplit

ARXIV_HOSTS = ("arxiv.org",)
# A bare URL, `www.` address or e-mail address: GitHub links all three in running text.
_LINKABLE = re.compile(r"(?i)(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"'`\\]+"
                       r"|[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_TRAILING = ".,:;!?*_~'\""
_TAG = re.compile(r"<!--.*?-->|<!--|<(/?)([A-Za-z][A-Za-z0-9-]*)(?=[\s/>])[^<>]*>?"
                  r"|<(?:https?|ftp|mailto|javascript|data|vbscript):[^<>\s]*>", re.I | re.S)
_IMAGE = re.compile(r"(?<!\\)!(?<!\\)\[([^\]\n]*)\]\(([^)\n]*)\)")
_LINK = re.compile(r"(?<![\\!])\[([^\]\n]*)\]\(\s*<?([^)\s>]*)>?[^)\n]*\)")
_ENTITY = re.compile(r"&(?=#\d+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")
_PUNCT = re.compile(r"\\(?=[!-/:-@\[-`{-~])")  # a backslash that would escape what follows
_CODE_SPAN = re.compile(r"(?<!\\)(`+)(?!`).*?(?<!`)\1(?!`)", re.S)
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
SKELETON = re.compile(r"^ {0,4}(?:-   )?<details>\s*$|^ {0,4}<summary>Details</summary>\s*$"
                      r"|^ {0,4}</details>\s*$|^\s*<!--\s*arxiv:[^<>]*-->\s*$")


def control_characters(text: str) -> list[str]:
    """The control characters in a text (a garbled escape, a bidi override), as U+XXXX; a
    newline is no control character here."""
    found = [ch for ch in text if ch != "\n" and (unicodedata.category(ch) == "Cc"
                                                   or ch in _BIDI)]
    return [f"U+{ord(ch):04X}" for ch in dict.fromkeys(found)]


def without_controls(text: str) -> str:
    """Control characters become spaces (a tab, a garbled escape) or vanish (bidi marks)."""
    return "".join(" " if unicodedata.category(ch) == "Cc" and ch != "\n" else ch
                   for ch in text if ch not in _BIDI)


def allowed_link(url: str, hosts: Collection[str] = ()) -> bool:
    """A URL to arXiv or to one of `hosts` (or a subdomain), over http(s)."""
    if "@" in url and "://" not in url:
        return False  # an e-mail address
    parts = urlsplit(url if "://" in url else "https://" + url)
    if parts.scheme.lower() not in ("http", "https"):
        return False
    host = (parts.hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in (*ARXIV_HOSTS, *hosts))


def _linkables(text: str) -> Iterator[tuple[int, int]]:
    """The spans of text that GitHub would link, trailing punctuation trimmed as it does."""
    for match in _LINKABLE.finditer(text):
        start, end = match.span()
        while end > start:
            last = text[end - 1]
            if last in _TRAILING or last == ")" and (text[start:end].count(")")
                                                     > text[start:end].count("(")):
                end -= 1
                continue
            break
        if end > start:
            yield start, end


def markup_in(text: str, hosts: Collection[str] = ()) -> list[str]:
    """What in a text would be markup rather than words: HTML tags, images, and links to
    hosts other than arXiv and `hosts`; one description each, in order, without repeats."""
    found: list[str] = []
    for match in _TAG.finditer(text):
        if match.group(2):
            found.append(f"HTML tag <{match.group(1)}{match.group(2).lower()}>")
        elif match.group(0).startswith("<!--"):
            found.append("an HTML comment")
        elif not allowed_link(match.group(0)[1:-1], hosts):
            found.append(f"a link to {_host(match.group(0)[1:-1])}")
    if _IMAGE.search(text):
        found.append("a markdown image")
    for match in _LINK.finditer(text):
        if not allowed_link(match.group(2), hosts):
            found.append(f"a link to {_host(match.group(2))}")
    for start, end in _linkables(text):
        url = text[start:end]
        if not allowed_link(url, hosts) and not _in_link(text, start):
            found.append(f"a link to {_host(url)}")
    return list(dict.fromkeys(found))


def inline_markdown(text: str, hosts: Collection[str] = ()) -> str:
    """One line of text as inline markdown that renders as exactly that text: no tag, no
    image, no link but bare URLs to arXiv or `hosts` (others are shown as code)."""
    text = " ".join(without_controls(text).split())
    out: list[str] = []
    last = 0
    for start, end in _linkables(text):
        out.append(_escape(text[last:start]))
        url = text[start:end]
        out.append(url if allowed_link(url, hosts) and "://" in url else _code(url))
        last = end
    out.append(_escape(text[last:]))
    result = "".join(out)
    if re.match(r"[#>+=-]", result):  # would start a heading, a quote or a list
        result = "\\" + result
    result = re.sub(r"^(\d+)([.)])(?=\s|$)", r"\1\\\2", result)  # an ordered list
    if result.endswith("#"):  # a closing sequence of an ATX heading would be dropped
        result = result[:-1] + "\\#"
    return result


def without_markup(text: str) -> str:
    """The words of a text without its tags, link targets, URLs and addresses (what language
    identification should read)."""
    text = _TAG.sub(" ", text)
    text = re.sub(r"\]\([^)\n]*\)", "] ", text)
    return _LINKABLE.sub(" ", text)


def escape_html(text: str) -> str:
    """Text for an HTML page: control characters dropped, every markup character escaped."""
    return html.escape(without_controls(text), quote=True)


def sanitize_entry(entry: str, hosts: Collection[str] = ()) -> str:
    """An entry's markdown with what is not the editors' format neutralized: raw HTML other
    than the Details block and the arxiv comment is escaped, images are reduced to their
    alt text, links to hosts other than arXiv and `hosts` to their text, bare URLs of other
    hosts to code. Text that `inline_markdown` wrote passes unchanged."""
    lines = entry.split("\n")
    opened = 0
    for number, line in enumerate(lines):
        if SKELETON.match(line):
            if line.strip().endswith("<details>"):
                opened += 1
            elif line.strip() == "</details>":
                if opened == 0:
                    lines[number] = line.replace("</details>", "&lt;/details&gt;")
                    continue
                opened -= 1
            continue
        lines[number] = _outside_code(line, lambda part: _neutralize(part, hosts))
    return "\n".join(lines)


def _neutralize(text: str, hosts: Collection[str]) -> str:
    text = _IMAGE.sub(lambda m: _escape(m.group(1)), text)
    text = _LINK.sub(lambda m: m.group(0) if allowed_link(m.group(2), hosts)
                     else m.group(1), text)
    text = _TAG.sub(lambda m: html.escape(m.group(0), quote=False), text)
    out: list[str] = []
    last = 0
    for start, end in _linkables(text):
        url = text[start:end]
        if allowed_link(url, hosts) or _in_link(text, start):
            continue
        out += [text[last:start], _code(url)]
        last = end
    return "".join(out) + text[last:]


def _outside_code(line: str, change: Callable[[str], str]) -> str:
    """Apply `change` to the parts of a line outside code spans."""
    out: list[str] = []
    last = 0
    for match in _CODE_SPAN.finditer(line):
        out += [change(line[last:match.start()]), match.group(0)]
        last = match.end()
    return "".join(out) + change(line[last:])


def _in_link(text: str, at: int) -> bool:
    """Position `at` is inside a markdown link (reported, or kept, as a whole)."""
    return any(m.start() <= at < m.end() for m in _LINK.finditer(text))


def _escape(text: str) -> str:
    text = _PUNCT.sub(r"\\\\", text)
    text = _ENTITY.sub("&amp;", text)
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"([`*\[\]~|])", r"\\\1", text)
    # `_` opens or closes emphasis only at a word's edge: snake_case stays readable
    return re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\\_", text)


def _code(text: str) -> str:
    return "`" + text.replace("`", "") + "`"


def _host(url: str) -> str:
    if "@" in url and "://" not in url:
        return "an e-mail address"
    parts = urlsplit(url if "://" in url else "https://" + url)
    return parts.hostname or url[:40]
