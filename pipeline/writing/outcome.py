"""What a finished job leaves behind: its run record, made from its stages; its draft in out/, with the first
versions of its history; and the topic memory's note of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from pipeline import __version__
from pipeline.config import Settings
from pipeline.llm.gateway import Gateway, totals_of
from pipeline.memory import TopicMemory
from pipeline.review.drafts import load_state, save_state
from pipeline.review.history import keep, who_runs
from pipeline.site.links import LinkPlan
from pipeline.sources import Grounding
from pipeline.store import Checkpoint, write_draft
from pipeline.types import (
    Brief,
    CallRecord,
    DroppedLink,
    Finding,
    Image,
    Links,
    Passage,
    Plan,
    PolishEdit,
    Post,
    RelatedPost,
    RunRecord,
    StageTrace,
)
from pipeline.writing.drafter import DraftNotes

# --- what this module reads of a finished job -------------------------------------------------------------
# `job.PostJob` and its stages (`job.Stages`, `Drafted`, `Gated`, `Polished`, `Desk`) fit these shapes; this
# module reads them through the shapes, so that it need not import the job that calls it.


class DraftedShape(Protocol):
    """The drafting stage's result (`job.Drafted`): what the record and the topic memory keep of it."""

    @property
    def plan(self) -> Plan: ...
    @property
    def images(self) -> list[Image]: ...


class WrittenShape(Protocol):
    """The post as a stage left it (`job.Gated`, `job.Polished`)."""

    @property
    def post(self) -> Post: ...
    @property
    def findings(self) -> list[Finding]: ...


class GatedShape(WrittenShape, Protocol):
    """The gate's result (`job.Gated`): each round's redrafted parts and why."""

    @property
    def rewrites(self) -> list[dict]: ...


class PolishedShape(WrittenShape, Protocol):
    """The polish pass's result (`job.Polished`): its edits, and the text before when it changed."""

    @property
    def edits(self) -> list[PolishEdit]: ...
    @property
    def before(self) -> str | None: ...


class StagesShape(Protocol):
    """What each stage gave (`job.Stages`)."""

    @property
    def brief(self) -> Brief: ...
    @property
    def grounding(self) -> Grounding | None: ...
    @property
    def links(self) -> LinkPlan | None: ...
    @property
    def drafted(self) -> DraftedShape | None: ...
    @property
    def related(self) -> list[RelatedPost]: ...
    @property
    def gated(self) -> GatedShape | None: ...
    @property
    def polished(self) -> PolishedShape | None: ...
    @property
    def final(self) -> WrittenShape: ...


class DeskShape(Protocol):
    """Where a job writes (`job.Desk`): out/ and the topic memory."""

    @property
    def out_dir(self) -> Path: ...
    @property
    def memory(self) -> TopicMemory | None: ...


class FinishedJob(Protocol):
    """A job whose stages have all run (`job.PostJob`), as the record and the draft read it."""

    @property
    def stages(self) -> StagesShape: ...
    @property
    def desk(self) -> DeskShape: ...
    @property
    def brief(self) -> Brief: ...

    settings: Settings
    gateway: Gateway | None
    checkpoint: Checkpoint
    notes: DraftNotes
    source: str
    earlier_calls: list[CallRecord]
    seconds: dict[str, float]
    trace: list[StageTrace]
    created_at: datetime

    def shown(self, post: Post) -> dict[str, str]:
        """What each part of `post` says now, as its document has it."""
        ...


@dataclass
class Result:
    """What a job wrote."""

    path: Path
    post: Post
    record: RunRecord


def record_of(job: FinishedJob) -> RunRecord:
    """Everything about the job an editor or an accountant may ask, never a key."""
    stages, final = job.stages, job.stages.final
    post = final.post
    calls = [*job.earlier_calls, *(job.gateway.calls if job.gateway else [])]
    drafted = stages.drafted
    assert drafted is not None
    return RunRecord(
        genpost_version=__version__,
        created_at=job.created_at,
        brief=stages.brief,
        plan=drafted.plan,
        sections=job.shown(post),  # derived from the document, never read back into it
        images=drafted.images,
        related=stages.related,
        calls=calls,
        totals=totals_of(calls),
        stage_seconds=dict(job.seconds),
        reading_time=post.reading_time,
        body_chars=post.body_chars,
        resumed=[name for name in job.checkpoint.reused if name != "brief"],
        findings=final.findings,
        rewrites=stages.gated.rewrites if stages.gated else [],
        cuts=job.notes.cuts,
        sources=stages.grounding.sources if stages.grounding else [],
        passages=given_passages(job, post),
        given=job.notes.given,
        citations=[*job.notes.dropped, *post.citations],
        polish=stages.polished.edits if stages.polished else [],
        stages=list(job.trace),
        links=links_report(job, post),
    )


def links_report(job: FinishedJob, post: Post) -> Links:
    """The links as the post has them: those a redraft took out are dropped, with why."""
    plan = job.stages.links
    if plan is None:
        return Links()
    present = {name for block in post.doc.prose for _, name in block.internal_links}
    report = plan.report.model_copy(deep=True)
    gone = [p for p in report.placed if p.name not in present]
    report.placed = [p for p in report.placed if p.name in present]
    report.dropped += [
        DroppedLink(part=p.part, name=p.name, why="書き直しでリンクした文がなくなりました") for p in gone
    ]
    return report


def given_passages(job: FinishedJob, post: Post) -> list[Passage]:
    """The passages some drafting prompt quoted (what the record keeps of the sources' text)."""
    grounding = job.stages.grounding
    if grounding is None:
        return []
    given = {marker for markers in job.notes.given.values() for marker in markers}
    given |= {c.marker for c in post.citations if c.kept}  # resumed pieces too
    return [p for p in grounding.index.passages if p.id in given]


def store(job: FinishedJob) -> Result:
    """The draft and its run record in out/; the checkpoint goes, the topic memory remembers."""
    final, drafted = job.stages.final, job.stages.drafted
    assert drafted is not None
    post, record = final.post, record_of(job)

    def record_json(name: str) -> str:
        return record.model_copy(update={"draft": name}).model_dump_json(indent=2)

    path = write_draft(job.desk.out_dir, post.filename, post.markdown, record_json)
    polished = job.stages.polished
    start_history(path, polished.before if polished else None, post.markdown, sum(e.applied for e in record.polish))
    job.checkpoint.clear()
    if job.desk.memory is not None:
        brief, plan = job.brief, drafted.plan
        day = brief.date.astimezone(job.settings.site.zone).date()
        urls = [image.url for image in drafted.images]
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
