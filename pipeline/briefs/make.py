"""`genpost brief`: a brief from the top results, the instinct and the site, written to `out/briefs/`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipeline.briefs.analysis import Page, angle, intent, length, outline, questions, shared_topics
from pipeline.briefs.model import SUFFIX, BriefFile, Gaps, Result, SitePost, write_brief
from pipeline.briefs.research import research
from pipeline.config import Settings
from pipeline.instincts import Instinct
from pipeline.site.context import Site
from pipeline.text import slugify

SITE_POSTS = 5  # the site's posts named as link candidates, at most


@dataclass
class Made:
    path: Path
    brief: BriefFile
    notice: str  # what went less than well (no engine, a failed search, unread results), for stderr


def theme_of(keyword: str) -> str:
    """The post's theme when none is given: the keyword's first two words."""
    return " ".join(keyword.split()[:2]) or keyword


async def make_brief(
    keywords: list[str],
    instincts: dict[str, Instinct],
    key: str | None,
    structure: str,
    theme: str | None,
    settings: Settings,
    site: Site | None,
    out_dir: Path,
    now: datetime,
) -> Made:
    """The brief for `keywords`, written to out/briefs/DATE-SLUG.brief.yml (a new name beside an older one). With
    no instinct (`key` None), the one whose trigger words the results use most."""
    keyword = keywords[0]
    cache = out_dir / ".genpost" / "sources-cache"  # the drafting run reuses the pages fetched here
    pages, suggestions, notice = await research(keyword, settings.sources, cache)
    instinct = instincts[key] if key is not None else _most_used(instincts, pages)
    brief = await asyncio.to_thread(
        _analysed, keywords, instinct, structure, theme, settings, site, pages, suggestions, out_dir, now
    )
    day = now.astimezone(settings.site.zone).strftime("%Y-%m-%d")
    path = _free(out_dir / "briefs", f"{day}-{slugify(keyword)}")
    write_brief(path, brief)
    return Made(path, brief, notice)


def _analysed(
    keywords: list[str],
    instinct: Instinct,
    structure: str,
    theme: str | None,
    settings: Settings,
    site: Site | None,
    pages: list[Page],
    suggestions: list[str],
    out_dir: Path,
    now: datetime,
) -> BriefFile:
    """The brief's fields from the pages read (CPU work: tokenising and ranking)."""
    keyword = keywords[0]
    shared = shared_topics(pages)  # numbered as `results` is: an unread page has no headings
    asked = questions(pages, suggestions)
    angles = angle(instinct, [p for p in pages if p.read])
    theme = theme or theme_of(keyword)
    parts = outline(instinct, theme, structure, keyword, shared, asked, angles)
    results = [
        Result(
            url=p.url,
            title=p.title,
            headings=[f"{'#' * s.level} {s.heading}" for s in p.sections],
            chars=p.chars,
            fetched_at=p.fetched_at,
            error=p.error,
        )
        for p in pages
    ]
    return BriefFile(
        keywords=keywords,
        instinct=instinct.key,
        structure=structure,
        theme=theme,
        intent=intent(keywords, [p for p in pages if p.read]),
        results=results,
        shared=shared,
        questions=asked,
        gaps=Gaps(angle=angles, site=_site_posts(site, " ".join(keywords), out_dir, settings.links.min_score)),
        length=length(pages, settings.lengths.body),
        outline=parts,
        created_at=now,
    )


def _most_used(instincts: dict[str, Instinct], pages: list[Page]) -> Instinct:
    """The instinct whose trigger words the results use most (the first listed, when none uses any)."""
    text = " ".join(p.title + " ".join(s.heading + s.text for s in p.sections) for p in pages)
    return max(instincts.values(), key=lambda i: sum(text.count(t) for t in i.triggers))


def _site_posts(site: Site | None, query: str, out_dir: Path, floor: float) -> list[SitePost]:
    """The site's posts on the topic: to link to, not to repeat."""
    if site is None:
        return []
    ranked = site.index(out_dir / ".genpost" / "site-index.json").ranked(query, SITE_POSTS)
    return [SitePost(post=page.name, title=page.title) for page, score in ranked if score >= floor]


def _free(folder: Path, stem: str) -> Path:
    """`stem.brief.yml` in `folder`, or `stem-2.brief.yml` … when that is taken."""
    path, n = folder / f"{stem}{SUFFIX}", 2
    while path.exists():
        path, n = folder / f"{stem}-{n}{SUFFIX}", n + 1
    return path
