"""Editing an assembled post through its document: a cut, a polish edit, a part written again.

The post is assembled once. Each later stage changes its document's blocks, and `refit` makes what follows from
the text agree with it: the footnotes numbered again by first use (those no longer cited gone), the JSON-LD's
citations, the reading time and the body's length. A part written again (`with_parts`) replaces only that part's
text blocks; its source markers become footnotes (a source the post cites already keeps its footnote), and its
link marks links; every other block stays as it is.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import tzinfo

from pipeline.document import FOOTNOTE_MARK, PART_TEXT, Block, Kind, PostDoc
from pipeline.sources import Grounding
from pipeline.types import Citation, PartText, Post
from pipeline.writing.assembler import body_chars, part_blocks, reading_minutes
from pipeline.writing.citations import MARKER, Footnotes, citable_url, cited_works, definitions_at, footnote_blocks
from pipeline.writing.parttext import map_texts


def refit(post: Post, doc: PostDoc, per_minute: int) -> Post:
    """`post` with `doc` as its document: footnotes numbered by first use and those no longer cited gone, the
    JSON-LD citing what the footnotes cite, `reading_time` and the body's length as the text now reads."""
    order = list(dict.fromkeys(label for label, _ in doc.footnote_refs))
    number = {old: str(n) for n, old in enumerate(order, 1)}
    doc = doc.with_blocks(_renumbered(list(doc.blocks), number))
    urls = {u for b in doc.of_kind(Kind.CITATION) for href in b.links if (u := citable_url(href))}
    doc = doc.with_blocks([_cites_only(b, urls) if b.kind == Kind.JSON_LD else b for b in doc.blocks])
    chars = body_chars(doc)
    minutes = reading_minutes(chars, per_minute)
    if doc.front.reading_time != minutes:
        doc = replace(doc, front=doc.front.with_fields(reading_time=minutes))
    citations = [
        c.model_copy(update={"footnote": int(number[str(c.footnote)])}) if c.kept else c
        for c in post.citations
        if not c.kept or str(c.footnote) in number
    ]
    cited = {number[label]: texts for label, texts in post.cited.items() if label in number}
    return replace(post, doc=doc, reading_time=minutes, body_chars=chars, citations=citations, cited=cited)


def _renumbered(blocks: list[Block], number: dict[str, str]) -> list[Block]:
    """Footnote marks and definitions under their new labels; a definition nothing cites is left out, the block
    after it taking its gap; the definitions in their new order, where the first of them stood."""

    def relabel(match: re.Match[str]) -> str:
        return f"[^{number.get(match.group(1), match.group(1))}]"

    definitions = [b for b in blocks if b.kind == Kind.CITATION]
    kept = sorted((b for b in definitions if b.label in number), key=lambda b: int(number[b.label]))
    gaps = [b.gap for b in definitions]
    new = [replace(b, label=number[b.label], source=None, gap=gaps[n]) for n, b in enumerate(kept)]
    out: list[Block] = []
    after: int | None = None  # where the block after the definitions stands in `out`
    for block in blocks:
        if block.kind == Kind.CITATION:
            if block is definitions[0]:
                out += new
            after = len(out)
            continue
        if block.kind in PART_TEXT and FOOTNOTE_MARK.search(block.markdown):
            edited = FOOTNOTE_MARK.sub(relabel, block.markdown)
            block = block.edited(edited) if edited != block.markdown else block
        out.append(block)
    if definitions and not new and after is not None and after < len(out):  # no footnote left: the block after
        out[after] = replace(out[after], gap=max(out[after].gap or "", gaps[0] or "", key=len))  # takes their gap
    return out


def _cites_only(block: Block, urls: set[str]) -> Block:
    """The JSON-LD's `citation` without the works no footnote cites any more."""
    data = block.data
    works = data.get("citation") if isinstance(data, dict) else None
    if not isinstance(works, list):
        return block
    kept = cited_works(works, urls)
    if kept == works:
        return block
    update = {k: v for k, v in data.items() if k != "citation"} | ({"citation": kept} if kept else {})
    return replace(block, data=update, source=None)


def with_parts(
    post: Post, values: dict[str, PartText], grounding: Grounding | None, zone: tzinfo, per_minute: int
) -> Post:
    """`post` with each part in `values` written again: its text blocks replaced (heading, image and credit
    kept), its markers made footnotes, the post refitted. A marker naming no passage is dropped, and recorded."""
    passages = grounding.passages_by_id() if grounding else {}
    sources = {s.id: s for s in grounding.sources} if grounding else {}
    labels = {passages[c.marker].source: str(c.footnote) for c in post.citations if c.kept and c.marker in passages}
    fresh: dict[int, int] = {}  # a source first cited by the new text → its footnote number
    numbers = [int(b.label) for b in post.doc.of_kind(Kind.CITATION) if b.label.isdigit()]
    next_number = max(numbers, default=0) + 1
    citations = [c for c in post.citations if c.part not in values]
    doc = post.doc
    for key, value in values.items():

        def footnote(match: re.Match[str], key: str = key) -> str:
            nonlocal next_number
            marker = f"S{match.group(1)}"
            passage = passages.get(marker)
            if passage is None:
                citations.append(Citation(part=key, marker=marker, kept=False))
                return ""
            if passage.source not in labels:
                labels[passage.source] = str(next_number)
                fresh[passage.source] = next_number
                next_number += 1
            label = labels[passage.source]
            citations.append(Citation(part=key, marker=marker, kept=True, footnote=int(label)))
            return f"[^{label}]"

        text = map_texts(value, lambda t: re.sub(r"(\[\^[^\]]+\])(?:\1)+", r"\1", MARKER.sub(footnote, t)))
        doc = _replaced(doc, key, text)
    if fresh:
        doc = _with_definitions(doc, footnote_blocks(Footnotes(by_source=fresh), sources, zone), sources, fresh)
    cited = dict(post.cited)
    for source_id, number in fresh.items():
        cited[str(number)] = [p.text for p in passages.values() if p.source == source_id]
    return refit(replace(post, doc=doc, citations=citations, cited=cited), doc, per_minute)


def _replaced(doc: PostDoc, key: str, value: PartText) -> PostDoc:
    """The document with part `key`'s text blocks replaced by `value`'s, where they stood."""
    old = doc.of_part(key)
    first = next((b for b in old if b.kind in PART_TEXT), None)
    new = part_blocks(key, value, after_heading=False)
    if new and first is not None:
        new[0] = replace(new[0], gap=first.gap)
    kept = [b for b in old if b.kind not in PART_TEXT]
    return doc.with_part(key, kept + new) if old else doc


def _with_definitions(doc: PostDoc, new: list[Block], sources: dict, fresh: dict[int, int]) -> PostDoc:
    """The new footnote definitions after the last one (or before the blocks that close the post), and their
    sources among the JSON-LD's citations."""
    blocks = list(doc.blocks)
    at, new = definitions_at(blocks, new)
    blocks[at:at] = new
    added = [(sources[s].title, u) for s in fresh if sources[s].is_url and (u := citable_url(sources[s].location))]
    urls = {u for b in blocks if b.kind == Kind.CITATION for href in b.links if (u := citable_url(href))}
    out = []
    for block in blocks:
        data = block.data
        cites = isinstance(data, dict) and data.get("@type") in ("BlogPosting", "WebPage")
        if added and block.kind == Kind.JSON_LD and cites:
            works = cited_works(data.get("citation", []), urls, added)
            block = replace(block, data={**data, "citation": works}, source=None)
        out.append(block)
    return doc.with_blocks(out)
