"""The extractor on generated PDFs (tests/pdfgen.py) and its text functions on plain strings."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from paths import REPO
from pdfgen import make_pdf, paper_pages

from pipeline.errors import ExtractError
from pipeline.models import Extract, Section
from pipeline.read.cleanup import (
    join_hyphenated,
    normalize_text,
    page_lines,
    reflow,
    remove_running_lines,
    remove_stamp,
    vocabulary,
)
from pipeline.read.extract import (
    build_model_input,
    estimate_tokens,
    extract_many,
    extract_pdf,
    pdf_title,
    recase_title,
)
from pipeline.read.headings import classify, find_headings
from pipeline.read.model_input import truncate

STAMP = "arXiv:2401.01234v2  [cs.CL]  3 Jan 2024"
PARA = ("Our widget encoder reads the input in blocks and the decoder attends to the relevant "
        "blocks only, which keeps the cost linear in the length of the input document. ")


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def kinds(extract: Extract) -> list[tuple[str, str]]:
    return [(s.kind, s.heading) for s in extract.sections]


# -- whole PDFs --------------------------------------------------------------------------------


def test_sections_detected_and_classified(tmp_path: Path) -> None:
    path = write(tmp_path, "p.pdf", make_pdf(paper_pages("Deep Widgets for Everything")))
    extract = extract_pdf(path, "2401.00001")
    assert extract.source == "2401.00001"
    assert extract.title == "Deep Widgets for Everything"
    assert kinds(extract) == [
        ("front", ""), ("abstract", "Abstract"), ("introduction", "1 Introduction"),
        ("method", "2 Method"), ("experiments", "3 Experiments"), ("conclusion", "4 Conclusion"),
        ("references", "References"),
    ]
    assert extract.section("abstract") == Section(
        "abstract", "Abstract",
        "We study a problem and propose a method that improves accuracy by 12.5%.", 1)
    experiments = extract.section("experiments")
    assert experiments is not None
    assert experiments.text == "Table 1: Results on the benchmark.\nOurs 45.2 38.1 12.5"


def test_subsections_inherit_and_false_headings_are_body_text(tmp_path: Path) -> None:
    sections = {
        "1. Introduction": ["Widgets are everywhere. We study them."],
        "2. Our Approach": ["We describe the approach."],
        "2.1. Encoding Widgets": ["The encoder maps widgets to vectors."],
        "2.2. A Second Idea": ["The decoder maps them back."],
        "3. Evaluation": ["We evaluate on two benchmarks."],
        "3.1. Setup": ["We train for ten epochs."],
        "4. Deep Widget Theory": ["A section whose title names no kind."],
        "5. Conclusions": ["Widgets work."],
        "References": ["[1] A. Author. A paper. 2020."],
        "A. Proofs": ["Proof of the main theorem."],
        "B. More Results": ["Table 9: More numbers.", "Ours 1.0 2.0 3.0"],
    }
    # lines that start like headings but are not: a table row, a sentence, an equation number
    sections["3.1. Setup"] += ["3 45.2 38.1 12.5", "12. The widgets were tested", "E = mc2 (3)"]
    pages = paper_pages("Widgets", sections=sections)
    extract = extract_pdf(write(tmp_path, "p.pdf", make_pdf(pages)), "x")
    assert kinds(extract) == [
        ("front", ""), ("abstract", "Abstract"), ("introduction", "1 Introduction"),
        ("method", "2 Our Approach"), ("method", "2.1 Encoding Widgets"),
        ("method", "2.2 A Second Idea"), ("experiments", "3 Evaluation"),
        ("experiments", "3.1 Setup"), ("other", "4 Deep Widget Theory"),
        ("conclusion", "5 Conclusions"), ("references", "References"),
        ("appendix", "A Proofs"), ("appendix", "B More Results"),
    ]
    setup = [s for s in extract.sections if s.heading == "3.1 Setup"][0]
    assert "3 45.2 38.1 12.5" in setup.text and "12. The widgets were tested" in setup.text
    assert "E = mc2 (3)" in setup.text


def test_roman_numerals_lettered_subsections_and_inline_abstract(tmp_path: Path) -> None:
    lines = [
        "Widgets at Scale", "A. Author", "Abstract—We study widgets and find they scale well.",
        "I. INTRODUCTION", "Widgets matter. We say why.",
        "II. THE WIDGET MODEL", "We model widgets as points.",
        "A. Ordered Phase", "In the ordered phase widgets align.",
        "B. Disordered Phase", "In the disordered phase they do not.",
        "III. RESULTS", "Table 1: Scaling of widgets.", "Widgets 10 20 30",
        "IV. DISCUSSION", "Widgets scale.", "ACKNOWLEDGMENTS", "We thank the widgets.",
    ]
    extract = extract_pdf(write(tmp_path, "p.pdf", make_pdf([lines])), "x")
    assert kinds(extract) == [
        ("front", ""), ("abstract", "Abstract"), ("introduction", "I INTRODUCTION"),
        ("method", "II THE WIDGET MODEL"), ("method", "A Ordered Phase"),
        ("method", "B Disordered Phase"), ("experiments", "III RESULTS"),
        ("conclusion", "IV DISCUSSION"), ("other", "ACKNOWLEDGMENTS"),
    ]
    abstract = extract.section("abstract")
    assert abstract is not None and abstract.text == "We study widgets and find they scale well."
    assert "Abstract—We study widgets" in extract.pages[0]  # pages keep what was printed


def test_unnumbered_headings_and_abstract_without_heading(tmp_path: Path) -> None:
    abstract = ("Widgets are hard to count. We present a counter that is exact, fast and simple, "
                "and we show on three benchmarks that it beats every baseline by a wide margin "
                "while using a tenth of the memory of the best previous counter.")
    lines = ["Counting Widgets Exactly", "A. Author, B. Author", "(Dated: April 3, 2012)",
             *_wrap(abstract), "Introduction", "Counting is old. We count widgets again.",
             "Proposed Approach", "We count every widget twice, then once more.", "Experiments",
             "Table 1: Counts of widgets on three benchmarks.", "Ours 1.0 2.0 3.0",
             "Conclusion", "Counting widgets works well enough.", "References",
             "[1] A. Author. Counting. 2020."]
    extract = extract_pdf(write(tmp_path, "p.pdf", make_pdf([lines])), "x")
    assert [k for k, _ in kinds(extract)] == [
        "front", "abstract", "introduction", "method", "experiments", "conclusion", "references"]
    assert extract.section("abstract") == Section("abstract", "", abstract, 1)
    front = extract.sections[0]
    assert front.text == "Counting Widgets Exactly\nA. Author, B. Author\n(Dated: April 3, 2012)"


def paragraph(tag: str, lines: int = 3) -> list[str]:
    """Full lines of prose, then a short last line, as a justified paragraph looks."""
    filler = "widgets are counted again and again in every one of the long experiments"
    return [f"{tag} {filler} here,"] * lines + ["and that is all."]


def test_abstract_running_into_an_untitled_introduction(tmp_path: Path) -> None:
    # like 1906.08632: after the abstract the introduction starts without a heading
    lines = ["Dynamics of Widgets", "A. Author", "Abstract", *paragraph("Summary", 4),
             *[line for n in range(8) for line in paragraph(f"Intro{n}")],
             "1 Online Counting of Widgets", *paragraph("Body"), "References",
             "[1] A. Author. A paper. 2020."]
    extract = extract_pdf(write(tmp_path, "p.pdf", make_pdf([lines], font_size=8)), "x")
    assert kinds(extract) == [
        ("front", ""), ("abstract", "Abstract"), ("introduction", ""),
        ("method", "1 Online Counting of Widgets"), ("references", "References")]
    abstract, intro = extract.sections[1], extract.sections[2]
    assert abstract.text.startswith("Summary ") and abstract.text.endswith("and that is all.")
    assert "Intro0" not in abstract.text
    assert intro.text.startswith("Intro0 ") and "Intro7" in intro.text


def test_reference_list_without_a_heading(tmp_path: Path) -> None:
    # like REVTeX papers (1111.2011): the numbered entries follow the acknowledgments
    lines = ["Widgets", "Abstract", *paragraph("Summary"), "I. INTRODUCTION", *paragraph("A"),
             "II. DISCUSSION", *paragraph("B"), "ACKNOWLEDGMENTS", "We thank the widgets.",
             "1 D. C. Johnston, Adv. Phys. 59, 803 (2010).",
             "2 D. Jerome and H. J. Schulz, Adv. Phys. 31, 299 (1982).",
             "3 A. Georges, G. Kotliar and W. Krauth, Rev. Mod. Phys. 68, 13 (1996)."]
    extract = extract_pdf(write(tmp_path, "p.pdf", make_pdf([lines])), "x")
    assert [k for k, _ in kinds(extract)][-2:] == ["other", "references"]
    references = extract.sections[-1]
    assert references.heading == "" and references.text.startswith("1 D. C. Johnston")
    acknowledgments = extract.sections[-2]
    assert acknowledgments.text == "We thank the widgets."
    assert "Johnston" not in build_model_input(extract, 10_000).text


def test_table_header_is_not_a_heading_in_an_unnumbered_paper(tmp_path: Path) -> None:
    lines = ["Widgets", "Abstract", *paragraph("Summary"), "Introduction", *paragraph("A"),
             "Experiments", *paragraph("B"), "Method Self-BLEU BLEU iBLEU",
             "Ours 45.2 38.1 12.5", "Base 40.1 30.2 10.1", "Conclusion", *paragraph("C")]
    extract = extract_pdf(write(tmp_path, "p.pdf", make_pdf([lines])), "x")
    assert kinds(extract) == [("front", ""), ("abstract", "Abstract"),
                              ("introduction", "Introduction"), ("experiments", "Experiments"),
                              ("conclusion", "Conclusion")]
    experiments = extract.section("experiments")
    assert experiments is not None
    assert experiments.text.endswith(
        "Method Self-BLEU BLEU iBLEU\nOurs 45.2 38.1 12.5\nBase 40.1 30.2 10.1")


def _wrap(text: str, width: int = 80) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + len(word) >= width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line]


def test_running_header_page_numbers_and_stamp_removed(tmp_path: Path) -> None:
    sections = {
        "1 Introduction": [PARA * 3] * 6,
        "2 Method": [PARA * 3] * 6,
        "3 Conclusion": [PARA * 2],
        "References": ["[1] A. Author. A paper. 2020."],
    }
    pages = paper_pages("Widgets for Long Documents", sections=sections,
                        header="Widgets for Long Documents - Preprint 2024", lines_per_page=30)
    assert len(pages) >= 4
    extract = extract_pdf(write(tmp_path, "p.pdf", make_pdf(pages, stamp=STAMP)), "x")
    assert extract.page_count == len(pages)
    assert "arXiv:2401.01234" not in extract.text
    for text in extract.pages:
        assert "Preprint 2024" not in text
        assert not any(line.strip().isdigit() for line in text.split("\n"))
    assert extract.title == "Widgets for Long Documents"
    method = extract.section("method")
    assert method is not None and method.page == 2
    # the paragraphs are re-flowed: one line each, however pdfgen wrapped them
    assert method.text.split("\n")[0] == (PARA * 3).strip()


def test_hyphenation_resolved_by_the_documents_vocabulary(tmp_path: Path) -> None:
    lines = ["Hyphens", "Abstract",
             "We study the gen-", "eration of text with self-attention layers and a model that",
             "uses self-", "attention twice; the generation is good.",
             "1 Introduction", "Long documents need care and much more care than short texts",
             "do, and the state-of-", "the-art methods fail on them."]
    extract = extract_pdf(write(tmp_path, "p.pdf", make_pdf([lines])), "x")
    abstract = extract.section("abstract")
    assert abstract is not None
    assert abstract.text == ("We study the generation of text with self-attention layers and a "
                             "model that uses self-attention twice; the generation is good.")
    intro = extract.section("introduction")
    assert intro is not None and "the state-of-the-art methods fail" in intro.text


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "empty file"),
        (b"<!DOCTYPE html><html><body>Not Found</body></html>", "not a PDF: the file is an HTML"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "not a PDF: the file starts with"),
        (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog", "truncated or corrupt PDF"),
    ],
    ids=["empty", "html", "png", "garbage"],
)
def test_unreadable_files_raise_extract_error(tmp_path: Path, data: bytes, expected: str) -> None:
    path = write(tmp_path, "bad.pdf", data)
    with pytest.raises(ExtractError) as info:
        extract_pdf(path, source="2404.07965")
    assert info.value.paper_id == "2404.07965"
    assert str(info.value).startswith(f"2404.07965: {expected}")
    assert "\n" not in str(info.value)


def test_truncated_pdf_raises_extract_error(tmp_path: Path) -> None:
    data = make_pdf(paper_pages("Widgets"))
    path = write(tmp_path, "cut.pdf", data[: len(data) // 3])
    with pytest.raises(ExtractError, match=r"^2404\.07965: truncated or corrupt PDF"):
        extract_pdf(path, source="2404.07965")


def test_encrypted_and_scanned_pdfs_raise_extract_error(tmp_path: Path) -> None:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=io.BytesIO(make_pdf(paper_pages("Widgets"))))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    locked = write(tmp_path, "locked.pdf", buffer.getvalue())
    with pytest.raises(ExtractError, match=r"^locked\.pdf: encrypted PDF: a password is required"):
        extract_pdf(locked)
    scanned = write(tmp_path, "scan.pdf", make_pdf([[], []]))
    with pytest.raises(ExtractError, match=r"^s1: no extractable text in 2 page\(s\)"):
        extract_pdf(scanned, "s1")
    with pytest.raises(ExtractError, match=r"^m1: file not found"):
        extract_pdf(tmp_path / "missing.pdf", "m1")


def test_pypdf_warnings_are_logged_not_printed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = make_pdf(paper_pages("Widgets"))
    offset = data.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0]
    path = write(tmp_path, "xref.pdf", data.replace(b"startxref\n" + offset, b"startxref\n99"))
    with caplog.at_level(logging.DEBUG, logger="pipeline.read.extract"):
        extract = extract_pdf(path, "w1")
    assert extract.warnings == 2  # 'incorrect startxref pointer', 'parsing for Object Streams'
    assert any(r.name == "pipeline.read.extract" and r.levelno == logging.DEBUG
               and "incorrect startxref pointer" in r.getMessage() for r in caplog.records)
    # Outside pytest (which attaches its own handlers) nothing may reach the terminal: without
    # the relay, Python's last-resort handler prints pypdf's warnings on stderr.
    script = ("import sys; from pathlib import Path; "
              "from pipeline.read.extract import extract_pdf; "
              "e = extract_pdf(Path(sys.argv[1])); print(e.warnings)")
    repo = REPO
    done = subprocess.run([sys.executable, "-c", script, str(path)], cwd=repo,
                          capture_output=True, text=True, timeout=60, check=True)
    assert (done.stdout, done.stderr) == ("2\n", "")


def test_extract_many_keeps_order_and_isolates_failures(tmp_path: Path) -> None:
    good = write(tmp_path, "a.pdf", make_pdf(paper_pages("First Widget Paper")))
    bad = write(tmp_path, "b.pdf", b"<html>rate limited</html>")
    other = write(tmp_path, "c.pdf", make_pdf(paper_pages("Second Widget Paper")))
    results = extract_many([good, bad, other], sources=["id-a", "id-b", "id-c"], workers=2)
    assert [type(r).__name__ for r in results] == ["Extract", "ExtractError", "Extract"]
    first, error, second = results
    assert isinstance(first, Extract) and first.title == "First Widget Paper"
    assert first.source == "id-a"
    assert isinstance(error, ExtractError) and error.paper_id == "id-b"
    assert isinstance(second, Extract) and second.title == "Second Widget Paper"
    assert extract_many([]) == []
    with pytest.raises(ValueError):
        extract_many([good], sources=["a", "b"])


@pytest.mark.skipif(not hasattr(os, "mkfifo") or sys.platform == "win32", reason="needs mkfifo")
def test_extract_many_terminates_a_hung_document(tmp_path: Path) -> None:
    hung = tmp_path / "hung.pdf"
    os.mkfifo(hung)  # opening it for reading blocks until a writer comes: forever
    good = write(tmp_path, "a.pdf", make_pdf(paper_pages("A Widget Paper")))
    # the deadline runs from when a worker starts a document, so the slow start of a spawned
    # worker on a busy machine does not count; a small PDF needs a fraction of the 5 s
    results = extract_many([hung, good, good], workers=2, timeout=5)
    assert isinstance(results[0], ExtractError)
    assert str(results[0]) == "hung.pdf: extraction timed out after 5 s"
    assert all(isinstance(r, Extract) and r.title == "A Widget Paper" for r in results[1:])


def test_pdf_title_prefers_plausible_metadata(tmp_path: Path) -> None:
    pages = [["WIDGETS: A STUDY OF SMALL THINGS", "A. Author", "Abstract", "We study widgets."]]
    path = write(tmp_path, "m.pdf", make_pdf(pages, title="Widgets: A Study of Small Things"))
    assert pdf_title(path) == "Widgets: A Study of Small Things"
    junk = write(tmp_path, "j.pdf", make_pdf(pages, title="Microsoft Word - draft7.docx"))
    assert pdf_title(junk) == "Widgets: A Study of Small Things"  # the page's capitals recased
    unrelated = write(tmp_path, "u.pdf", make_pdf(pages, title="Instructions for Authors"))
    assert pdf_title(unrelated) == "Widgets: A Study of Small Things"


def test_pdf_title_guesses_from_the_first_page(tmp_path: Path) -> None:
    two_lines = [["Beyond Widgets:", "Designing Better Gadgets for Everyone", "A. Author",
                  "Abstract", "We study widgets."]]
    assert pdf_title(write(tmp_path, "t.pdf", make_pdf(two_lines))) == (
        "Beyond Widgets: Designing Better Gadgets for Everyone")
    # a notice above the title, in smaller type than the title (like 1706.03762)
    notice = [["Provided proper attribution is given, we grant permission to reuse figures.",
               "reproduce the tables in scholarly works.", "Attention to Widgets",
               "A. Author", "Abstract", "We study widgets."]]
    path = write(tmp_path, "n.pdf", make_pdf(notice, sizes={2: 17}, stamp=STAMP))
    assert pdf_title(path) == "Attention to Widgets"
    assert pdf_title(write(tmp_path, "bad.pdf", b"<html></html>")) is None


# -- text functions ----------------------------------------------------------------------------


def test_normalize_text_nfkc_ligatures_spaces_and_accents() -> None:
    assert normalize_text("ﬁne-tuning  with ﬂows and ﬀ   layers") == (
        "fine-tuning with flows and ff layers")
    # pypdf gives TeX's accents as spacing characters before their letter
    assert normalize_text("Zlatko Teˇsanovi\u00b4c, Fran¸cois, na¨ıve") == (
        "Zlatko Tešanović, François, naïve")
    assert normalize_text("soft\u00adhyphen\u200b") == "softhyphen"


def test_remove_stamp_in_all_forms() -> None:
    assert remove_stamp(f"{STAMP}\nTitle") == "\nTitle"
    assert remove_stamp(f"text\n{STAMP[::-1]}\nmore") == "text\n\nmore"
    old = "arXiv:hep-th/9901001v1  [hep-th]  1 Jan 1999"
    assert remove_stamp(f"A line {old}") == "A line "
    reference = "[3] A. Author. Widgets. arXiv:1302.4389, 2013."
    assert remove_stamp(reference) == reference
    assert page_lines(f"{STAMP}\n  Title   line \n\n") == ["Title line"]


def test_remove_running_lines_headers_footers_and_numbers() -> None:
    words = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon"]
    pages = [[f"Journal of Widgets, Vol. {n}", f"{word} starts the page.", "Middle text one.",
              "Middle text two.", f"{word} ends it.", str(n)] for n, word in enumerate(words, 1)]
    pages[2].append("iv")
    cleaned = remove_running_lines(pages)
    assert cleaned == [[f"{word} starts the page.", "Middle text one.", "Middle text two.",
                        f"{word} ends it."] for word in words]
    # a line repeated on too few pages stays, and a number mid-page stays
    few = [["Odd header", "a"], ["b", "42", "c"], ["d"], ["e"], ["f"], ["g"], ["h"]]
    assert remove_running_lines(few)[0] == ["Odd header", "a"]
    assert remove_running_lines([["a", "b", "42", "c", "d"]]) == [["a", "b", "42", "c", "d"]]


def test_join_hyphenated_uses_the_vocabulary() -> None:
    vocab = Counter({"generation": 2, "self-attention": 1, "teacher": 1, "student": 3,
                     "pascal": 1, "sequence": 1, "normal": 2})
    assert join_hyphenated("the gen-", "eration of", vocab) == "the generation of"
    assert join_hyphenated("uses self-", "attention", vocab) == "uses self-attention"
    assert join_hyphenated("a teacher-", "student setup", vocab) == "a teacher-student setup"
    assert join_hyphenated("on PAS-", "CAL VOC", vocab) == "on PASCAL VOC"
    assert join_hyphenated("GPT-", "4 and", vocab) == "GPT-4 and"
    assert join_hyphenated("Multi-", "Head", vocab) == "Multi-Head"
    assert join_hyphenated("batch normal-", "ization", vocab) == "batch normalization"
    assert join_hyphenated("sequence-", "aligned", vocab) == "sequence-aligned"
    assert join_hyphenated("com-", "plexity", vocab) == "complexity"


def test_vocabulary_ignores_the_halves_of_broken_words() -> None:
    vocab = vocabulary([["the gen-", "eration of self-attention"], ["next page"]])
    assert vocab["gen"] == 0 and vocab["eration"] == 0
    assert vocab["self-attention"] == 1 and vocab["the"] == 1 and vocab["next"] == 1


def test_reflow_joins_paragraph_lines_and_keeps_table_rows() -> None:
    lines = ["x" * 60 + " full", "line continues here.", "Ours 45.2 38.1 12.5",
             "Base 40.0 37.0 11.0", "Heading", "A new paragraph " + "y" * 50, "that goes on."]
    blocks = reflow(lines, {4}, Counter(), width=64)
    assert [text for _, text in blocks] == [
        "x" * 60 + " full line continues here.", "Ours 45.2 38.1 12.5", "Base 40.0 37.0 11.0",
        "Heading", "A new paragraph " + "y" * 50 + " that goes on."]
    assert [start for start, _ in blocks] == [0, 2, 3, 4, 5]


def test_find_headings_rejects_toc_lines_and_out_of_sequence_numbers() -> None:
    lines = ["Abstract", "We study.", "Contents", "1 Introduction 3", "2 Method . . . . . 5",
             "1 Introduction", "Text.", "10. The responses are the outputs of each layer, and",
             "2 Method", "2.1 Encoder", "3 Results", "7 Unexpected Jump", "4 Conclusion",
             "References", "[1] Ref.", "A. Vaswani, N. Shazeer, and N. Parmar. Attention.",
             "A Appendix", "A.1 Details", "B Proofs", "H. Zhang", "D D D E F"]
    headings, consumed = find_headings(lines)
    assert consumed == set()
    assert {lines[i]: h.kind for i, h in headings.items()} == {
        "Abstract": "abstract", "Contents": "other", "1 Introduction": "introduction",
        "2 Method": "method", "2.1 Encoder": "method", "3 Results": "experiments",
        "4 Conclusion": "conclusion", "References": "references", "A Appendix": "appendix",
        "A.1 Details": "appendix", "B Proofs": "appendix",
    }
    assert sorted(headings) == [0, 2, 5, 8, 9, 10, 12, 13, 16, 17, 18]


def test_find_headings_joins_a_heading_wrapped_over_two_lines() -> None:
    lines = ["I. INTRODUCTION", "Text.", "II. SELF-CONSISTENT ACTION IN THE",
             "LARGE CONNECTIVITY LIMIT", "More text.", "III. RESULTS", "Numbers."]
    headings, consumed = find_headings(lines)
    assert consumed == {3}
    assert headings[2].text == "II SELF-CONSISTENT ACTION IN THE LARGE CONNECTIVITY LIMIT"
    assert headings[2].line == "II. SELF-CONSISTENT ACTION IN THE LARGE CONNECTIVITY LIMIT"
    assert headings[5].kind == "experiments"


def test_find_headings_run_in_and_appendix_forms() -> None:
    lines = ["Abstract. We study widgets in detail.", "1. Introduction", "Text.",
             "2. Conclusions", "Acknowledgements We thank the widgets.", "Bibliography",
             "[1] Ref.", "Appendix A: Proofs of the Widget Lemma", "Text.", "Appendix B",
             "Text."]
    headings, _ = find_headings(lines)
    assert [(i, h.text, h.kind, h.body) for i, h in sorted(headings.items())] == [
        (0, "Abstract", "abstract", "We study widgets in detail."),
        (1, "1 Introduction", "introduction", ""),
        (3, "2 Conclusions", "conclusion", ""),
        (4, "Acknowledgements", "other", "We thank the widgets."),
        (5, "Bibliography", "references", ""),
        (7, "Appendix A: Proofs of the Widget Lemma", "appendix", ""),
        (9, "Appendix B", "appendix", ""),
    ]


def test_find_headings_an_unnumbered_methods_own_subsections() -> None:
    """AAAI-style papers number nothing: inside the method a title-case line between two
    paragraphs is its subsection ('Novelty Conditioned RAPT (NC-RAPT)', as in 2202.00535);
    elsewhere, or inside a paragraph, such a line stays text."""
    prose = "We count every widget twice and then once more in the whole long experiment."
    lines = ["Abstract", prose, "Introduction", prose, "Proposed Approaches", prose,
             "Retrieval Augmented Prompt Tuning (RAPT)", prose,
             "Novelty Conditioned RAPT (NC-RAPT)", prose, "and a line that goes on",
             "Widget Counting", prose, "Experiments", prose, "Evaluation of Widgets", prose,
             "Conclusion", prose]
    headings, _ = find_headings(lines)
    assert [(h.text, h.level, h.kind) for _, h in sorted(headings.items())] == [
        ("Abstract", 1, "abstract"), ("Introduction", 1, "introduction"),
        ("Proposed Approaches", 1, "method"),
        ("Retrieval Augmented Prompt Tuning (RAPT)", 2, "method"),
        ("Novelty Conditioned RAPT (NC-RAPT)", 2, "method"),
        ("Experiments", 1, "experiments"), ("Evaluation of Widgets", 1, "experiments"),
        ("Conclusion", 1, "conclusion")]
    # a numbered paper's title-case lines are never taken for unnumbered subsections
    numbered = ["1 Introduction", prose, "2 Method", prose, "Widget Counting", prose]
    assert [h.text for h in find_headings(numbered)[0].values()] == ["1 Introduction",
                                                                     "2 Method"]


@pytest.mark.parametrize(("title", "kind"), [
    ("Introduction", "introduction"), ("RELATED WORK", "related"), ("Background", "related"),
    ("Our Approach", "method"), ("Model Architecture", "method"), ("Methods", "method"),
    ("Experimental Setup", "experiments"), ("Results and Discussion", "experiments"),
    ("Evaluation", "experiments"), ("Conclusions", "conclusion"), ("Discussion", "conclusion"),
    ("Conclusion, Limitation, and Future Work", "conclusion"), ("Bibliography", "references"),
    ("Appendix B: Proofs", "appendix"), ("Acknowledgements", "other"),
    ("Deep Residual Learning", None),
])
def test_classify(title: str, kind: str | None) -> None:
    assert classify(title) == kind


# -- the model's input -------------------------------------------------------------------------


def paper(**texts: str) -> Extract:
    order = ["abstract", "introduction", "method", "experiments", "conclusion", "references",
             "appendix"]
    sections = [Section("front", "", "Widgets\nA. Author", 1)]
    sections += [Section(kind, kind.capitalize(), texts[kind], 1) for kind in order
                 if kind in texts]
    return Extract(source="x", pages=tuple(s.text for s in sections), sections=tuple(sections))


def test_estimate_tokens() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcdefg") == 2
    assert estimate_tokens("abcdefgh") == 3
    assert estimate_tokens("abcd", chars_per_token=4) == 1


def test_model_input_whole_paper_in_document_order() -> None:
    extract = paper(abstract="We study widgets.", introduction="Widgets matter.",
                    method="We count them.", experiments="Table 1: Counts. Ours 1.5",
                    conclusion="Counting works.", references="[1] Widget references.",
                    appendix="Appendix text.")
    result = build_model_input(extract, 1000)
    assert result.text == ("## Abstract\nWe study widgets.\n\n## Introduction\nWidgets matter."
                           "\n\n## Method\nWe count them.\n\n## Experiments\nTable 1: Counts. "
                           "Ours 1.5\n\n## Conclusion\nCounting works.")
    assert result.sections == ("abstract", "introduction", "method", "experiments", "conclusion")
    assert result.tokens == estimate_tokens(result.text)
    assert result.full_tokens == estimate_tokens(extract.text)


def test_model_input_priority_under_a_tiny_budget() -> None:
    extract = paper(abstract="We study widgets. " * 5, introduction="Widgets matter. " * 40,
                    method="We count them. " * 40, conclusion="Counting works. " * 40,
                    references="[1] Widget references. " * 100)
    result = build_model_input(extract, 60)
    assert result.tokens <= 60
    assert result.sections == ("abstract", "introduction")
    assert result.text.startswith("## Abstract\n" + ("We study widgets. " * 5).strip())
    assert result.text.endswith(" […]")  # the introduction was cut at a sentence end
    assert "Widgets matter." in result.text
    assert "count them" not in result.text and "references" not in result.text


def test_model_input_never_exceeds_the_budget_and_never_has_references() -> None:
    extract = paper(abstract="Abstract words here. " * 30, introduction="Intro words. " * 300,
                    method="Method words. " * 300, experiments="Table 2: X 1.0. " * 100,
                    conclusion="Done. " * 50, references="[1] A reference entry. " * 500,
                    appendix="Appendix words. " * 300)
    for budget in [1, 2, 5, 13, 40, 99, 256, 700, 1500, 3000, 10_000]:
        for ratio in (3.5, 4.0, 2.7):
            result = build_model_input(extract, budget, chars_per_token=ratio)
            assert result.tokens <= budget
            assert result.tokens == estimate_tokens(result.text, ratio)
            assert "reference entry" not in result.text and "Appendix words" not in result.text
    everything = build_model_input(extract, 10_000)
    assert everything.sections == ("abstract", "introduction", "method", "experiments",
                                   "conclusion")


def test_results_trimming_keeps_table_captions_and_numbers() -> None:
    experiments = ("We ran many experiments on the widget benchmark with great care. "
                   "The setup follows prior work closely and is described in detail below. "
                   "Table 3: Accuracy of widget counters on WidgetBench.\n"
                   "Ours 91.2 88.4\nBaseline 85.0 80.1\n"
                   "Our counter improves accuracy by 6.2 points over the baseline. "
                   "We also observe that training is stable across many random seeds. "
                   "Further qualitative analysis is given in the appendix of the paper.")
    extract = paper(abstract="We count widgets.", experiments=experiments)
    budget = 60  # room for the abstract and about half of the experiments
    result = build_model_input(extract, budget)
    assert result.tokens <= budget
    assert result.sections == ("abstract", "experiments")
    for kept in ("Table 3: Accuracy of widget counters on WidgetBench.", "Ours 91.2 88.4",
                 "Baseline 85.0 80.1", "improves accuracy by 6.2 points"):
        assert kept in result.text
    assert "qualitative analysis" not in result.text
    assert "setup follows prior work" not in result.text
    # the kept parts stay in document order
    assert result.text.index("Table 3") < result.text.index("Ours 91.2") < result.text.index(
        "6.2 points")


def test_truncate_at_sentence_ends() -> None:
    text = "First sentence here. Second sentence here. Third one."
    assert truncate(text, 100) == text
    assert truncate(text, 47) == "First sentence here. Second sentence here. […]"
    assert truncate(text, 30) == "First sentence here. […]"
    cut = truncate("averyveryverylongwordwithoutanyspaces" * 3, 20)
    assert len(cut) <= 20 and cut.endswith(" […]")


def test_model_input_fallback_without_sections() -> None:
    sections = (Section("front", "", "Widgets. They are small. " * 20, 1),
                Section("other", "2 Widgets", "More about widgets. " * 20, 1),
                Section("references", "References", "[1] A reference entry.", 2))
    extract = Extract(source="x", pages=tuple(s.text for s in sections), sections=sections)
    result = build_model_input(extract, 50)
    assert result.tokens <= 50
    assert result.text.startswith("Widgets. They are small.")
    assert "reference entry" not in result.text
    assert result.sections == ("front", "other")
    whole = build_model_input(extract, 5000)
    assert "2 Widgets\nMore about widgets." in whole.text
    assert "reference entry" not in whole.text


def test_model_input_rejects_a_nonpositive_budget() -> None:
    with pytest.raises(ValueError):
        build_model_input(paper(abstract="x"), 0)


def test_a_title_in_capitals_takes_the_papers_own_case() -> None:
    text = ("We introduce MoBA, a mixture of block attention for long-context LLMs. MoBA "
            "applies the Mixture of Experts idea to attention. LLMs need long-context inputs.")
    assert recase_title("MOBA: MIXTURE OF BLOCK ATTENTION FOR LONG-CONTEXT LLMS", text) == \
        "MoBA: Mixture of Block Attention for Long-Context LLMs"
    assert recase_title("Attention Is All You Need", text) == "Attention Is All You Need"
