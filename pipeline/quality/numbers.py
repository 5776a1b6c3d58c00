"""Number rules: reading time, title, description, body length, keyword use and keyword stuffing.

A keyword is matched by its words (`keyword_words`): a site's `seo_keywords` join them with spaces
(「AI マーケティング 最新トレンド」), which prose never writes; prose writes 「AIマーケティングの最新トレンド」.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from pipeline.document import Block
from pipeline.quality.context import Check
from pipeline.site import permalinks
from pipeline.text import char_count, keyword_words, years_in
from pipeline.types import Finding

# One keyword phrase this many times within this many characters of one section's prose is stuffing.
STUFFING_USES, STUFFING_SPAN = 4, 200
# What may stand between a keyword's words in a use of the whole phrase: spaces, 「の」, 「・」, a 読点.
_PHRASE_GAP = r"[\s・、の]{0,3}"
_LATIN_EDGE = re.compile(r"[a-z0-9]")


def body_chars(c: Check) -> int:
    """Characters of prose a reader reads (headings, images and HTML blocks excluded)."""
    return char_count(c.doc.prose_text())


def reading_time(c: Check) -> list[Finding]:
    stated = c.doc.front.reading_time
    if stated is None:
        return []
    per_minute = c.settings.lengths.reading_chars_per_minute
    expected = max(1, math.ceil(body_chars(c) / per_minute))
    if abs(stated - expected) > c.settings.quality.reading_tolerance:
        message = f"reading_time is {stated} but the body reads in about {expected} min ({per_minute} chars/min)"
        return [
            c.finding(
                "numbers.reading-time",
                "error",
                message,
                f"reading_time が{stated}分ですが、本文は約{expected}分で読めます",
                1,
            )
        ]
    return []


def title(c: Check) -> list[Finding]:
    value = c.doc.front.title
    if not value and "title" not in c.doc.front:  # a missing title is the front-matter rules' (an empty one is not)
        return []
    out = []
    limit = c.settings.lengths.title_max
    if len(value) > limit:
        out.append(
            c.finding(
                "numbers.title-length",
                "error",
                f"title has {len(value)} characters (max {limit})",
                f"タイトルが{len(value)}字です（{limit}字まで）",
                1,
            )
        )
    if not any(ch.isdigit() for ch in unicodedata.normalize("NFKC", value)):
        out.append(c.finding("numbers.title-number", "error", "title has no number", "タイトルに数字がありません", 1))
    keyword = primary_keyword(c)
    if keyword is not None:
        missing = [w for w in keyword_words(keyword) if not word_uses(_folded(value), w)]
        if missing:
            en = f"title lacks words of the primary keyword: {', '.join(missing)}"
            ja = f"タイトルに主キーワードの語（{'、'.join(missing)}）がありません"
            out.append(c.finding("numbers.title-keyword", "error", en, ja, 1))
    return out


def description(c: Check) -> list[Finding]:
    value = c.doc.front.description
    if not value and "description" not in c.doc.front:  # likewise: an empty description is too short
        return []
    longest, shortest = c.settings.lengths.description_max, c.settings.quality.description_min
    if len(value) > longest:
        return [
            c.finding(
                "numbers.description",
                "error",
                f"description has {len(value)} chars (max {longest})",
                f"ディスクリプションが{len(value)}字です（{longest}字まで）",
                1,
            )
        ]
    if len(value) < shortest:
        return [
            c.finding(
                "numbers.description",
                "warning",
                f"description has {len(value)} chars (min {shortest})",
                f"ディスクリプションが{len(value)}字と短すぎます（{shortest}字以上）",
                1,
            )
        ]
    return []


def body_length(c: Check) -> list[Finding]:
    low, high = c.settings.lengths.body
    chars = body_chars(c)
    if low <= chars <= high:
        return []
    return [
        c.finding(
            "numbers.body-length",
            "warning",
            f"the body has {chars} characters (target {low}–{high})",
            f"本文が{chars}字です（目安 {low}〜{high}字）",
        )
    ]


def primary_keyword(c: Check) -> str | None:
    """The first of `seo_keywords`, when the front matter lists one (the tags are no keyword here)."""
    keywords = c.doc.front.keywords
    return keywords[0] if keywords and keywords[0].strip() else None


def _folded(text: str) -> str:
    """NFKC and lower case: the form in which keywords are looked for (full-width ＡＩ is AI)."""
    return unicodedata.normalize("NFKC", text).lower()


def word_uses(folded: str, word: str) -> int:
    """How often a keyword's word stands in `folded` text (see `_folded`): a Latin word as a word of its own
    (AI in 「AIの活用」 and 「AI マーケティング」, not in 「EMAIL」), any other as it is, spaces ignored."""
    target = _folded(word)
    if target.isascii() and target.isalnum():
        return len(re.findall(rf"(?<![a-z0-9]){re.escape(target)}(?![a-z0-9])", folded))
    return "".join(folded.split()).count("".join(target.split()))


def keyword_uses(c: Check) -> list[Finding]:
    """numbers.keyword: the primary keyword used `quality.keyword_uses` times in the body, counted by its words.
    A use needs every word of the keyword, so the body uses it as often as its least-used word stands there:
    「AI マーケティング 最新トレンド」 is used twice in a body with AI ×7, マーケティング ×5, 最新トレンド ×2, whether
    it writes 「AIマーケティングの最新トレンド」 or the words apart; a one-word keyword, as often as that word."""
    keyword = primary_keyword(c)
    words = keyword_words(keyword) if keyword is not None else []
    if keyword is None or not words:
        return []
    prose = _folded(c.doc.prose_text())
    counts = {w: word_uses(prose, w) for w in words}
    uses = min(counts.values())
    low, high = c.settings.quality.keyword_uses
    if low <= uses <= high:
        return []
    if len(words) == 1:
        en = f"the primary keyword 「{keyword}」 appears {uses} times in the body (target {low}–{high})"
        ja = f"主キーワード「{keyword}」が本文に{uses}回あります（目安 {low}〜{high}回）"
    else:
        rarest = min(words, key=lambda w: counts[w])
        en = (
            f"the primary keyword 「{keyword}」 appears {uses} times in the body, counted by its least-used word "
            f"「{rarest}」 (target {low}–{high})"
        )
        ja = (
            f"主キーワード「{keyword}」の語がそろって本文に{uses}回あります（いちばん少ない「{rarest}」の回数。"
            f"目安 {low}〜{high}回）"
        )
    return [c.finding("numbers.keyword", "warning", en, ja)]


@dataclass(frozen=True)
class Use:
    """One use of a keyword phrase in the prose: the block, and where in its text."""

    block: Block
    start: int
    end: int


def _phrase(words: list[str]) -> re.Pattern[str]:
    """A keyword's words in order, with at most a space, の, ・ or 読点 between them (in `_folded` text)."""
    parts = [re.escape(_folded(w)) for w in words]
    head = r"(?<![a-z0-9])" if _LATIN_EDGE.match(parts[0][:1]) else ""
    tail = r"(?![a-z0-9])" if _LATIN_EDGE.match(parts[-1][-1:]) else ""
    return re.compile(head + _PHRASE_GAP.join(parts) + tail)


