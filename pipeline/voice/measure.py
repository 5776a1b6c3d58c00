"""Measuring a site's voice: its most recent published posts read one by one (`PostReading`), then summed up
into the figures of voice.yml (`profile_of`)."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline.document import Kind, PostDoc
from pipeline.errors import UsageError
from pipeline.instincts import Instinct
from pipeline.parse import parse
from pipeline.site.posts import load_posts
from pipeline.text import char_count
from pipeline.voice.profile import (
    Avoid,
    BodyLength,
    Format,
    Lists,
    Measured,
    Script,
    Sections,
    SentenceLength,
    Spread,
    Style,
    VoiceProfile,
    Words,
)
from pipeline.voice.prose import (
    MIXED,
    PLAIN,
    POLITE,
    STYLE_NAMES,
    Sentence,
    numbered,
    paragraph_chars,
    prose_sentences,
    script_counts,
)
from pipeline.writing.outline import RELATED_H2, build_outline

# Phrases model drafts reach for (stock openings, hedges, sales words); the voice lists those the site never uses.
STOCK_PHRASES = (
    "いかがでしたか",
    "ぜひ",
    "さまざまな",
    "様々な",
    "不可欠",
    "鍵となる",
    "カギとなる",
    "欠かせません",
    "と言えるでしょう",
    "といえるでしょう",
    "本記事では",
    "この記事では",
    "ご紹介します",
    "解説します",
    "まとめると",
    "重要なポイント",
    "効果的です",
    "最大化",
    "飛躍的",
    "劇的に",
    "革新的",
    "新たな価値",
    "していきましょう",
    "してみましょう",
    "することができます",
    "ことが可能です",
    "大切です",
    "重要です",
)
SECTION_SENTENCES = 3  # a section with fewer sentences says nothing about the site's sentence length
KEY_SHARE = 0.8  # a front-matter key most posts carry
COVER = 0.8  # the share of the measured posts every range of voice.yml holds, at least
RATE_POSTS = 3  # posts stating `reading_time` that a reading rate is learnt from, at least
RATE_CORRELATION = 0.5  # how closely `reading_time` must rise with the body to be read as a rate (Pearson's r)
TOP_WORDS = 8


@dataclass
class PostReading:
    """One post as the voice reads it."""

    name: str
    day: date
    sentences: list[Sentence] = field(default_factory=list)
    sections: list[list[int]] = field(default_factory=list)  # the sentence lengths of each section (lead first)
    paragraphs: list[int] = field(default_factory=list)
    body: int = 0
    h2: list[str] = field(default_factory=list)
    h3: int = 0
    items: int = 0
    prose: str = ""
    images: int = 0
    credited: int = 0
    cta: bool = False
    json_ld: bool = False
    reading_time: int | None = None
    keys: list[str] = field(default_factory=list)
    reference: bool = False

    def styled(self, style: str) -> int:
        return sum(s.style == style for s in self.sentences)


def read_doc(doc: PostDoc, name: str, day: date, instincts: dict[str, Instinct]) -> PostReading:
    """A post's figures: its sentences (by section), paragraphs, headings, lists, images and blocks."""
    reading = PostReading(name, day)
    by_section: dict[str, list[int]] = {}
    for block in doc.prose:
        found = list(prose_sentences(block))
        reading.sentences += found
        by_section.setdefault(block.h2 or "", []).extend(s.length for s in found)
        if block.kind == Kind.PARAGRAPH:
            reading.paragraphs.append(paragraph_chars(block))
        reading.items += block.kind == Kind.LIST_ITEM
    reading.sections = list(by_section.values())
    reading.prose = doc.prose_text()
    reading.body = char_count(reading.prose)
    reading.h2 = [h.text for h in doc.h2 if h.text != RELATED_H2]
    reading.h3 = sum(1 for h in doc.headings if h.level == 3)
    reading.images = len(doc.images)
    reading.credited = sum(1 for i in doc.images if "Unsplash" in i.credit and "<a " in i.credit)
    reading.cta = bool(doc.of_kind(Kind.CTA))
    reading.json_ld = bool(doc.json_ld_blocks)
    stated = doc.front.reading_time
    reading.reading_time = stated if stated is not None and stated > 0 else None
    reading.keys = doc.front.keys
    reading.reference = reading.h2 == _reference_h2(doc, instincts)
    return reading


def _reference_h2(doc: PostDoc, instincts: dict[str, Instinct]) -> list[str] | None:
    """The H2s genpost's reference format gives a post of this instinct and theme (None when it names neither)."""
    instinct, categories = instincts.get(doc.front.instinct), doc.front.categories
    if instinct is None or not categories:
        return None
    return build_outline(instinct.name, categories[0], "howTo", []).h2()


