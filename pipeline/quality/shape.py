"""Shape rules: front matter, headings, steps, image placement, related links, JSON-LD, CTA."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from pipeline.document import FIELDS, Kind
from pipeline.japanese import sentences
from pipeline.quality.context import Check
from pipeline.quality.copying import letters
from pipeline.quality.topic import content_words
from pipeline.text import char_ngrams, jaccard
from pipeline.types import Finding
from pipeline.writing.outline import (
    RELATED_H2,
    STEP_COUNT,
    STEP_LABELS,
    STEPS_H2,
    TREND_PARTS,
    Outline,
    approved_outline,
    build_outline,
    step_number,
)

FRONT_MATTER = {key: spec.kind for key, spec in FIELDS.items()}

# What a refresh adds to a post's front matter (jekyll-seo-tag's dateModified): never an unexpected key.
REFRESH_KEYS = ("last_modified_at",)


def front_matter(c: Check) -> list[Finding]:
    doc = c.doc
    if doc.front.error:
        return [c.finding("frontmatter.invalid", "error", doc.front.error, "フロントマターが読めません", 1)]
    out = []
    for key, kind in FRONT_MATTER.items():
        if key not in doc.front:
            out.append(
                c.finding(
                    "frontmatter.missing",
                    "error",
                    f"front matter has no `{key}`",
                    f"フロントマターに {key} がありません",
                    1,
                )
            )
            continue
        value = doc.front[key]
        if kind is datetime and isinstance(value, str):  # a wall-clock date, as a site with no timezone has it
            value = _iso(value)
        wrong = not isinstance(value, kind) or (kind is int and isinstance(value, bool))
        if kind is list and not wrong:
            wrong = not value or not all(isinstance(v, str) and v.strip() for v in value)
        if kind is str and not wrong:
            wrong = not value.strip()
        if wrong:
            out.append(
                c.finding(
                    "frontmatter.type",
                    "error",
                    f"`{key}` should be a non-empty {kind.__name__}",
                    f"{key} の値が空か、型が違います",
                    1,
                )
            )
    extra = [k for k in doc.front.keys if k not in FRONT_MATTER and k not in REFRESH_KEYS]
    if extra:
        out.append(
            c.finding(
                "frontmatter.extra",
                "warning",
                f"unexpected keys: {', '.join(extra)}",
                f"想定外のキー: {'、'.join(extra)}",
                1,
            )
        )
    known = [k for k in doc.front.keys if k in FRONT_MATTER]
    if known != [k for k in FRONT_MATTER if k in known]:
        out.append(
            c.finding(
                "frontmatter.order", "warning", "keys are not in the reference order", "キーの順序が既定と違います", 1
            )
        )
    if isinstance(doc.front.get("categories"), list) and len(doc.front["categories"]) != 1:
        out.append(
            c.finding(
                "frontmatter.type",
                "error",
                "`categories` should hold exactly one theme",
                "categories はテーマを1つだけにしてください",
                1,
            )
        )
    instinct = doc.front.get("instinct")
    if isinstance(instinct, str) and instinct not in c.instincts:
        out.append(
            c.finding("frontmatter.instinct", "error", f"unknown instinct `{instinct}`", f"未知の本能 {instinct}", 1)
        )
    return out


def expected_outline(c: Check) -> Outline | None:
    """The post's skeleton from its instinct and theme (the H2s do not depend on the structure)."""
    front = c.doc.front
    instinct = c.instincts.get(front.instinct)
    if instinct is None or not front.categories:
        return None
    if c.approved:  # its steps too, for the approved headings to stand in
        return approved_outline(
            build_outline(instinct.name, front.categories[0], "howTo", [""] * STEP_COUNT), c.approved
        )
    return build_outline(instinct.name, front.categories[0], "howTo", [])


def expected_h2(c: Check) -> list[str] | None:
    outline = expected_outline(c)
    return outline.h2() if outline else None


