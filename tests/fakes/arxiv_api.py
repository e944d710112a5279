"""A fake arXiv: the export API (`/api/query`, Atom feeds shaped like the real ones in
shared/corpus/api/export-api) and PDF downloads (`/pdf/<id>`), with failure injection."""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import KW_ONLY, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from .http import FakeResponse, FakeServer, Injected, Logged, Request, resolve

try:
    from pdfgen import make_pdf, paper_pages
except ImportError:  # imported as tests.fakes rather than fakes
    from ..pdfgen import make_pdf, paper_pages  # type: ignore[no-redef]

_NEW_ID = re.compile(r"^\d{4}\.\d{4,5}$")  # as lenient as arXiv: 0808.05394 is "well formed"
_OLD_ID = re.compile(r"^[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7}$")
_VERSION = re.compile(r"^(?P<base>.+?)(?:v(?P<v>\d+))?$")
_NS = ('xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
       'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom"')
ATOM = "application/atom+xml; charset=utf-8"
SORT_KEYS = ("relevance", "lastUpdatedDate", "submittedDate")


def split_id(text: str) -> tuple[str, int | None] | None:
    """`2404.01234v2` -> ("2404.01234", 2); None when arXiv would call the id malformed."""
    match = _VERSION.match(text.strip())
    if not match:
        return None
    base, version = match["base"], match["v"]
    if not (_NEW_ID.match(base) or _OLD_ID.match(base)):
        return None
    return base, int(version) if version else None


@dataclass
class FakePaper:
    """One version of a paper. `pdf=None` serves a PDF generated (lazily) from the metadata."""

    id: str
    _: KW_ONLY
    version: int = 1
    title: str = "A Fake Paper About Diffusion Models"
    abstract: str = ("We study a problem and propose a method that improves accuracy by 12.5% on "
                     "a standard benchmark.")
    authors: list[str] = field(default_factory=lambda: ["Ada Lovelace", "Alan Turing"])
    categories: list[str] = field(default_factory=lambda: ["cs.CV"])
    published: datetime = datetime(2024, 4, 8, 12, 0, tzinfo=UTC)
    updated: datetime | None = None  # None: same as published
    comment: str = ""
    journal_ref: str = ""
    doi: str = ""
    pdf: bytes | None = None
    _generated: bytes | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parsed = split_id(self.id)
        if parsed is None or parsed[1] is not None:
            raise ValueError(f"FakePaper id must be an unversioned arXiv id, got {self.id!r}")
        for name in ("published", "updated"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"FakePaper.{name} must be timezone-aware")
        if self.updated is None:
            self.updated = self.published
        if not self.categories:
            raise ValueError("FakePaper needs at least one category (the first is primary)")

    @property
    def versioned_id(self) -> str:
        return f"{self.id}v{self.version}"

    @property
    def primary_category(self) -> str:
        return self.categories[0]

    def pdf_bytes(self) -> bytes:
        """The bytes served at /pdf/: `pdf` if set, else a generated paper (cached)."""
        if self.pdf is not None:
            return self.pdf
        if self._generated is None:
            stamp = (f"arXiv:{self.versioned_id} [{self.primary_category}] "
                     f"{self.published:%d %b %Y}")
            self._generated = make_pdf(paper_pages(self.title, abstract=self.abstract),
                                       title=self.title, stamp=stamp)
        return self._generated


def sample_papers(n: int, *, start: datetime = datetime(2024, 4, 8, 9, 0, tzinfo=UTC),
                  step: timedelta = timedelta(hours=7), categories: Iterable[str] = ("cs.CV",),
                  prefix: str = "2404", first: int = 1000,
                  title: str = "Diffusion model paper {i}") -> list[FakePaper]:
    """n papers `2404.01000`, `2404.01001`, ... published `step` apart from `start`."""
    return [FakePaper(f"{prefix}.{first + i:05d}", title=title.format(i=i),
                      categories=list(categories), published=start + i * step)
            for i in range(n)]


class QueryError(ValueError):
    """A search_query the fake cannot parse (answered with arXiv's 400 error feed)."""