def recent_posts(site: Path, recent: int, today: date) -> list[tuple[Path, date]]:
    """The site's `recent` newest posts that Jekyll builds: no draft (`published: false`), none dated after today."""
    if not (site / "_posts").is_dir():
        raise UsageError(f"--site {site} has no _posts/ directory")
    posts = [p for p in load_posts(site) if p.published and p.day is not None and p.day <= today]
    posts.sort(key=lambda p: (p.day, p.name), reverse=True)
    return [(p.path, p.day) for p in posts[:recent] if p.day is not None]


def read_site(site: Path, recent: int, today: date, instincts: dict[str, Instinct]) -> list[PostReading]:
    """The site's most recent posts, read; a post that cannot be read is left out."""
    readings = []
    for path, day in recent_posts(site, recent, today):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        readings.append(read_doc(parse(text), path.stem, day, instincts))
    if not readings:
        raise UsageError(f"{site / '_posts'} has no published post to measure (drafts and future posts are left out)")
    return readings


def measure(site: Path, recent: int, today: date, instincts: dict[str, Instinct]) -> VoiceProfile:
    """The voice of the site's `recent` newest posts."""
    return profile_of(read_site(site, recent, today, instincts), site, today)


# --- summing up ------------------------------------------------------------------------------------


def quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def fences(values: list[float]) -> tuple[float, float]:
    """Tukey's fences: beyond them a value is an outlier among `values`."""
    q1, _, q3 = quartiles(values)
    return q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)


def _spread(values: list[float]) -> tuple[int, int, int]:
    q1, median, q3 = quartiles(values)
    return round(q1), round(median), round(q3)


def covering(
    values: Sequence[float], spans: Sequence[tuple[float, float]] | None = None, share: float = COVER
) -> tuple[float, float]:
    """The range `values` spread over on the site: Tukey's fences, widened to their middle 80% (the 10th to the
    90th percentile), then, while fewer than `share` of the posts fall wholly inside, to the post outside that
    asks the least widening. `spans`: each post's lowest and highest value, when a post has several (its
    sections' medians); by default each value is a post's (its body length, its H2 count)."""
    spans = spans if spans is not None else [(v, v) for v in values]
    low, high = fences(list(values))
    if len(values) > 1:
        deciles = statistics.quantiles(values, n=10, method="inclusive")
        low, high = min(low, deciles[0]), max(high, deciles[-1])
    need = math.ceil(share * len(spans))
    while True:
        outside = [(a, b) for a, b in spans if not low <= a <= b <= high]
        if len(spans) - len(outside) >= need or not outside:
            return low, high
        a, b = min(outside, key=lambda span: max(0.0, low - span[0]) + max(0.0, span[1] - high))
        low, high = min(low, a), max(high, b)


def _share(part: float, whole: float) -> float:
    return round(part / whole, 3) if whole else 0.0


def profile_of(readings: list[PostReading], site: Path, today: date) -> VoiceProfile:
    """The figures of voice.yml from the posts read."""
    sentences = [s for r in readings for s in r.sentences]
    days = [r.day for r in readings]
    measured = Measured(site=str(site.resolve()), posts=len(readings), first=min(days), last=max(days), day=today)
    return VoiceProfile(
        measured=measured,
        style=_style(readings),
        sentence_length=_sentence_length(readings) if sentences else None,
        paragraph_length=_paragraphs(readings),
        body_length=_body(readings),
        sections=_sections(readings),
        lists=Lists(
            posts=_share(sum(r.items > 0 for r in readings), len(readings)),
            items=round(statistics.median(r.items for r in readings)),
        ),
        connectives=_words((w for s in sentences for w in s.connectives), len(sentences)),
        openers=_words((s.opener for s in sentences if s.opener), len(sentences)),
        script=_script(readings),
        avoid=Avoid(phrases=[p for p in STOCK_PHRASES if not any(p in r.prose for r in readings)]),
        format=_format(readings),
    )


def _style(readings: list[PostReading]) -> Style | None:
    polite = sum(r.styled(POLITE) for r in readings)
    plain = sum(r.styled(PLAIN) for r in readings)
    if not polite + plain:
        return None
    share = polite / (polite + plain)
    main = STYLE_NAMES[POLITE] if share >= 0.8 else STYLE_NAMES[PLAIN] if share <= 0.2 else MIXED
    other = {STYLE_NAMES[POLITE]: PLAIN, STYLE_NAMES[PLAIN]: POLITE}.get(main)
    tolerance = 1.0
    if other is not None:
        # The most a post of the site mixes in the other style (posts written wholly in it left out), up to 30%.
        mixes = [r.styled(other) / (r.styled(POLITE) + r.styled(PLAIN) or 1) for r in readings]
        most = max([m for m in mixes if m <= 0.5], default=0.0)
        tolerance = min(0.3, math.ceil(most * 1000) / 1000)
    styled = polite + plain
    return Style(main=main, polite=_share(polite, styled), plain=_share(plain, styled), tolerance=tolerance)


