"""What a job leaves behind: its run record, and its draft in out/ (the topic memory remembers it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import __version__
from pipeline.drafts import load_state, save_state
from pipeline.history import keep, who_runs
from pipeline.llm.gateway import totals_of
from pipeline.store import write_draft
from pipeline.types import Passage, Post, RunRecord

if TYPE_CHECKING:
    from pipeline.job import PostJob


@dataclass
class Result:
    """What a job wrote."""

    path: Path
    post: Post
    record: RunRecord


def record_of(job: PostJob) -> RunRecord:
    """Everything about the job an editor or an accountant may ask, never a key."""
    post = job.post or job.assemble()
    calls = [*job.earlier_calls, *(job.gateway.calls if job.gateway else [])]
    return RunRecord(
        genpost_version=__version__,
        created_at=job.created_at,
        brief=job.brief,
        plan=job.plan,
        sections=job.sections,
        images=job.images,
        related=job.related,
        calls=calls,
        totals=totals_of(calls),
        stage_seconds=dict(job.seconds),
        reading_time=post.reading_time,
        body_chars=post.body_chars,
        resumed=[name for name in job.checkpoint.reused if name != "brief"],
        findings=job.findings,
        rewrites=job.rewrites,
        cuts=job.notes.cuts,
        sources=job.grounding.sources if job.grounding else [],
        passages=given_passages(job),
        given=job.notes.given,
        citations=[*job.notes.dropped, *post.citations],
        polish=job.polished,
    )


def given_passages(job: PostJob) -> list[Passage]:
    """The passages some drafting prompt quoted (what the record keeps of the sources' text)."""
    if job.grounding is None:
        return []
    given = {marker for markers in job.notes.given.values() for marker in markers}
    given |= {c.marker for c in (job.post.citations if job.post else []) if c.kept}  # resumed pieces too
    return [p for p in job.grounding.index.passages if p.id in given]


def store(job: PostJob) -> Result:
    """The draft and its run record in out/; the checkpoint goes, the topic memory remembers."""
    post = job.post or job.assemble()
    record = record_of(job)

    def record_json(name: str) -> str:
        return record.model_copy(update={"draft": name}).model_dump_json(indent=2)

    path = write_draft(job.desk.out_dir, post.filename, post.markdown, record_json)
    start_history(path, job.unpolished, post.markdown, sum(e.applied for e in job.polished))
    job.checkpoint.clear()
    if job.desk.memory is not None and job.plan is not None:
        day = job.brief.date.astimezone(job.settings.site.zone).date()
        urls = [image.url for image in job.images]
        brief, plan = job.brief, job.plan
        job.desk.memory.remember(
            day, brief.primary_keyword, plan.title, brief.instinct, plan.category, job.source, path.name, urls
        )
    record.draft = path.name
    return Result(path=path, post=post, record=record)


def start_history(path: Path, unpolished: str | None, markdown: str, applied: int) -> None:
    """The draft's first versions: as generated and, when the polish changed it, as polished."""
    state = load_state(path)
    who = f"genpost ({who_runs()})"
    keep(path, state.versions, unpolished or markdown, "generated", who)
    if unpolished is not None:
        keep(path, state.versions, markdown, "polished", who, f"{applied}件の推敲を反映")
    save_state(path, state)
