"""A post on disk read as a PostDoc: for `check` on any post, the editor's save, publish, and posts genpost did
not write. The one Markdown reader (markdown-it-py, CommonMark with footnotes, as kramdown reads them).

Each block keeps the lines it was read from, so an unchanged document is written back byte for byte, and
a post genpost wrote reads back as the PostDoc it was written from: `parse(doc.to_markdown()) == doc`.
Blocks are put in parts: a post of genpost's shape by its outline (`lead`, `background`, `trend3`, `step2` …),
any other by its headings (`lead`, `s1`, `s1.2` …).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from pipeline import frontmatter
from pipeline.document import (
    CTA,
    FOOTNOTES,
    FRONT_MATTER,
    HERO,
    JSON_LD,
    JSON_LD_CLOSE,
    JSON_LD_OPEN,
    LINE_BREAK,
    RELATED,
    Block,
    FrontMatter,
    Kind,
    PostDoc,
    line_breaks,
)
from pipeline.writing.outline import CASES_H2, RELATED_H2, STEP_LABELS, STEPS_H2, SUMMARY_H2

__all__ = ["FRONT_MATTER", "item_block", "parse", "parse_blocks"]

# Footnote definitions stay where they stand, each one read, cited or not (moved to the end, the plugin drops
# a definition nothing cites; the rule that reports it must see it).
_MARKDOWN = MarkdownIt("commonmark").use(footnote_plugin, move_to_end=False)
_LABELLED = re.compile(r"^\*\*(.+?)[:：]\*\*(?:[ \t]+(.*))?$", re.DOTALL)
_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:")
# The parts of genpost's outline, by the H2 they stand under (the lead stands before the first).
SECTION_PARTS = ("background", "trend_intro", "steps_intro", "cases", "summary")
SUB_PARTS = {1: "trend", 2: "step"}  # the H3s under the trend section and under 実践ステップ


@dataclass
class _Read:
    """A block as read, before it knows its gap and part."""

    start: int  # first line (0-based, in the body)
    end: int  # the line after its last
    block: Block


def parse(text: str) -> PostDoc:
    """Read a post (front matter and body); a broken front matter is reported in `front.error`, not raised."""
    front, body = _front_matter(text)
    offset = line_breaks(front.source) if front.source else 0
    blocks, tail = _read(body, offset)
    return PostDoc(front, tuple(_parts(blocks)), tail)


def parse_blocks(markdown: str, part: str) -> list[Block]:
    """A fragment of Markdown (a part's prose, as the assembler places it) read as blocks of `part`."""
    blocks, _ = _read(markdown, 0)
    # Each keeps its lines as written (the last, which ends the fragment, gets the break a block ends with).
    return [replace(b, part=part, line=None, source=_ended(b.source or "")) for b in blocks]


def _ended(source: str) -> str:
    return source if source.endswith(("\n", "\r")) else source + "\n"


def _front_matter(text: str) -> tuple[FrontMatter, str]:
    found = frontmatter.read(text)
    if found.error is not None:
        return FrontMatter(error=found.error, source=found.source), found.body
    return FrontMatter(found.fields, source=found.source), found.body


def _read(body: str, offset: int) -> tuple[list[Block], str]:
    """The body's blocks in reading order, each with the lines it was read from (their breaks included) and
    the blank lines before it; and what follows the last (the tail)."""
    breaks = list(LINE_BREAK.finditer(body))
    lines = LINE_BREAK.split(body)
    starts = [0, *(m.end() for m in breaks), len(body)]  # where each line starts; the text's end after the last
    found = _uncovered(sorted(_blocks(_MARKDOWN.parse(body), lines), key=lambda r: r.start), lines)
    blocks, at = [], 0  # `at`: where the text after the last block read begins
    for read in found:
        begin, stop = starts[read.start], starts[min(read.end, len(lines))]
        blocks.append(replace(read.block, line=offset + read.start + 1, source=body[begin:stop], gap=body[at:begin]))
        at = stop
    return blocks, body[at:]


def _uncovered(found: list[_Read], lines: list[str]) -> list[_Read]:
    """Lines no block covers that are not blank (a link definition, which CommonMark consumes) become blocks."""
    covered = [False] * len(lines)
    for read in found:
        for n in range(read.start, read.end):
            covered[n] = True
    extra = []
    n = 0
    while n < len(lines):
        if covered[n] or not lines[n].strip():
            n += 1
            continue
        end = n + 1
        while end < len(lines) and not covered[end] and lines[end].strip():
            end += 1
        text = "\n".join(lines[n:end])
        kind = Kind.LINK if _LINK_DEFINITION.match(lines[n]) else Kind.OTHER
        extra.append(_Read(n, end, Block(kind, text)))
        n = end
    return sorted([*found, *extra], key=lambda r: r.start)


def _html_kind(html: str) -> Kind:
    if 'class="related-posts"' in html:
        return Kind.RELATED
    if 'class="cta-section"' in html:
        return Kind.CTA
    if html.lstrip().startswith(JSON_LD_OPEN):
        return Kind.JSON_LD
    if "photo-credit" in html:
        return Kind.CREDIT
    return Kind.HTML


def _json_ld(html: str) -> Block:
    inner = html.strip()
    inner = inner[len(JSON_LD_OPEN) :] if inner.startswith(JSON_LD_OPEN) else inner
    inner = inner[: -len(JSON_LD_CLOSE)] if inner.endswith(JSON_LD_CLOSE) else inner
    inner = inner.strip("\n")
    try:
        return Block(Kind.JSON_LD, "", data=json.loads(inner))
    except ValueError:
        return Block(Kind.JSON_LD, inner)


def _blocks(tokens: list[Token], lines: list[str]) -> list[_Read]:
    out: list[_Read] = []
    depth = 0  # lists open
    skip_until = -1  # a quote is read whole
    footnote: Token | None = None  # the footnote definition being read
    read = False  # its first paragraph is read (further paragraphs of the same footnote are its own)
    for i, token in enumerate(tokens):
        if i <= skip_until:
            continue
        kind = token.type
        if kind == "footnote_reference_open":
            footnote, read = token, False
        elif kind == "footnote_reference_close":
            if footnote is not None and not read and footnote.map:  # `[^1]:` alone, or a list: read whole
                out.append(_bare_footnote(footnote, lines))
            footnote = None
        elif footnote is not None:
            first = tokens[i - 1] is footnote  # the definition's own text, not a list's in it
            if first and kind == "paragraph_open" and token.map and tokens[i + 1].type == "inline":
                label = str(footnote.meta.get("label"))
                out.append(_Read(token.map[0], token.map[1], Block(Kind.CITATION, tokens[i + 1].content, label=label)))
                read = True
        elif kind in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif kind in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif kind == "heading_open" and token.map:
            text = tokens[i + 1].content
            out.append(_Read(token.map[0], token.map[1], Block(Kind.HEADING, text, level=int(token.tag[1]))))
        elif kind == "list_item_open" and token.map:
            out.append(_item(tokens, i, depth))
        elif kind == "paragraph_open" and token.map and depth == 0:
            out += _paragraph(tokens[i + 1], token.map, lines)
        elif kind == "html_block" and token.map:
            html = "\n".join(lines[token.map[0] : token.map[1]])
            html_kind = _html_kind(html)
            block = _json_ld(html) if html_kind == Kind.JSON_LD else Block(html_kind, html)
            out.append(_Read(token.map[0], token.map[1], block))
        elif kind in ("fence", "code_block", "hr") and token.map:
            out.append(_Read(token.map[0], token.map[1], Block(Kind.OTHER, "\n".join(lines[slice(*token.map)]))))
        elif kind == "blockquote_open" and token.map:
            close = _closing(tokens, i)
            out.append(_Read(token.map[0], token.map[1], Block(Kind.OTHER, "\n".join(lines[slice(*token.map)]))))
            skip_until = close
    return out


def _bare_footnote(footnote: Token, lines: list[str]) -> _Read:
    """A footnote definition with no paragraph to read: its lines whole, after `[^label]:`."""
    start, end = footnote.map or (0, 0)
    while end > start + 1 and not lines[end - 1].strip():  # not the blank lines after it
        end -= 1
    label = str(footnote.meta.get("label"))
    text, mark = "\n".join(lines[start:end]).strip(), f"[^{label}]:"
    text = text[len(mark) :].strip() if text.startswith(mark) else text
    return _Read(start, end, Block(Kind.CITATION, text, label=label))


def _closing(tokens: list[Token], i: int) -> int:
    """The index of the token that closes the one at `i`."""
    level = tokens[i].level
    for n in range(i + 1, len(tokens)):
        if tokens[n].level == level and tokens[n].nesting == -1:
            return n
    return len(tokens) - 1


def _item(tokens: list[Token], i: int, depth: int) -> _Read:
    """A bullet: its own lines (not those of a list nested in it), its marker, its label."""
    item = tokens[i]
    marker = item.markup if item.info == "" else f"{item.info}{item.markup}"
    start = item.map[0]
    paragraph = tokens[i + 1] if tokens[i + 1].type == "paragraph_open" else None
    text = tokens[i + 2].content if paragraph is not None else ""
    end = paragraph.map[1] if paragraph is not None and paragraph.map else start + 1
    return _Read(start, end, item_block(text, depth, marker))


def item_block(text: str, level: int, marker: str = "-") -> Block:
    """A bullet's content read as a block: `**実行内容:**` alone is a step label; `**label:** text` a labelled
    bullet; anything else a plain bullet (its text as a reader's parser reads it: no space around)."""
    text = text.strip()
    labelled = _LABELLED.match(text)
    rest = (labelled.group(2) or "") if labelled else ""
    if labelled and not rest.strip() and labelled.group(1) in STEP_LABELS:
        return Block(Kind.STEP_LABEL, "", level=level, label=labelled.group(1), marker=marker)
    if labelled:
        return Block(Kind.LIST_ITEM, rest, level=level, label=labelled.group(1), marker=marker)
    return Block(Kind.LIST_ITEM, text, level=level, marker=marker)


def _paragraph(inline: Token, where: list[int], lines: list[str]) -> list[_Read]:
    """A paragraph; an image on a line of its own (and the credit under it) is a block of its own."""
    start, end = where
    children = inline.children or []
    first = lines[start].strip()
    image_alone = children and children[0].type == "image" and first.startswith("![") and first.endswith(")")
    if image_alone and (len(children) == 1 or children[1].type in ("softbreak", "hardbreak")):
        rest = "\n".join(lines[start + 1 : end]).strip()
        image = _Read(start, start + 1, Block(Kind.IMAGE, first))
        if not rest:
            return [image]
        if rest.startswith("<small"):  # the credit under it (or what an editor made of it)
            kind = Kind.CREDIT if "photo-credit" in rest else Kind.PARAGRAPH
            return [image, _Read(start + 1, end, Block(kind, rest))]
    return [_Read(start, end, Block(Kind.PARAGRAPH, inline.content))]


def _parts(blocks: list[Block]) -> list[Block]:
    """Each block in its part: genpost's outline keys for a post of its shape, else keys by heading."""
    content = []
    for block in blocks:
        if block.kind == Kind.HEADING and block.level == 2:
            if block.text == RELATED_H2:
                break
            content.append(block.text)
    shaped = len(content) == len(SECTION_PARTS) and content[2:] == [STEPS_H2, CASES_H2, SUMMARY_H2]
    out, key, h2_number, h3_number, back = [], "lead", 0, 0, False
    for block in blocks:
        if block.kind == Kind.HEADING and block.level == 2:
            back = back or block.text == RELATED_H2
            h2_number, h3_number = h2_number + 1, 0
            key = RELATED if back else _section_key(h2_number, shaped)
        elif block.kind == Kind.HEADING and block.level == 3 and not back:
            h3_number += 1
            key = _sub_key(h2_number, h3_number, shaped)
        out.append(replace(block, part=_back_matter(block, out) or (RELATED if back else key)))
    return out


def _section_key(number: int, shaped: bool) -> str:
    return SECTION_PARTS[number - 1] if shaped and number <= len(SECTION_PARTS) else f"s{number}"


def _sub_key(h2_number: int, h3_number: int, shaped: bool) -> str:
    if shaped and h2_number - 1 in SUB_PARTS:
        return f"{SUB_PARTS[h2_number - 1]}{h3_number}"
    if shaped:
        return f"{SECTION_PARTS[h2_number - 1]}.{h3_number}" if h2_number else f"lead.{h3_number}"
    return f"s{h2_number}.{h3_number}"


def _back_matter(block: Block, before: list[Block]) -> str | None:
    """The part of a block that stands outside the sections: footnotes, the hero's credit, the blocks."""
    fixed: dict[Any, str] = {Kind.CITATION: FOOTNOTES, Kind.RELATED: RELATED, Kind.CTA: CTA, Kind.JSON_LD: JSON_LD}
    if block.kind in fixed:
        return fixed[block.kind]
    if block.kind == Kind.CREDIT and not (before and before[-1].kind == Kind.IMAGE):
        return HERO
    return None
