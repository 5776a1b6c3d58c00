"""Markup rules: no live Liquid but the assembler's own post links, and no link that runs a script."""

from __future__ import annotations

import html
import re

from pipeline.document import SITE_PREFIX
from pipeline.quality.context import Check
from pipeline.types import Finding

# genpost's own Liquid, the only Liquid allowed: a related post's link (`{{ site.baseurl }}{% post_url name %}`)
# and an internal link's target in the prose (`[anchor]({% post_url name %})`).
_OWN_LIQUID = re.compile(
    r"\{\{ site\.baseurl \}\}\{% post_url [^\s{}%]+ %\}"
    r"|(?<=href=\")\{% post_url [^\s{}%]+ %\}(?=\")"  # the related block on a site with a baseurl
    rf"|(?<=\]\()\s*{SITE_PREFIX}\{{%\s*post_url\s+[^\s{{}}%]+\s*%\}}(?=\s*\))"  # as the site's posts may write it
)
_LIQUID = re.compile(r"\{[{%]")
# Schemes a browser runs or renders in place of a page.
_SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:")
# Where a post can carry a link: a Markdown link or image `](…)`, a reference definition `[x]: …`, an
# autolink `<…>`, an HTML attribute that takes a URL.
_MD_LINK = re.compile(r"\]\(\s*<?([^\s)>]*)")
_REFERENCE = re.compile(r"^ {0,3}\[(?!\^)[^\]]+\]:\s*<?(\S+)", re.MULTILINE)
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.\-]*:[^<>]*)>")
_URL_ATTRIBUTES = "href|src|action|formaction|xlink:href|poster|background|srcset|data|lowsrc|dynsrc"
_ATTRIBUTE = re.compile(
    rf"""(?<![\w:-])(?:{_URL_ATTRIBUTES})\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""",
    re.IGNORECASE,
)


# JSON-LD is data, not markup: a cited work's name may mention `javascript:` as text.
_JSON_LD = re.compile(r'<script type="application/ld\+json">.*?</script>', re.DOTALL)


def _blanked(text: str, pattern: re.Pattern[str]) -> str:
    """`text` with each match of `pattern` turned to spaces (its line breaks kept, so lines still count)."""
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _body(c: Check) -> str:
    """The post's text with its front matter blanked (Jekyll renders no Liquid in front-matter values: a title
    holding `{{` is shown as written), lines kept."""
    lines = c.doc.text.split("\n")
    head = max(c.doc.body_start - 1, 0)
    return "\n".join(["" for _ in lines[:head]] + lines[head:])


def liquid(c: Check) -> list[Finding]:
    """`{{ … }}` or `{% … %}` anywhere in the body, but the related posts' links: Jekyll would run it."""
    text = _blanked(_body(c), _OWN_LIQUID)
    for own in _configured(c):  # the site's own CTA, as genpost.yml sets it, may use Liquid on purpose
        text = text.replace(own, re.sub(r"[^\n]", " ", own))
    out = []
    for match in _LIQUID.finditer(text):
        line = _line(text, match.start())
        excerpt = text[match.start() : match.start() + 40].split("\n")[0]
        out.append(
            c.finding(
                "markup.liquid",
                "error",
                f"live Liquid `{excerpt}`: Jekyll runs it when it builds the site",
                f"Liquid の記述「{excerpt}」が残っています（Jekyll がビルド時に実行し、"
                "設定値などが表示されるおそれがあります）",
                line,
                excerpt=excerpt,
            )
        )
    return out


def _configured(c: Check) -> list[str]:
    """The CTA's texts from the settings that hold Liquid, as the assembler writes them."""
    cta = c.settings.cta
    texts = [cta.heading, cta.text, cta.button, html.escape(cta.link)]
    return [t for t in texts if _LIQUID.search(t)]


def _runs_script(url: str) -> bool:
    """Is this link's target a script (javascript:, vbscript:) or an inline document (data:), as a browser
    reads it: character references decoded, spaces and control characters dropped, any case?"""
    plain = "".join(ch for ch in html.unescape(url) if ch > " " and ch != "\x7f").lower()
    return plain.startswith(_SCRIPT_SCHEMES)


# Front-matter keys whose values layouts put into an href or src (`image: …`, `canonical_url: …`).
_URL_KEY = re.compile(r"(?:^|_)(?:image|url|link|href|src|thumbnail|banner|path|redirect_to|redirect_from)$", re.I)


def _linked(value: object, key: str = "") -> list[str]:
    """The front-matter strings a layout may link to: those under URL-bearing keys, however nested."""
    if isinstance(value, str):
        return [value] if _URL_KEY.search(key) else []
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _linked(v, str(k) if _URL_KEY.search(str(k)) else key)]
    if isinstance(value, list):
        return [s for v in value for s in _linked(v, key)]
    return []


def script_links(c: Check) -> list[Finding]:
    """A link, image, autolink or HTML attribute whose target runs a script or is a data: document."""
    text = _blanked(_body(c), _JSON_LD)  # the front matter is data: its URL-bearing values are read below
    found: dict[int, str] = {}  # offset → target
    for pattern in (_MD_LINK, _REFERENCE, _AUTOLINK, _ATTRIBUTE):
        for match in pattern.finditer(text):
            target = match.group(1).strip("\"'")
            if _runs_script(target):
                found.setdefault(match.start(1), target)
    for value in _linked(c.doc.front.fields):  # a layout may write a front-matter value into an href or src
        if _runs_script(value):
            found.setdefault(0, value)
    out = []
    for offset, target in sorted(found.items()):
        shown = target[:60]
        out.append(
            c.finding(
                "markup.script-link",
                "error",
                f"a link to `{shown}`: a browser runs it as a script or an inline document",
                f"「{shown}」へのリンクがあります（javascript: や data: のリンクは"
                "読者のブラウザでスクリプトとして動くおそれがあります）",
                _line(text, offset),
                excerpt=shown,
            )
        )
    return out


RULES = (liquid, script_links)
