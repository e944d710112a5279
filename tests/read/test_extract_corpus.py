"""The extractor on the ten real arXiv papers in ../shared/corpus (skipped when it is absent)."""

from __future__ import annotations

import re

import pytest
from paths import SHARED

from pipeline.config import Config
from pipeline.errors import ExtractError
from pipeline.models import Extract
from pipeline.read.extract import build_model_input, estimate_tokens, extract_many
from pipeline.read.model_input import number_sentences
from pipeline.read.sections import KINDS

CORPUS = SHARED / "corpus" / "pdf"
README = SHARED / "README.md"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus of real papers at {CORPUS}"),
]

# The kinds each paper's headings announce (beyond abstract and references, which all have).
EXPECTED_KINDS = {
    "1111.2011v2.pdf": {"introduction", "method", "conclusion"},  # REVTeX: I. INTRODUCTION
    "1512.03385v1.pdf": {"introduction", "related", "method", "experiments", "appendix"},
    "1706.03762v7.pdf": {"introduction", "related", "method", "experiments", "conclusion"},
    "1906.08632v2.pdf": {"introduction", "method", "appendix"},  # no 'Introduction' heading
    "2202.00535v1.pdf": {"introduction", "method", "experiments", "related", "conclusion"},
    "2304.02623v1.pdf": {"introduction", "conclusion"},
    "2405.04434.pdf": {"introduction", "method", "experiments", "conclusion", "appendix"},
    "2407.01603v3.pdf": {"introduction", "method", "conclusion"},
    "2501.10120v1.pdf": {"introduction", "related", "method", "experiments", "conclusion",
                         "appendix"},
    "2502.13189.pdf": {"introduction", "related", "method", "experiments", "conclusion",
                       "appendix"},
}
# Papers whose abstract has no heading at all: found as the prose closing the title block.
NO_ABSTRACT_HEADING = {"1111.2011v2.pdf"}
# Papers whose introduction has no heading: the text between abstract and section 1.
NO_INTRODUCTION_HEADING = {"1906.08632v2.pdf"}
# Papers without a number in their abstract, conclusion, results or table captions.
NO_RESULT_NUMBERS = {
    "1111.2011v2.pdf",  # physics: analytical, its only numbers are mathematics ('d = 0')
    "1906.08632v2.pdf",  # theory: no results section, no conclusion, no number in the abstract
    "2304.02623v1.pdf",  # a four-page position paper: no experiments, no tables
}


def readme_table() -> dict[str, tuple[str, int]]:
    """file -> (title, pages), from the README's table of the corpus."""
    rows = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith("`") and cells[3].isdigit():
            rows[cells[0].strip("`")] = (cells[2], int(cells[3]))
    return rows


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.casefold())


@pytest.fixture(scope="module")
def extracts() -> dict[str, Extract]:
    paths = sorted(CORPUS.glob("*.pdf"))
    results = extract_many(paths, sources=[p.name for p in paths])
    failures = {p.name: str(r) for p, r in zip(paths, results, strict=True)
                if isinstance(r, ExtractError)}
    assert not failures
    return {p.name: r for p, r in zip(paths, results, strict=True) if isinstance(r, Extract)}


def test_the_corpus_is_the_one_described(extracts: dict[str, Extract]) -> None:
    assert set(extracts) == set(EXPECTED_KINDS)
    if README.is_file():
        assert {name: e.page_count for name, e in extracts.items()} == {
            name: pages for name, (_, pages) in readme_table().items()}


@pytest.mark.parametrize("name", sorted(EXPECTED_KINDS))
def test_every_paper_has_an_abstract(extracts: dict[str, Extract], name: str) -> None:
    abstract = extracts[name].section("abstract")
    assert abstract is not None
    assert 500 <= len(abstract.text) <= 2500, abstract.text[:200]
    assert abstract.page == 1
    assert (abstract.heading == "") == (name in NO_ABSTRACT_HEADING)
    first = abstract.text.split()[0]
    assert first[0].isupper(), abstract.text[:80]  # starts at a sentence, not mid-title


@pytest.mark.parametrize("name", sorted(EXPECTED_KINDS))
def test_sections_found_and_classified(extracts: dict[str, Extract], name: str) -> None:
    extract = extracts[name]
    found = {s.kind for s in extract.sections}
    assert found <= set(KINDS)
    assert {"front", "abstract", "references"} | EXPECTED_KINDS[name] <= found
    kinds = [s.kind for s in extract.sections]
    assert kinds[:2] == ["front", "abstract"]
    intro = extract.section("introduction")
    assert intro is not None and len(intro.text) > 1000
    if name in NO_INTRODUCTION_HEADING:
        assert intro.heading == ""
    else:
        assert "introduction" in intro.heading.casefold()
    # the introduction comes before the references, the appendix after them
    assert kinds.index("introduction") < kinds.index("references")
    if "appendix" in found:
        assert kinds.index("appendix") > kinds.index("references")


