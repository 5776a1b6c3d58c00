"""Citations: the `[S7]` markers a model writes after the sentences that use a passage, checked and
turned into kramdown footnotes (`[^1]`), one per source, numbered in order of first use."""

from __future__ import annotations

import html
import re
import string
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from pipeline.document import CTA, FOOTNOTES, HERO, JSON_LD, RELATED, Block, Kind
from pipeline.types import Citation, PartText, Passage, RunRecord, Sections, Source
from pipeline.writing.parttext import map_texts

NOT_GIVEN = "no such passage was given"  # why a marker is dropped at drafting
# What models write for a marker: [S7], ［S7］, 【S7】, [s7], [S 7].
MARKER = re.compile(r"[\[［【]\s*[Ss]\s*(\d+)\s*[\]］】]")


def keep_given(value: PartText, given: set[str], part: str) -> tuple[PartText, list[Citation]]:
    """Markers written as `[S7]`; one naming a passage the piece was not given is dropped and recorded."""
    dropped: list[Citation] = []

    def check(text: str) -> str:
        def one(match: re.Match) -> str:
            marker = f"S{match.group(1)}"
            if marker in given:
                return f"[{marker}]"
            dropped.append(Citation(part=part, marker=marker, kept=False, reason=NOT_GIVEN))
            return ""

        return MARKER.sub(one, text)

    return map_texts(value, check), dropped


@dataclass
class Footnotes:
    """The post's footnotes: a number per cited source, and every marker that became one."""

    by_source: dict[int, int] = field(default_factory=dict)  # source id → footnote number
    citations: list[Citation] = field(default_factory=list)

    def number(self, source: int) -> int:
        return self.by_source.setdefault(source, len(self.by_source) + 1)


def to_footnotes(sections: Sections, order: list[str], passages: dict[str, Passage]) -> tuple[Sections, Footnotes]:
    """Markers replaced by footnote references, numbered by first use in reading order (`order`: part keys).

    A marker whose passage is unknown is dropped; no raw marker is left in the text.
    """
    notes = Footnotes()
    out: Sections = {}
    for key in order:
        if key not in sections:
            continue

        def replace(text: str, key: str = key) -> str:
            def one(match: re.Match) -> str:
                marker = f"S{match.group(1)}"
                passage = passages.get(marker)
                if passage is None:
                    notes.citations.append(Citation(part=key, marker=marker, kept=False, reason="unknown passage"))
                    return ""
                number = notes.number(passage.source)
                notes.citations.append(Citation(part=key, marker=marker, kept=True, footnote=number))
                return f"[^{number}]"

            return re.sub(r"(\[\^\d+\])(?:\1)+", r"\1", MARKER.sub(one, text))  # [^1][^1] → [^1]

        out[key] = map_texts(sections[key], replace)
    return out, notes


def strip_markers(value: PartText) -> PartText:
    """A part's text with every marker taken out (where there are no sources to cite)."""
    return map_texts(value, lambda text: MARKER.sub("", text))


def footnote_blocks(notes: Footnotes, sources: dict[int, Source], timezone) -> list[Block]:
    """kramdown footnote definitions: `[^1]: 題名 — 発行元 (閲覧日 2026-11-20) <URL>`; files show no path.

    Titles and publishers are inert text; a URL is written only when it is http(s), as an autolink with
    everything outside RFC 3986's plain characters percent-encoded (no Liquid, no Markdown can ride on it).
    """
    blocks = []
    for source_id, number in sorted(notes.by_source.items(), key=lambda item: item[1]):
        source = sources[source_id]
        parts = [note_text(source.title, first=True) or "資料"]
        if source.publisher and note_text(source.publisher):
            parts.append(f"— {note_text(source.publisher)}")
        day = source.fetched_at.astimezone(timezone).strftime("%Y-%m-%d")
        parts.append(f"(閲覧日 {day})" if source.is_url else f"({day} 更新)")
        url = citable_url(source.location) if source.is_url else None
        if url:
            parts.append(f"<{url}>")
        blocks.append(Block(Kind.CITATION, " ".join(parts), FOOTNOTES, label=str(number), gap="" if blocks else None))
    return blocks


# Characters a cited URL keeps as they are: RFC 3986's unreserved ones and the reserved ones that carry no
# meaning to Markdown, HTML or Liquid. Everything else (`{}[]()<>"'\`, spaces, `%` that starts no escape,
# non-ASCII) is percent-encoded.
_URL_PLAIN = frozenset(string.ascii_letters + string.digits + "-._~" + ":/?@!$&*+,;=")
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_HOST = re.compile(r"[a-z0-9_.-]+|[0-9a-f:.]+")


