"""The export matched to the site's posts, and what its figures say: posts that lost clicks or position, pages
just off the first page, titles that draw fewer clicks than the site's own pages at the same position, two posts
that compete for one search, and searches with impressions that no post answers.

A page is a post when its URL, on the site's host (with or without `www`, over http or https), reaches a post
through the site's permalinks (trailing slash and percent-encoding as Jekyll serves them). Rows for other pages
are counted, never an error. The export has no page-by-query table: a query is matched to posts by BM25 over
the posts' text (the same index as links), so competing posts are named as likely, with the relevance found.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.config import PerformanceApi, PerformanceSettings
from pipeline.performance.export import Export, Period, Row
from pipeline.site.context import Site

MIN_CLICKS = 20  # a base of clicks below which a loss says nothing
CLICKS_LOST = 0.30
POSITION_LOST = 3.0
NEAR_FIRST_PAGE = (8.0, 20.0)  # positions: the second page, or the bottom of the first
MIN_IMPRESSIONS = 100
LOW_CTR = 0.5  # of the site's own CTR at that position
OWN_POST = 0.45  # a query's relevance to a post that makes the post its own (0–1)
GAP = OWN_POST  # below this for every post, a query has no post of its own
QUERY_IMPRESSIONS = 50
STRIKING = "performance.striking-distance"


@dataclass
class PostFigures:
    """A post and its figures (summed over the URLs that reach it)."""

    name: str
    title: str
    url: str
    now: Period
    before: Period | None = None

    @property
    def lost(self) -> float:
        """The share of clicks lost between the periods (0 when it did not lose, or no comparison)."""
        if self.before is None or self.before.clicks <= 0:
            return 0.0
        return max(0.0, (self.before.clicks - self.now.clicks) / self.before.clicks)


@dataclass
class Signal:
    """One thing the figures say of a post, in Japanese, with its figures."""

    code: str
    post: str
    message: str


@dataclass
class Competing:
    query: str
    impressions: float
    posts: list[tuple[str, float]]  # name, relevance


@dataclass
class Performance:
    """The export as the site's posts see it."""

    posts: dict[str, PostFigures] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)  # page URLs that are no post of the site
    queries: list[Row] = field(default_factory=list)
    compares: bool = False
    ranking: list[tuple[str, str, Period]] = field(default_factory=list)  # (post, query, figures): the API's

    def signals(self) -> list[Signal]:
        curve = ctr_curve(list(self.posts.values()))
        return [s for figures in self.posts.values() for s in post_signals(figures, curve)]


def _hosts(url: str | None) -> set[str]:
    host = (urlsplit(url).hostname or "").lower() if url else ""
    bare = host.removeprefix("www.")
    return {bare, f"www.{bare}"} if bare else set()


def matched(export: Export, site: Site) -> Performance:
    """The export's pages matched to the site's posts; its queries kept."""
    links = site.permalinks
    hosts = _hosts(site.format.url)
    titles = {p.name: p.title for p in site.posts}
    found: dict[str, list[Row]] = {}
    unmatched = []

    def post_of(url: str) -> str | None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or (hosts and (parts.hostname or "").lower() not in hosts):
            return None
        for path in dict.fromkeys([parts.path or "/", (parts.path or "/").rstrip("/") + "/"]):
            post = links.by_path(path) or links.by_path(path.rstrip("/") or "/")
            if post is not None:
                return post.name
        return None

    for row in export.pages:
        name = post_of(row.key)
        if name is None:
            unmatched.append(row.key)
        else:
            found.setdefault(name, []).append(row)
    posts = {
        name: PostFigures(name, titles.get(name, name), links.href(links.posts[name]), *_summed(rows))
        for name, rows in found.items()
        if name in links.posts
    }
    ranking = [(name, query, period) for page, query, period in export.page_queries if (name := post_of(page))]
    return Performance(posts, unmatched, list(export.queries), export.compares, ranking)


def _summed(rows: list[Row]) -> tuple[Period, Period | None]:
    """One post's figures over the URLs that reach it: counts added, CTR again, position weighted by impressions."""

    def add(periods: list[Period]) -> Period:
        clicks = sum(p.clicks for p in periods)
        shown = sum(p.impressions for p in periods)
        position = sum(p.position * p.impressions for p in periods) / shown if shown else 0.0
        return Period(clicks, shown, clicks / shown if shown else 0.0, round(position, 2))

    before = [r.before for r in rows if r.before is not None]
    return add([r.now for r in rows]), add(before) if before else None


def ctr_curve(posts: list[PostFigures]) -> dict[int, float]:
    """The site's own CTR at each position (rounded), from its posts with impressions enough to say."""
    by_position: dict[int, list[float]] = {}
    for figures in posts:
        now = figures.now
        if now.impressions >= MIN_IMPRESSIONS and now.position > 0:
            by_position.setdefault(round(now.position), []).append(now.ctr)
    return {position: statistics.median(ctrs) for position, ctrs in by_position.items() if len(ctrs) >= 3}


