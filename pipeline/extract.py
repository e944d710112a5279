"""Extract stage: a PDF's text with pypdf, cleaned and sectioned, and the model's input from it.

pypdf's own warnings (loud on some fonts) never reach the terminal: they are counted on the
`Extract` and logged at DEBUG under `pipeline.extract`. Several PDFs are read in a pool of
worker processes, one `PdfReader` per document, with a per-document timeout.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import math
import multiprocessing
import os
import re
import signal
import time
import warnings
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.errors import DependencyError, EmptyFileError, FileNotDecryptedError, PdfStreamError

from .errors import ExtractError
from .models import Extract, ModelInput, Section
from .sections import analyse, normalize_text, remove_stamp

__all__ = ["build_model_input", "estimate_tokens", "extract_many", "extract_pdf", "pdf_title"]

log = logging.getLogger(__name__)

DEFAULT_CHARS_PER_TOKEN = 3.5
PRIORITY = ("abstract", "introduction", "conclusion", "experiments", "method")
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


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


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
                    failures.append(f"page {number + 1}: {_one_line(exc)}")
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
            raise ExtractError(f"truncated or corrupt PDF ({_one_line(exc)})",
                               paper_id=source) from None
        except RecursionError:
            raise ExtractError("corrupt PDF (objects nest without end)", paper_id=source) from None
        except Exception as exc:
            raise ExtractError(f"unreadable PDF ({type(exc).__name__}: {_one_line(exc)})",
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
    return _metadata_title(raw) or _page_title(raw.first_page_lines)


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


# -- many PDFs in a pool of processes ----------------------------------------------------------


def _worker_main(conn: Connection) -> None:
    """A pool process: extract each (index, path, source) it is sent until it gets None."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        index, path, source = task
        try:
            reply: tuple[Any, ...] = ("ok", index, extract_pdf(path, source))
        except ExtractError as exc:
            reply = ("error", index, exc.message, exc.paper_id)
        except Exception as exc:  # a bug, not a bad PDF: still only this document's slot
            reply = ("error", index, f"extraction failed ({type(exc).__name__}: "
                     f"{_one_line(exc)})", source)
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    index: int = -1
    deadline: float = math.inf

    @classmethod
    def start(cls, ctx: Any) -> _Worker:
        parent, child = ctx.Pipe()
        process = ctx.Process(target=_worker_main, args=(child,), daemon=True,
                              name="paperlist-extract")
        process.start()
        child.close()
        return cls(process, parent)

    def stop(self, *, force: bool = False) -> None:
        if not force and self.process.is_alive():
            with contextlib.suppress(OSError, ValueError):
                self.conn.send(None)
            self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=2)
        if self.process.is_alive():  # pragma: no cover - ignores SIGTERM
            self.process.kill()
            self.process.join()
        self.conn.close()


def extract_many(
    paths: Sequence[Path],
    *,
    sources: Sequence[str] | None = None,
    workers: int | None = None,
    timeout: float = 120.0,
) -> list[Extract | ExtractError]:
    """Extract PDFs in worker processes; each slot holds its Extract or its ExtractError.

    A document that takes longer than `timeout` seconds has its worker terminated and
    replaced; a worker that dies takes only its own document with it.
    """
    paths = [Path(p) for p in paths]
    names = list(sources) if sources is not None else [p.name for p in paths]
    if len(names) != len(paths):
        raise ValueError(f"{len(paths)} paths but {len(names)} sources")
    if not paths:
        return []
    results: list[Extract | ExtractError | None] = [None] * len(paths)
    ctx = multiprocessing.get_context("spawn")  # not fork: the caller may hold threads
    pending = deque(sorted(range(len(paths)), key=lambda i: -_size(paths[i])))  # big ones first
    pool: list[_Worker] = []
    idle: list[_Worker] = []
    busy: dict[Connection, _Worker] = {}

    def fail(worker: _Worker, message: str) -> None:
        """The worker's document failed with it: stop it, and start another if work remains."""
        results[worker.index] = ExtractError(message, paper_id=names[worker.index])
        busy.pop(worker.conn, None)
        worker.stop(force=True)
        pool.remove(worker)
        if pending:
            pool.append(replacement := _Worker.start(ctx))
            idle.append(replacement)

    try:
        for _ in range(max(1, min(workers or os.cpu_count() or 1, len(paths)))):
            pool.append(_Worker.start(ctx))
        idle = list(pool)
        while pending or busy:
            while pending and idle:
                worker = idle.pop()
                worker.index = pending.popleft()
                worker.deadline = time.monotonic() + timeout
                try:
                    worker.conn.send((worker.index, paths[worker.index], names[worker.index]))
                except OSError:
                    fail(worker, "extraction worker died before starting")
                    continue
                busy[worker.conn] = worker
            if not busy:
                continue
            soonest = min(w.deadline for w in busy.values())
            for conn in wait(list(busy), timeout=max(0.0, soonest - time.monotonic())):
                assert isinstance(conn, Connection)
                worker = busy[conn]
                try:
                    reply = conn.recv()
                except (EOFError, OSError):
                    worker.process.join(timeout=1)
                    fail(worker, f"extraction worker died (exit code {worker.process.exitcode})")
                    continue
                del busy[conn]
                results[worker.index] = _from_reply(reply)
                idle.append(worker)
            now = time.monotonic()
            for worker in [w for w in busy.values() if w.deadline <= now]:
                log.debug("%s: timed out after %gs, terminating its worker",
                          names[worker.index], timeout)
                fail(worker, f"extraction timed out after {timeout:g} s")
    finally:
        for worker in pool:
            worker.stop(force=worker.conn in busy)
    return [r if r is not None else ExtractError("not extracted") for r in results]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _from_reply(reply: tuple[Any, ...]) -> Extract | ExtractError:
    if reply[0] == "ok":
        extract: Extract = reply[2]
        return extract
    return ExtractError(reply[2], paper_id=reply[3])