@pytest.mark.parametrize("name", sorted(EXPECTED_KINDS))
def test_model_input_within_the_default_budget_and_without_references(
    extracts: dict[str, Extract], name: str
) -> None:
    budget = Config().token_budget
    extract = extracts[name]
    result = build_model_input(extract, budget)
    assert 0 < result.tokens <= budget
    assert result.sections[0] == "abstract"
    assert "references" not in result.sections and "appendix" not in result.sections
    references = extract.section("references")
    assert references is not None
    entries = [line for line in references.text.split("\n") if len(line) > 40][:20]
    assert entries
    assert not [line for line in entries if line in result.text]
    assert result.tokens < result.full_tokens


@pytest.mark.parametrize("name", sorted(EXPECTED_KINDS))
def test_pages_are_clean(extracts: dict[str, Extract], name: str) -> None:
    text = extracts[name].text
    assert not re.search(r"arXiv:\d{4}\.\d{4,5}v\d+\s+\[[\w.-]+\]\s+\d{1,2} [A-Z][a-z]{2} \d{4}",
                         text)
    assert not set("ﬀﬁﬂﬃﬄ") & set(text)
    assert "  " not in text
    for number, page in enumerate(extracts[name].pages, start=1):
        lines = page.split("\n")
        assert str(number) not in (lines[0], lines[-1])  # the page number


def test_running_headers_are_removed(extracts: dict[str, Extract]) -> None:
    review = extracts["2407.01603v3.pdf"]
    assert not any("Agents in Chemistry A PREPRINT" in page for page in review.pages)
    short = extracts["2304.02623v1.pdf"]
    assert not any(page.startswith("Shen, et al.") for page in short.pages)


def test_pypdf_warnings_are_counted(extracts: dict[str, Extract]) -> None:
    assert extracts["2202.00535v1.pdf"].warnings >= 50  # fonts without fontTools


def test_hyphenation_and_ligatures_resolved(extracts: dict[str, Extract]) -> None:
    resnet = extracts["1512.03385v1.pdf"].text
    assert "difficult to train" in resnet  # 'difﬁcult': a ligature
    assert "learning residual functions" in resnet  # 'learn-' / 'ing' at a line end
    assert "learn- ing" not in resnet and "learn-ing" not in resnet
    assert "Zlatko Tešanović" in extracts["1111.2011v2.pdf"].pages[0]  # TeX's spacing accents


@pytest.mark.skipif(not README.is_file(), reason="the corpus README with the titles is absent")
@pytest.mark.parametrize("name", sorted(EXPECTED_KINDS))
def test_titles_match_the_readme(extracts: dict[str, Extract], name: str) -> None:
    title, _ = readme_table()[name]
    extract = extracts[name]
    if name == "1706.03762v7.pdf" and words(extract.title) != words(title):
        # page 1 starts with a permission notice, not the title: at least find it on page 1
        assert " ".join(words(title)) in " ".join(words(extract.pages[0]))
        return
    assert words(extract.title) == words(title)


NUMBER_LINE = re.compile(r"^\[(?:abstract|table|conclusion|results)\] \S.*\S$")


@pytest.mark.parametrize("name", sorted(EXPECTED_KINDS))
def test_number_sentences_within_budget_and_never_from_references(
    extracts: dict[str, Extract], name: str
) -> None:
    extract = extracts[name]
    text = number_sentences(extract, 1500)
    assert estimate_tokens(text) <= 1500
    if name not in NO_RESULT_NUMBERS:
        assert text
    lines = text.split("\n") if text else []
    assert all(NUMBER_LINE.match(line) for line in lines)
    assert len(set(lines)) == len(lines)
    back = "\n".join(s.text for s in extract.sections if s.kind in ("references", "appendix"))
    front = "\n".join(s.text for s in extract.sections if s.kind not in ("references", "appendix"))
    for line in lines:
        sentence = line.split("] ", 1)[1].removesuffix(" …")
        assert sentence in front or " ".join(sentence.split()) in " ".join(front.split())
        assert sentence not in back or sentence in front


@pytest.mark.parametrize("name", ["2405.04434.pdf", "2502.13189.pdf"])
def test_number_sentences_carry_the_headline_numbers(
    extracts: dict[str, Extract], name: str
) -> None:
    text = number_sentences(extracts[name], 1500)
    assert re.search(r"\d\s?%|\d\s?[x×](?!\w)|\d times\b", text), text
