"""Internal links: the links in a post's prose to the site's own posts, through `{% post_url NAME %}` or a
site-relative path (`/blog/slug/`). They must reach a post, stand where a reader meets them in running text
(not in a heading, a step label, a footnote, the CTA or the lead's first sentence), one to a paragraph, each
post once, with an anchor that says what the post is about and that the site's other posts do not use for
another post. The related-posts block is genpost's own and is not counted.

A plain path counts as a link to a post only when the site (`--site`) says which post it reaches; a path
that is a page of the site's source (`/contact/`) is no post link and is left alone.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipeline.document import CTA, POST_URL, RELATED, Block, Inline, Kind
from pipeline.parse import parse
from pipeline.quality.context import Check
from pipeline.site import permalinks
from pipeline.site.permalinks import Permalinks
from pipeline.text import char_count
from pipeline.types import Finding

FEWEST = 2  # internal links in the body of a post of normal length (at most: settings.links.max_links)
ANCHOR_CHARS = (2, 20)
# Anchors that say nothing of the post they lead to (compared after `normalised`).
_GENERIC_JA = "こちら ここ こちらをクリック ここをクリック クリック 詳しくはこちら 詳細はこちら 詳細 詳しく"
_GENERIC_JA += " この記事 こちらの記事 その記事 記事 関連記事 リンク このリンク 続きを読む 続き もっと見る 参照 参考"
_GENERIC_EN = ("here", "click here", "more", "read more", "this", "this post", "this article", "article", "link")
_PROSE = (Kind.PARAGRAPH, Kind.LIST_ITEM)
_INLINE = (Kind.PARAGRAPH, Kind.LIST_ITEM, Kind.HEADING, Kind.STEP_LABEL, Kind.CITATION)
_ENDS = "。！？"


def normalised(anchor: str) -> str:
    """An anchor as compared: NFKC, case folded, without spaces, punctuation or symbols."""
    text = unicodedata.normalize("NFKC", anchor).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSZC")


GENERIC = frozenset(normalised(w) for w in (*_GENERIC_JA.split(), *_GENERIC_EN))


@dataclass(frozen=True)
class Link:
    """A link in a block to somewhere on the site."""

    anchor: str
    target: str  # as written: a post's name (through post_url) or a site-relative path
    block: Block
    post_url: bool
    post: str | None  # the post it leads to: a post_url's name (the post's, when the site has it), a path's post


def _short(text: str, most: int = 40) -> str:
    """A text as a message quotes it: one line, at most `most` characters."""
    text = " ".join(text.split())
    return text if len(text) <= most else text[: most - 1] + "…"


def _site_relative(href: str) -> bool:
    return href.startswith("/") and not href.startswith("//")


def anchors_in(block: Block) -> list[tuple[str, str, bool]]:
    """(anchor, target, through post_url) for each link in a block to the site: its Markdown links (a step
    label's and a footnote's too); in an HTML block, its `post_url`s (no anchor)."""
    if block.kind == Kind.STEP_LABEL:
        found = Inline.of(f"**{block.label}:**").anchors
    elif block.kind == Kind.CITATION:
        found = Inline.of(block.markdown).anchors
    elif block.kind in _INLINE:
        found = block.inline.anchors
    else:
        return [("", name, True) for name in block.post_urls]
    return [(anchor, *target) for anchor, href in found if (target := _target(href)) is not None]


def _target(href: str) -> tuple[str, bool] | None:
    """A link's target on the site and whether it goes through post_url (the name as written: the Markdown
    reader percent-encodes a link's target); None for a link elsewhere."""
    if href.startswith(POST_URL):
        return unquote(href[len(POST_URL) :]), True
    if _site_relative(href):
        return href, False
    return None


@dataclass
class _Seen:
    """What every rule of one check needs: the site's posts, and the post's links."""

    check: Check
    site: Permalinks | None
    links: list[Link]


_last: list[_Seen] = []  # the last check's (rules run one after another over the same Check)


def _seen(c: Check) -> _Seen:
    if _last and _last[0].check is c:
        return _last[0]
    site = c.site.permalinks if c.site is not None else None
    links = []
    for block in c.doc.blocks:
        if block.part == RELATED or block.kind == Kind.RELATED:
            continue
        for anchor, target, through in anchors_in(block):
            links.append(Link(anchor, target, block, through, _post_of(site, target, through)))
    seen = _Seen(c, site, links)
    _last[:] = [seen]
    return seen