def _uses(c: Check, pattern: re.Pattern[str]) -> list[Use]:
    """Each use of the phrase in the prose, placed in the block's own text (NFKC maps one character to several
    at times: the match is mapped back character by character)."""
    found = []
    for block in c.doc.prose:
        folded, origin = "", []
        for i, char in enumerate(block.text):
            piece = _folded(char)
            folded += piece
            origin += [i] * len(piece)
        found += [Use(block, origin[m.start()], origin[m.end() - 1] + 1) for m in pattern.finditer(folded)]
    return found


def stuffed(c: Check) -> list[tuple[str, list[Use]]]:
    """Each keyword (of two words or more) stuffed into the prose: `STUFFING_USES` uses of the whole phrase or
    more within `STUFFING_SPAN` characters of one section (the prose under one heading), each run of such uses
    once. A one-word keyword is the topic's own word, used as often as the topic needs: numbers.keyword bounds it."""
    out: list[tuple[str, list[Use]]] = []
    for keyword in dict.fromkeys(c.doc.front.keywords):
        words = keyword_words(keyword)
        if len(words) < 2:
            continue
        sections: dict[str, list[Use]] = {}
        for use in _uses(c, _phrase(words)):
            sections.setdefault(use.block.part, []).append(use)
        for part, uses in sections.items():
            starts = _starts(c, part)
            out += [(keyword, run) for run in _runs([(starts[u.block.index] + u.start, u) for u in uses])]
    return out


