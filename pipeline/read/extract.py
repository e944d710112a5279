"""Extract stage: a PDF's text with pypdf, cleaned and sectioned, and its title.

pypdf's own warnings (loud on some fonts) never reach the terminal: they are counted on the
`Extract` and logged at DEBUG under `pipeline.read.extract`. Several PDFs are read in a pool of
worker processes (`pool`), one `PdfReader` per document, with a per-document timeout.
The model's input is built in `model_input`; its two functions are re-exported here.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import math
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.errors import DependencyError, EmptyFileError, FileNotDecryptedError, PdfStreamError

from ..errors import ExtractError
from ..models import Extract, plain_line
from .cleanup import normalize_text, recase_title, remove_stamp
from .model_input import build_model_input, estimate_tokens
from .pool import one_line, run_pool
from .sections import analyse

__all__ = ["build_model_input", "estimate_tokens", "extract_isolated", "extract_many",
           "extract_pdf", "pdf_title"]

log = logging.getLogger(__name__)

_MIN_LETTERS = 200  # fewer in the whole document: nothing to summarize (a scan)

# -- pypdf's warnings go to our log ------------------------------------------------------------


@dataclass
class _Capture:
    source: str
    count: int = 0


_capture: contextvars.ContextVar[_Capture | None] = contextvars.ContextVar("_capture",
                                                                          default=None)


class _PypdfRelay(logging.Handler):
    """Takes the 'pypdf' logger's records: counted per document, re-logged at DEBUG."""

    def emit(self, record: logging.LogRecord) -> None:
        capture = _capture.get()
        if capture is not None:
            capture.count += 1
        source = capture.source if capture else "?"
        log.debug("pypdf %s (%s): %.300s", record.levelname.lower(), source, record.getMessage())


def _install_relay() -> None:
    pypdf_log = logging.getLogger("pypdf")
    if not any(isinstance(h, _PypdfRelay) for h in pypdf_log.handlers):
        pypdf_log.addHandler(_PypdfRelay())
        pypdf_log.propagate = False  # else Python's last-resort handler prints them


@contextlib.contextmanager
def _quiet_pypdf(source: str) -> Iterator[_Capture]:
    _install_relay()
    capture = _Capture(source)
    token = _capture.set(capture)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield capture
    finally:
        _capture.reset(token)
    for warning in caught:
        capture.count += 1
        log.debug("pypdf warning (%s): %.300s", source, warning.message)


# -- reading one PDF ---------------------------------------------------------------------------


def _check_header(path: Path, source: str) -> None:
    """Cheap checks pypdf would answer with a confusing message."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except FileNotFoundError:
        raise ExtractError(f"file not found: {path}", paper_id=source) from None
    except OSError as exc:
        raise ExtractError(f"cannot read {path}: {exc.strerror or exc}", paper_id=source) from exc
    if not head.strip():
        raise ExtractError("empty file, not a PDF", paper_id=source)
    if b"%PDF-" not in head:
        lowered = head.lstrip().lower()
        if lowered.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")):
            raise ExtractError("not a PDF: the file is an HTML/XML page (an error or login page?)",
                               paper_id=source)
        raise ExtractError(f"not a PDF: the file starts with {head[:12]!r}", paper_id=source)


@dataclass
class _Raw:
    pages: list[str]
    metadata_title: str | None
    first_page_lines: list[tuple[float, str]]  # (font size, text) in reading order
    warnings: int


def _sized_lines(page: Any) -> tuple[str, list[tuple[float, str]]]:
    """A page's text plus its lines with the largest font size on each (for the title)."""
    lines: list[list[Any]] = [[0.0, ""]]

    def visit(text: str, cm: Sequence[float], tm: Sequence[float], font: Any, size: float) -> None:
        scale = math.hypot(tm[0], tm[1]) * math.hypot(cm[0], cm[1])
        for n, part in enumerate(text.split("\n")):
            if n:
                lines.append([0.0, ""])
            if part.strip():
                lines[-1][0] = max(lines[-1][0], round(float(size) * scale, 1))
                lines[-1][1] += part
    text = page.extract_text(visitor_text=visit)
    return text, [(size, line) for size, line in lines if line.strip()]


