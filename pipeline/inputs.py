"""What a person types (keywords, a theme, a date), checked before any model call: bounded, printable, in range.

A keyword ends up in the title, the front matter, the slug and every prompt, so a control character
(a NUL breaks `jekyll build`) or a 100 KB keyword (the title check is quadratic) is refused at the
door with one line, exit 2, wherever it comes from: the command line or a batch file.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pipeline.errors import UsageError
from pipeline.text import category_text

KEYWORD_MAX_CHARS = 100
KEYWORDS_MAX = 10
THEME_MAX_CHARS = 100
YEARS = (1970, 9998)  # a post's date: one that every time zone, Jekyll and the file name can hold


def text_field(where: str, value: str, limit: int) -> str:
    """`value` stripped; refused when longer than `limit` characters or holding a control character."""
    text = value.strip()
    if len(text) > limit:
        raise UsageError(f"{where} is {len(text):,} characters long; at most {limit} are allowed")
    bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Cs")), None)
    if bad is not None:
        raise UsageError(f"{where} holds a control character (U+{ord(bad):04X}); remove it")
    return text


def keywords(values: list[str], where: str = "--keywords") -> list[str]:
    """Keywords checked: at least one that is not blank, at most KEYWORDS_MAX, each bounded and printable."""
    if len(values) > KEYWORDS_MAX:
        raise UsageError(f"{where} takes at most {KEYWORDS_MAX} keywords ({len(values)} given)")
    words = [text_field(f"{where} {n}", value, KEYWORD_MAX_CHARS) for n, value in enumerate(values, 1)]
    if not words or any(not word for word in words):
        raise UsageError(f"{where} needs at least one non-empty keyword, and no empty one")
    return words


def theme(value: str | None, where: str = "--theme") -> str | None:
    """A theme checked, as the post's category and heading will hold it (see `category_text`); blank is none."""
    if value is None:
        return None
    return category_text(text_field(where, value, THEME_MAX_CHARS)) or None


def in_range(moment: datetime, zone: ZoneInfo, where: str = "--date") -> datetime:
    """An aware moment whose year, in UTC and in the site's zone, is one a post can carry."""
    try:
        years = {moment.astimezone(UTC).year, moment.astimezone(zone).year}
    except (OverflowError, ValueError):
        years = {0}
    if min(years) < YEARS[0] or max(years) > YEARS[1]:
        raise UsageError(f"{where} {moment.date().isoformat()} is out of range ({YEARS[0]}–{YEARS[1]})")
    return moment