def _post_of(site: Permalinks | None, target: str, through_post_url: bool) -> str | None:
    if through_post_url:
        found = site.by_name(target) if site is not None else None
        return found.name if found is not None else target.lstrip("/")
    found = site.by_path(target) if site is not None else None
    return found.name if found is not None else None


def _internal(c: Check) -> list[Link]:
    """The post's links to posts (a path only when the site says which post it reaches)."""
    return [link for link in _seen(c).links if link.post is not None]


def _in_body(link: Link) -> bool:
    return link.block.kind in _PROSE


def _own_name(c: Check) -> str | None:
    return Path(c.name).stem if c.name else None


def _moment(c: Check, site: Permalinks) -> datetime:
    """When the post is built: its date, or now if that is later (a post dated after it is not built yet)."""
    now = datetime.now(UTC)
    dated = permalinks.front_date(c.doc.front.date, site.config.zone)
    return max(now, dated) if dated is not None else now


# --- the rules ---------------------------------------------------------------------------------------


def unresolved(c: Check) -> list[Finding]:
    """A post_url naming no post that Jekyll builds, or a path that is neither a post's URL nor a page."""
    site = _seen(c).site
    if site is None:
        return []
    at, out = _moment(c, site), []
    for link in _seen(c).links:
        if link.block.kind not in _INLINE:
            continue  # an HTML block's post_url: links.related names it
        post = site.by_name(link.target) if link.post_url else site.by_path(link.target)
        if post is None and link.post_url and link.target.lstrip("/") in site.errors:
            continue  # the post is there; its permalink is what Jekyll stops on
        if post is not None and site.built(post, at):
            continue
        if post is None and not link.post_url and site.page_exists(link.target):
            continue
        out.append(_unresolved(c, site, link, post))
    return out


def _unresolved(c: Check, site: Permalinks, link: Link, post: permalinks.Post | None) -> Finding:
    shown = unquote(link.target)[:80]
    if post is not None:
        why = "is not published" if not post.published else "is dated after this post"
        why_ja = "公開されていません（published: false）" if not post.published else "この記事より後の日付です"
        return c.finding(
            "links.unresolved",
            "error",
            f"the internal link `{_short(link.anchor)}` leads to {post.name}, which {why}: Jekyll does not build it",
            f"内部リンク「{_short(link.anchor)}」のリンク先 {post.name} は{why_ja}"
            "（Jekyll がビルドしないため、リンクが切れます）",
            block=link.block,
            excerpt=shown,
        )
    if link.post_url:
        return c.finding(
            "links.unresolved",
            "error",
            f"post_url `{shown}` names no post in {site.config.posts_dir}: Jekyll fails the build",
            f"内部リンク「{_short(link.anchor)}」のリンク先 {shown} がサイトの記事にありません"
            "（Jekyll のビルドが失敗します）",
            block=link.block,
            excerpt=shown,
        )
    hint = _suggest(site, link.target)
    return c.finding(
        "links.unresolved",
        "error",
        f"the internal link `{_short(link.anchor)}` leads to {shown}, which is no post's URL"
        f" ({site.config.template}) and no page of the site" + (f"; did you mean {hint}?" if hint else ""),
        f"内部リンク「{_short(link.anchor)}」のリンク先 {shown} はサイトの記事にもページにもありません"
        + (f"（{hint} ではありませんか）" if hint else ""),
        block=link.block,
        excerpt=shown,
    )


def _suggest(site: Permalinks, href: str) -> str | None:
    """The post a broken path was probably meant for: the same path without the baseurl or a trailing `/`, or
    the same last segment."""
    path = unquote(urlsplit(href).path).rstrip("/")
    base = site.config.baseurl
    tail = path.rsplit("/", 1)[-1].removesuffix(".html")
    for post in site.posts.values():
        url = post.url.rstrip("/")
        if path in (url, base + url) or (tail and tail == url.rsplit("/", 1)[-1]):
            return unquote(site.href(post))
    return None


