"""The post as one typed document, from assembly to publish: front matter, and blocks in reading order, each
with its kind and the part of the post it belongs to.

The assembler builds a PostDoc; the gate, the cut, the polish pass, the editor's save, the review app and
publish read and change it; `to_markdown()` is the only code that writes a post (front matter, Markdown,
JSON-LD). `pipeline.parse` builds the same PostDoc from a file, for posts genpost did not write
too, and `parse(doc.to_markdown()) == doc`. A document read from a file is written back byte for byte
where nothing changed: each block keeps the lines it was read from until it is changed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from functools import cached_property
from typing import Any
from urllib.parse import unquote

from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

from pipeline import frontmatter
from pipeline.frontmatter import Flow, Quoted, Timestamp


class Kind(StrEnum):
    """What a block is."""

    HEADING = "heading"
    PARAGRAPH = "paragraph"
    LIST_ITEM = "list_item"  # a bullet (its `**label:**`, if any, in `label`)
    STEP_LABEL = "step_label"  # `- **実行内容:**` over a step's bullets
    IMAGE = "image"  # `![alt](url)` on a line of its own
    CREDIT = "credit"  # a photo credit (`<small class="photo-credit">`, or the hero's `<p>`)
    CITATION = "citation"  # a footnote definition `[^1]: …` (its label in `label`)
    LINK = "link"  # a link definition `[name]: url`
    RELATED = "related"  # the related-posts block
    CTA = "cta"  # the call to action
    JSON_LD = "json_ld"  # `<script type="application/ld+json">` (its data in `data`)
    HTML = "html"  # any other HTML block
    OTHER = "other"  # code, a quote, a rule: kept as written


# What genpost's assembler owns: an editor's save may not change these, and the cut and polish never touch them.
OWNED = frozenset({Kind.HEADING, Kind.STEP_LABEL, Kind.IMAGE, Kind.CREDIT, Kind.CITATION, Kind.RELATED})
OWNED |= {Kind.CTA, Kind.JSON_LD}
# What a writer (the model, or an editor) writes: prose a reader reads.
WRITTEN = frozenset({Kind.PARAGRAPH, Kind.LIST_ITEM})
# A part's text as a model wrote it: its prose, bullets and a step's list labels (not its heading or image).
PART_TEXT = frozenset({Kind.PARAGRAPH, Kind.LIST_ITEM, Kind.STEP_LABEL, Kind.OTHER})
# Parts that are no part of the outline: where a block stands outside the sections.
FRONT_MATTER, FOOTNOTES, HERO, RELATED, CTA, JSON_LD = "front_matter", "footnotes", "hero", "related", "cta", "json_ld"
JSON_LD_OPEN, JSON_LD_CLOSE = '<script type="application/ld+json">', "</script>"
_LIQUID_IN_JSON = re.compile(r"\{(?=[{%])")
LINE_BREAK = re.compile(r"\r\n|\r|\n")  # as Markdown reads a text's lines
_LAST_BREAK = re.compile(r"(?:\r\n|\r|\n)$")
_POST_URL = re.compile(r"\{%\s*post_url\s+(\S+)\s*%\}")
# A Markdown link to a post through Liquid: `[anchor]({% post_url 2025-12-14-slug %})`, or, as many sites write
# it, after the site's address: `({{ site.baseurl }}{% post_url … %})`, `({{ site.url }}{{ site.baseurl }}{% … %})`.
SITE_PREFIX = r"(?:\{\{\s*site\.url\s*\}\})?(?:\{\{\s*site\.baseurl\s*\}\})?"
POST_URL_LINK = re.compile(rf"\]\(\s*{SITE_PREFIX}\{{%\s*post_url\s+([^\s%]+)\s*%\}}\s*\)")
POST_URL = "post_url:"  # how an internal link through `post_url` shows among a block's links
_INLINE = MarkdownIt("commonmark").use(footnote_plugin)
FOOTNOTE_MARK = re.compile(r"\[\^([^\]\s]+)\]")
_MARK = "\ue000"  # stands for a footnote mark while the inline is read (a private-use character)


def json_ld(data: Any) -> str:
    """JSON for a script tag: no `<`, `>` or `&` that could end it, no live Liquid."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return _LIQUID_IN_JSON.sub(r"\\u007b", text)


