"""The voice rules: a post is held to the site's voice as voice.yml records it (nothing happens without one).

Every post: `voice.style` (a paragraph in the other sentence-final style), `voice.sentence-length` (a section
whose median sentence is outside the site's range), `voice.length` (a body far outside the site's range), and
`style.mixed-endings` relative to the site's style (`mixed_against_site`).

A post genpost did not write, on a site whose own posts do not follow genpost's reference format, is held to
the format the site's posts have (`voice.h2`, `voice.images`, `voice.cta`, `voice.reading-time`,
`voice.front-matter`) instead of the reference post's shape (`judged` leaves those findings out); the content
rules (claims, style, years, links, script …) hold for every post.
"""

from __future__ import annotations

import math
import statistics

from pipeline.document import Block, Kind
from pipeline.quality.context import Check
from pipeline.text import char_count
from pipeline.types import Finding
from pipeline.voice.profile import Format
from pipeline.voice.prose import PLAIN, POLITE, STYLE_NAMES, Sentence, block_sentences, numbered, prose_sentences
from pipeline.writing.outline import RELATED_H2

SECTION_SENTENCES = 3  # a section with fewer sentences is not judged by its sentence length
FAR = (0.8, 1.2)  # a body below 80% of the range's low end, or above 120% of its high end, is far outside
MOSTLY = 0.8  # a share of the site's posts that makes a format the site's own
# The reference post's shape, which a post held to the site's format is not judged by.
SHAPE_RULES = ("structure.", "images.placement", "cta.missing", "numbers.reading-time", "frontmatter.missing")
SHAPE_RULES += ("frontmatter.extra", "frontmatter.order", "frontmatter.type")


def _styles(c: Check) -> tuple[str, str] | None:
    """The site's style and the other one (POLITE/PLAIN), when the site writes in one."""
    main = c.voice.main_style if c.voice is not None else None
    if main == STYLE_NAMES[POLITE]:
        return POLITE, PLAIN
    if main == STYLE_NAMES[PLAIN]:
        return PLAIN, POLITE
    return None


def site_format(c: Check) -> Format | None:
    """The format the post is held to instead of the reference post's: the site's, for a post genpost did not
    write on a site whose posts mostly do not follow the reference format."""
    voice = c.voice
    if voice is None or voice.format is None or c.own or voice.format.reference >= 0.5:
        return None
    return voice.format


def _share_text(c: Check, style: str) -> str:
    figures = c.voice.style if c.voice is not None else None
    share = (figures.polite if style == POLITE else figures.plain) if figures is not None else 0.0
    return f"{share:.0%}"


def _read(c: Check) -> list[tuple[Block, list[Sentence]]]:
    return [(b, list(block_sentences(b))) for b in c.doc.prose if b.kind in (Kind.PARAGRAPH, Kind.LIST_ITEM)]


def _wrong_paragraphs(read: list[tuple[Block, list[Sentence]]], main: str, other: str) -> set[int]:
    """Paragraphs with at least two sentences in the other style, more than in the site's."""
    out = set()
    for block, found in read:
        count = sum(s.style == other for s in found)
        if block.kind == Kind.PARAGRAPH and count >= 2 and count > sum(s.style == main for s in found):
            out.add(block.index)
    return out


def paragraph_style(c: Check) -> list[Finding]:
    """voice.style: a paragraph written in the other sentence-final style than the site's."""
    styles = _styles(c)
    if styles is None:
        return []
    main, other = styles
    read = _read(c)
    wrong = _wrong_paragraphs(read, main, other)
    out = []
    for block, found in read:
        if block.index not in wrong:
            continue
        first = next(s for s in found if s.style == other)
        out.append(
            c.finding(
                "voice.style",
                "error",
                f"a paragraph in {STYLE_NAMES[other]} style; the site writes {STYLE_NAMES[main]} "
                f"({_share_text(c, main)} of its sentences)",
                f"この段落は「{STYLE_NAMES[other]}」調です（「{first.text[:30]}」）。サイトの文体"
                f"「{STYLE_NAMES[main]}」調（文末の{_share_text(c, main)}）で書いてください",
                block=block,
                excerpt=first.text[:30],
            )
        )
    return out


