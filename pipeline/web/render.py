"""An entry's markdown as HTML, the way a markdown viewer shows the published list; check flags
in plain words.

Nothing in an entry is trusted: markdown-it renders it with raw HTML turned off (a `<script>`
in a title comes out as text) and images off. The one piece of HTML the editors' format
carries, the Details block (`-   <details>` ... `</details>` on lines of their own), is
recognised by its lines and drawn with fixed tags around its separately rendered content.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup

_OPEN = re.compile(r"^-\s+<details>\s*$")
_SUMMARY = re.compile(r"^\s*<summary>Details</summary>\s*$")
_CLOSE = re.compile(r"^\s*</details>\s*$")
_FIELD = re.compile(r"^(keypoints|objective|method|metric|results|limitation|evidence|"
                    r"section)(?=[: ])", re.I)


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable("image")

    def link_open(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        tokens[idx].attrSet("rel", "noopener noreferrer nofollow")
        rendered: str = renderer.renderToken(tokens, idx, options, env)
        return rendered

    md.add_render_rule("link_open", link_open)
    return md


_MD = _markdown()


def markdown_html(text: str) -> Markup:
    """Markdown -> HTML with raw HTML escaped (markdown-it refuses javascript: links)."""
    return Markup(_MD.render(text))  # markdown-it escaped every text and raw HTML


def entry_html(entry: str) -> Markup:
    """An entry as it will look published: its Details block drawn open."""
    lines = entry.replace("\r\n", "\n").split("\n")
    start = next((i for i, line in enumerate(lines) if _OPEN.match(line)), None)
    end = None if start is None else next(
        (i for i in range(start + 1, len(lines)) if _CLOSE.match(lines[i])), None)
    if start is None or end is None:
        return markdown_html(entry)
    body = [line for line in lines[start + 1:end] if not _SUMMARY.match(line)]
    head, inner, tail = (_MD.render("\n".join(lines[:start])),
                         _MD.render(textwrap.dedent("\n".join(body))),
                         _MD.render("\n".join(lines[end + 1:])))
    details = ('<ul class="details"><li><details open><summary>Details</summary>'
               f"{inner}</details></li></ul>")
    return Markup(head + details + tail)  # fixed tags around escaped parts


def plain_flag(flag: str) -> str:
    """"metric: numbers not in the paper: 12.5%" -> "Metric: numbers not in the paper: 12.5%"."""
    match = _FIELD.match(flag)
    if match:
        return match[1].capitalize() + flag[match.end():]
    return flag[:1].upper() + flag[1:]
