"""`genpost refresh POST` and the refreshes of `--auto`: a post's reasons found again, its aged parts rewritten,
the draft put in out/."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline import __version__
from pipeline.batch import Budget
from pipeline.config import Settings
from pipeline.document import Kind, PostDoc
from pipeline.errors import GenpostError, UsageError
from pipeline.instincts import Instinct
from pipeline.llm.gateway import totals_of
from pipeline.performance.signals import STRIKING, Performance
from pipeline.refresh import draft
from pipeline.refresh.gated import RefreshRun
from pipeline.refresh.reasons import (
    Finder,
    Reason,
    calendar_topics,
    find_stale,
    keeps,
    performance_reasons,
    read_post,
    source_reasons,
)
from pipeline.refresh.rewrite import Rewriter, Rewritten
from pipeline.refresh.sources import SourceFindings
from pipeline.refresh.splice import bump_years
from pipeline.site.links import LinkPlan
from pipeline.site.permalinks import DATED
from pipeline.sources import Grounding, gather
from pipeline.store import read_exact
from pipeline.text import char_count
from pipeline.types import Brief, ImageQueries, Links, Plan, Refresh, RunRecord, Source
from pipeline.voice.follow import prompt_voice
from pipeline.writing.job import Desk

log = logging.getLogger("genpost")


@dataclass
class RefreshResult:
    """A refresh draft in out/ and the post it replaces."""

    path: Path
    target: str  # _posts/<file>
    record: RunRecord
    reasons: list[Reason]


def resolve_post(site: Path, item: str) -> Path:
    """The post `item` names: a path, or a file name (or `post_url` name) in the site's `_posts/`. Refused, exit
    2, when there is no such post or it lies outside the site's `_posts/` (a link out of it too)."""
    posts = site / "_posts"
    if not posts.is_dir():
        raise UsageError(f"--site {site} has no _posts/ directory")
    typed = Path(item)
    # A path, a path from the site's root (`_posts/…`, as `refresh --list` prints it), or a name in `_posts/`.
    candidates = [typed, site / item, posts / item, *(posts / f"{item}{ext}" for ext in (".md", ".markdown", ".html"))]
    try:
        path = next((p for p in candidates if p.is_file()), None)
    except (OSError, ValueError):
        path = None
    if path is None:
        raise UsageError(f"no post {item!r} in {posts}")
    root = posts.resolve()
    if path.is_symlink() or not path.resolve().is_relative_to(root):
        raise UsageError(f"{item} is not a post of {site} (outside its _posts/, or a link); nothing was refreshed")
    if not DATED.match(path.name):
        raise UsageError(f"{path.name} is not a Jekyll post name (YYYY-MM-DD-slug.md)")
    return posts / path.resolve().relative_to(root)


def pick_instinct(doc: PostDoc, instincts: dict[str, Instinct]) -> Instinct:
    """The instinct the post appeals to: its front matter's, its background heading's, else the one whose
    trigger words it uses most."""
    named = doc.front.instinct
    if named in instincts:
        return instincts[named]
    headings = {h.text for h in doc.headings}
    for instinct in instincts.values():
        if f"{instinct.name}の心理学的背景" in headings:
            return instinct
    text = doc.prose_text()
    return max(instincts.values(), key=lambda i: sum(text.count(t) for t in i.triggers))


async def grounding_for(brief: Brief, fresh: list[Source], settings: Settings, out_dir: Path) -> Grounding | None:
    """The sources a refresh may cite: the changed sources as they are now, --sources, the library, a search."""
    wanted = brief.sources or brief.search or settings.sources.library
    gathered = await gather(brief, settings.sources, out_dir / ".genpost" / "sources-cache") if wanted else []
    unique = list({s.location: s for s in [*fresh, *gathered]}.values())
    if not unique:
        return None
    grounding = Grounding.of([s.model_copy(update={"id": n}) for n, s in enumerate(unique, 1)], settings.sources)
    await asyncio.to_thread(grounding.index.build)
    return grounding