def count(c: Check) -> list[Finding]:
    """Between 2 and `links.max_links` (5) internal links in the body of a post of normal length, on a site with
    posts to link (too few is not asked of a site whose settings turn the links off)."""
    site = _seen(c).site
    if site is None:
        return []
    others = [name for name in site.posts if name.rsplit("/", 1)[-1] != _own_name(c)]
    chars = char_count(c.doc.prose_text())
    if len(others) < FEWEST or chars < c.settings.lengths.body[0]:
        return []
    most = c.settings.links.max_links
    fewest = FEWEST if c.settings.links.enabled and most >= FEWEST else 0
    body = [link for link in _internal(c) if _in_body(link) and link.block.part != CTA]
    if fewest <= len(body) <= most:
        return []
    block = body[most].block if len(body) > most else None
    aim = f"{fewest}–{most}" if fewest else f"at most {most}"
    aim_ja = f"{fewest}〜{most}本" if fewest else f"{most}本まで"
    return [
        c.finding(
            "links.count",
            "warning",
            f"{len(body)} internal links in the body (aim for {aim} to the site's own posts)",
            f"本文の内部リンクが{len(body)}本です（サイトの記事への内部リンクは{aim_ja}が目安です）",
            block=block,
        )
    ]


def per_paragraph(c: Check) -> list[Finding]:
    """At most one internal link in a paragraph or a bullet."""
    by_block: dict[int, list[Link]] = {}
    for link in _internal(c):
        if _in_body(link):
            by_block.setdefault(link.block.index, []).append(link)
    out = []
    for links in by_block.values():
        if len(links) > 1:
            anchors = [_short(link.anchor) for link in links]
            out.append(
                c.finding(
                    "links.per-paragraph",
                    "error",
                    f"{len(links)} internal links in one paragraph (one at most): `{'`, `'.join(anchors)}`",
                    f"一つの段落に内部リンクが{len(links)}本あります（「{'」「'.join(anchors)}」）。"
                    "1段落に1本までにしてください",
                    block=links[0].block,
                    excerpt=_short(links[1].anchor),
                )
            )
    return out


_PLACES = {
    Kind.HEADING: ("a heading", "見出し"),
    Kind.STEP_LABEL: ("a step label", "ステップのラベル"),
    Kind.CITATION: ("a footnote", "脚注"),
}


def placement(c: Check) -> list[Finding]:
    """No internal link in the lead's first sentence, a heading, a step label, a footnote or the CTA."""
    out = []
    for link in _internal(c):
        place = ("the call to action", "CTA") if link.block.part == CTA else _PLACES.get(link.block.kind)
        if place is not None:
            out.append(_misplaced(c, link, place))
    lead = next((b for b in c.doc.prose if b.part == "lead" and b.kind == Kind.PARAGRAPH), None)
    if lead is not None:
        first = Inline.of(first_sentence(lead.markdown)).anchors
        site = _seen(c).site
        for anchor, href in first:
            target = _target(href)
            if target is not None and _post_of(site, *target) is not None:
                link = Link(anchor, target[0], lead, target[1], target[0])
                out.append(_misplaced(c, link, ("the lead's first sentence", "導入文の最初の一文")))
    return out


def _misplaced(c: Check, link: Link, place: tuple[str, str]) -> Finding:
    shown = _short(link.anchor or unquote(link.target))
    return c.finding(
        "links.placement",
        "error",
        f"an internal link (`{shown}`) in {place[0]}: put it in the running text",
        f"内部リンク「{shown}」が{place[1]}にあります（内部リンクは本文の段落や箇条書きに置いてください）",
        block=link.block,
        excerpt=shown,
    )


def first_sentence(markdown: str) -> str:
    """A paragraph's Markdown up to the end of its first sentence (a 。！？ outside a link's text or URL)."""
    depth, in_url, skip = 0, 0, False
    for i, ch in enumerate(markdown):
        if skip:
            skip = False
        elif in_url:
            in_url += {"(": 1, ")": -1}.get(ch, 0)
        elif ch == "[":
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
            if markdown[i + 1 : i + 2] == "(":
                in_url, skip = 1, True
        elif ch in _ENDS and not depth:
            return markdown[: i + 1]
    return markdown


def duplicate_target(c: Check) -> list[Finding]:
    """Each post linked once in the prose."""
    first: dict[str, Link] = {}
    out = []
    for link in _internal(c):
        if link.block.kind not in (*_PROSE, Kind.STEP_LABEL) or link.post is None:
            continue
        if link.post not in first:
            first[link.post] = link
            continue
        earlier = first[link.post].block.line
        out.append(
            c.finding(
                "links.duplicate-target",
                "error",
                f"{link.post} is linked again (first at line {earlier}): link each post once",
                f"記事 {link.post} への内部リンクが重複しています（最初は{earlier}行目）。"
                "同じ記事へのリンクは1回にしてください",
                block=link.block,
                excerpt=_short(link.anchor),
                other=str(earlier) if earlier else None,
            )
        )
    return out