def _read(path: Path, source: str, *, first_page_only: bool = False) -> _Raw:
    _check_header(path, source)
    with _quiet_pypdf(source) as capture:
        try:
            reader = PdfReader(path)
            if reader.is_encrypted:
                try:
                    decrypted = reader.decrypt("")
                except DependencyError:
                    raise ExtractError("encrypted PDF: reading it needs pypdf[crypto]",
                                       paper_id=source) from None
                if not decrypted:
                    raise ExtractError("encrypted PDF: a password is required", paper_id=source)
            pages = reader.pages
            count = len(pages)
            metadata = reader.metadata
            metadata_title = metadata.title if metadata is not None else None
            texts: list[str] = []
            first_lines: list[tuple[float, str]] = []
            failures: list[str] = []
            for number in range(1 if first_page_only else count):
                try:
                    if number == 0:
                        text, first_lines = _sized_lines(pages[0])
                    else:
                        text = pages[number].extract_text()
                except Exception as exc:  # one bad page must not lose the paper
                    failures.append(f"page {number + 1}: {one_line(exc)}")
                    log.debug("%s: text of page %d failed: %s", source, number + 1, exc)
                    text = ""
                texts.append(text)
        except ExtractError:
            raise
        except FileNotDecryptedError:
            raise ExtractError("encrypted PDF: a password is required", paper_id=source) from None
        except EmptyFileError:
            raise ExtractError("empty file, not a PDF", paper_id=source) from None
        except PdfStreamError as exc:
            raise ExtractError(f"truncated or corrupt PDF ({one_line(exc)})",
                               paper_id=source) from None
        except RecursionError:
            raise ExtractError("corrupt PDF (objects nest without end)", paper_id=source) from None
        except Exception as exc:
            raise ExtractError(f"unreadable PDF ({type(exc).__name__}: {one_line(exc)})",
                               paper_id=source) from None
    if count == 0:
        raise ExtractError("the PDF has no pages", paper_id=source)
    if failures and len(failures) == len(texts):
        raise ExtractError(f"text extraction failed on every page ({failures[0]})",
                           paper_id=source)
    return _Raw(texts, metadata_title if isinstance(metadata_title, str) else None,
                first_lines, capture.count)


def extract_pdf(path: Path, source: str | None = None) -> Extract:
    """Read a PDF into clean pages and sections; every failure is an ExtractError for `source`."""
    path = Path(path)
    source = source if source is not None else path.name
    raw = _read(path, source)
    letters = sum(sum(c.isalpha() for c in page) for page in raw.pages)
    if letters < _MIN_LETTERS:
        raise ExtractError(f"no extractable text in {len(raw.pages)} page(s) (a scanned PDF?)",
                           paper_id=source)
    document = analyse(raw.pages)
    running = document.running_lines
    raw.first_page_lines = [(size, line) for size, line in raw.first_page_lines
                            if " ".join(normalize_text(line).split()) not in running]
    title = _choose_title(raw) or ""
    log.debug("%s: %d pages, %d sections, %d pypdf warnings", source, len(raw.pages),
              len(document.sections), raw.warnings)
    return Extract(source=source, pages=document.pages, sections=document.sections, title=title,
                   warnings=raw.warnings)


# -- titles ------------------------------------------------------------------------------------

_TITLE_JUNK = re.compile(
    r"arxiv|preprint|technical report|under review|published as|proceedings|conference"
    r"|workshop|journal|https?:|www\.|@|copyright|©|licen[cs]e|permission|draft|accepted|"
    r"submitted|^\(?dated|^vol\.|^page\b|^abstract\b", re.I)
_BAD_METADATA = re.compile(r"untitled|microsoft word|\.(?:dvi|pdf|docx?|tex|ps)$|^arxiv|^title$",
                           re.I)
