"""Text from a paper or a model on its way into markdown, checked on GitHub's own renderer
(cmark-gfm, with the autolink, strikethrough and table extensions, raw HTML let through as
GitHub's parser does before it sanitizes): what renders is exactly the text, and nothing else."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from pipeline.draft.entry import render_entry
from pipeline.draft.markup import escape_html, inline_markdown, sanitize_entry
from pipeline.models.summary import Summary

NASTY = [
    "Attention </details><script>alert(1)</script> Is All You Need",
    "A `code` title with ``double`` backticks and a lone `",
    "See [the project page](https://evil.example/x) and ![logo](https://evil.example/l.png)",
    "<s>Struck</s> through and ~~deleted~~ and ~one~ and <b>bold</b> and <img src=x "
    "onerror=alert(1)>",
    "Links: https://evil.example/path?q=1, www.evil.example, mail@evil.example and "
    "<https://evil.example/auto> but https://arxiv.org/abs/2404.01234 stays.",
    "Math: \\frac{1}{2} \\times \\beta, 5 < 6 > 4, a_b_c and _emph_ and *star* and **bold**",
    "Entities: &lt;script&gt; &#60;img&#62; &amp; AT&T",
    "# Not a heading ##",
    "1. not a list and - not an item | not | a table",
    "[^1] footnote, [ref][1], \\[escaped\\] and a trailing backslash \\",
    "<!-- hide everything after this",
]


class _Text(HTMLParser):
    """The text and the elements of rendered HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs += [value or "" for name, value in attrs if name in ("href", "src")]

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.tags.append("!--")


def render(markdown: str) -> _Text:
    page = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    parsed = _Text()
    parsed.feed(page)
    return parsed


@pytest.mark.parametrize("text", NASTY)
def test_inline_markdown_renders_as_exactly_the_text(text: str) -> None:
    shown = render("- " + inline_markdown(text))
    assert " ".join("".join(shown.text).split()) == " ".join(text.split())
    assert set(shown.tags) <= {"ul", "li", "code", "a"}
    assert all(href.startswith("https://arxiv.org/") for href in shown.hrefs)


def test_configured_hosts_stay_links() -> None:
    shown = render("- " + inline_markdown("Code at https://github.com/x/y.", ("github.com",)))
    assert shown.hrefs == ["https://github.com/x/y"]


def summary(**change: str) -> Summary:
    return Summary.model_validate({
        "keypoints": ["Key <s>one", "Key `two`", "Key [three](https://evil.example)"],
        "objective": "An objective with </details> in it and <script>x</script>.",
        "method": ["- A method step that looks like a list item.", "<img src=x onerror=y>"],
        "metric": "A metric with ~~strike~~ and https://evil.example/m.", "section": "LLM",
        **change})


@pytest.mark.parametrize("title", NASTY[:4])
def test_an_entry_keeps_its_details_block_and_shows_its_title_as_text(title: str) -> None:
    entry = render_entry(title, summary(), "2404.01234")
    assert entry.count("<details>") == entry.count("</details>") == 1
    shown = render(entry)
    heading = re.search(r"<h4>(.*?)</h4>", cmarkgfm.github_flavored_markdown_to_html(
        entry, options=Options.CMARK_OPT_UNSAFE), re.S)
    assert heading is not None
    assert " ".join(html.unescape(re.sub(r"<[^>]+>", "", heading.group(1))).split()) == \
        " ".join(title.split())
    assert set(shown.tags) <= {"h4", "ul", "li", "code", "a", "details", "summary", "p"}
    assert shown.tags.count("details") == 1
    assert shown.hrefs == ["https://arxiv.org/abs/2404.01234"]


def test_sanitize_entry_passes_an_escaped_entry_unchanged() -> None:
    for title in NASTY:
        entry = render_entry(title, summary(), "2404.01234")
        assert sanitize_entry(entry) == entry


def test_sanitize_entry_neutralizes_an_edit() -> None:
    entry = render_entry("A Title", summary(objective="A plain objective for the paper."),
                         "2404.01234")
    edited = entry.replace(
        "A plain objective for the paper.",
        "A plain objective <img src=x onerror=alert(1)> ![x](https://evil.example/x.png) "
        "[here](https://evil.example) and https://evil.example/raw and "
        "[the paper](https://arxiv.org/abs/2404.01234) `https://evil.example/code`.")
    edited += "</details>\n<script>alert(2)</script>\n"
    clean = sanitize_entry(edited)
    shown = render(clean)
    assert "script" not in shown.tags and "img" not in shown.tags
    assert shown.tags.count("details") == 1
    assert clean.count("</details>") == 1
    assert all(href.startswith("https://arxiv.org/") for href in shown.hrefs)
    assert len(shown.hrefs) == 2  # the entry's own link and the editor's link to the paper
    assert "`https://evil.example/code`" in clean  # code spans are left as they are


def test_escape_html_for_a_web_page() -> None:
    assert escape_html('<script>"x" & \x08y</script>') == (
        "&lt;script&gt;&quot;x&quot; &amp;  y&lt;/script&gt;")