def mixed_against_site(c: Check) -> list[Finding]:
    """style.mixed-endings with a voice: sentences in the other style than the site's, outside the paragraphs
    voice.style names, when the post mixes more than the site's posts do (none when the site mixes)."""
    styles = _styles(c)
    if styles is None or c.voice is None or c.voice.style is None:
        return []
    main, other = styles
    read = _read(c)
    wrong = _wrong_paragraphs(read, main, other)
    styled = [s for _, found in read for s in found if s.style in (POLITE, PLAIN)]
    share = sum(s.style == other for s in styled) / len(styled) if styled else 0.0
    if share <= c.voice.style.tolerance:
        return []
    return [
        c.finding(
            "style.mixed-endings",
            "error",
            f"{STYLE_NAMES[other]} ending in {STYLE_NAMES[main]} prose ({share:.0%} of the post's sentences; the "
            f"site's posts mix at most {c.voice.style.tolerance:.0%})",
            f"文末が「{STYLE_NAMES[other]}」の文があります（「…{s.text[-30:]}」）。サイトの文体「{STYLE_NAMES[main]}」"
            f"調にそろえてください（この記事で{share:.0%}、サイトの記事では多くて{c.voice.style.tolerance:.0%}）",
            block=block,
            excerpt=s.text[-30:],
        )
        for block, found in read
        if block.index not in wrong
        for s in found
        if s.style == other
    ]


def sentence_length(c: Check) -> list[Finding]:
    """voice.sentence-length: a section whose median sentence is shorter or longer than the site's range."""
    figures = c.voice.sentence_length if c.voice is not None else None
    if figures is None:
        return []
    low, high = figures.section_range
    sections: dict[str, list[tuple[Block, Sentence]]] = {}
    for block in c.doc.prose:
        sections.setdefault(block.h2 or "", []).extend((block, s) for s in prose_sentences(block))
    out = []
    for heading, found in sections.items():
        if len(found) < SECTION_SENTENCES:
            continue
        median = statistics.median(s.length for _, s in found)
        if low <= median <= high:
            continue
        name = f"「{heading}」" if heading else "導入"
        out.append(
            c.finding(
                "voice.sentence-length",
                "warning",
                f"the median sentence of this section is {median:g} characters (the site's range {low}–{high}, "
                f"median {figures.median})",
                f"{name}の文の長さの中央値が{median:g}字です"
                f"（サイトの範囲 {low}〜{high}字、中央値 {figures.median}字）",
                block=found[0][0],
            )
        )
    return out


def body_length(c: Check) -> list[Finding]:
    """voice.length: a body far outside the site's range."""
    figures = c.voice.body_length if c.voice is not None else None
    if figures is None:
        return []
    low, high = figures.range
    chars = char_count(c.doc.prose_text())
    if low * FAR[0] <= chars <= high * FAR[1]:
        return []
    return [
        c.finding(
            "voice.length",
            "warning",
            f"the body has {chars:,} characters, far outside the site's range ({low:,}–{high:,}, median "
            f"{figures.median:,})",
            f"本文が{chars:,}字で、サイトの記事の長さ（{low:,}〜{high:,}字、中央値 {figures.median:,}字）から"
            "大きく外れています",
        )
    ]


# --- the site's format, for posts genpost did not write --------------------------------------------