def headings(c: Check) -> list[Finding]:
    expected = expected_h2(c)
    if expected is None:
        return []
    actual = [h for h in c.doc.h2 if h.text != RELATED_H2]
    out = []
    key = c.doc.front.instinct
    for n, want in enumerate(expected):
        got = actual[n] if n < len(actual) else None
        if got is None:
            out.append(c.finding("structure.h2", "error", f"missing H2 `{want}`", f"H2「{want}」がありません"))
        elif got.text != want:
            rule = "structure.instinct-name" if n == 0 and got.text.startswith(key) else "structure.h2"
            hint = " (use the instinct's Japanese name)" if rule == "structure.instinct-name" else ""
            out.append(
                c.finding(
                    rule,
                    "error",
                    f"H2 {n + 1} is `{got.text}`, expected `{want}`{hint}",
                    f"{n + 1}番目のH2は「{want}」にしてください（今は「{got.text}」）",
                    got.line,
                )
            )
    for extra in actual[len(expected) :]:
        out.append(
            c.finding(
                "structure.h2", "error", f"unexpected H2 `{extra.text}`", f"想定外のH2「{extra.text}」", extra.line
            )
        )
    trend_h2 = next((p.heading for p in c.approved or [] if p.part == "trend_intro"), None) or expected[1]
    trend = c.doc.h3_under(trend_h2)
    if any(h.text == trend_h2 for h in actual):
        titles = [h.text for h in trend]
        if titles not in _trend_titles(c):
            line = trend[0].line if trend else None
            out.append(
                c.finding(
                    "structure.h3",
                    "error",
                    f"the H3s under `{trend_h2}` match no structure",
                    f"「{trend_h2}」のH3がどの構成にも合いません",
                    line,
                )
            )
    return out


def _trend_titles(c: Check) -> list[list[str]]:
    """The trend section's H3s a post may have: a structure's, or its approved brief's."""
    if c.approved:
        return [[p.heading or "" for p in c.approved if re.fullmatch(r"trend\d+", p.part)]]
    return [list(parts) for parts in TREND_PARTS.values()]


def steps(c: Check) -> list[Finding]:
    h3s = c.doc.h3_under(STEPS_H2)
    if not any(h.text == STEPS_H2 for h in c.doc.h2):
        return []
    out = []
    if [step_number(h.text) for h in h3s] != list(range(1, STEP_COUNT + 1)):
        line = h3s[0].line if h3s else None
        message = f"{STEPS_H2} needs ステップ1..{STEP_COUNT} as H3s"
        out.append(
            c.finding(
                "structure.steps", "error", message, f"{STEPS_H2} にはH3のステップ1〜{STEP_COUNT}が必要です", line
            )
        )
    for h in h3s:
        blocks = [b for b in c.doc.prose if b.h3 == h.text and b.h2 == STEPS_H2]
        labels = {b.label for b in blocks if b.kind == Kind.STEP_LABEL}
        missing = [label for label in STEP_LABELS if label not in labels]
        if missing:
            out.append(
                c.finding(
                    "structure.step-labels",
                    "error",
                    f"`{h.text}` lacks {', '.join(missing)}",
                    f"「{h.text}」に {'・'.join(missing)} がありません",
                    h.line,
                )
            )
        # A label with no item under it (the next block is another label, or the step ends).
        empty = [
            b.label
            for b, after in zip(blocks, [*blocks[1:], None], strict=True)
            if b.kind == Kind.STEP_LABEL and (after is None or after.kind == Kind.STEP_LABEL)
        ]
        if empty:
            out.append(
                c.finding(
                    "structure.step-empty",
                    "error",
                    f"`{h.text}`: nothing under {', '.join(empty)}",
                    f"「{h.text}」の {'・'.join(empty)} に項目がありません",
                    h.line,
                )
            )
    return out


_STEP_PREFIX = re.compile(r"^\s*(?:実践)?ステップ\s*\d+\s*[:：]?\s*")
# What a sentence may add to a step's title and still say nothing more than the title does.
_FRAME = frozenset(
    (
        "ステップ", "行う", "実施", "実行", "進める", "取り組む", "目指す", "始める", "段階", "最初", "内容",
        "説明", "紹介", "解説", "作業",
    )
)  # fmt: skip
REPEATS_NEAR = 0.8  # bigram Jaccard of a first sentence and its title that say the same thing


def repeats_title(sentence: str, title: str) -> bool:
    """Does `sentence` say its step's title again and nothing more (「顧客理解を深める準備をします。」)?"""
    said, named = letters(_STEP_PREFIX.sub("", sentence)), letters(_STEP_PREFIX.sub("", title))
    if len(named) < 4 or not said:
        return False
    if jaccard(char_ngrams(said, 2), char_ngrams(named, 2)) >= REPEATS_NEAR:
        return True
    if named not in said:
        return False
    return not (content_words(_STEP_PREFIX.sub("", sentence)) - content_words(title) - _FRAME)