@dataclass(frozen=True)
class Inline:
    """What a block's Markdown holds as a reader reads it: its text, and the images, links and citations in it."""

    text: str
    images: tuple[tuple[str, str], ...] = ()  # (alt, url)
    links: tuple[str, ...] = ()  # hrefs (an internal link through `post_url` as `post_url:NAME`)
    citations: tuple[str, ...] = ()  # footnote labels referred to
    anchors: tuple[tuple[str, str], ...] = ()  # (a link's text, its href), every link

    @classmethod
    def of(cls, markdown: str) -> Inline:
        """Read `markdown` as inline content (`[^1]` counts as a citation, defined or not; a link to
        `{% post_url NAME %}`, which Liquid writes before Markdown is read, is a link to `post_url:NAME`, with
        the site's address before it or not: `{{ site.baseurl }}{% post_url NAME %}`)."""
        text, images, links, cites, anchors = [], [], [], [], []
        marked = POST_URL_LINK.sub(lambda m: f"]({POST_URL}{m.group(1)})", markdown)
        tokens = _INLINE.parseInline(FOOTNOTE_MARK.sub(rf"{_MARK}\1{_MARK}", marked), {})
        children = (tokens[0].children or []) if tokens else []
        in_credit, anchor = False, None  # anchor: the text of the link being read, and its href
        for child in children:
            if child.type == "image":
                images.append((child.content, str(child.attrs.get("src", ""))))
            elif child.type == "link_open":
                links.append(str(child.attrs.get("href", "")))
                anchor = ([], links[-1])
            elif child.type == "link_close" and anchor is not None:
                anchors.append(("".join(anchor[0]).strip(), anchor[1]))
                anchor = None
            elif child.type == "html_inline" and "photo-credit" in child.content:
                in_credit = True
            elif child.type == "html_inline" and child.content.startswith("</small"):
                in_credit = False
            elif child.type in ("text", "code_inline") and not in_credit:
                parts = child.content.split(_MARK)
                for n, part in enumerate(parts):
                    if n % 2:
                        cites.append(part)
                        text.append(f"[^{part}]")
                    else:
                        text.append(part)
                        if anchor is not None:
                            anchor[0].append(part)
            elif child.type in ("softbreak", "hardbreak"):
                text.append("\n")
        return cls("".join(text).strip(), tuple(images), tuple(links), tuple(cites), tuple(anchors))


@dataclass(frozen=True)
class Picture:
    """An image as a reader meets it: its alt text, URL, the credit under it, and the block it stands in."""

    alt: str
    url: str
    credit: str
    block: Block

    @property
    def line(self) -> int | None:
        return self.block.line


