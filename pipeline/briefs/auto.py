"""`genpost --auto` in brief mode (`auto.briefs: true`): the day's brief instead of the day's post, for an editor
to approve; and a draft of each brief approved since the last run (each approval drafted once)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from pipeline.briefs.drafting import load_approved, run_brief
from pipeline.briefs.make import Made, make_brief, theme_of
from pipeline.briefs.model import SUFFIX, read_brief
from pipeline.day_topic import searched_topic
from pipeline.errors import GenpostError
from pipeline.schedule import day_brief, load_calendar
from pipeline.store import Checkpoint, replace_write, run_key
from pipeline.writing.job import Desk, PostJob, Result

log = logging.getLogger("genpost")
LEDGER = "briefs-drafted.json"  # each brief drafted by --auto, and the approval it was drafted from


@dataclass
class BriefOutcome:
    made: Made | None = None  # None: the day's brief was made by an earlier run
    existing: str | None = None
    drafted: list[Result] = field(default_factory=list)


def _ledger(out_dir: Path) -> dict[str, str]:
    try:
        data = json.loads((out_dir / ".genpost" / LEDGER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _remember(out_dir: Path, ledger: dict[str, str]) -> None:
    (out_dir / ".genpost").mkdir(parents=True, exist_ok=True)
    replace_write(out_dir / ".genpost" / LEDGER, json.dumps(ledger, ensure_ascii=False, indent=2))


async def auto_briefs(moment: datetime, day: date, desk: Desk, site: Path | None, force: bool) -> BriefOutcome:
    """The day's brief (unless an earlier run made it), then the approved briefs not drafted yet (the caller
    holds the --auto lock)."""
    settings, out_dir, memory = desk.settings, desk.out_dir, desk.memory
    if memory is None:
        raise GenpostError("--auto needs the topic memory")
    outcome = BriefOutcome(existing=memory.made_on(day, "brief"))
    if outcome.existing is None or force:
        topic = searched_topic(day_brief(moment, load_calendar(), memory.written(), settings, site), desk, site)
        keyword = topic.primary_keyword
        outcome.made = await make_brief(
            topic.keywords,
            desk.instincts,
            topic.instinct,
            topic.structure,
            topic.theme or theme_of(keyword),
            settings,
            desk.site(site),
            out_dir,
            moment,
        )
        memory.remember(day, keyword, "", topic.instinct, topic.theme, "brief", outcome.made.path.name, [])
    ledger = _ledger(out_dir)
    for path in sorted((out_dir / "briefs").glob(f"*{SUFFIX}")):
        try:
            brief = read_brief(path)
            if not brief.is_approved or ledger.get(path.name) == brief.approved_sha256:
                continue
            approved = load_approved(path)
        except GenpostError as exc:
            log.warning("auto: %s is not drafted: %s", path.name, exc)
            continue
        run = run_brief(approved, moment, site, [])
        key = run_key(kind="auto-brief", brief=path.name, sha=approved.sha256, site=str(site) if site else None)
        outcome.drafted.append(await PostJob(run, desk, Checkpoint(out_dir, key), source="auto").run())
        ledger[path.name] = brief.approved_sha256
        _remember(out_dir, ledger)
    return outcome
