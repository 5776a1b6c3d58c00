"""Number rules: reading time, title, description, body length, keyword use."""

from __future__ import annotations

import math
import unicodedata
from datetime import UTC, date, datetime

from pipeline.quality.context import Check
from pipeline.text import char_count, keyword_words, squash, years_in
from pipeline.types import Finding


def body_chars(c: Check) -> int:
    """Characters of prose a reader reads (headings, images and HTML blocks excluded)."""
    return char_count(c.doc.prose_text())


def reading_time(c: Check) -> list[Finding]:
    stated = c.doc.front.fields.get("reading_time")
    if not isinstance(stated, int) or isinstance(stated, bool):
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
    value = c.doc.front.fields.get("title")
    if not isinstance(value, str):
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
    keywords = c.doc.front.fields.get("seo_keywords")
    if isinstance(keywords, list) and keywords and isinstance(keywords[0], str):
        missing = [w for w in keyword_words(keywords[0]) if squash(w) not in squash(value)]
        if missing:
            en = f"title lacks words of the primary keyword: {', '.join(missing)}"
            ja = f"タイトルに主キーワードの語（{'、'.join(missing)}）がありません"
            out.append(c.finding("numbers.title-keyword", "error", en, ja, 1))
    return out


def description(c: Check) -> list[Finding]:
    value = c.doc.front.fields.get("description")
    if not isinstance(value, str):
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


def keyword_uses(c: Check) -> list[Finding]:
    keywords = c.doc.front.fields.get("seo_keywords")
    if not isinstance(keywords, list) or not keywords or not isinstance(keywords[0], str):
        return []
    uses = squash(c.doc.prose_text()).count(squash(keywords[0]))
    low, high = c.settings.quality.keyword_uses
    if low <= uses <= high:
        return []
    message = f"the primary keyword 「{keywords[0]}」 appears {uses} times in the body (target {low}–{high})"
    return [
        c.finding(
            "numbers.keyword",
            "warning",
            message,
            f"主キーワード「{keywords[0]}」が本文に{uses}回あります（目安 {low}〜{high}回）",
        )
    ]


def post_year(c: Check) -> int | None:
    """The year of the post's `date` in the site's timezone."""
    value = c.doc.front.fields.get("date")
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(c.settings.site.zone).year
    if isinstance(value, date):
        return value.year
    return None


def stale_years(c: Check) -> list[Finding]:
    """A title or keyword that names a year before the post's reads as an old post."""
    year = post_year(c)
    front = c.doc.front.fields
    if year is None:
        return []
    named = [("title", front.get("title"))]
    keywords = front.get("seo_keywords")
    named += [("seo_keywords", k) for k in keywords] if isinstance(keywords, list) else []
    out = []
    for field, text in named:
        past = [y for y in years_in(text) if y < year] if isinstance(text, str) else []
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


RULES = (reading_time, title, description, body_length, keyword_uses, stale_years)