def _plan(doc: PostDoc) -> Plan:
    """What the record keeps as a refresh's plan: the post's own title, description, category and tags."""
    front = doc.front
    return Plan(
        category=front.category,
        trend_points=[],
        steps=[],
        summary="",
        background="",
        cases="",
        lead="",
        trend="",
        title=front.title,
        description=front.description,
        tags=front.tags,
        image_queries=ImageQueries(hero="", background="", trend="", cases=""),
    )


def _cited_now(finder: Finder, rewritten: Rewritten, grounding: Grounding | None) -> dict[str, str]:
    """Each URL the refreshed post cites → its text's hash now (what the published refresh cites)."""
    urls = {href for b in rewritten.doc.of_kind(Kind.CITATION) for href in b.links}
    hashes = {c.url: c.sha256 for c in finder.checks.values() if c.sha256}
    hashes |= {c.moved_to: c.sha256 for c in finder.checks.values() if c.moved_to and c.sha256}
    if grounding is not None:
        hashes |= {s.location: s.sha256 for s in grounding.sources if s.is_url}
    return {url: hashes[url] for url in sorted(urls) if url in hashes}


async def refresh_post(
    desk: Desk,
    site: Path,
    path: Path,
    sources: list[str] | None = None,
    search: bool = False,
    now: datetime | None = None,
    performance: Performance | None = None,
) -> RefreshResult | None:
    """A draft in out/ that refreshes the post at `path`: its reasons found, the parts they name rewritten (with
    `sources` and a search when asked), everything else kept. None when the post has nothing to refresh."""
    started = time.perf_counter()
    settings, instincts, out_dir = desk.settings, desk.instincts, desk.out_dir
    now = now or datetime.now(UTC)
    doc = read_post(path)  # one line, exit 1, when its text or front matter cannot be read
    published = read_exact(path)
    if keeps(doc):
        raise UsageError(f"{path.name} says `refresh: keep` in its front matter; take that line out to refresh it")
    name = path.relative_to(site / "_posts").as_posix()
    finder = Finder(site, out_dir, settings, instincts, now.astimezone(settings.site.zone).date(), calendar_topics())
    checked = await finder.sources({path: doc})
    reasons = finder.local(path, doc) + source_reasons(doc, checked.get(path) or SourceFindings())
    if performance is not None:  # what Search Console's figures say of it
        named = Path(name).with_suffix("").as_posix()
        reasons += performance_reasons(doc, [s for s in performance.signals() if s.post == named])
    if not reasons:
        return None
    seconds = {"reasons": round(time.perf_counter() - started, 4)}
    instinct = pick_instinct(doc, instincts)
    year = now.astimezone(settings.site.zone).year
    keyword = bump_years(doc.front.primary_keyword, year)  # what a search asks for: this year's
    brief = Brief(
        instinct=instinct.key,
        keywords=[keyword or doc.front.title or path.stem],
        theme=_plan(doc).category or None,
        structure=settings.site.default_structure,
        date=now,
        site=site,
        sources=list(sources or []),
        search=search,
    )
    fresh = checked[path].fresh if path in checked else []
    mark = time.perf_counter()
    grounding = await grounding_for(brief, fresh, settings, out_dir)
    seconds["sources"] = round(time.perf_counter() - mark, 4)
    if desk.gateway is None:
        raise GenpostError("a refresh needs the model gateway")
    gateway = desk.gateway.session()
    mark = time.perf_counter()
    # The site's voice as drafting gives it (a model that copies what it is shown gets no examples).
    voice = prompt_voice(desk.voice, short=not gateway.provider.capabilities.whole_draft)
    links = near_first_page(desk, site, performance, name, doc, now)
    rewriter = Rewriter(doc, reasons, settings, instinct, gateway, grounding, now, voice, links)
    first = await rewriter.run()
    seconds["refresh"] = round(time.perf_counter() - mark, 4)
    # The same gate a new post passes (pipeline/writing/stages.py), over the rewritten parts only; the site's
    # post held to the site's format and voice.
    mark = time.perf_counter()
    run = RefreshRun(rewriter, list(rewriter.targets), instincts, desk.site(site) or site, desk.voice)
    gated = await run.gate(first, path.name)
    seconds["gate"] = round(time.perf_counter() - mark, 4)
    rewritten = rewriter.rewritten(gated.post.doc, first.fields)
    text = rewritten.doc.to_markdown()
    findings = gated.findings
    seconds["total"] = round(time.perf_counter() - started, 4)
    body_chars = char_count(rewritten.doc.prose_text())
    record = RunRecord(
        genpost_version=__version__,
        created_at=now,
        brief=brief,
        plan=_plan(rewritten.doc),
        sections={},
        images=[],
        related=[],
        calls=list(gateway.calls),
        totals=totals_of(gateway.calls),
        stage_seconds=seconds,
        reading_time=rewritten.doc.front.reading_time or 0,
        body_chars=body_chars,
        findings=findings,
        rewrites=gated.rewrites,
        cuts=gated.cuts,
        stages=gated.trace,
        sources=grounding.sources if grounding else [],
        passages=rewritten.passages,
        given=rewritten.given,
        citations=rewritten.citations,
        links=links.report if links is not None else Links(),
        refresh=Refresh(
            target=f"_posts/{name}",
            reasons=[r.model() for r in reasons],
            parts=[*rewritten.parts, *rewritten.fields],
            base_sha256=draft.sha256_of(published),
            sources=_cited_now(finder, rewritten, grounding),
        ),
    )
    written = draft.write(out_dir, path, published, text, record)
    return RefreshResult(written, f"_posts/{name}", record, reasons)