def citable_url(location: str) -> str | None:
    """`location` as a footnote or JSON-LD may cite it, or None: only http(s) URLs with a plain host; no
    credentials; every character outside RFC 3986's unreserved and safe reserved ones percent-encoded."""
    try:
        parts = urlsplit(location.strip())
        host, port = parts.hostname or "", parts.port
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except (ValueError, UnicodeError):
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not _HOST.fullmatch(host):
        return None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    url = f"{scheme}://{netloc}{_encoded(parts.path) or '/'}"
    if parts.query:
        url += f"?{_encoded(parts.query)}"
    if parts.fragment:
        url += f"#{_encoded(parts.fragment)}"
    return url


def _encoded(text: str) -> str:
    out = []
    for n, ch in enumerate(text):
        if ch in _URL_PLAIN or (ch == "%" and _ESCAPE.match(text, n)):
            out.append(ch)
        else:
            out.append("".join(f"%{byte:02X}" for byte in ch.encode("utf-8", errors="replace")))
    return "".join(out)


# Markdown and Liquid in a title or publisher, as numeric character references (kramdown shows them as text).
_INERT = str.maketrans(
    {
        "{": "&#123;",
        "}": "&#125;",
        "|": "&#124;",
        "*": "&#42;",
        "_": "&#95;",
        "`": "&#96;",
        "$": "&#36;",
        "\\": "&#92;",
        "~": "&#126;",
        "^": "&#94;",
        "!": "&#33;",
        "[": "［",
        "]": "］",
    }
)
_BLOCK_START = re.compile(r"^(?:[#=+\-]|\d+[.)])")


def note_text(text: str, first: bool = False) -> str:
    """A title or publisher as footnote text: one line, HTML escaped, no Markdown, kramdown or Liquid syntax
    (`first`: it opens the definition, so it cannot start a heading or a list either)."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    inert = html.escape(flat, quote=False).translate(_INERT)
    if first and _BLOCK_START.match(inert):
        inert = f"&#{ord(inert[0])};{inert[1:]}"
    return inert


def cited_in_record(record: RunRecord) -> dict[str, list[str]]:
    """What the footnotes of a written draft cite, from its run record: label → the passages of its source."""
    by_marker = {p.id: p for p in record.passages}
    out: dict[str, list[str]] = {}
    for citation in record.citations:
        passage = by_marker.get(citation.marker)
        if citation.kept and citation.footnote is not None and passage is not None:
            out[str(citation.footnote)] = [p.text for p in record.passages if p.source == passage.source]
    return out


def cited_texts(notes: Footnotes, passages: list[Passage]) -> dict[str, list[str]]:
    """For the gate: each footnote's label, and the passages of its source that drafting was given."""
    out: dict[str, list[str]] = {}
    for source_id, number in notes.by_source.items():
        out[str(number)] = [p.text for p in passages if p.source == source_id]
    return out


CLOSING = frozenset({HERO, RELATED, CTA, JSON_LD})  # the parts that stand after the footnotes


def definitions_at(blocks: list[Block], new: list[Block]) -> tuple[int, list[Block]]:
    """Where new footnote definitions go among `blocks`: after the last definition (with no gap), else before the
    blocks that close the post (after one blank line); and the new definitions, the first with that gap."""
    last = max((i for i, b in enumerate(blocks) if b.kind == Kind.CITATION), default=None)
    if last is not None:
        return last + 1, [replace(new[0], gap=""), *new[1:]]
    at = next((i for i, b in enumerate(blocks) if b.part in CLOSING), len(blocks))
    return at, [replace(new[0], gap="\n"), *new[1:]]


def cited_works(
    works: list, urls: set[str], added: list[tuple[str, str]] = (), moved: dict[str, str] | None = None
) -> list:
    """JSON-LD citations: those the footnotes still cite (`urls`; a moved one at its new address), then the
    `added` (title, URL) ones not there yet; an entry that names no URL is kept as it is."""
    moved = moved or {}
    kept = []
    for work in works:
        if not isinstance(work, dict) or not isinstance(work.get("url"), str):
            kept.append(work)
            continue
        url = moved.get(work["url"], work["url"])
        if url in urls:
            kept.append({**work, "url": url})
    known = {w.get("url") for w in kept if isinstance(w, dict)}
    return kept + [{"@type": "CreativeWork", "name": t, "url": u} for t, u in added if u not in known]