def step_repeats_title(c: Check) -> list[Finding]:
    """A step whose first line (its summary's first sentence) says its title again: the reader learns nothing."""
    out = []
    for heading in c.doc.h3_under(STEPS_H2):
        title = _STEP_PREFIX.sub("", heading.text)
        first = next((b for b in c.doc.blocks[heading.index + 1 :] if b.kind != Kind.IMAGE), None)
        if first is None or first.kind not in (Kind.PARAGRAPH, Kind.LIST_ITEM) or first.h3 != heading.text:
            continue
        sentence = next(iter(sentences(first)), "")
        if sentence and repeats_title(sentence, title):
            out.append(
                c.finding(
                    "shape.step-repeats-title",
                    "error",
                    f"`{heading.text}` opens by saying its title again: 「{sentence[:40]}」",
                    f"「{heading.text}」の最初の文が見出しの繰り返しです:「{sentence[:40]}」。見出しにない具体的な内容から書き始めてください",
                    block=first,
                    excerpt=sentence,
                )
            )
    return out


# A step title that names nothing: the model filled the slot with the word for it (タイトル1, 見出し, Step 2).
_PLACEHOLDER = re.compile(r"^(?:タイトル|見出し|ステップ名?|title|heading|step)\s*\d*$", re.IGNORECASE)


def step_placeholder(c: Check) -> list[Finding]:
    """A step whose title is a placeholder (「ステップ1: タイトル1」): the plan's title, for the editor to write."""
    out = []
    for heading in c.doc.h3_under(STEPS_H2):
        title = unicodedata.normalize("NFKC", _STEP_PREFIX.sub("", heading.text)).strip()
        if _PLACEHOLDER.match(title):
            out.append(
                c.finding(
                    "shape.step-placeholder",
                    "error",
                    f"`{heading.text}` has a placeholder for a title",
                    f"「{heading.text}」の見出しが仮の名前のままです。ステップの内容を表す見出しにしてください",
                    block=heading,
                    excerpt=heading.text,
                )
            )
    return out


def image_placement(c: Check) -> list[Finding]:
    outline = expected_outline(c)
    if outline is None:
        return []
    out = []
    for title in (part.heading for part in outline if part.image and part.heading):
        heading = next((h for h in c.doc.h2 if h.text == title), None)
        if heading and not any(i.line == heading.line + 1 for i in c.doc.images):
            out.append(
                c.finding(
                    "images.placement",
                    "error",
                    f"no image line right after `{title}`",
                    f"「{title}」の直後に画像がありません",
                    heading.line,
                )
            )
    return out


def related_links(c: Check) -> list[Finding]:
    if c.site is None:
        return []
    posts = c.site.posts_dir
    out = []
    related = [(name, b.line) for b in c.doc.of_kind(Kind.RELATED) for name in b.post_urls]
    for name, line in related:  # links in the prose are the links.* rules' (links.unresolved)
        if not any((posts / f"{name}.{ext}").exists() for ext in ("md", "markdown", "html")):
            out.append(
                c.finding(
                    "links.related",
                    "error",
                    f"post_url `{name}` names no post in {posts}",
                    f"関連記事 {name} がサイトにありません",
                    line,
                )
            )
    return out


