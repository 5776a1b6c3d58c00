"""`genpost --auto`: the day's post from the calendar, once per site-local day, under a file lock."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from pipeline.batch import Budget
from pipeline.briefs.auto import BriefOutcome, auto_briefs
from pipeline.day_topic import searched_topic
from pipeline.errors import GenpostError
from pipeline.refresh.run import RefreshResult, refresh_top
from pipeline.schedule import day_brief, load_calendar, local_day
from pipeline.store import Checkpoint, run_key
from pipeline.writing.job import Desk, PostJob, Result

log = logging.getLogger("genpost")


@dataclass
class AutoOutcome:
    day: date
    result: Result | None = None  # None: the day's post already existed
    existing: Path | None = None
    refreshed: list[RefreshResult] = field(default_factory=list)  # refresh drafts made after the day's post
    briefs: BriefOutcome | None = None  # brief mode (auto.briefs): the day's brief, the approved ones drafted


async def auto_post(moment: datetime, desk: Desk, site: Path | None, force: bool = False) -> AutoOutcome:
    """Write the day's post unless an earlier `--auto` run did.

    Overlapping runs take turns on `out/.genpost/auto.lock`: the second waits, then finds
    the first one's post and writes nothing (or, if the first failed, resumes its work).
    """
    settings, out_dir, memory = desk.settings, desk.out_dir, desk.memory
    if memory is None:
        raise GenpostError("--auto needs the topic memory")
    day = local_day(moment, settings)
    lock = FileLock(str(out_dir / ".genpost" / "auto.lock"))
    try:
        lock.acquire(timeout=settings.auto.lock_timeout_s)
    except Timeout:
        raise GenpostError(
            f"another genpost --auto run held {lock.lock_file} for {settings.auto.lock_timeout_s:.0f} s"
        ) from None
    try:
        if settings.auto.briefs:
            return AutoOutcome(day, briefs=await auto_briefs(moment, day, desk, site, force))
        existing = memory.auto_post_on(day)
        if existing and not force:
            return AutoOutcome(day, existing=out_dir / existing)
        brief = searched_topic(day_brief(moment, load_calendar(), memory.written(), settings, site), desk, site)
        if brief.instinct not in desk.instincts:
            raise GenpostError(f"calendar.yml names unknown instinct {brief.instinct!r}")
        key = run_key(kind="auto", day=day.isoformat(), force=force, site=str(site) if site else None)
        result = await PostJob(brief, desk, Checkpoint(out_dir, key), source="auto").run()
        return AutoOutcome(day, result=result, refreshed=await _refresh(desk, site, result))
    finally:
        lock.release()


async def _refresh(desk: Desk, site: Path | None, result: Result) -> list[RefreshResult]:
    """Up to `refresh.per_day` refreshes from the top of the site's list, within the run's budget (the day's
    post counted), under the same lock."""
    count = desk.settings.refresh.per_day
    if not count or site is None:
        return []
    budget = Budget(desk.settings)
    budget.add(result)
    return await refresh_top(desk, site, count, budget)
