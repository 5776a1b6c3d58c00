"""Many posts in one run: concurrent under one call cap, within a token or cost budget."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator

from pipeline import inputs
from pipeline.briefs.drafting import load_approved, run_brief
from pipeline.config import Settings
from pipeline.errors import GenpostError, UsageError
from pipeline.instincts import Instinct
from pipeline.llm.pricing import call_cost
from pipeline.memory import Written
from pipeline.schedule import Calendar, day_brief, morning_of, warn_past_years
from pipeline.sources import check_items
from pipeline.store import Checkpoint, run_key
from pipeline.types import Brief
from pipeline.writing.job import Desk, PostJob, Result
from pipeline.yamlfile import load_validated

log = logging.getLogger("genpost")


class KeywordSet(BaseModel):
    """One post of a batch file."""

    model_config = ConfigDict(extra="forbid")
    instinct: str | None = None
    keywords: list[str] = Field(default_factory=list)
    brief: str | None = None  # an approved brief (`genpost brief`), instead of the instinct and keywords
    theme: str | None = None
    structure: str | None = None
    date: datetime | None = None
    sources: list[str] = Field(default_factory=list)  # URLs, files or folders, as --sources takes them
    search: bool = False

    @model_validator(mode="after")
    def _what_to_write(self) -> KeywordSet:
        if self.brief is None and (self.instinct is None or not self.keywords):
            raise ValueError("needs instinct and keywords, or a brief")
        return self


class BatchFile(RootModel[list[KeywordSet]]):
    pass


def briefs_from_file(path: Path, settings: Settings, instincts: dict[str, Instinct], site: Path | None) -> list[Brief]:
    """A YAML list of keyword sets → briefs (a set without a date is dated now); an item may name an approved
    brief file instead."""
    sets = load_validated(BatchFile, path).root
    briefs = []
    for n, item in enumerate(sets, 1):
        if item.brief is not None:
            briefs.append(_from_brief(path, n, item, settings, instincts, site))
            continue
        if item.instinct not in instincts:
            raise UsageError(f"{path}: item {n}: unknown instinct {item.instinct!r}")
        moment = item.date or datetime.now(settings.site.zone)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=settings.site.zone)
        where = f"{path}: item {n}:"
        brief = Brief(
            instinct=item.instinct,
            keywords=inputs.keywords([k for k in item.keywords if k.strip()], f"{where} keywords"),
            theme=inputs.theme(item.theme, f"{where} theme"),
            date=inputs.in_range(moment, settings.site.zone, f"{where} date"),
            structure=item.structure or settings.site.default_structure,
            site=site,
            # a malformed URL costs a notice, not the batch; a missing file is still bad usage
            sources=check_items(item.sources, f"{path}: item {n}: sources", skip_bad_urls=True),
            search=item.search,
        )
        warn_past_years(brief, settings)
        briefs.append(brief)
    return briefs


def _from_brief(
    path: Path, n: int, item: KeywordSet, settings: Settings, instincts: dict[str, Instinct], site: Path | None
) -> Brief:
    """A batch item that names an approved brief (a path from the batch file's folder): refused unless approved."""
    if item.instinct or item.keywords or item.theme or item.structure:
        raise UsageError(f"{path}: item {n}: a brief gives the instinct, keywords, theme and structure; leave them out")
    try:
        approved = load_approved(path.parent / item.brief if item.brief else path)
    except UsageError as exc:
        raise UsageError(f"{path}: item {n}: {exc}") from None
    moment = item.date or datetime.now(settings.site.zone)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=settings.site.zone)
    sources = check_items(item.sources, f"{path}: item {n}: sources", skip_bad_urls=True)
    brief = run_brief(approved, inputs.in_range(moment, settings.site.zone, f"{path}: item {n}: date"), site, sources)
    if brief.instinct not in instincts:
        raise UsageError(f"{path}: item {n}: the brief names unknown instinct {brief.instinct!r}")
    return brief


def briefs_for_days(
    first: date, count: int, calendar: Calendar, written: list[Written], settings: Settings, site: Path | None
) -> list[Brief]:
    """The calendar's briefs for `count` days from `first`, each aware of the ones before it."""
    briefs, seen = [], list(written)
    for offset in range(count):
        day = first + timedelta(days=offset)
        brief = day_brief(morning_of(day, settings), calendar, seen, settings, site)
        seen.append(Written(day, brief.primary_keyword, ""))
        briefs.append(brief)
    return briefs