def headings(c: Check) -> list[Finding]:
    """voice.h2: as many H2s as the site's posts have, numbered as the site numbers them."""
    figures = c.voice.sections if c.voice is not None else None
    if site_format(c) is None or figures is None:
        return []
    h2 = [h for h in c.doc.h2 if h.text != RELATED_H2]
    low, high = figures.range
    out = []
    if not low <= len(h2) <= high:
        out.append(
            c.finding(
                "voice.h2",
                "warning",
                f"{len(h2)} H2s (the site's posts have {low}–{high}, median {figures.median})",
                f"H2が{len(h2)}個です（サイトの記事は{low}〜{high}個、中央値 {figures.median}個）",
                line=h2[0].line if h2 else None,
            )
        )
    share = sum(numbered(h.text) for h in h2) / len(h2) if h2 else 0.0
    if h2 and figures.numbered >= MOSTLY and share < 0.5:
        out.append(
            c.finding(
                "voice.h2",
                "warning",
                f"the H2s are not numbered ({figures.numbered:.0%} of the site's are)",
                f"H2に番号がありません（サイトのH2の{figures.numbered:.0%}に番号があります）",
                line=h2[0].line,
            )
        )
    elif h2 and figures.numbered <= 1 - MOSTLY and share > 0.5:
        out.append(
            c.finding(
                "voice.h2",
                "warning",
                f"the H2s are numbered ({1 - figures.numbered:.0%} of the site's are not)",
                f"H2に番号があります（サイトのH2の{1 - figures.numbered:.0%}は番号なしです）",
                line=h2[0].line,
            )
        )
    return out


def blocks(c: Check) -> list[Finding]:
    """voice.cta and voice.images: the blocks and images most of the site's posts carry."""
    found = site_format(c)
    if found is None:
        return []
    out = []
    if found.cta >= MOSTLY and not c.doc.of_kind(Kind.CTA):
        out.append(
            c.finding(
                "voice.cta",
                "error",
                f"no CTA block ({found.cta:.0%} of the site's posts have one)",
                f"CTAブロックがありません（サイトの記事の{found.cta:.0%}にあります）",
            )
        )
    if found.images >= MOSTLY and not c.doc.images:
        out.append(
            c.finding(
                "voice.images",
                "warning",
                f"no image in the body ({found.images:.0%} of the site's posts have one)",
                f"本文に画像がありません（サイトの記事の{found.images:.0%}にあります）",
            )
        )
    return out


def reading_time(c: Check) -> list[Finding]:
    """voice.reading-time: `reading_time` at the reading rate the site's posts state."""
    found = site_format(c)
    stated = c.doc.front.reading_time
    if found is None or found.reading_rate is None or stated is None:
        return []
    expected = max(1, math.ceil(char_count(c.doc.prose_text()) / found.reading_rate))
    if abs(stated - expected) <= c.settings.quality.reading_tolerance:
        return []
    return [
        c.finding(
            "voice.reading-time",
            "error",
            f"reading_time is {stated} but the body reads in about {expected} min at the site's "
            f"{found.reading_rate} chars/min",
            f"reading_time が{stated}分ですが、サイトの記事の読む速さ（1分{found.reading_rate}字）では"
            f"約{expected}分です",
            1,
        )
    ]


def front_matter(c: Check) -> list[Finding]:
    """voice.front-matter: the front-matter keys most of the site's posts carry."""
    found = site_format(c)
    if found is None or c.doc.front.error:
        return []
    return [
        c.finding(
            "voice.front-matter",
            "error",
            f"front matter has no `{key}` ({MOSTLY:.0%} or more of the site's posts have it)",
            f"フロントマターに {key} がありません（サイトの記事の{MOSTLY:.0%}以上にあります）",
            1,
        )
        for key in found.front_matter
        if key not in c.doc.front
    ]


def judged(c: Check, findings: list[Finding]) -> list[Finding]:
    """The findings a post is judged by: for a post held to the site's format, without the reference shape's
    (image credits too where the site credits none, JSON-LD where the site's posts carry none)."""
    found = site_format(c)
    if found is None:
        return findings
    dropped = list(SHAPE_RULES)
    if found.credited < MOSTLY:
        dropped.append("images.credit")
    if found.json_ld < MOSTLY and not c.doc.json_ld_blocks:
        dropped.append("jsonld.count")
    return [f for f in findings if not f.rule.startswith(tuple(dropped))]


RULES = (paragraph_style, sentence_length, body_length, headings, blocks, reading_time, front_matter)
