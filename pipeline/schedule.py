"""The content calendar and topic memory → the day's Brief."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline.config import Settings, Structure
from pipeline.errors import GenpostError
from pipeline.memory import Written
from pipeline.paths import resource
from pipeline.text import fill_years, topic_key, years_in
from pipeline.types import Brief
from pipeline.yamlfile import load_validated

log = logging.getLogger("genpost")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class DayPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    theme: str
    instinct: str
    structure: Structure
    keywords: list[str] = Field(min_length=1)


class Campaign(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    keywords: list[str] = Field(default_factory=list)


class Calendar(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: dict[str, DayPlan]
    campaigns: dict[int, Campaign] = Field(default_factory=dict)

    @field_validator("days")
    @classmethod
    def _every_weekday(cls, value: dict[str, DayPlan]) -> dict[str, DayPlan]:
        missing = [d for d in WEEKDAYS if d not in value]
        unknown = [d for d in value if d not in WEEKDAYS]
        if missing or unknown:
            raise ValueError(f"needs exactly the seven weekdays (missing {missing}, unknown {unknown})")
        return value


def load_calendar(path: Path | None = None) -> Calendar:
    path = path or resource("calendar.yml")
    return load_validated(Calendar, path)


def local_day(moment: datetime, settings: Settings) -> date:
    """The date in the site's timezone: 23:30 UTC on a Sunday is Monday in Tokyo."""
    return moment.astimezone(settings.site.zone).date()


def _usable(keyword: str, year: int) -> bool:
    """A calendar keyword, filled for `year`, that names no past year."""
    return all(named >= year for named in years_in(fill_years(keyword, year)))


def choose_keyword(day: date, calendar: Calendar, written: list[Written], gap_days: int) -> tuple[str, str]:
    """The day's primary keyword, its years filled in: never a topic used within the gap; the longest-unused first.

    Looks at the weekday's theme keywords, then the month's campaign, then the other
    themes. A keyword that names a year before the day's is never chosen. The same
    keyword with another year is the same topic. Returns (keyword, where it came from).
    """
    gap = timedelta(days=gap_days)
    last_used: dict[str, date] = {}
    for post in written:
        key = topic_key(post.primary_keyword)
        if key and (key not in last_used or post.day > last_used[key]):
            last_used[key] = post.day
    weekday = WEEKDAYS[day.weekday()]
    campaign = calendar.campaigns.get(day.month)
    pools = [("theme", calendar.days[weekday].keywords), ("campaign", campaign.keywords if campaign else [])]
    pools.append(("other themes", [k for d in WEEKDAYS if d != weekday for k in calendar.days[d].keywords]))
    for source, pool in pools:
        fresh = [
            k
            for k in pool
            if _usable(k, day.year) and (topic_key(k) not in last_used or abs(day - last_used[topic_key(k)]) >= gap)
        ]
        if fresh:
            # The longest-unused keyword first; never used counts as oldest.
            chosen = min(fresh, key=lambda k: last_used.get(topic_key(k), date.min))
            return fill_years(chosen, day.year), source
    raise GenpostError(f"every calendar keyword was used within {gap_days} days of {day}; add keywords to calendar.yml")


def day_brief(
    moment: datetime, calendar: Calendar, written: list[Written], settings: Settings, site: Path | None
) -> Brief:
    """The Brief for the site-local day of `moment`."""
    day = local_day(moment, settings)
    plan = calendar.days[WEEKDAYS[day.weekday()]]
    keyword, source = choose_keyword(day, calendar, written, settings.memory.keyword_gap_days)
    if source != "theme":
        log.info("%s: the %s keyword 「%s」 (the theme's are used within the gap)", day, source, keyword)
    others = [fill_years(k, day.year) for k in plan.keywords if _usable(k, day.year)]
    return Brief(
        instinct=plan.instinct,
        keywords=[keyword, *(k for k in others if k != keyword)],
        theme=plan.theme,
        structure=plan.structure,
        date=moment,
        site=site,
    )


def warn_past_years(brief: Brief, settings: Settings) -> None:
    """One notice per typed keyword that names a year before the post's; the keyword is kept as written."""
    year = local_day(brief.date, settings).year
    for keyword in brief.keywords:
        past = [named for named in years_in(keyword) if named < year]
        if past:
            log.warning("keyword 「%s」 names %d, before the post's year %d; kept as written", keyword, past[0], year)


def morning_of(day: date, settings: Settings) -> datetime:
    """09:00 in the site's timezone on `day` (when a scheduled post goes out)."""
    return datetime.combine(day, time(9, 0), tzinfo=settings.site.zone)