@dataclass(frozen=True)
class Block:
    """One block of a post: its kind, its Markdown, and the part it belongs to.

    `markdown` is the block's content: a heading's text, a paragraph's lines, a bullet's text after its
    marker and label, a footnote's text after `[^label]: `, an HTML block's lines, the JSON of JSON-LD when
    it does not parse (otherwise its `data`). Where it stands (`h2`, `h3`, `index`, `line`) and what it was
    read from (`source`, `gap`) are not part of what it is: two blocks are equal when what they say is.
    """

    kind: Kind
    markdown: str
    part: str = ""
    level: int = 0  # a heading's level; a bullet's depth (1: top)
    label: str = ""  # a bullet's or step label's bold label; a footnote's label
    marker: str = "-"  # a bullet's list marker
    data: Any = None  # JSON-LD's data
    h2: str | None = field(default=None, compare=False)
    h3: str | None = field(default=None, compare=False)
    index: int = field(default=-1, compare=False)
    line: int | None = field(default=None, compare=False)  # 1-based, in the file
    source: str | None = field(default=None, compare=False)  # the lines it was read from, while unchanged
    gap: str | None = field(default=None, compare=False)  # what stood before it: blank lines ("\n" each)

    @cached_property
    def inline(self) -> Inline:
        if self.kind in (Kind.PARAGRAPH, Kind.HEADING):
            return Inline.of(self.markdown)
        if self.kind == Kind.LIST_ITEM:
            return Inline.of(f"**{self.label}:** {self.markdown}" if self.label else self.markdown)
        if self.kind == Kind.IMAGE:
            return Inline("", Inline.of(self.markdown).images)
        if self.kind == Kind.STEP_LABEL:
            return Inline(f"{self.label}:")
        if self.kind in (Kind.CITATION, Kind.CREDIT):
            found = Inline.of(self.markdown)
            return Inline(found.text if self.kind == Kind.CITATION else "", (), found.links)
        return Inline("")

    @property
    def text(self) -> str:
        """What a reader reads of it (a bullet's label included, footnote marks as `[^1]`)."""
        return self.inline.text

    @property
    def citations(self) -> tuple[str, ...]:
        return self.inline.citations

    @property
    def links(self) -> tuple[str, ...]:
        return self.inline.links

    @property
    def internal_links(self) -> list[tuple[str, str]]:
        """The links in it to the site's own posts, as (anchor, post name) — through `post_url` — or (anchor,
        path) for a site-relative path (`/blog/…/`)."""
        out = []
        for anchor, href in self.inline.anchors:  # Markdown percent-encodes what a link holds: read it back
            if href.startswith(POST_URL):
                out.append((anchor, unquote(href[len(POST_URL) :])))
            elif href.startswith("/") and not href.startswith("//"):
                out.append((anchor, unquote(href)))
        return out

    @property
    def post_urls(self) -> list[str]:
        """The posts it names through Liquid's `post_url` (the related block's links; an internal link)."""
        return _POST_URL.findall(self.markdown)

    @property
    def owned(self) -> bool:
        return self.kind in OWNED

    def edited(self, markdown: str) -> Block:
        """The same block saying `markdown` (no longer what it was read as)."""
        return replace(self, markdown=markdown, source=None, data=None if self.kind != Kind.JSON_LD else self.data)

    def written(self) -> str:
        """The block as it stands in the file: its lines, each with its line break (as read, while unchanged)."""
        return self.source if self.source is not None else self.lines() + "\n"

    def lines(self) -> str:
        """The block's lines, without the break after the last."""
        if self.source is not None:
            return _LAST_BREAK.sub("", self.source)
        kind = self.kind
        if kind == Kind.HEADING:
            return f"{'#' * self.level} {self.markdown}"
        if kind == Kind.LIST_ITEM:
            indent = "    " * (self.level - 1)
            content = f"**{self.label}:** {self.markdown}" if self.label else self.markdown
            rest = content.split("\n")
            pad = " " * (len(indent) + len(self.marker) + 1)
            first = f"{indent}{self.marker} {rest[0]}" if rest[0] else f"{indent}{self.marker}"
            return "\n".join([first, *(pad + line for line in rest[1:])])
        if kind == Kind.STEP_LABEL:
            return f"{'    ' * (self.level - 1)}{self.marker} **{self.label}:**"
        if kind == Kind.CITATION:
            return f"[^{self.label}]: {self.markdown}"
        if kind == Kind.JSON_LD:
            body = json_ld(self.data) if self.data is not None else self.markdown
            return f"{JSON_LD_OPEN}\n{body}\n{JSON_LD_CLOSE}"
        return self.markdown


def write_blocks(blocks: list[Block] | tuple[Block, ...], first_gap: bool = True) -> str:
    """Blocks as Markdown, each after its gap (the blank lines before it: one unless it says otherwise), each
    line ending in its break; `first_gap`: the first block's gap too (not for a part's text on its own)."""
    written = [(b.gap if b.gap is not None else "\n") + b.written() for b in blocks]
    if written and not first_gap:
        written[0] = blocks[0].written()
    return "".join(written)


def line_breaks(text: str) -> int:
    """How many lines `text` ends (a CR LF is one break, as Markdown reads it)."""
    return len(LINE_BREAK.findall(text))