def anchor_text(c: Check) -> list[Finding]:
    """An anchor of 2 to 20 characters that says what the post is about (not こちら, click here…)."""
    low, high = ANCHOR_CHARS
    out = []
    for link in _internal(c):
        if link.block.kind not in _INLINE:
            continue
        text = " ".join(link.anchor.split())
        if normalised(text) in GENERIC and text:
            message = f"the anchor `{text}` says nothing of the post it leads to: name its subject"
            message_ja = (
                f"アンカーテキスト「{text}」ではリンク先の内容がわかりません（記事の主題を表す言葉にしてください）"
            )
        elif len(text) < low or not normalised(text):
            message = f"the anchor `{text}` is too short ({len(text)} characters; {low}–{high})"
            message_ja = f"アンカーテキスト「{text}」が短すぎます（{len(text)}字。{low}〜{high}字にしてください）"
        elif len(text) > high:
            message = f"the anchor `{text[:30]}…` is too long ({len(text)} characters; {low}–{high})"
            message_ja = f"アンカーテキスト「{text[:30]}…」が長すぎます（{len(text)}字。{low}〜{high}字にしてください）"
        else:
            continue
        out.append(c.finding("links.anchor", "error", message, message_ja, block=link.block, excerpt=text[:40]))
    return out


@lru_cache(maxsize=4096)
def _links_of(path: Path, _: float) -> tuple[tuple[str, str, bool], ...]:
    """A site post's links to the site in its prose (the related block aside), as (anchor, target, post_url)."""
    try:
        doc = parse(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return ()
    return tuple(
        found for block in doc.blocks if block.kind in _PROSE and block.part != RELATED for found in anchors_in(block)
    )


def cannibalised(c: Check) -> list[Finding]:
    """An anchor the site's other posts use for another post: two posts then compete for the same words."""
    site = _seen(c).site
    if site is None:
        return []
    used: dict[str, dict[str, str]] = {}  # normalised anchor → the post it leads to → a post that links so
    own = _own_name(c)
    for name, post in sorted(site.posts.items()):
        if name.rsplit("/", 1)[-1] == own:
            continue
        for anchor, target, through in _links_of(post.source, permalinks.mtime(post.source)):
            key, leads_to = normalised(anchor), _post_of(site, target, through)
            if key and leads_to is not None:
                used.setdefault(key, {}).setdefault(leads_to, name)
    out = []
    for link in _internal(c):
        if not _in_body(link):
            continue
        elsewhere = {t: n for t, n in used.get(normalised(link.anchor), {}).items() if t != link.post}
        if not elsewhere:
            continue
        target, by = next(iter(sorted(elsewhere.items())))
        out.append(
            c.finding(
                "links.cannibalised",
                "warning",
                f"the anchor `{_short(link.anchor)}` leads to {link.post} here, but {by} uses it for {target}",
                f"アンカーテキスト「{_short(link.anchor)}」は、記事 {by} では"
                f"別の記事 {target} へのリンクに使われています（同じ言葉で別の記事を指すと検索で競合します）",
                block=link.block,
                excerpt=_short(link.anchor),
                other=by,
            )
        )
    return out


def date_day(c: Check) -> list[Finding]:
    """The day the site builds the post on is its file name's day, whatever zone the build machine is in: a site
    with no `timezone` reads a zoned date in the machine's zone (a wall-clock date as it is written)."""
    site, named = _seen(c).site, permalinks.DATED.match(Path(c.name).name) if c.name else None
    if site is None or named is None:
        return []
    year, month, day = (int(x) for x in named.groups()[:3])
    zones = [site.config.zone] if site.config.zone is not None else [UTC, c.settings.site.zone]
    built = {d.date() for z in zones if (d := permalinks.front_date(c.doc.front.date, z)) is not None}
    try:
        wanted = date(year, month, day)
    except ValueError:
        return []
    if not built or built == {wanted}:
        return []
    days = "、".join(sorted(d.isoformat() for d in built))
    how = "ビルドするマシンのタイムゾーンによって" if site.config.zone is None else ""
    return [
        c.finding(
            "frontmatter.date-day",
            "error",
            f"the site builds this post on {', '.join(sorted(d.isoformat() for d in built))}, "
            f"not on its file name's day {wanted.isoformat()}",
            f"{how}公開日が {days} になり、ファイル名の日付（{wanted.isoformat()}）と違います"
            + ("。_config.yml に timezone を書くか、date をタイムゾーンのない時刻で書いてください" if how else ""),
            1,
        )
    ]


RULES = (date_day, unresolved, count, per_paragraph, placement, duplicate_target, anchor_text, cannibalised)
