"""Reading hand-written digest files: lines, headings, ids and titles."""

from __future__ import annotations

import pytest

from pipeline.publish.digest import (
    Document,
    base_id,
    detect_eol,
    entry_headings,
    ids_in,
    latest_update_month,
    split_lines,
    title_key,
)


def test_split_lines_only_splits_on_lf() -> None:
    text = "a\r\nb\x85c\u2028d\ne"
    assert split_lines(text) == ["a\r\n", "b\x85c\u2028d\n", "e"]
    assert split_lines("") == []
    assert "".join(split_lines(text)) == text


@pytest.mark.parametrize(
    ("text", "eol"),
    [("a\r\nb\r\nc\n", "\r\n"), ("a\nb\nc\r\n", "\n"), ("no newline", "\n"), ("", "\n")],
)
def test_detect_eol_takes_the_more_common_ending(text: str, eol: str) -> None:
    assert detect_eol(text) == eol


def test_document_round_trips_bytes_and_bom() -> None:
    text = "\ufeff# Introduction\r\n\r\n### Title \u00a0\r\n</details>"
    doc = Document(text)
    assert doc.bom == "\ufeff"
    assert doc.eol == "\r\n"
    assert doc.text() == text
    assert doc.headings()[0].text == "Introduction"


def test_headings_skip_fenced_code_and_indented_lines() -> None:
    doc = Document(
        "## 202404\n```\n### not a heading\n```\n    #### indented\n#hashtag\n### LLM \n"
    )
    assert [(h.index, h.level, h.text) for h in doc.headings()] == [(0, 2, "202404"),
                                                                     (6, 3, "LLM")]


def test_title_key_ignores_case_space_nbsp_and_punctuation() -> None:
    hand = "Customizing\u00a0Text-to-Image\u00a0Diffusion\u00a0with\u00a0Camera "
    assert title_key(hand) == title_key("customizing text to image diffusion with camera")
    assert title_key("Ｆｏｏ：Ｂａｒ，ｂａｚ") == title_key("Foo: Bar, baz")
    assert title_key("[Koala](https://arxiv.org/abs/2404.04346)") == title_key("Koala")
    assert title_key("RULER: What’s the Real Context") == title_key("RULER Whats the real context")
    assert title_key("Koala") != title_key("Koala 2")


def test_ids_in_finds_links_pdfs_versions_and_comments() -> None:
    text = (
        "[arXiv](https://arxiv.org/abs/2404.07965v2) "
        "http://arxiv.org/pdf/2403.12345.pdf <!-- arxiv: hep-th/9901001v1 --> "
        "arxiv.org/abs/2404.079651"
    )
    assert ids_in(text) == {"2404.07965", "2403.12345", "hep-th/9901001"}
    assert base_id(" 2404.07965v3 ") == "2404.07965"


def test_entry_headings_are_titles_not_months_or_sections() -> None:
    doc = Document(
        "# Introduction\n# PaperList\n## 202404\n### LLM\n#### A\n# 202403\n## LLM\n### B\n"
    )
    assert [h.text for h in entry_headings(doc)] == ["A", "B"]


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("Latest Update: April 2024", (True, "202404")),
        ("Latest Update: Sept. 2023", (True, "202309")),
        ("latest update - 2024-08", (True, "202408")),
        ("Latest Update", (True, None)),
        ("Latest Update: soon", (True, None)),
        ("PaperLists", (False, None)),
    ],
)
def test_latest_update_month(heading: str, expected: tuple[bool, str | None]) -> None:
    assert latest_update_month(heading) == expected
