"""A post read back for checking: front matter, headings, prose blocks, images, JSON-LD, links."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

_JSON_LD = re.compile(r'<script type="application/ld\+json">\s*(.*?)\s*</script>', re.DOTALL)
_POST_URL = re.compile(r"\{%\s*post_url\s+(\S+)\s*%\}")


@dataclass
class Block:
    """A paragraph or list item of prose, with where it is."""

    text: str
    line: int  # 1-based line in the file
    h2: str | None
    h3: str | None
    in_list: bool = False


@dataclass
class ImageRef:
    alt: str
    url: str
    line: int
    h2: str | None
    credit: str = ""  # the text of a photo-credit element right after the image


@dataclass
class Heading:
    level: int
    text: str
    line: int


@dataclass
class PostDoc:
    """Everything the rules look at, parsed once."""

    text: str
    front: dict[str, Any] | None
    front_error: str | None
    front_keys: list[str]
    body_start: int  # the file line where the body begins (1-based)
    headings: list[Heading] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    images: list[ImageRef] = field(default_factory=list)
    html_blocks: list[tuple[str, int]] = field(default_factory=list)
    footnotes: dict[str, str] = field(default_factory=dict)  # label → the definition's text
    footnote_refs: list[tuple[str, int]] = field(default_factory=list)  # (label, line) of each [^n] in the prose

    @property
    def h2(self) -> list[Heading]:
        return [h for h in self.headings if h.level == 2]

    def h3_under(self, h2: str) -> list[Heading]:
        out, inside = [], False
        for h in self.headings:
            if h.level == 2:
                inside = h.text == h2
            elif h.level == 3 and inside:
                out.append(h)
        return out

    @property
    def json_ld_blocks(self) -> list[str]:
        return _JSON_LD.findall(self.text)

    def json_ld(self) -> Any:
        blocks = self.json_ld_blocks
        return json.loads(blocks[0]) if len(blocks) == 1 else None

    @property
    def post_urls(self) -> list[tuple[str, int]]:
        return [(m.group(1), self.text.count("\n", 0, m.start()) + 1) for m in _POST_URL.finditer(self.text)]

    def prose(self) -> str:
        return "\n".join(b.text for b in self.blocks)


def _split_front(text: str) -> tuple[str | None, str, int]:
    if not text.startswith("---\n"):
        return None, text, 1
    end = text.find("\n---\n", 3)
    if end < 0:
        return None, text, 1
    front = text[4:end]
    return front, text[end + 5 :], front.count("\n") + 4


def _inline_text(token: Any) -> str:
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts)


def parse(text: str) -> PostDoc:
    """Read a post; a broken front matter is reported, not raised."""
    front_text, body, body_start = _split_front(text)
    front, error, keys = None, None, []
    if front_text is None:
        error = "no front matter"
    else:
        try:
            loaded = yaml.safe_load(front_text)
            front = loaded if isinstance(loaded, dict) else None
            error = None if front is not None else "front matter is not a mapping"
            keys = list(front) if front else []
        except yaml.YAMLError as exc:
            error = f"front matter is not valid YAML ({getattr(exc, 'problem', exc)})"
    doc = PostDoc(text, front, error, keys, body_start)
    h2 = h3 = None
    list_depth = 0
    footnote: str | None = None  # the label of the footnote definition being read
    tokens = MarkdownIt("commonmark").use(footnote_plugin).parse(body)
    for i, token in enumerate(tokens):
        line = body_start + (token.map[0] if token.map else 0)
        if token.type == "footnote_open":
            footnote = str(token.meta.get("label"))
            doc.footnotes[footnote] = ""
        elif token.type == "footnote_close":
            footnote = None
        elif footnote is not None:
            if token.type == "inline":  # a definition is a citation, not prose
                doc.footnotes[footnote] = (doc.footnotes[footnote] + " " + _inline_text(token)).strip()
        elif token.type == "bullet_list_open" or token.type == "ordered_list_open":
            list_depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            list_depth -= 1
        elif token.type == "heading_open":
            title = tokens[i + 1].content.strip()
            level = int(token.tag[1])
            doc.headings.append(Heading(level, title, line))
            if level == 2:
                h2, h3 = title, None
            elif level == 3:
                h3 = title
        elif token.type == "html_block":
            doc.html_blocks.append((token.content, line))
        elif token.type == "inline" and tokens[i - 1].type == "paragraph_open":
            _read_inline(doc, token, line, h2, h3, list_depth > 0)
    return doc


def _read_inline(doc: PostDoc, token: Any, line: int, h2: str | None, h3: str | None, in_list: bool) -> None:
    children = token.children or []
    prose: list[str] = []
    for n, child in enumerate(children):
        if child.type == "image":
            credit = _credit_after(children[n + 1 :])
            doc.images.append(ImageRef(child.content, child.attrs.get("src", ""), line, h2, credit))
    in_credit = False
    for child in children:
        if child.type == "html_inline" and "photo-credit" in child.content:
            in_credit = True
        elif child.type == "html_inline" and child.content.startswith("</small"):
            in_credit = False
        elif child.type == "text" and not in_credit:
            prose.append(child.content)
        elif child.type == "footnote_ref":
            label = str(child.meta.get("label"))
            prose.append(f"[^{label}]")
            doc.footnote_refs.append((label, line))
        elif child.type in ("softbreak", "hardbreak"):
            prose.append("\n")
    text = "".join(prose).strip()
    if text:
        doc.blocks.append(Block(text, line, h2, h3, in_list))


def _credit_after(children: list[Any]) -> str:
    """The text of a `<small class="photo-credit">` that follows an image in its paragraph."""
    parts, inside = [], False
    for child in children:
        if child.type == "image":
            break
        if child.type == "html_inline" and "photo-credit" in child.content:
            inside = True
        elif child.type == "html_inline" and child.content.startswith("</small"):
            break
        elif inside and (child.type == "text" or child.content.startswith("<a ")):
            parts.append(child.content)
    return "".join(parts)
