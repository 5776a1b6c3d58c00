"""One post, end to end: brief → plan → sections → images → post → draft in `out/`."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.assembler import Assembler
from pipeline.config import Settings
from pipeline.drafter import Drafter
from pipeline.images import choose_images, recently_used, unsplash_client
from pipeline.instincts import Instinct
from pipeline.llm import Gateway
from pipeline.memory import TopicMemory
from pipeline.outline import outline_for
from pipeline.planner import make_plan
from pipeline.quality import errors
from pipeline.quality.gate import fixes_by_part, gate
from pipeline.site import load_posts, related_posts
from pipeline.store import Checkpoint, ensure_dir, write_draft
from pipeline.types import Brief, Image, Plan, Post, RunRecord, Sections

log = logging.getLogger("genpost")


@dataclass
class Desk:
    """What every multi-post command works with: settings, instincts, the model door, out/, memory."""

    settings: Settings
    instincts: dict[str, Instinct]
    gateway: Gateway
    out_dir: Path
    memory: TopicMemory


@dataclass
class Result:
    """What a run produced."""

    path: Path
    post: Post
    record: RunRecord


async def _same(value: Any) -> Any:
    return value


async def generate(
    brief: Brief,
    instinct: Instinct,
    settings: Settings,
    gateway: Gateway,
    out_dir: Path,
    checkpoint: Checkpoint,
    memory: TopicMemory | None = None,
    source: str = "cli",
    draft: Callable[[Drafter], Awaitable[Sections]] | None = None,
) -> Result:
    """Write one draft and its run record into `out_dir`, resuming from `checkpoint`.

    With a topic memory, the plan avoids titles already written, and the post is remembered.
    `draft` replaces the drafting calls (the Batch API's collected answers do).
    """
    ensure_dir(out_dir)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    # A resumed run keeps the first run's brief (its date, when none was given).
    brief = await checkpoint.reuse("brief", Brief, lambda: _same(brief))

    mark = time.perf_counter()
    existing = [w.title for w in memory.written()] if memory else []
    plan = await checkpoint.reuse("plan", Plan, lambda: make_plan(brief, instinct, settings, gateway, existing))
    seconds["plan"] = time.perf_counter() - mark
    log.info("plan: %s", plan.title)

    outline = outline_for(instinct.name, plan, brief.structure)
    drafter = Drafter(brief, plan, outline, instinct, settings, gateway, checkpoint)

    async def timed(name: str, work: Awaitable[Any]) -> Any:
        mark = time.perf_counter()
        value = await work
        seconds[name] = time.perf_counter() - mark
        return value

    async def find_images() -> list[Image]:
        # Photos used on the site, or in drafts, recently are skipped.
        places = [out_dir, *([brief.site / "_posts"] if brief.site else [])]
        avoid = recently_used(places, settings.images.avoid_days, brief.date)
        client = unsplash_client(settings.images, out_dir / ".genpost" / "unsplash-cache")
        try:
            return await choose_images(plan, outline, instinct, settings.images, client, avoid)
        finally:
            if client is not None:
                await client.close()

    # Images need only the plan, so they are searched while the sections are drafted.
    sections, images = await asyncio.gather(
        timed("draft", draft(drafter) if draft else drafter.draft()),
        timed("images", checkpoint.reuse("images", list[Image], find_images)),
    )
    related = []
    if brief.site is not None:
        related = related_posts(
            load_posts(brief.site),
            plan.title,
            [*plan.tags, *brief.keywords, plan.category],
            settings.related.count,
            settings.related.min_score,
        )

    # The quality gate: failing parts are redrafted with what was found, a bounded number of times.
    assembler = Assembler(settings, instinct)
    mark = time.perf_counter()
    post = assembler.assemble(brief, plan, outline, sections, images, related)
    findings = gate(post, settings, instinct, brief.site)
    rewrites: list[dict] = []
    for round_number in range(1, settings.quality.max_rewrites + 1):
        fixes = fixes_by_part(findings, outline)
        if not fixes:
            break
        log.info("quality gate, round %d: redrafting %s", round_number, ", ".join(sorted(fixes)))
        rewrites.append({"round": round_number, "parts": sorted(fixes), "errors": sum(map(len, fixes.values()))})
        sections = await drafter.redraft(sections, fixes)
        post = assembler.assemble(brief, plan, outline, sections, images, related)
        findings = gate(post, settings, instinct, brief.site)
    seconds["gate"] = time.perf_counter() - mark
    if any(f.severity == "error" for f in findings):
        log.warning("%d quality error(s) remain; see the run record or `genpost check`", len(errors(findings)))
    seconds["total"] = time.perf_counter() - started
    record = RunRecord(
        genpost_version=__version__,
        created_at=datetime.now(UTC),
        brief=brief,
        plan=plan,
        sections=sections,
        images=images,
        related=related,
        calls=gateway.calls,
        totals=gateway.totals(),
        stage_seconds={k: round(v, 4) for k, v in seconds.items()},
        reading_time=post.reading_time,
        body_chars=post.body_chars,
        resumed=[name for name in checkpoint.reused if name != "brief"],
        findings=findings,
        rewrites=rewrites,
    )

    def record_json(name: str) -> str:
        return record.model_copy(update={"draft": name}).model_dump_json(indent=2)

    path = write_draft(out_dir, post.filename, post.markdown, record_json)
    checkpoint.clear()
    if memory is not None:
        day = brief.date.astimezone(settings.site.zone).date()
        urls = [image.url for image in images]
        memory.remember(day, brief.primary_keyword, plan.title, instinct.key, plan.category, source, path.name, urls)
    record.draft = path.name
    return Result(path=path, post=post, record=record)