def near_first_page(
    desk: Desk, site: Path, performance: Performance | None, name: str, doc: PostDoc, now: datetime
) -> LinkPlan | None:
    """The posts near the first page of the search results that a refresh's rewritten prose may now link to (not
    the post itself, nor one it links already); None without Search Console's figures or such posts."""
    near = {s.post for s in performance.signals() if s.code == STRIKING} if performance is not None else set()
    near -= {Path(name).with_suffix("").as_posix(), *(n for b in doc.prose for _, n in b.internal_links)}
    read = desk.site(site)
    if not near or read is None or not desk.settings.links.enabled:
        return None
    index = read.index(desk.out_dir / ".genpost" / "site-index.json")
    day = now.astimezone(desk.settings.site.zone).date()
    links, chosen = desk.settings.links, frozenset(near)
    return LinkPlan(index, doc.front.title or "", day, links.min_score, 1, links.max_links, chosen, chosen)


async def refresh_top(desk: Desk, site: Path, count: int, budget: Budget | None = None) -> list[RefreshResult]:
    """Up to `count` refreshes from the top of the site's list, skipping a post whose refresh still waits for
    review, within `budget` (the run's, shared with the day's post). A refresh that fails costs a line on stderr,
    never the run."""
    try:
        stale = await find_stale(site, desk.out_dir, desk.settings, desk.instincts)
    except Exception as exc:  # the day's post is written already: no list costs the refreshes only
        log.warning("refresh: the site's posts could not be checked (%s: %s)", type(exc).__name__, exc)
        return []
    waiting = draft.open_refreshes(desk.out_dir)
    done: list[RefreshResult] = []
    for item in stale:
        if len(done) >= count:
            break
        if f"_posts/{item.name}" in waiting:
            continue
        if budget is not None and not budget.fits(0):
            log.warning("refresh: the budget has no room for another refresh; %s is left for another day", item.name)
            break
        try:
            result = await refresh_post(desk, site, item.path)
        except GenpostError as exc:
            log.warning("refresh: %s failed: %s", item.name, exc)
            continue
        except Exception as exc:  # the day's post is written already: a refresh that breaks is its own loss
            log.warning("refresh: %s failed (%s)", item.name, type(exc).__name__)
            log.debug("refresh: %s", item.name, exc_info=True)
            continue
        if result is not None:
            done.append(result)
            if budget is not None:
                budget.add(result)
    return done