def post_signals(figures: PostFigures, curve: dict[int, float]) -> list[Signal]:
    """What a post's figures say: clicks or position lost, near the first page, a low CTR for its position."""
    out = []
    now, before, name = figures.now, figures.before, figures.name
    if before is not None and before.clicks >= MIN_CLICKS and figures.lost >= CLICKS_LOST:
        out.append(
            Signal(
                "performance.clicks-lost",
                name,
                (
                    f"検索からのクリックが前の期間の{before.clicks:,.0f}回から{now.clicks:,.0f}回に"
                    f"{figures.lost:.0%}減りました（表示回数 {before.impressions:,.0f} → {now.impressions:,.0f}）"
                ),
            )
        )
    dropped = before is not None and before.position > 0 and now.position - before.position >= POSITION_LOST
    if before is not None and dropped and before.impressions >= MIN_IMPRESSIONS:
        message = f"平均掲載順位が{before.position:.1f}位から{now.position:.1f}位に下がりました"
        out.append(Signal("performance.position-lost", name, message))
    if NEAR_FIRST_PAGE[0] <= now.position <= NEAR_FIRST_PAGE[1] and now.impressions >= MIN_IMPRESSIONS:
        out.append(
            Signal(
                STRIKING,
                name,
                (f"平均掲載順位{now.position:.1f}位で表示回数{now.impressions:,.0f}回: 1ページ目まであと一歩です"),
            )
        )
    expected = curve.get(round(now.position)) if now.position > 0 else None
    if expected and now.impressions >= MIN_IMPRESSIONS and now.ctr < LOW_CTR * expected:
        out.append(
            Signal(
                "performance.low-ctr",
                name,
                (
                    f"CTRが{now.ctr:.1%}で、このサイトの{round(now.position)}位前後の記事の中央値{expected:.1%}の"
                    "半分に届きません（タイトルと説明文が選ばれていません）"
                ),
            )
        )
    return out


def ranked_for(site: Site, performance: Performance, cache: Path | None = None) -> dict[str, list[tuple[str, float]]]:
    """Each query with impressions enough → the posts that answer it, with their relevance (BM25, 0–1)."""
    index = site.index(cache)
    out = {}
    for row in performance.queries:
        if row.now.impressions >= QUERY_IMPRESSIONS:
            out[row.key] = [(page.name, score) for page, score in index.ranked(row.key, 3)]
    return out


def competing(performance: Performance, answers: dict[str, list[tuple[str, float]]]) -> list[Competing]:
    """Queries two or more posts answer as their own: they compete for one search. With the API's page-by-query
    rows, the posts that each drew a tenth of a query's impressions or more (their share given); else the posts
    the query's words match as their own (their relevance given)."""
    shown = {r.key: r.now.impressions for r in performance.queries}
    if performance.ranking:
        by_query: dict[str, list[tuple[str, float]]] = {}
        for post, query, period in performance.ranking:
            by_query.setdefault(query, []).append((post, period.impressions))
        ranked = []
        for query, posts in by_query.items():
            total = sum(n for _, n in posts)
            share = [(post, round(n / total, 2)) for post, n in posts if total and n >= 0.1 * total]
            if len(share) >= 2 and total >= QUERY_IMPRESSIONS:
                ranked.append(Competing(query, shown.get(query, total), sorted(share, key=lambda p: -p[1])))
        return sorted(ranked, key=lambda c: -c.impressions)
    out = []
    for query, posts in answers.items():
        own = [(name, score) for name, score in posts if score >= OWN_POST]
        if len(own) >= 2:
            out.append(Competing(query, shown.get(query, 0.0), own))
    return sorted(out, key=lambda c: -c.impressions)


def gaps(performance: Performance, answers: dict[str, list[tuple[str, float]]]) -> list[Row]:
    """Queries with impressions that no post answers as its own: what to write next, most impressions first."""
    rows = {r.key: r for r in performance.queries}
    found = [rows[q] for q, posts in answers.items() if max((s for _, s in posts), default=0.0) < GAP]
    return sorted(found, key=lambda r: -r.now.impressions)


def performance_of(file: Path | None, site: Site, api: PerformanceApi | None = None) -> Performance | None:
    """The export at `file` (`--performance`, else `performance.file`), or the Search Analytics API's figures
    (`performance.api`), matched to the site; None without either."""
    if file is not None:
        from pipeline.performance.export import read_export

        return matched(read_export(file), site)
    if api is not None:
        from pipeline.performance.api import read_api

        return matched(read_api(api, date.today()), site)
    return None


def performance_for(settings: PerformanceSettings, site: Site, given: Path | None = None) -> Performance | None:
    """Search Console's figures for the site: the export `given` (--performance), else `performance.file`, else
    `performance.api`; None without any."""
    return performance_of(given or (Path(settings.file) if settings.file else None), site, settings.api)


def next_topic(performance: Performance, site: Site, written: set[str], cache: Path | None = None) -> str | None:
    """The search with the most impressions that no post answers and genpost has not written on: the next topic."""
    seen = {" ".join(k.split()).lower() for k in written}
    for row in gaps(performance, ranked_for(site, performance, cache)):
        if " ".join(row.key.split()).lower() not in seen:
            return row.key
    return None
