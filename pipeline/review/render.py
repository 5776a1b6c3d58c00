"""A draft's body as the review app shows it: Markdown rendered, then sanitised so no raw HTML from a draft
(or from a model) reaches a page. Only what genpost's assembler writes, Markdown's own markup and the app's
footnote links and highlights survive; scripts, event handlers, styles, forms and non-web URLs do not."""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import quote, urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from pipeline.document import POST_URL_LINK, Block, Kind, write_blocks
from pipeline.parse import parse

_RELATED = re.compile(r"\{\{ site\.baseurl \}\}\{% post_url (\S+) %\}")
_QUOTE = re.compile(r"^ {0,3}>")  # a block quote (its Markdown is read); other blocks of kind OTHER are code or a rule
_FOOTNOTE = re.compile(r'<li id="fn(\d+)" class="footnote-item"><p>')
# Footnote anchors are the only ids a body may carry, so it cannot shadow the page's own elements.
_FOOTNOTE_ID = re.compile(r"fn\d+|fnref\d+(:\d+)?")

TAGS = {
    *("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code", "ul", "ol", "li"),
    *("a", "img", "em", "strong", "b", "i", "s", "del", "ins", "sub", "sup", "small", "span", "mark"),
    *("div", "section"),
}
# Removed with what they hold: their text is no prose.
DROPPED_WITH_CONTENT = {"script", "style", "template", "noscript", "iframe", "object", "embed", "svg", "math"}
DROPPED_WITH_CONTENT |= {"textarea", "select", "title"}
ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "img": {"src", "alt", "title"},
    "li": {"id"},
    "ol": {"start"},
    "mark": {"title"},
}
CLASSES = {
    "small": {"photo-credit"},
    "p": {"photo-credit"},
    "div": {"related-posts", "cta-section"},
    "a": {"btn", "btn-primary", "btn-lg", "footnote-backref", "to-source"},
    "sup": {"footnote-ref"},
    "section": {"footnotes"},
    "hr": {"footnotes-sep"},
    "ol": {"footnotes-list"},
    "li": {"footnote-item"},
    "mark": {"claim"},
}
URL_SCHEMES = {"http", "https"}


def _attribute(tag: str, name: str, value: str) -> str | None:
    """Per-value rules nh3's allow lists cannot say: footnote ids only."""
    if name == "id" and not _FOOTNOTE_ID.fullmatch(value):
        return None
    return value


_CLEANER = nh3.Cleaner(
    tags=TAGS,
    clean_content_tags=DROPPED_WITH_CONTENT,
    attributes=ATTRIBUTES,
    attribute_filter=_attribute,
    allowed_classes=CLASSES,
    url_schemes=URL_SCHEMES,
    strip_comments=True,
    link_rel="noopener noreferrer",
)


def sanitise(markup: str) -> str:
    """`markup` with only the allowed tags, attributes, classes and http(s)/relative URLs left."""
    return _CLEANER.clean(markup)


def is_web_url(value: object) -> bool:
    """True for an absolute http(s) URL: the only kind a page turns into a link or an image."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in URL_SCHEMES and bool(parts.netloc)


def _highlighted(tokens: list[Token], figures: list[str]) -> None:
    """Mark each 要確認 figure where it stands in the prose: in text only, never inside markup or an image's alt."""
    pattern = re.compile("|".join(re.escape(f) for f in sorted(set(figures), key=len, reverse=True)))
    for block in tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        for child in block.children:
            if child.type != "text" or not pattern.search(child.content):
                children.append(child)
                continue
            at = 0
            for found in pattern.finditer(child.content):
                children += [
                    Token("text", "", 0, content=child.content[at : found.start()]),
                    Token("html_inline", "", 0, content='<mark class="claim" title="要確認">'),
                    Token("text", "", 0, content=found.group()),
                    Token("html_inline", "", 0, content="</mark>"),
                ]
                at = found.end()
            children.append(Token("text", "", 0, content=child.content[at:]))
        block.children = children


def link_id(name: str) -> str:
    """The id of the internal-links card's entry for the post `name` (URL-quoted: a name is any text)."""
    return "link-" + quote(name, safe="")


def _local(match: re.Match[str]) -> str:
    return f"](#{link_id(match.group(1))})"


def _shown(block: Block) -> Block:
    """A block as the review page shows it: the related posts' Liquid links, and each internal link
    `[anchor]({% post_url NAME %})` in Markdown, made local anchors to their cards. Code and HTML blocks are
    shown as written."""
    if block.kind == Kind.RELATED:
        return block.edited(_RELATED.sub(lambda m: f"#related-{quote(m.group(1))}", block.markdown))
    if block.kind in (Kind.HTML, Kind.JSON_LD) or (block.kind == Kind.OTHER and not _QUOTE.match(block.markdown)):
        return block
    if not POST_URL_LINK.search(block.source if block.source is not None else block.markdown):
        return block
    if block.source is not None:  # its lines as read: a bullet keeps its marker and indent
        return replace(block, source=POST_URL_LINK.sub(_local, block.source))
    return block.edited(POST_URL_LINK.sub(_local, block.markdown))


def render_markdown(text: str, figures: list[str]) -> str:
    """The body rendered as the site would show it, before sanitising: Liquid links made local, JSON-LD left
    out, each footnote linked to its passages, 要確認 figures highlighted."""
    doc = parse(text)
    body = write_blocks([_shown(b) for b in doc.blocks if b.kind != Kind.JSON_LD])
    markdown = MarkdownIt("commonmark").use(footnote_plugin)
    env: dict = {}
    tokens = markdown.parse(body, env)
    if any(figures):
        _highlighted(tokens, [f for f in figures if f])
    rendered = markdown.renderer.render(tokens, markdown.options, env)
    return _FOOTNOTE.sub(r'\g<0> <a class="to-source" href="#source-note-\1">資料の該当箇所</a>', rendered)


def render_post(text: str, figures: list[str]) -> str:
    """The body as a page shows it: rendered, then sanitised last, so nothing added while rendering can slip past."""
    return sanitise(render_markdown(text, figures))
