"""The top results for a keyword, read: the configured search engine asked (SearXNG's JSON API, as `--search`
asks it), each result fetched and extracted by the sources stage's fetcher, with its limits, timeouts, retries,
cache and robots.txt. A result that cannot be read is kept with why; an engine that fails leaves no results and
a notice, never an error."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pipeline.briefs.analysis import Page, PageSection
from pipeline.config import SourceSettings
from pipeline.sources.fetch import Fetcher, Unavailable
from pipeline.sources.search import engine


async def research(keyword: str, settings: SourceSettings, cache_dir: Path) -> tuple[list[Page], list[str], str]:
    """The top results for `keyword` as pages, the engine's suggestions, and a notice (empty when all went
    well)."""
    search = settings.search
    if search is None:
        return [], [], "検索エンジンが設定されていないため（genpost.yml の sources.search）、検索結果なしで作りました"
    finder = engine(search, settings.timeout)
    try:
        answer = await finder.answer(keyword, search.results)
    except Unavailable as exc:
        return [], [], f"検索に失敗したため、検索結果なしで作りました（{exc}）"
    finally:
        await finder.close()
    if not answer.results:
        return [], answer.suggestions, "検索結果が0件でした。キーワードとサイトだけから作りました"
    fetcher = Fetcher(settings, cache_dir)
    try:
        pages = await asyncio.gather(*(_page(fetcher, r.url, r.title) for r in answer.results))
    finally:
        await fetcher.close()
    unread = [p for p in pages if not p.read]
    notice = f"{len(unread)}件の結果は読めませんでした（理由は results の error）" if unread else ""
    return list(pages), answer.suggestions, notice


async def _page(fetcher: Fetcher, url: str, title: str) -> Page:
    try:
        found, fetched = await fetcher.url(url, robots=True)
    except Unavailable as exc:
        return Page(url=url, title=title, error=str(exc) or "読めませんでした")
    sections = [PageSection(h.level, h.text, h.under) for h in found.headings]
    return Page(url=url, title=found.title or title, sections=sections, chars=len(found.text), fetched_at=fetched)