class FakeArxiv(FakeServer):
    """`start()`, then point the client at `api_url` and `pdf_url`; `add(FakePaper(...))`."""

    def __init__(self, papers: Iterable[FakePaper] = ()) -> None:
        super().__init__()
        self._papers: dict[str, dict[int, FakePaper]] = {}  # id -> version -> paper
        self._failures: dict[str, deque[Injected]] = {"query": deque(), "pdf": deque()}
        self._data_lock = threading.Lock()
        for paper in papers:
            self.add(paper)

    # --- set-up ----------------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        return f"{self.url}/api/query"

    @property
    def pdf_url(self) -> str:
        return f"{self.url}/pdf/{{id}}"

    def add(self, paper: FakePaper, *more: FakePaper) -> FakePaper:
        """Add papers (several versions of one id are kept); returns the first one given."""
        with self._data_lock:
            for each in (paper, *more):
                self._papers.setdefault(each.id, {})[each.version] = each
        return paper

    def paper(self, arxiv_id: str) -> FakePaper:
        """The paper for `2404.01234` (latest version) or `2404.01234v2`; KeyError if unknown."""
        parsed = split_id(arxiv_id)
        found = self._lookup(*parsed) if parsed else None
        if found is None:
            raise KeyError(arxiv_id)
        return found

    @property
    def papers(self) -> list[FakePaper]:
        """The latest version of every paper, in the order they were first added."""
        with self._data_lock:
            return [v[max(v)] for v in self._papers.values()]

    def fail_next(self, kind: str, *responses: Injected) -> None:
        """Answer the next requests of `kind` ("query" or "pdf") with `responses`, in order."""
        if kind not in self._failures:
            raise ValueError(f"kind must be 'query' or 'pdf', got {kind!r}")
        with self._data_lock:
            self._failures[kind].extend(responses)

    def pending_failures(self, kind: str) -> int:
        with self._data_lock:
            return len(self._failures[kind])

    @property
    def requests(self) -> list[Logged]:
        """Every request as (kind, path, query, time); kind is "query", "pdf" or "other"."""
        return self.log

    # --- serving ---------------------------------------------------------------------------------
    def handle(self, request: Request) -> FakeResponse:
        path = request.path
        kind = ("query" if path.rstrip("/") == "/api/query"
                else "pdf" if path.startswith("/pdf/") else "other")
        self.record(kind, request)
        with self._data_lock:
            injected = self._failures[kind].popleft() if self._failures.get(kind) else None
        if injected is not None:
            return resolve(injected, lambda: self._route(kind, request))
        return self._route(kind, request)

    def _route(self, kind: str, request: Request) -> FakeResponse:
        if kind == "query":
            return self._query(request)
        if kind == "pdf":
            return self._pdf(request.path[len("/pdf/"):])
        return FakeResponse(404, b"Not Found\n", {"Content-Type": "text/plain"})

    def _lookup(self, base: str, version: int | None) -> FakePaper | None:
        with self._data_lock:
            versions = dict(self._papers.get(base, {}))
        if not versions:
            return None
        latest = max(versions)
        if version is None:
            return versions[latest]
        if version in versions:
            return versions[version]
        return replace(versions[latest], version=version) if version < latest else None

    def _pdf(self, rest: str) -> FakeResponse:
        rest = re.sub(r"\.pdf$", "", rest, flags=re.I).strip("/")
        parsed = split_id(rest)
        paper = self._lookup(*parsed) if parsed else None
        if paper is None:
            return FakeResponse(404, f"No PDF for {rest}\n", {"Content-Type": "text/plain"})
        return FakeResponse(200, paper.pdf_bytes(), {"Content-Type": "application/pdf"})

    def _query(self, request: Request) -> FakeResponse:
        q = request.query
        try:
            start = int(q.get("start") or 0)
            max_results = min(int(q.get("max_results") or 10), 2000)
        except ValueError:
            return self._error("start_and_max_results_must_be_integers",
                               "start and max_results must be integers")
        if start < 0 or max_results < 0:
            return self._error("start_must_be_non_negative", "start must be non-negative")
        sort_by = q.get("sortBy") or "relevance"
        order = q.get("sortOrder") or "descending"
        if sort_by not in SORT_KEYS or order not in ("ascending", "descending"):
            return self._error("invalid_sort", f"unknown sortBy {sort_by!r} or sortOrder "
                               f"{order!r}")
        ids = [i.strip() for i in (q.get("id_list") or "").split(",") if i.strip()]
        matched: list[FakePaper] = []
        for raw in ids:
            parsed = split_id(raw)
            if parsed is None:
                return self._error(f"incorrect_id_format_for_{raw}",
                                   f"incorrect id format for {raw}")
            found = self._lookup(*parsed)
            if found is not None:
                matched.append(found)
        search = (q.get("search_query") or "").strip()
        try:
            predicate = parse_query(search) if search else None
        except QueryError as exc:
            return self._error("malformed_query", f"malformed query: {exc}")
        if not ids:
            matched = self.papers if predicate else []
        if predicate:
            matched = [p for p in matched if predicate(p)]
        if sort_by != "relevance":
            key: Callable[[FakePaper], Any] = (
                (lambda p: p.published) if sort_by == "submittedDate" else (lambda p: p.updated))
            matched.sort(key=key, reverse=order == "descending")
        page = matched[start:start + max_results]
        entries = "".join(self._entry(p) for p in page)
        query_text = (f"search_query={search}&id_list={','.join(ids)}&start={start}"
                      f"&max_results={max_results}")
        link = (f"{self.api_url}?search_query={search}&start={start}&max_results={max_results}"
                f"&id_list={','.join(ids)}")
        digest = base64.b64encode(hashlib.sha1(query_text.encode()).digest()).decode()[:27]
        head = (f"<id>https://arxiv.org/api/{digest}</id>\n"
                f"  <title>arXiv Query: {escape(query_text)}</title>\n"
                f"  <updated>{_stamp(datetime.now(UTC))}</updated>\n"
                f'  <link href={quoteattr(link)} type="application/atom+xml"/>')
        return FakeResponse(200, _feed(head, max_results, len(matched), start, entries),
                            {"Content-Type": ATOM})

    def _entry(self, p: FakePaper) -> str:
        vid = p.versioned_id
        assert p.updated is not None
        lines = [
            "  <entry>",
            f"    <id>http://arxiv.org/abs/{vid}</id>",
            f"    <title>{escape(p.title)}</title>",
            f"    <updated>{_stamp(p.updated)}</updated>",
            f'    <link href="https://arxiv.org/abs/{vid}" rel="alternate" type="text/html"/>',
            f'    <link href={quoteattr(self.pdf_url.format(id=vid))} rel="related" '
            'type="application/pdf" title="pdf"/>',
            f"    <summary>{escape(p.abstract)}</summary>",
            *(f'    <category term={quoteattr(c)} scheme="http://arxiv.org/schemas/atom"/>'
              for c in p.categories),
            f"    <published>{_stamp(p.published)}</published>",
        ]
        if p.comment:
            lines.append(f"    <arxiv:comment>{escape(p.comment)}</arxiv:comment>")
        lines.append(f"    <arxiv:primary_category term={quoteattr(p.primary_category)}/>")
        if p.journal_ref:
            lines.append(f"    <arxiv:journal_ref>{escape(p.journal_ref)}</arxiv:journal_ref>")
        for author in p.authors:
            lines += ["    <author>", f"      <name>{escape(author)}</name>", "    </author>"]
        if p.doi:
            lines += [f"    <arxiv:doi>{escape(p.doi)}</arxiv:doi>",
                      f'    <link rel="related" href={quoteattr("https://doi.org/" + p.doi)} '
                      'title="doi"/>']
        return "\n".join([*lines, "  </entry>\n"])

    def _error(self, anchor: str, message: str) -> FakeResponse:
        """arXiv's answer to a bad request: HTTP 400 with a one-entry Atom feed."""
        now = _stamp(datetime.now(UTC))
        url = f"https://arxiv.org/api/errors#{anchor}"
        head = f"<id>https://arxiv.org/</id>\n  <title>arXiv Search Results</title>\n" \
               f"  <updated>{now}</updated>"
        entry = (f"  <entry>\n    <id>{escape(url)}</id>\n    <title>Error</title>\n"
                 f"    <updated>{now}</updated>\n"
                 f'    <link href={quoteattr(url)} rel="alternate" type="text/html"/>\n'
                 f"    <summary>{escape(message)}</summary>\n"
                 "    <author>\n      <name>arXiv api core</name>\n    </author>\n  </entry>\n")
        return FakeResponse(400, _feed(head, 1, 1, 0, entry), {"Content-Type": ATOM})


