"""A page's H2 and H3 headings and the text under each, read with lxml from its main content (never its
navigation, header, footer or sidebar). Headings are text only: whatever markup a page puts in them is gone."""

from __future__ import annotations

from dataclasses import dataclass

import lxml.etree
import lxml.html

from pipeline.text import plain_line

_LEFT_OUT = ("nav", "header", "footer", "aside", "script", "style", "noscript", "form", "template")
MAX_SECTIONS = 80  # a page with more headings than this is read for its first ones
MAX_HEADING = 120
SECTION_TEXT = 600  # the text kept under a heading: enough to match topics by


@dataclass(frozen=True)
class Heading:
    level: int  # 2 or 3
    text: str
    under: str = ""  # the text under it, up to the next heading (cut at SECTION_TEXT)


def headings_of(data: bytes) -> list[Heading]:
    """The H2s and H3s of a page's main content (its `<main>` or `<article>`, else its body), in order."""
    try:
        root = lxml.html.document_fromstring(data)
    except (lxml.etree.ParserError, ValueError):
        return []
    for tag in _LEFT_OUT:
        for element in root.iter(tag):
            element.drop_tree()
    main = next(iter(root.iter("main")), None)
    if main is None:
        main = next(iter(root.iter("article")), None)
    if main is None:
        main = root
    found: list[Heading] = []
    texts: list[str] = []
    for element in main.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in ("h2", "h3"):
            if found:
                found[-1] = _with_text(found[-1], texts)
            texts = []
            text = plain_line(" ".join(element.text_content().split()))[:MAX_HEADING]
            if text:
                found.append(Heading(int(tag[1]), text))
            if len(found) > MAX_SECTIONS:
                return found[:MAX_SECTIONS]
        elif tag in ("p", "li", "td", "dd", "blockquote"):
            texts.append(" ".join(element.text_content().split()))
    if found:
        found[-1] = _with_text(found[-1], texts)
    return found


def _with_text(heading: Heading, texts: list[str]) -> Heading:
    return Heading(heading.level, heading.text, " ".join(t for t in texts if t)[:SECTION_TEXT])