def _starts(c: Check, part: str) -> dict[int, int]:
    """Where each prose block of a section starts in the section's prose (its blocks joined by newlines)."""
    starts, at = {}, 0
    for block in c.doc.prose:
        if block.part == part:
            starts[block.index] = at
            at += len(block.text) + 1
    return starts


def _runs(placed: list[tuple[int, Use]]) -> list[list[Use]]:
    """The runs of uses dense enough to be stuffing: every use within some `STUFFING_USES` uses in a row that
    span `STUFFING_SPAN` characters or fewer, uses less than `STUFFING_SPAN` apart joined into one run."""
    placed.sort(key=lambda p: p[0])
    dense = set()
    for i in range(len(placed) - STUFFING_USES + 1):
        if placed[i + STUFFING_USES - 1][0] - placed[i][0] <= STUFFING_SPAN:
            dense.update(range(i, i + STUFFING_USES))
    runs: list[list[Use]] = []
    last = None
    for i in sorted(dense):
        if last is None or placed[i][0] - placed[last][0] > STUFFING_SPAN:
            runs.append([])
        runs[-1].append(placed[i][1])
        last = i
    return runs


def keyword_stuffing(c: Check) -> list[Finding]:
    """numbers.keyword-stuffing (error): a keyword phrase said again and again in a short span (a search engine's
    spam policy names it, and a reader sees it at once); style.spacing leaves those uses to this rule."""
    out = []
    for keyword, run in stuffed(c):
        first = run[0]
        said = first.block.text[first.start : first.end]
        out.append(
            c.finding(
                "numbers.keyword-stuffing",
                "error",
                f"keyword stuffing: 「{keyword}」 {len(run)} times within {STUFFING_SPAN} characters",
                f"キーワード「{keyword}」が{STUFFING_SPAN}字以内に{len(run)}回詰め込まれています。"
                "言い換えるか、減らしてください",
                block=first.block,
                excerpt=said,
            )
        )
    return out


def post_year(c: Check) -> int | None:
    """The year of the post's `date` in the site's timezone."""
    moment = permalinks.front_date(c.doc.front.date, c.settings.site.zone)  # as Jekyll reads it
    return moment.year if moment is not None else None


def stale_years(c: Check) -> list[Finding]:
    """A title or keyword that names a year before the post's reads as an old post."""
    year = post_year(c)
    front = c.doc.front
    if year is None:
        return []
    named = [("title", front.title)] + [("seo_keywords", k) for k in front.keywords]
    out = []
    for field, text in named:
        past = [y for y in years_in(text) if y < year]
        if past:
            message = f"{field} 「{text}」 names {past[0]}, before the post's year {year}"
            out.append(
                c.finding(
                    "numbers.stale-year",
                    "warning",
                    message,
                    f"{field}「{text}」が公開年（{year}年）より前の{past[0]}年を挙げています",
                    1,
                )
            )
    return out


RULES = (reading_time, title, description, body_length, keyword_uses, keyword_stuffing, stale_years)
