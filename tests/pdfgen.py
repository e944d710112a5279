"""A tiny PDF writer for tests: real PDF bytes that pypdf reads, with no dependency.

Each page is a list of text lines set in Helvetica (WinAnsi, so Latin-1 text only). An optional
`stamp` is drawn rotated in the left margin of the first page, like arXiv's.
"""

from __future__ import annotations


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _content(
    lines: list[str], font_size: float, stamp: str | None, sizes: dict[int, float] | None = None
) -> bytes:
    leading = font_size * 1.25
    ops = [b"BT", b"/F1 %.1f Tf" % font_size, b"%.1f TL" % leading, b"72 760 Td"]
    current = font_size
    for number, line in enumerate(lines):
        size = (sizes or {}).get(number, font_size)
        if size != current:
            ops.append(b"/F1 %.1f Tf %.1f TL" % (size, size * 1.25))
            current = size
        ops.append(b"(" + _escape(line) + b") Tj T*")
    ops.append(b"ET")
    if stamp:
        ops += [b"BT", b"/F1 14 Tf", b"0 1 -1 0 30 250 Tm", b"(" + _escape(stamp) + b") Tj", b"ET"]
    return b"\n".join(ops)


def make_pdf(
    pages: list[list[str]],
    *,
    title: str | None = None,
    font_size: float = 10,
    stamp: str | None = None,
    sizes: dict[int, float] | None = None,
) -> bytes:
    """Build a PDF whose page i shows the lines of pages[i], top to bottom.

    `sizes` sets the font size of some lines of the first page, by line index (a title set
    larger than the text, as on a real paper's first page).
    """
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in once the page tree exists
    pages_id = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    kids = []
    for number, lines in enumerate(pages):
        stream = _content(lines, font_size, stamp if number == 0 else None,
                          sizes if number == 0 else None)
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(add(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] " % pages_id
            + b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>" % (font, content)
        ))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id
    objects[pages_id - 1] = (
        b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids)
        + b"] /Count %d >>" % len(kids)
    )
    info = add(b"<< /Title (" + _escape(title) + b") >>") if title else None

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    trailer = b"<< /Size %d /Root %d 0 R" % (len(objects) + 1, catalog)
    if info:
        trailer += b" /Info %d 0 R" % info
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def paper_pages(
    title: str,
    *,
    abstract: str = "We study a problem and propose a method that improves accuracy by 12.5%.",
    sections: dict[str, list[str]] | None = None,
    lines_per_page: int = 55,
    header: str | None = None,
) -> list[list[str]]:
    """Lay a paper out as arXiv papers look: title, Abstract, numbered sections, References.

    `header`, when given, is repeated at the top of every page (a running header) and every
    page gets its number at the bottom.
    """
    body = [title, "Anonymous Authors", "", "Abstract", *_wrap(abstract), ""]
    sections = sections or {
        "1 Introduction": ["Generating long documents is hard. We address it with a new method."],
        "2 Method": ["Our method encodes the input and decodes a summary with attention."],
        "3 Experiments": ["Table 1: Results on the benchmark.", "Ours 45.2 38.1 12.5"],
        "4 Conclusion": ["We presented a method that improves accuracy by 12.5%."],
        "References": ["[1] A. Author. A paper. 2020."],
    }
    for heading, paragraphs in sections.items():
        body.append(heading)
        for paragraph in paragraphs:
            body.extend(_wrap(paragraph))
        body.append("")
    usable = lines_per_page - (3 if header else 1)
    pages = []
    for start in range(0, len(body), usable):
        chunk = body[start:start + usable]
        page = ([header, ""] if header else []) + chunk
        if header:
            page += ["", str(len(pages) + 1)]
        pages.append(page)
    return pages


def _wrap(text: str, width: int = 90) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(current)
    return lines
