"""Paper identifiers: arXiv ids in every form editors paste, and the ids of local PDFs.

Kept free of pydantic and of every other heavy import, so that the command line refuses a
malformed id before it loads anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import UsageError

_NEW_ID = re.compile(r"^(?P<yymm>\d{4})\.(?P<num>\d{4,5})(?:v(?P<v>[1-9]\d*))?$")
_OLD_ID = re.compile(
    r"^(?P<archive>[a-z]+(?:-[a-z]+)*)(?:\.[A-Z]{2})?/(?P<yymm>\d{4})(?P<num>\d{3})"
    r"(?:v(?P<v>[1-9]\d*))?$"
)
_URL_PREFIX = re.compile(r"^https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/", re.I)
_ID_EXAMPLES = "2404.07965, 2404.07965v2, arXiv:2404.07965, https://arxiv.org/abs/2404.07965"


@dataclass(frozen=True, order=True)
class ArxivId:
    """An arXiv identifier split into its stable part and an optional version."""

    base: str
    version: int | None = None

    @classmethod
    def parse(cls, text: str) -> ArxivId:
        """Accept every form an editor pastes: bare, versioned, `arXiv:` prefix, abs/pdf URLs."""
        raw = text.strip()
        candidate = _URL_PREFIX.sub("", raw)
        if candidate != raw:
            candidate = candidate.split("?", 1)[0].split("#", 1)[0].rstrip("/")
            candidate = re.sub(r"\.pdf$", "", candidate, flags=re.I)
        elif candidate[:6].lower() == "arxiv:":
            candidate = candidate[6:].strip()
        for pattern in (_NEW_ID, _OLD_ID):
            match = pattern.match(candidate)
            if match:
                break
        else:
            raise UsageError(f"{text!r} is not an arXiv id (expected e.g. {_ID_EXAMPLES} or "
                             "hep-th/9901001)")
        month = int(match["yymm"][2:])
        if not 1 <= month <= 12:
            raise UsageError(f"{text!r} is not an arXiv id: month {match['yymm'][2:]} does not "
                             "exist")
        if pattern is _NEW_ID:
            five_digits = int(match["yymm"]) >= 1501
            if five_digits != (len(match["num"]) == 5):
                width = "five" if five_digits else "four"
                raise UsageError(f"{text!r} is not an arXiv id: ids from {match['yymm']} have "
                                 f"{width} digits after the dot")
        version = int(match["v"]) if match["v"] else None
        base = candidate[: match.start("v") - 1] if version else candidate
        return cls(base=base, version=version)

    @property
    def versioned(self) -> str:
        return f"{self.base}v{self.version}" if self.version else self.base

    def __str__(self) -> str:
        return self.versioned


def split_versioned(entry_id: str) -> ArxivId:
    """Turn the `<id>` of an export-API entry (an abs URL) into an id."""
    return ArxivId.parse(entry_id.replace("http://", "https://"))


class ArxivLinks:
    """The versioned id and abstract page of anything that has an arXiv `id` and `version`."""

    id: str
    version: int

    @property
    def versioned_id(self) -> str:
        return f"{self.id}v{self.version}"

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.id}"

    @property
    def url(self) -> str | None:
        """The abstract page; None for a local PDF, which has none."""
        return None if is_pdf_id(self.id) else self.abs_url


# A local PDF (`summarize --pdf`) is known by the first 12 hex digits of its SHA-256: the same
# file is the same paper wherever it lies, and the id cannot be mistaken for an arXiv id.
PDF_PREFIX = "pdf:"
PDF_HASH_CHARS = 12
_PDF_ID = re.compile(rf"^{PDF_PREFIX}[0-9a-f]{{{PDF_HASH_CHARS}}}$")


def pdf_id(sha256_hex: str) -> str:
    """The paper id of a local PDF, from the hex SHA-256 of its bytes."""
    return PDF_PREFIX + sha256_hex[:PDF_HASH_CHARS].lower()


def is_pdf_id(paper_id: str) -> bool:
    return bool(_PDF_ID.match(paper_id))


def paper_key(text: str) -> str:
    """The id a paper is stored under, from any form an editor pastes: an arXiv id without
    its version, or a local PDF's `pdf:<12 hex digits>`. Raises UsageError otherwise."""
    raw = text.strip()
    if raw.lower().startswith(PDF_PREFIX):
        if not is_pdf_id(raw.lower()):
            raise UsageError(f"{text!r} is not a local PDF's id (expected {PDF_PREFIX} and "
                             f"{PDF_HASH_CHARS} hex digits, as `drafts list` shows it)")
        return raw.lower()
    return ArxivId.parse(raw).base
