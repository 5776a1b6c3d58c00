"""Changing a document read from a file so that only what changes is written again: a part's prose replaced,
a heading's year, a moved source's address, footnotes that come and go, the JSON-LD that follows, front-matter
lines. Every other block keeps the lines it was read from, in the file's own line breaks.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import datetime, tzinfo
from typing import Any

from pipeline.document import Block, Inline, Kind, PostDoc
from pipeline.frontmatter import Timestamp
from pipeline.refresh.reasons import PROSE
from pipeline.sources import Grounding
from pipeline.types import PartText, Source
from pipeline.writing.citations import MARKER, Footnotes, citable_url, cited_works, definitions_at, footnote_blocks
from pipeline.writing.parttext import map_texts

_YEAR = re.compile(r"(?<![0-9０-９])[12１２][0-9０-９]{3}(?![0-9０-９])")
_POST_URL = re.compile(r"\{%\s*post_url\s+(\S+)\s*%\}")


def bump_years(text: str, year: int) -> str:
    """Every year before `year` in `text` made `year` (full-width digits read as digits)."""

    def one(match: re.Match) -> str:
        found = int(unicodedata.normalize("NFKC", match.group(0)))
        return str(year) if 1900 <= found < year else match.group(0)

    return _YEAR.sub(one, text)


def eol_of(doc: PostDoc) -> str:
    """The file's line break: CR LF when its front matter uses it."""
    return "\r\n" if "\r\n" in (doc.front.source or "") else "\n"


def written(blocks: list[Block], eol: str) -> list[Block]:
    """New blocks with their lines in the file's own line breaks."""
    if eol == "\n":
        return blocks

    def ended(text: str) -> str:  # a kept block's gap may hold CR LF already: never CR CR LF
        return text.replace("\r\n", "\n").replace("\n", eol)

    return [replace(b, source=ended(b.lines()) + eol, gap=ended(b.gap or "")) for b in blocks]


def _wider(before: str | None, after: str | None) -> str:
    return max(before or "", after or "", key=len)


def dropped(blocks: list[Block], gone: set[int]) -> list[Block]:
    """`blocks` without those at `gone`; the block after each keeps the wider of the two gaps."""
    out: list[Block] = []
    carried: str | None = None
    for i, block in enumerate(blocks):
        if i in gone:
            carried = _wider(carried, block.gap)
            continue
        if carried is not None:
            block = replace(block, gap=_wider(carried, block.gap))
            carried = None
        out.append(block)
    return out


def _image_line(block: Block, eol: str) -> Block | None:
    """The image line a paragraph opens with, as a block of its own (None when it opens with text)."""
    if block.kind != Kind.PARAGRAPH:
        return None
    first = block.markdown.split("\n", 1)[0].strip()
    found = Inline.of(first)
    if not (first.startswith("![") and first.endswith(")") and found.images and not found.text):
        return None
    return Block(Kind.IMAGE, first, block.part, source=first + eol, gap=block.gap)


def placed(blocks: list[Block], part: str, new: list[Block], eol: str) -> list[Block]:
    """`blocks` with the part's prose replaced by `new`, where its first prose block stood (its gap kept). An
    image line a paragraph opens with (the old generator's layout) stays, and the new prose follows it."""
    gone = [i for i, b in enumerate(blocks) if b.part == part and b.kind in PROSE]
    if not gone:
        return blocks
    kept = {i: image for i in gone if (image := _image_line(blocks[i], eol)) is not None}
    out = [kept.get(i, b) for i, b in enumerate(blocks)]
    removed = {i for i in gone if i not in kept}
    first = gone[0]
    if not new:
        return dropped(out, removed)
    at = first + 1 if first in kept else first
    new = [replace(new[0], gap="" if first in kept else blocks[first].gap), *new[1:]]
    return out[:at] + new + [b for i, b in enumerate(out) if i >= at and i not in removed]


def headings_dated(blocks: list[Block], named: set[str], year: int, eol: str) -> list[Block]:
    """The headings named (by their text) with their past years made `year`."""
    out = []
    for block in blocks:
        if block.kind == Kind.HEADING and block.text in named:
            block = written([replace(block.edited(bump_years(block.markdown, year)), gap=block.gap)], eol)[0]
        out.append(block)
    return out


def moved_footnotes(blocks: list[Block], moved: dict[str, str], eol: str) -> list[Block]:
    """Footnotes that cite a moved source (old URL → new) cite its new address."""
    out = []
    for block in blocks:
        if block.kind == Kind.CITATION:
            text = block.markdown
            for old, new in moved.items():
                if new and old in text:
                    text = text.replace(old, new)
            if text != block.markdown:
                block = written([replace(block.edited(text), gap=block.gap)], eol)[0]
        out.append(block)
    return out


def related_pruned(blocks: list[Block], gone: set[str], eol: str) -> list[Block]:
    """The related-posts block without its lines that link to the posts `gone` (by their `post_url` name)."""
    out = []
    for block in blocks:
        if block.kind == Kind.RELATED and set(block.post_urls) & gone:
            lines = [line for line in block.markdown.split("\n") if not set(_POST_URL.findall(line)) & gone]
            block = written([replace(block.edited("\n".join(lines)), gap=block.gap)], eol)[0]
        out.append(block)
    return out