def _sentence_length(readings: list[PostReading]) -> SentenceLength:
    lengths = [s.length for r in readings for s in r.sentences]
    q1, median, q3 = _spread(lengths)
    per_post = [[statistics.median(s) for s in r.sections if len(s) >= SECTION_SENTENCES] for r in readings]
    medians = [m for post in per_post for m in post]  # sections of three sentences or more
    spans = [(min(post), max(post)) for post in per_post if post]
    low, high = covering(medians, spans) if medians else (q1, q3)
    return SentenceLength(median=median, q1=q1, q3=q3, section_range=(max(1, math.floor(low)), max(1, math.ceil(high))))


def _paragraphs(readings: list[PostReading]) -> Spread | None:
    lengths = [p for r in readings for p in r.paragraphs]
    if not lengths:
        return None
    q1, median, q3 = _spread(lengths)
    return Spread(median=median, q1=q1, q3=q3)


def _body(readings: list[PostReading]) -> BodyLength:
    bodies = [r.body for r in readings]
    q1, median, q3 = _spread(bodies)
    low, high = covering(bodies)
    low, high = max(0, math.floor(low / 100) * 100), math.ceil(high / 100) * 100
    return BodyLength(median=median, q1=q1, q3=q3, range=(low, max(low, high)))


def _sections(readings: list[PostReading]) -> Sections:
    counts = [len(r.h2) for r in readings]
    low, high = covering(counts)
    headings = [h for r in readings for h in r.h2]
    return Sections(
        median=round(statistics.median(counts)),
        range=(max(min(counts), math.floor(low)), min(max(counts), math.ceil(high))),
        numbered=_share(sum(numbered(h) for h in headings), len(headings)),
        heading_length=round(statistics.median(len(h) for h in headings)) if headings else 0,
        h3=round(statistics.median(r.h3 for r in readings)),
    )


def _words(found: Iterable[str], sentences: int) -> Words | None:
    counts = Counter(found)
    if not sentences:
        return None
    common = [word for word, n in counts.most_common(TOP_WORDS) if n >= 2]
    return Words(words=common, per_100=round(100 * sum(counts.values()) / sentences, 1))


def _script(readings: list[PostReading]) -> Script | None:
    counts = [script_counts(r.prose) for r in readings]
    kanji, hiragana, katakana = (sum(column) for column in zip(*counts, strict=True))
    total = kanji + hiragana + katakana
    if not total:
        return None
    return Script(kanji=_share(kanji, total), hiragana=_share(hiragana, total), katakana=_share(katakana, total))


def _format(readings: list[PostReading]) -> Format:
    posts = len(readings)
    images = sum(r.images for r in readings)
    keys = Counter(k for r in readings for k in dict.fromkeys(r.keys))
    ordered = list(dict.fromkeys(k for r in readings for k in r.keys))
    return Format(
        reference=_share(sum(r.reference for r in readings), posts),
        images=_share(sum(r.images > 0 for r in readings), posts),
        credited=_share(sum(r.credited for r in readings), images) if images else 0.0,
        cta=_share(sum(r.cta for r in readings), posts),
        json_ld=_share(sum(r.json_ld for r in readings), posts),
        reading_rate=reading_rate(readings),
        front_matter=[k for k in ordered if keys[k] >= KEY_SHARE * posts],
    )


def reading_rate(readings: list[PostReading]) -> int | None:
    """The characters a minute the posts' `reading_time` is stated at (the median, to 10), when it is a rate; None
    when fewer than three posts state it, or when it is a constant its generator wrote:
    - the same value on every post whatever its length: `reading_time: 8` on bodies too far apart for one rate to
      give all of them 8 (a rate gives ⌈body / rate⌉, so the longest body must be under v/(v−1) times the
      shortest); on posts of about one length the same value is what a rate gives, and the rate is learnt;
    - values that differ but do not rise with the body (Pearson's r under 0.5).
    The gate's `voice.reading-time` then holds drafts to nothing."""
    stated = [(r.body, r.reading_time) for r in readings if r.reading_time and r.body]
    if len(stated) < RATE_POSTS:
        return None
    bodies, minutes = zip(*stated, strict=True)
    if len(set(minutes)) == 1:
        value = minutes[0]
        if value > 1 and max(bodies) * (value - 1) >= min(bodies) * value:
            return None
    else:
        try:
            if statistics.correlation(bodies, minutes) < RATE_CORRELATION:
                return None
        except statistics.StatisticsError:  # every body the same length: the differing values follow nothing
            return None
    return max(1, round(statistics.median(body / m for body, m in stated) / 10) * 10)
