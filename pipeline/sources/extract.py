"""A document's main text and title: trafilatura for HTML, pypdf for PDF, Markdown and text as they are."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import PurePath

import trafilatura
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from pipeline.sources.outline import Heading, headings_of

# The kinds of document genpost reads, by content type and by file ending.
KINDS = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
    "text/plain": "text",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
}
ENDINGS = {".html": "html", ".htm": "html", ".pdf": "pdf", ".txt": "text", ".md": "markdown", ".markdown": "markdown"}


class Unreadable(Exception):
    """A document with no text genpost can use."""


@dataclass(frozen=True)
class Extracted:
    title: str
    text: str
    publisher: str = ""
    headings: tuple[Heading, ...] = ()  # an HTML page's H2s and H3s (what a brief reads of a result)


def kind_of(content_type: str | None, name: str) -> str | None:
    """html, pdf, markdown or text: from the content type, else from the name's ending; None if neither."""
    if content_type:
        kind = KINDS.get(content_type.split(";")[0].strip().lower())
        if kind:
            return kind
    return ENDINGS.get(PurePath(name.split("?")[0]).suffix.lower())


def extract(data: bytes, kind: str, name: str) -> Extracted:
    """The main text of a document (never its navigation, header or footer) and its title."""
    if kind == "html":
        return _html(data, name)
    if kind == "pdf":
        return _pdf(data, name)
    text = data.decode("utf-8", errors="replace")
    heading = re.search(r"^#\s+(.+)$", text, re.MULTILINE) if kind == "markdown" else None
    return _checked(Extracted(heading.group(1).strip() if heading else _stem(name), text.strip()))


def _html(data: bytes, url: str) -> Extracted:
    document = trafilatura.bare_extraction(
        data,
        url=url if url.startswith("http") else None,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_precision=True,
    )
    if document is None or not getattr(document, "text", None):
        raise Unreadable("no main text in the page")
    title = getattr(document, "title", None) or _stem(url)
    site = (getattr(document, "sitename", None) or "").strip()
    return _checked(Extracted(title.strip(), document.text.strip(), site, tuple(headings_of(data))))


def _pdf(data: bytes, name: str) -> Extracted:
    try:
        reader = PdfReader(io.BytesIO(data))
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
        title = (reader.metadata.title if reader.metadata else None) or ""
    except (PdfReadError, ValueError, OSError) as exc:
        raise Unreadable(f"not a readable PDF ({type(exc).__name__})") from None
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return _checked(Extracted((title or first[:60] or _stem(name)).strip(), text.strip()))


def _stem(name: str) -> str:
    return PurePath(name.split("?")[0].rstrip("/")).stem or name


def _checked(found: Extracted) -> Extracted:
    if len(found.text) < 40:
        raise Unreadable("too little text")
    return found