def changed_parts(before: PostDoc, after: PostDoc) -> list[str]:
    """The parts whose bytes differ, in reading order."""

    def text(doc: PostDoc, part: str) -> str:
        return "".join((b.gap or "") + b.written() for b in doc.of_part(part))

    keys = list(dict.fromkeys([*before.part_keys, *after.part_keys]))
    return [k for k in keys if text(before, k) != text(after, k)]


class FootnoteLabels:
    """A footnote label for each source the rewritten parts cite: the post's own footnote for a URL it cites
    already, else the next number."""

    def __init__(self, doc: PostDoc, grounding: Grounding | None) -> None:
        self.passages = grounding.passages_by_id() if grounding else {}
        self.sources = {s.id: s for s in grounding.sources} if grounding else {}
        self.existing: dict[str, str] = {}  # a cited URL → the post's footnote label for it
        for block in doc.of_kind(Kind.CITATION):
            for href in block.links:
                if (url := citable_url(href)) is not None:
                    self.existing.setdefault(url, block.label)
        numbers = [int(b.label) for b in doc.of_kind(Kind.CITATION) if b.label.isdigit()]
        self.next = max(numbers, default=0) + 1
        self.by_source: dict[int, int] = {}  # a new footnote's source → its number
        self.reused: dict[int, str] = {}  # a source the post cites already → its label
        self.new_sources: dict[int, Source] = {}

    def label(self, marker: str) -> str | None:
        passage = self.passages.get(marker)
        if passage is None:
            return None
        source_id = passage.source
        if source_id in self.by_source:
            return str(self.by_source[source_id])
        if source_id in self.reused:
            return self.reused[source_id]
        source = self.sources[source_id]
        url = citable_url(source.location) if source.is_url else None
        if url is not None and url in self.existing:
            self.reused[source_id] = self.existing[url]
            return self.existing[url]
        self.by_source[source_id] = self.next
        self.new_sources[source_id] = source
        self.next += 1
        return str(self.by_source[source_id])

    def apply(self, value: PartText) -> PartText:
        """The part's markers as footnote references (`[S7]` → `[^3]`); a marker naming no passage goes."""

        def one(match: re.Match) -> str:
            label = self.label(f"S{match.group(1)}")
            return f"[^{label}]" if label is not None else ""

        return map_texts(value, lambda text: re.sub(r"(\[\^[^\]]+\])(?:\1)+", r"\1", MARKER.sub(one, text)))

    def cited(self, grounding: Grounding | None) -> dict[str, list[str]]:
        """Each footnote the rewritten parts cite → its source's passages (what the gate checks a figure in)."""
        if grounding is None:
            return {}
        out: dict[str, list[str]] = {}
        for source_id, label in [*self.by_source.items(), *self.reused.items()]:
            out[str(label)] = [p.text for p in grounding.index.passages if p.source == source_id]
        return out


def refit_footnotes(
    blocks: list[Block], before: PostDoc, labels: FootnoteLabels, zone: tzinfo, eol: str
) -> list[Block]:
    """Definitions whose references the rewrite took out go; new ones follow the last, or stand before the
    blocks that close the post."""
    used = {label for label, _ in before.with_blocks(blocks).footnote_refs}
    cited_before = {label for label, _ in before.footnote_refs}
    unused = {i for i, b in enumerate(blocks) if b.kind == Kind.CITATION and b.label in cited_before - used}
    out = dropped(blocks, unused)
    if not labels.by_source:
        return out
    new = footnote_blocks(Footnotes(by_source=labels.by_source), labels.new_sources, zone)
    at, new = definitions_at(out, new)
    return out[:at] + written(new, eol) + out[at:]


def json_ld_follows(
    blocks: list[Block], changes: dict[str, Any], moved: dict[str, str], added: list[Source], now: datetime, eol: str
) -> list[Block]:
    """The JSON-LD follows the refresh: its headline and description, `dateModified` (a BlogPosting's), and the
    sources the footnotes cite (a moved one at its new address, the new ones added)."""
    urls = {u for b in blocks if b.kind == Kind.CITATION for u in b.links}
    new_works = [(s.title, u) for s in added if (u := citable_url(s.location))]
    out = []
    for block in blocks:
        data = block.data
        if block.kind != Kind.JSON_LD or not isinstance(data, dict):
            out.append(block)
            continue
        kind, update = data.get("@type"), dict(data)
        if kind == "BlogPosting":
            update["dateModified"] = str(Timestamp.of(now))
            follows = {"headline": changes.get("title"), "description": changes.get("description")}
            update.update({key: value for key, value in follows.items() if value is not None})
        elif kind == "WebPage" and "title" in changes:
            update["name"] = changes["title"]
        works = data.get("citation")
        if kind in ("BlogPosting", "WebPage") and (isinstance(works, list) or new_works):
            update["citation"] = cited_works(works if isinstance(works, list) else [], urls, new_works, moved)
            if not update["citation"]:
                del update["citation"]
        if update != data:
            block = written([replace(block, data=update, source=None)], eol)[0]
        out.append(block)
    return out