_TITLE_WORD = re.compile(r"\w+")
_ENDS_OPEN = re.compile(r"(?::|-|\b(?:a|an|the|of|and|or|in|on|for|to|with|by|from|via))$", re.I)


def _clean_title(text: str) -> str:
    return " ".join(remove_stamp(normalize_text(text)).split()).strip(" ∗*†‡§¶")


def _metadata_title(raw: _Raw) -> str | None:
    """The Info title, if it is a real title and page 1 bears it out."""
    title = _clean_title(raw.metadata_title or "")
    if len(title) < 10 or len(title) > 300 or len(title.split()) < 2 or _BAD_METADATA.search(title):
        return None
    first_page = raw.pages[0].casefold() if raw.pages else ""
    words = _TITLE_WORD.findall(title.casefold())
    if first_page and sum(w in first_page for w in words) < 0.6 * len(words):
        return None
    return title


def _page_title(lines: Sequence[tuple[float, str]]) -> str | None:
    """The first page's title: its largest-type line(s) near the top, else the first real line."""
    candidates = [(size, text) for size, raw in lines
                  if (text := _clean_title(raw)) and sum(c.isalpha() for c in text) >= 4
                  and not _TITLE_JUNK.search(text)][:6]
    if not candidates:
        return None
    sizes = {size for size, _ in candidates}
    if len(sizes) > 1:
        biggest = max(size for size, text in candidates if len(text.split()) >= 2)
        start = next(n for n, (size, text) in enumerate(candidates)
                     if abs(size - biggest) < 0.5 and len(text.split()) >= 2)
        parts = [candidates[start][1]]
        for size, text in candidates[start + 1:start + 3]:
            if abs(size - biggest) >= 0.5:
                break
            parts.append(text)
    else:
        start = next((n for n, (_, text) in enumerate(candidates) if len(text.split()) >= 2), 0)
        parts = [candidates[start][1]]
        for _, text in candidates[start + 1:start + 3]:
            if not (_ENDS_OPEN.search(parts[-1]) or text[:1].islower()):
                break
            parts.append(text)
    title = " ".join(parts)
    return re.sub(r"(\w)- (\w)", r"\1-\2", title) if len(title) <= 300 else title[:300]


def _choose_title(raw: _Raw) -> str | None:
    """The title on one line, without control characters (they would reach a terminal), in
    the paper's own case where the page sets it in capitals."""
    title = plain_line(_metadata_title(raw) or _page_title(raw.first_page_lines) or "")
    return recase_title(title, "\n".join(raw.pages)) if title else None




def pdf_title(path: Path) -> str | None:
    """A PDF's title: the metadata's if plausible, else a guess from the first page's type.

    None when there is neither, or when the file cannot be read (extract_pdf says why).
    """
    path = Path(path)
    try:
        return _choose_title(_read(path, path.name, first_page_only=True))
    except ExtractError as exc:
        log.debug("no title for %s: %s", path, exc)
        return None


# -- many PDFs ---------------------------------------------------------------------------------


def extract_many(
    paths: Sequence[Path],
    *,
    sources: Sequence[str] | None = None,
    workers: int | None = None,
    timeout: float = 120.0,
) -> list[Extract | ExtractError]:
    """`extract_pdf` over many PDFs through `run_pool` (see there for timeouts and crashes)."""
    return run_pool(extract_pdf, paths, sources=sources, workers=workers, timeout=timeout)


def extract_isolated(path: Path, source: str | None = None, *, timeout: float) -> Extract:
    """`extract_pdf` of one PDF in a worker process, given up after `timeout` seconds
    (extract.timeout): the one path for `weekly`, `summarize ID` and `summarize --pdf`, so a
    PDF that takes pypdf minutes, or crashes it, costs at most the timeout. ExtractError."""
    path = Path(path)
    result = extract_many([path], sources=[source if source is not None else path.name],
                          workers=1, timeout=timeout)[0]
    if isinstance(result, ExtractError):
        raise result
    return result