@dataclass(frozen=True)
class FrontMatter:
    """The post's YAML front matter: its fields in order, as YAML gives them (a date is a datetime).

    Read from a file, it keeps its text (`source`) and writes back only the fields that changed."""

    fields: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # why the front matter could not be read
    source: str | None = field(default=None, compare=False)  # the `---` block as read ("" when there is none)
    changed: frozenset[str] = field(default=frozenset(), compare=False)

    def get(self, key: str, default: Any = None) -> Any:
        return self.fields.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.fields

    def __getitem__(self, key: str) -> Any:
        return self.fields[key]

    @property
    def keys(self) -> list[str]:
        return list(self.fields)

    # --- the fields, typed (what modules read; a value of another type reads as absent) ----------------

    @property
    def title(self) -> str:
        """The title ("" when there is none, or it is not a string)."""
        return _text(self.fields.get("title"))

    @property
    def description(self) -> str:
        """The description ("" when there is none, or it is not a string)."""
        return _text(self.fields.get("description"))

    @property
    def image(self) -> str:
        """The hero image's URL ("" when there is none, or it is not a string)."""
        return _text(self.fields.get("image"))

    @property
    def instinct(self) -> str:
        """The instinct's key ("" when there is none, or it is not a string)."""
        return _text(self.fields.get("instinct"))

    @property
    def date(self) -> Any:
        """The post's `date` as YAML gives it (a datetime, a date, a wall-clock string), or None."""
        return self.fields.get("date")

    @property
    def modified(self) -> Any:
        """`last_modified_at` (a refresh writes it) as YAML gives it, or None."""
        return self.fields.get("last_modified_at")

    @property
    def published(self) -> bool:
        """Whether Jekyll builds the post: all but `published: false`."""
        return self.fields.get("published") is not False

    @property
    def reading_time(self) -> int | None:
        """The minutes `reading_time` states (None when there is none, or it is not an int)."""
        value = self.fields.get("reading_time")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def keywords(self) -> list[str]:
        """`seo_keywords`: the strings of its list ([] when it is not a list)."""
        return _strings(self.fields.get("seo_keywords"))

    @property
    def tags(self) -> list[str]:
        """The strings of the `tags` list ([] when it is not a list)."""
        return _strings(self.fields.get("tags"))

    @property
    def categories(self) -> list[str]:
        """The strings of the `categories` list ([] when it is not a list)."""
        return _strings(self.fields.get("categories"))

    @property
    def category(self) -> str:
        """The post's theme: the first category; a lone string (as a hand-written post may have it) is one."""
        return (_strings(self.fields.get("categories"), lone=True) or [""])[0]

    @property
    def primary_keyword(self) -> str:
        """What a search for the post asks: the first of `seo_keywords`, else of the tags, else ""; a lone
        string (as a hand-written post may have it) is one."""
        keywords = _strings(self.fields.get("seo_keywords"), lone=True)
        return (keywords or _strings(self.fields.get("tags"), lone=True) or [""])[0]

    def with_fields(self, **changes: Any) -> FrontMatter:
        """The front matter with `changes` set (a key not there yet goes at the end)."""
        return replace(self, fields={**self.fields, **changes}, changed=self.changed | set(changes))

    def without(self, keys: list[str]) -> FrontMatter:
        """The front matter without `keys` (written whole again)."""
        kept = {k: v for k, v in self.fields.items() if k not in keys}
        return FrontMatter(kept, self.error) if len(kept) != len(self.fields) else self

    def to_yaml(self) -> str:
        """The `---` block: as read, with only the changed fields rewritten; or written whole."""
        if self.source is not None and not self.changed:
            return self.source
        if self.source and not self.error:
            return frontmatter.with_fields(self.source, {k: styled(k, self.fields[k]) for k in self.changed})
        return frontmatter.dump({key: styled(key, value) for key, value in self.fields.items()})


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _strings(value: Any, lone: bool = False) -> list[str]:
    """The strings of a list field; with `lone`, a non-empty string is a list of one."""
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return [value] if lone and isinstance(value, str) and value else []


def styled(key: str, value: Any) -> Any:
    """How a front-matter field is written: genpost's fields as the reference post writes them; others as
    YAML would read them back (strings quoted, lists inline, times as ISO 8601 UTC)."""
    if key in FIELDS and isinstance(value, FIELDS[key].kind):
        return FIELDS[key].write(value)
    if isinstance(value, datetime):
        return Timestamp.of(value)
    if isinstance(value, str) and "\n" not in value:
        return Quoted(value)
    if isinstance(value, list):
        return Flow(value)
    return value