def _feed(head: str, per_page: int, total: int, start: int, entries: str) -> str:
    return (f"<?xml version='1.0' encoding='UTF-8'?>\n<feed {_NS}>\n  {head}\n"
            f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n"
            f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
            f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n{entries}</feed>\n")


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- search_query ------------------------------------------------------------------------------

Predicate = Callable[[FakePaper], bool]
_TOKEN = re.compile(r'\(|\)|(?:\w+:)?(?:"[^"]*"|\[[^\]]*\]|[^\s()"\[\]]+)|\S')
_TEXT_FIELDS: dict[str, Callable[[FakePaper], str]] = {
    "ti": lambda p: p.title,
    "abs": lambda p: p.abstract,
    "au": lambda p: " ; ".join(p.authors),
    "co": lambda p: p.comment,
    "jr": lambda p: p.journal_ref,
    "all": lambda p: " ".join([p.title, p.abstract, *p.authors, p.comment, *p.categories]),
}
_UNITS = {8: ("%Y%m%d", timedelta(days=1)), 10: ("%Y%m%d%H", timedelta(hours=1)),
          12: ("%Y%m%d%H%M", timedelta(minutes=1)), 14: ("%Y%m%d%H%M%S", timedelta(seconds=1))}


def parse_query(text: str) -> Predicate:
    """arXiv's search_query as a predicate (QueryError if malformed).

    Terms: `field:word`, `field:"a phrase"`, `submittedDate:[FROM TO TO]`, bare words (= all:).
    Fields ti, abs, au, co, jr, all match case-insensitive substrings; cat matches a category
    (`cs.*` for a prefix); id an id. OR binds loosest; AND, ANDNOT and two terms side by side
    bind tighter; parentheses group.
    """
    tokens: list[str] = _TOKEN.findall(text)
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise QueryError("query ends too early")
        pos += 1
        return tokens[pos - 1]

    def expr() -> Predicate:
        terms = [conjunction()]
        while peek() == "OR":
            take()
            terms.append(conjunction())
        return lambda p: any(t(p) for t in terms)

    def conjunction() -> Predicate:
        must, must_not = [atom()], []
        while peek() not in (None, ")", "OR"):
            op = take() if peek() in ("AND", "ANDNOT") else "AND"
            (must if op == "AND" else must_not).append(atom())
        return lambda p: all(t(p) for t in must) and not any(t(p) for t in must_not)

    def atom() -> Predicate:
        token = take()
        if token == "(":
            inner = expr()
            if take() != ")":
                raise QueryError("missing ')'")
            return inner
        if token in (")", "AND", "OR", "ANDNOT") or token in '"[]':
            raise QueryError(f"unexpected {token!r}")
        return _term(token)

    predicate = expr()
    if pos != len(tokens):
        raise QueryError(f"unexpected {tokens[pos]!r}")
    return predicate


def _term(token: str) -> Predicate:
    name, sep, value = token.partition(":")
    if not sep or value.startswith("//"):
        name, value = "all", token
    value = value.strip('"')
    if name in ("submittedDate", "lastUpdatedDate"):
        low, high = _date_range(value)
        attr = "published" if name == "submittedDate" else "updated"
        return lambda p: low <= getattr(p, attr) < high
    needle = " ".join(value.split()).casefold()
    if name == "cat":
        if needle.endswith("*"):
            return lambda p: any(c.casefold().startswith(needle[:-1]) for c in p.categories)
        return lambda p: any(c.casefold() == needle for c in p.categories)
    if name == "id":
        return lambda p: p.id == value or p.versioned_id == value
    field_text = _TEXT_FIELDS.get(name)
    if field_text is None:
        raise QueryError(f"unknown field {name!r}")
    return lambda p: needle in " ".join(field_text(p).split()).casefold()


def _date_range(value: str) -> tuple[datetime, datetime]:
    """`[202404080000 TO 202404142359]` -> [start, end) in UTC, the end's minute included."""
    match = re.fullmatch(r"\[\s*(\d+)\s+TO\s+(\d+)\s*\]", value)
    if not match or any(len(d) not in _UNITS for d in match.groups()):
        raise QueryError(f"bad date range {value!r} (want [YYYYMMDDHHMM TO YYYYMMDDHHMM])")
    low, high = match.groups()
    start = datetime.strptime(low, _UNITS[len(low)][0]).replace(tzinfo=UTC)
    fmt, unit = _UNITS[len(high)]
    return start, datetime.strptime(high, fmt).replace(tzinfo=UTC) + unit