# -- the model's input -------------------------------------------------------------------------


def estimate_tokens(text: str, chars_per_token: float = DEFAULT_CHARS_PER_TOKEN) -> int:
    """A tokenizer-free estimate: characters divided by a per-model ratio, rounded up."""
    return math.ceil(len(text) / chars_per_token) if text else 0


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
_TABLE_CAPTION = re.compile(r"^(?:Table|Tab\.)\s*\d+\s*[:.|]")
_MEASURE = re.compile(r"\d\.\d|\d\s?%")  # a measurement, not a layer count or a year
_CUT = " […]"


def _units(text: str) -> list[tuple[int, str]]:
    """Sentences, with the index of the line (paragraph, table row) each comes from."""
    return [(line_no, sentence)
            for line_no, line in enumerate(text.split("\n"))
            for sentence in _SENTENCE_END.split(line) if sentence.strip()]


def _join_units(units: Sequence[tuple[int, str]]) -> str:
    """Sentences of one line joined by a space, of different lines by a newline."""
    parts: list[str] = []
    for n, (line_no, sentence) in enumerate(units):
        if n:
            parts.append(" " if line_no == units[n - 1][0] else "\n")
        parts.append(sentence)
    return "".join(parts)


def _hard_cut(text: str, limit: int) -> str:
    if limit <= len(_CUT):
        return ""
    cut = text[:limit - len(_CUT)]
    if " " in cut[len(cut) // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip() + _CUT


def truncate(text: str, limit: int, *, numbers_first: bool = False) -> str:
    """At most `limit` characters of `text`, cut at sentence ends.

    With `numbers_first` (results sections), table captions and sentences or table rows with
    measurements are kept in preference to the prose around them.
    """
    if len(text) <= limit:
        return text
    room = limit - len(_CUT)
    units = _units(text)
    if numbers_first:
        def score(unit: tuple[int, str]) -> int:
            sentence = unit[1]
            return 2 if _TABLE_CAPTION.match(sentence) else 1 if _MEASURE.search(sentence) else 0
        order = sorted(range(len(units)), key=lambda n: (-score(units[n]), n))
        chosen: set[int] = set()
        used = 0
        for n in order:
            cost = len(units[n][1]) + 1
            if used + cost <= room:
                chosen.add(n)
                used += cost
        kept = [units[n] for n in sorted(chosen)]
    else:
        kept = []
        used = 0
        for unit in units:
            used += len(unit[1]) + 1
            if used > room:
                break
            kept.append(unit)
    if not kept:
        return _hard_cut(text, limit)
    out = _join_units(kept) + _CUT
    return out if len(out) <= limit else _hard_cut(text, limit)


def _marker(section: Section) -> str:
    return f"## {section.heading or section.kind.capitalize()}"


def build_model_input(extract: Extract, budget_tokens: int,
                      chars_per_token: float = DEFAULT_CHARS_PER_TOKEN) -> ModelInput:
    """The part of a paper the model reads, within `budget_tokens`, by priority of section.

    Whole sections while they fit, in the order abstract, introduction, conclusion,
    experiments, method; the first that does not fit is cut at sentence ends (keeping the
    numbers of a results section); never references or appendix. Emitted in document order.
    """
    if budget_tokens < 1:
        raise ValueError("budget_tokens must be at least 1")
    full_tokens = estimate_tokens(extract.text, chars_per_token)
    limit = math.floor(budget_tokens * chars_per_token)
    while limit > 0 and math.ceil(limit / chars_per_token) > budget_tokens:
        limit -= 1  # float rounding at the edge
    room = limit
    chosen: dict[int, str] = {}
    wanted = [s for s in extract.sections if s.kind in PRIORITY and s.text.strip()]
    for kind in PRIORITY:
        for index, section in enumerate(extract.sections):
            if section.kind != kind or not section.text.strip():
                continue
            overhead = len(_marker(section)) + 1 + (2 if chosen else 0)
            if overhead + len(section.text) <= room:
                chosen[index] = section.text
                room -= overhead + len(section.text)
                continue
            if room - overhead >= min(80, len(section.text)):
                chosen[index] = truncate(section.text, room - overhead,
                                         numbers_first=kind == "experiments")
            room = 0
            break
        if room == 0:
            break
    if chosen:
        parts = [f"{_marker(extract.sections[i])}\n{chosen[i]}" for i in sorted(chosen)]
        text = "\n\n".join(parts)
        kinds = tuple(dict.fromkeys(extract.sections[i].kind for i in sorted(chosen)))
    elif wanted:  # the budget is too small for even one marker
        text, kinds = "", ()
    else:
        text, kinds = _fallback_text(extract, room)
    text = text[:limit]  # the promise, whatever happened above
    return ModelInput(text=text, tokens=estimate_tokens(text, chars_per_token),
                      full_tokens=full_tokens, sections=kinds)


def _fallback_text(extract: Extract, room: int) -> tuple[str, tuple[str, ...]]:
    """No section the model wants was found: the start of the text, up to any references."""
    used = []
    for section in extract.sections:
        if section.kind in ("references", "appendix"):
            break
        used.append(section)
    if used:
        body = "\n".join(filter(None, (s.heading + "\n" + s.text if s.heading else s.text
                                       for s in used)))
        kinds = tuple(dict.fromkeys(s.kind for s in used))
    else:
        body, kinds = ("" if extract.sections else extract.text), ()
    return truncate(body.strip(), room), kinds