def post_time(moment: datetime, wall: tzinfo | None = None) -> datetime:
    """A post's time as its front matter holds it: UTC, to the millisecond; or, for a site that names no
    timezone, the wall-clock time in `wall`, to the second and without a zone (see `frontmatter.Timestamp`)."""
    if wall is not None:
        return moment.astimezone(wall).replace(tzinfo=None, microsecond=0)
    utc = moment.astimezone(UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


@dataclass(frozen=True)
class FrontField:
    """One of genpost's front-matter fields: what it holds, and how it is written."""

    kind: type
    write: Any = None

    def __post_init__(self) -> None:
        if self.write is None:
            object.__setattr__(self, "write", lambda value: value)


# genpost's twelve front-matter fields, in the reference post's order: what each holds and how it is written.
FIELDS: dict[str, FrontField] = {
    "layout": FrontField(str),
    "title": FrontField(str, Quoted),
    "date": FrontField(datetime, Timestamp.of),
    "categories": FrontField(list, Flow),
    "tags": FrontField(list, Flow),
    "author": FrontField(str, Quoted),
    "description": FrontField(str, Quoted),
    "image": FrontField(str, Quoted),
    "featured": FrontField(bool),
    "instinct": FrontField(str),
    "reading_time": FrontField(int),
    "seo_keywords": FrontField(list, lambda keywords: Flow([Quoted(k) for k in keywords])),
}


@dataclass(frozen=True)
class PostDoc:
    """A whole post: front matter and blocks, in reading order."""

    front: FrontMatter
    blocks: tuple[Block, ...] = ()
    tail: str = field(default="", compare=False)  # what follows the last block (blank lines), as read

    def __post_init__(self) -> None:
        placed, h2, h3 = [], None, None
        for n, block in enumerate(self.blocks):
            if block.kind == Kind.HEADING and block.level <= 2:
                h2, h3 = block.text, None
            elif block.kind == Kind.HEADING and block.level == 3:
                h3 = block.text
            here = (block.h2, block.h3, block.index)
            placed.append(block if here == (h2, h3, n) else replace(block, h2=h2, h3=h3, index=n))
        object.__setattr__(self, "blocks", tuple(placed))

    # --- reading ------------------------------------------------------------------------------------

    def of_kind(self, *kinds: Kind) -> list[Block]:
        return [b for b in self.blocks if b.kind in kinds]

    def of_part(self, key: str) -> list[Block]:
        return [b for b in self.blocks if b.part == key]

    def part_text(self, key: str) -> str:
        """What part `key` says now (cut, polished, written again), in the document's own Markdown: its text
        blocks as written, without its heading, image or credit, and without a block a cut has emptied."""
        blocks = [b for b in self.of_part(key) if b.kind in PART_TEXT and (b.markdown.strip() or b.label)]
        return write_blocks(blocks, first_gap=False).rstrip("\r\n")

    @property
    def part_keys(self) -> list[str]:
        """The parts in reading order."""
        return list(dict.fromkeys(b.part for b in self.blocks))

    @property
    def headings(self) -> list[Block]:
        return self.of_kind(Kind.HEADING)

    @property
    def h2(self) -> list[Block]:
        return [h for h in self.headings if h.level == 2]

    def h3_under(self, h2: str) -> list[Block]:
        return [b for b in self.headings if b.level == 3 and b.h2 == h2]

    @property
    def prose(self) -> list[Block]:
        """What a reader reads as running text: paragraphs, bullets and step labels (none that holds no text)."""
        return [b for b in self.of_kind(Kind.PARAGRAPH, Kind.LIST_ITEM, Kind.STEP_LABEL) if b.text]

    def prose_text(self) -> str:
        return "\n".join(b.text for b in self.prose)

    @property
    def footnotes(self) -> dict[str, str]:
        """Each footnote's label and the text of its definition."""
        return {b.label: b.text for b in self.of_kind(Kind.CITATION)}

    @property
    def footnote_refs(self) -> list[tuple[str, int | None]]:
        """Each footnote mark in the prose, and its line."""
        return [(label, b.line) for b in self.prose for label in b.citations]

    @property
    def images(self) -> list[Picture]:
        """Every image: those on a line of their own (with the credit under them) and any inside prose."""
        out = []
        for block in self.blocks:
            after = self.blocks[block.index + 1] if block.index + 1 < len(self.blocks) else None
            credit = after.markdown if after is not None and after.kind == Kind.CREDIT else ""
            if block.kind == Kind.IMAGE or block.kind in WRITTEN:
                out += [
                    Picture(alt, url, credit if block.kind == Kind.IMAGE else "", block)
                    for alt, url in block.inline.images
                ]
        return out

    @property
    def post_urls(self) -> list[tuple[str, int | None]]:
        """Each post named through `post_url` (the related posts; internal links), and its line."""
        return [(name, b.line) for b in self.blocks for name in b.post_urls]

    @property
    def json_ld_blocks(self) -> list[Block]:
        return self.of_kind(Kind.JSON_LD)

    def json_ld(self) -> Any:
        """The data of the post's one JSON-LD block (None when there is not exactly one); ValueError when it
        is not JSON."""
        blocks = self.json_ld_blocks
        if len(blocks) != 1:
            return None
        if blocks[0].data is None:
            return json.loads(blocks[0].markdown)
        return blocks[0].data

    @cached_property
    def text(self) -> str:
        """The whole post as written."""
        return self.to_markdown()

    def block_at(self, line: int | None) -> Block | None:
        """The block that stands at `line` (the one that starts at or before it)."""
        if line is None:
            return None
        found = None
        for block in self.blocks:
            if block.line is not None and block.line <= line:
                found = block
        return found

    # --- changing -----------------------------------------------------------------------------------

    def keyed(self, parts: Any) -> PostDoc:
        """The document with its sections in the parts of an approved outline (`parts`: each with `part` and
        `heading`, in order): a heading that reads as the next part's starts it. A post whose H2s an editor renamed
        or reordered reads back under the keys it was drafted with."""
        queue = [(p.part, p.heading) for p in parts if p.heading]
        first = next((p.part for p in parts if not p.heading), "lead")
        blocks, key, at = [], first, 0
        outside = (FRONT_MATTER, FOOTNOTES, HERO, RELATED, CTA, JSON_LD)
        for block in self.blocks:
            if block.part in outside:
                blocks.append(block)
                continue
            if block.kind == Kind.HEADING and at < len(queue) and block.text == queue[at][1]:
                key, at = queue[at][0], at + 1
            blocks.append(block if block.part == key else replace(block, part=key))
        return self.with_blocks(blocks)

    def with_blocks(self, blocks: list[Block] | tuple[Block, ...]) -> PostDoc:
        return replace(self, blocks=tuple(blocks))

    def with_block(self, index: int, block: Block) -> PostDoc:
        blocks = list(self.blocks)
        blocks[index] = block
        return self.with_blocks(blocks)

    def with_part(self, key: str, blocks: list[Block]) -> PostDoc:
        """The document with part `key`'s blocks replaced by `blocks` (where the first of them stood)."""
        old = [b.index for b in self.blocks if b.part == key]
        if not old:
            raise KeyError(key)
        kept = [b for b in self.blocks if b.part != key]
        at = sum(1 for b in self.blocks[: old[0]] if b.part != key)
        return self.with_blocks([*kept[:at], *blocks, *kept[at:]])

    def with_front(self, **changes: Any) -> PostDoc:
        """New front-matter values; the JSON-LD's headline and description follow the title and description."""
        doc = replace(self, front=self.front.with_fields(**changes))
        follows = {"headline": changes.get("title"), "description": changes.get("description")}
        follows = {k: v for k, v in follows.items() if v is not None}
        if not follows:
            return doc
        blocks = []
        for block in doc.blocks:
            data = block.data
            if block.kind == Kind.JSON_LD and isinstance(data, dict):
                if data.get("@type") == "WebPage":  # beside jekyll-seo-tag's BlogPosting: its name only
                    update = {"name": follows["headline"]} if "headline" in follows else {}
                else:
                    update = follows
                block = replace(block, data={**data, **update}, source=None) if update else block
            blocks.append(block)
        return doc.with_blocks(blocks)

    # --- writing ------------------------------------------------------------------------------------

    def to_markdown(self) -> str:
        """The post as a file: front matter, then each block after its gap (one blank line unless the block
        says otherwise), then the tail."""
        return self.front.to_yaml() + write_blocks(self.blocks) + self.tail

    def numbered(self) -> PostDoc:
        """The document with each block's line in the file it writes (for findings)."""
        line = self.body_start
        blocks = []
        for block in self.blocks:
            line += line_breaks("\n" if block.gap is None else block.gap)
            blocks.append(block if block.line == line else replace(block, line=line))
            line += line_breaks(block.written())
        return self.with_blocks(blocks)

    @property
    def body_start(self) -> int:
        """The file line the body starts at (1-based)."""
        return line_breaks(self.front.to_yaml()) + 1