def _iso(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def json_ld(c: Check) -> list[Finding]:
    blocks = c.doc.json_ld_blocks
    line = blocks[0].line if blocks else None
    if c.site is not None and c.site.format.seo_tag:
        return _beside_seo_tag(c, line)
    if len(blocks) != 1:
        return [
            c.finding(
                "jsonld.count",
                "error",
                f"{len(blocks)} JSON-LD blocks; expected one",
                f"JSON-LD が{len(blocks)}個あります（1個にしてください）",
                line,
            )
        ]
    try:
        data = c.doc.json_ld()
    except ValueError as exc:
        return [
            c.finding(
                "jsonld.invalid",
                "error",
                f"JSON-LD is not valid JSON ({exc})",
                "JSON-LD が正しいJSONではありません",
                line,
            )
        ]
    front = c.doc.front
    out = []
    if not isinstance(data, dict) or data.get("@type") not in ("BlogPosting", "Article", "NewsArticle"):
        return [
            c.finding(
                "jsonld.type",
                "error",
                "JSON-LD is not a BlogPosting/Article",
                "JSON-LD が BlogPosting/Article ではありません",
                line,
            )
        ]
    author = data.get("author") or {}
    names = [a.get("name") for a in (author if isinstance(author, list) else [author]) if isinstance(a, dict)]
    for key, ok in (
        ("headline", bool(data.get("headline"))),
        ("image", bool(data.get("image"))),
        ("datePublished", _iso(data.get("datePublished")) is not None),
        ("author.name", any(names)),
    ):
        if not ok:
            out.append(
                c.finding(
                    "jsonld.google",
                    "error",
                    f"JSON-LD lacks a valid `{key}` (Google Article)",
                    f"JSON-LD に有効な {key} がありません（Google の記事の要件）",
                    line,
                )
            )
    if data.get("headline") and data.get("headline") != front.title:
        out.append(
            c.finding(
                "jsonld.agree",
                "error",
                "JSON-LD headline differs from the title",
                "JSON-LD の headline がタイトルと違います",
                line,
            )
        )
    if data.get("image") and data.get("image") != front.image:
        out.append(
            c.finding(
                "jsonld.agree",
                "error",
                "JSON-LD image differs from the front-matter image",
                "JSON-LD の image がフロントマターの画像と違います",
                line,
            )
        )
    published, dated = _iso(data.get("datePublished")), _iso(front.date)
    if published and dated and published.replace(tzinfo=None) != dated.replace(tzinfo=None):
        out.append(
            c.finding(
                "jsonld.agree",
                "error",
                "JSON-LD datePublished differs from `date`",
                "JSON-LD の datePublished が date と違います",
                line,
            )
        )
    if any(names) and front.get("author") not in names:
        out.append(
            c.finding(
                "jsonld.agree",
                "warning",
                f"JSON-LD author {names} differs from `author`",
                "JSON-LD の author がフロントマターの author と違います",
                line,
            )
        )
    return out


def _beside_seo_tag(c: Check, line: int | None) -> list[Finding]:
    """On a site whose jekyll-seo-tag writes the BlogPosting, the body must not carry a second one."""
    types = [b.data.get("@type") for b in c.doc.json_ld_blocks if isinstance(b.data, dict)]
    if not any(t in ("BlogPosting", "Article", "NewsArticle") for t in types):
        return []
    return [
        c.finding(
            "jsonld.duplicate",
            "error",
            "the site's jekyll-seo-tag writes a BlogPosting from the front matter; this one makes two on the page",
            "サイトの jekyll-seo-tag がフロントマターから BlogPosting を書くため、本文の分と合わせて2つになります",
            line,
        )
    ]


def cta(c: Check) -> list[Finding]:
    """The CTA block, once on the page: in the body, or in the site's layout (with --site), never both."""
    found = c.doc.of_kind(Kind.CTA)
    layout = c.site is not None and c.site.format.renders_cta
    if found and layout:
        return [
            c.finding(
                "cta.duplicate",
                "error",
                "the site's layout renders a CTA; this one makes two on the page",
                "サイトのレイアウトがCTAを表示するため、本文のCTAと合わせて2つになります",
                block=found[0],
            )
        ]
    if found or layout:
        return []
    return [c.finding("cta.missing", "error", 'no CTA block (`<div class="cta-section">`)', "CTAブロックがありません")]


def related_twice(c: Check) -> list[Finding]:
    """The related-posts block, once on the page: not in the body when the site's layout renders one."""
    found = c.doc.of_kind(Kind.RELATED)
    if not found or c.site is None or not c.site.format.renders_related:
        return []
    return [
        c.finding(
            "links.related-duplicate",
            "error",
            "the site's layout renders related posts; this block makes two on the page",
            "サイトのレイアウトが関連記事を表示するため、本文の関連記事と合わせて2つになります",
            block=found[0],
        )
    ]


RULES = (
    front_matter,
    headings,
    steps,
    step_repeats_title,
    step_placeholder,
    image_placement,
    related_links,
    related_twice,
    json_ld,
    cta,
)