@dataclass
class BatchOutcome:
    written: list[Result] = field(default_factory=list)
    failed: list[tuple[Brief, str]] = field(default_factory=list)
    skipped: list[Brief] = field(default_factory=list)  # not started: the budget would be passed
    seconds: float = 0.0

    @property
    def tokens(self) -> int:
        return sum(int(r.record.totals["prompt_tokens"] + r.record.totals["completion_tokens"]) for r in self.written)

    @property
    def cost(self) -> float:
        return sum(float(r.record.totals["cost_usd"]) for r in self.written)

    def summary(self) -> str:
        parts = [f"{len(self.written)} post(s) written"]
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        if self.skipped:
            parts.append(f"{len(self.skipped)} not started (budget)")
        return f"batch: {', '.join(parts)}; {self.tokens:,} tokens, ${self.cost:.4f}, {self.seconds:.1f} s"


class Budget:
    """Spend so far, and whether one more post fits."""

    def __init__(self, settings: Settings) -> None:
        self.limits = settings.budget
        self.prices = settings.llm
        self.tokens = 0
        self.cost = 0.0
        self.finished = 0

    def add(self, result: Result) -> None:
        totals = result.record.totals
        self.tokens += int(totals["prompt_tokens"] + totals["completion_tokens"])
        self.cost += float(totals["cost_usd"])
        self.finished += 1

    def fits(self, in_flight: int) -> bool:
        """Would starting one more post (with `in_flight` still running) stay within the budget?"""
        estimate = self.limits.tokens_per_post_estimate
        per_post_tokens = self.tokens / self.finished if self.finished else estimate
        # Before any post has finished, the cost estimate prices the token estimate as 3/4 prompt.
        model = self.prices.model_for("draft")
        guess = call_cost(self.prices.prices, model, int(estimate * 0.75), 0, int(estimate * 0.25))
        per_post_cost = self.cost / self.finished if self.finished else guess
        coming = in_flight + 1
        if self.limits.max_tokens is not None and self.tokens + coming * per_post_tokens > self.limits.max_tokens:
            return False
        return self.limits.max_cost_usd is None or self.cost + coming * per_post_cost <= self.limits.max_cost_usd


async def run_batch(
    briefs: list[Brief], desk: Desk, progress: Callable[[BatchOutcome, int], None] | None = None
) -> BatchOutcome:
    """Write every brief's post; all share the gateway's call cap; stop starting posts at the budget."""
    once = _Once()
    log.addFilter(once)
    try:
        return await _run(briefs, desk, progress)
    finally:
        log.removeFilter(once)


class _Once(logging.Filter):
    """A notice that every post of a batch would repeat (no Unsplash key…) is shown once."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message in self.seen:
            return False
        self.seen.add(message)
        return True


async def _run(briefs: list[Brief], desk: Desk, progress: Callable[[BatchOutcome, int], None] | None) -> BatchOutcome:
    settings = desk.settings
    outcome = BatchOutcome()
    budget = Budget(settings)
    started = time.perf_counter()
    in_flight = 0
    slots = asyncio.Semaphore(max(1, settings.llm.concurrency // 4) or 1)
    stop = False

    async def one(brief: Brief) -> None:
        nonlocal in_flight, stop
        async with slots:
            if stop or not budget.fits(in_flight):
                stop = True
                outcome.skipped.append(brief)
                return
            in_flight += 1
            checkpoint = Checkpoint(desk.out_dir, run_key(kind="batch", brief=brief.model_dump(mode="json")))
            try:
                job = PostJob(brief, desk, checkpoint, source="batch", gateway=desk.gateway.session())
                result = await job.run()
            except GenpostError as exc:
                outcome.failed.append((brief, str(exc)))
                log.warning("batch: %s failed: %s", brief.primary_keyword, exc)
            else:
                budget.add(result)
                outcome.written.append(result)
            finally:
                in_flight -= 1
                if progress:
                    progress(outcome, len(briefs))

    await asyncio.gather(*(one(b) for b in briefs))
    outcome.seconds = time.perf_counter() - started
    return outcome


def progress_bar(outcome: BatchOutcome, total: int) -> None:
    """A one-line bar on a terminal, redrawn as posts finish."""
    done = len(outcome.written) + len(outcome.failed) + len(outcome.skipped)
    width = 24
    filled = int(width * done / total) if total else width
    bar = "#" * filled + "-" * (width - filled)
    sys.stderr.write(f"\r[{bar}] {done}/{total} posts, {outcome.tokens:,} tokens, ${outcome.cost:.4f}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()
