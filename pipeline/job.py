"""One post as a job of explicit steps: plan, images, draft, assemble, gate-and-redraft, store.

The single run, `--auto`, `batch`, `batch --collect` and regenerate all drive this one
object. Each step that calls out (plan, images, every drafted piece) is checkpointed, so
a run killed halfway resumes where it stopped; every step is timed in `seconds`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pipeline import __version__
from pipeline.assembler import Assembler
from pipeline.citations import NOT_GIVEN
from pipeline.config import Settings
from pipeline.drafter import Drafter, DraftNotes
from pipeline.errors import GenpostError
from pipeline.images import choose_images, recently_used, unsplash_client
from pipeline.instincts import Instinct
from pipeline.llm import Gateway
from pipeline.llm.gateway import totals_of
from pipeline.memory import TopicMemory
from pipeline.outline import Outline, outline_for
from pipeline.planner import make_plan
from pipeline.quality import errors
from pipeline.quality.gate import fixes_by_part, gate
from pipeline.quality.mend import mend
from pipeline.site import load_posts, related_posts
from pipeline.sources import Grounding, gather
from pipeline.store import Checkpoint, ensure_dir, write_draft
from pipeline.types import (
    Brief,
    CallRecord,
    Finding,
    Image,
    PartText,
    Passage,
    Plan,
    Post,
    RelatedPost,
    RunRecord,
    Sections,
)

log = logging.getLogger("genpost")
T = TypeVar("T")
# Drafting that does not call the model piece by piece (the Batch API's collected answers).
Drafting = Callable[[Drafter], Awaitable[Sections]]


@dataclass
class Desk:
    """What every command that writes posts works with: settings, instincts, the model door, out/, memory."""

    settings: Settings
    instincts: dict[str, Instinct]
    gateway: Gateway | None  # None where nothing calls a model (accepting a regenerated part)
    out_dir: Path
    memory: TopicMemory | None = None


@dataclass
class Result:
    """What a job wrote."""

    path: Path
    post: Post
    record: RunRecord


class PostJob:
    """One post, step by step."""

    def __init__(
        self,
        brief: Brief,
        desk: Desk,
        checkpoint: Checkpoint,
        *,
        source: str = "cli",
        gateway: Gateway | None = None,
        plan: Plan | None = None,
        earlier_calls: list[CallRecord] | None = None,
    ) -> None:
        """`gateway`: this post's own session (a batch's posts share one cap); `plan` and
        `earlier_calls`: a plan made before (the Batch API plans at submission)."""
        if brief.instinct not in desk.instincts:
            raise GenpostError(f"unknown instinct {brief.instinct!r}")
        self.brief = brief
        self.desk = desk
        self.settings = desk.settings
        self.instinct = desk.instincts[brief.instinct]
        self.gateway = gateway or desk.gateway
        self.checkpoint = checkpoint
        self.source = source
        self.earlier_calls = list(earlier_calls or [])
        self.plan = plan
        self.sections: Sections = {}
        self.images: list[Image] = []
        self.related: list[RelatedPost] = []
        self.post: Post | None = None
        self.findings: list[Finding] = []
        self.rewrites: list[dict] = []
        self.notes = DraftNotes()  # lines cut, markers dropped, passages given
        self.grounding: Grounding | None = None
        self.seconds: dict[str, float] = {}
        self.created_at = datetime.now(UTC)

    @classmethod
    def from_record(cls, record: RunRecord, desk: Desk, gateway: Gateway | None = None) -> PostJob:
        """The job that wrote `record`, ready to redraft a part and reassemble (regenerate)."""
        job = cls(record.brief, desk, Checkpoint(desk.out_dir, "", enabled=False), gateway=gateway, plan=record.plan)
        job.earlier_calls = list(record.calls)
        job.sections, job.images, job.related = dict(record.sections), record.images, record.related
        job.rewrites, job.findings = list(record.rewrites), list(record.findings)
        dropped = [c for c in record.citations if c.reason == NOT_GIVEN]
        job.notes = DraftNotes(list(record.cuts), dropped, dict(record.given))
        if record.sources:
            job.grounding = Grounding.recorded(record.sources, record.passages)
        job.seconds, job.created_at = dict(record.stage_seconds), record.created_at
        return job

    # --- the steps ---------------------------------------------------------------------------

    async def _timed(self, name: str, work: Awaitable[T]) -> T:
        mark = time.perf_counter()
        value = await work
        self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - mark, 4)
        return value

    async def _step(self, name: str, kind: Any, make: Callable[[], Awaitable[T]]) -> T:
        """A step's value from the checkpoint of a crashed run, or made now and saved; timed."""
        return await self._timed(name, self.checkpoint.reuse(name, kind, make))

    async def gather_sources(self) -> Grounding | None:
        """The sources to cite (--sources, the library, a search), fetched at once; None when there are none."""
        cache = self.desk.out_dir / ".genpost" / "sources-cache"
        work = gather(self.brief, self.settings.sources, cache, auto=self.source == "auto")
        sources = await self._timed("sources", work)
        self.grounding = Grounding.of(sources, self.settings.sources) if sources else None
        return self.grounding

    async def build_index(self) -> None:
        """The passages' index: built in a thread while the plan is asked for."""
        if self.grounding is not None:
            await self._timed("index", asyncio.to_thread(self.grounding.index.build))

    async def make_plan(self) -> Plan:
        async def ask() -> Plan:
            if self.plan is not None:
                return self.plan
            existing = [w.title for w in self.desk.memory.written()] if self.desk.memory else []
            sources = self.grounding.sources if self.grounding else []
            return await make_plan(self.brief, self.instinct, self.settings, self.model, existing, sources)

        self.plan = await self._step("plan", Plan, ask)
        log.info("plan: %s", self.plan.title)
        return self.plan

    @property
    def outline(self) -> Outline:
        if self.plan is None:
            raise RuntimeError("the outline comes from the plan: make_plan() first")
        return outline_for(self.instinct.name, self.plan, self.brief.structure)

    @property
    def model(self) -> Gateway:
        """The model door for this post's calls."""
        if self.gateway is None:
            raise RuntimeError("this job was made without a model gateway")
        return self.gateway

    def drafter(self, checkpointed: bool = True) -> Drafter:
        checkpoint = self.checkpoint if checkpointed else None
        return Drafter(
            self.brief,
            self.plan,
            self.outline,
            self.instinct,
            self.settings,
            self.model,
            checkpoint,
            self.notes,
            self.grounding,
        )

    async def find_images(self) -> list[Image]:
        async def search() -> list[Image]:
            # Photos used on the site, or in drafts, recently are skipped.
            out_dir, site = self.desk.out_dir, self.brief.site
            avoid = recently_used(
                [out_dir, *([site / "_posts"] if site else [])], self.settings.images.avoid_days, self.brief.date
            )
            client = unsplash_client(self.settings.images, out_dir / ".genpost" / "unsplash-cache")
            try:
                return await choose_images(self.plan, self.outline, self.instinct, self.settings.images, client, avoid)
            finally:
                if client is not None:
                    await client.close()

        self.images = await self._step("images", list[Image], search)
        return self.images

    async def draft(self, drafting: Drafting | None = None) -> Sections:
        drafter = self.drafter()
        self.sections = await self._timed("draft", drafting(drafter) if drafting else drafter.draft())
        return self.sections

    def find_related(self) -> list[RelatedPost]:
        plan, site = self.plan, self.brief.site
        if site is None or plan is None:
            return []
        words = [*plan.tags, *self.brief.keywords, plan.category]
        related = self.settings.related
        self.related = related_posts(load_posts(site), plan.title, words, related.count, related.min_score)
        return self.related

    def assemble(self) -> Post:
        self.post = Assembler(self.settings, self.instinct).assemble(
            self.brief, self.plan, self.outline, self.sections, self.images, self.related, self.grounding
        )
        return self.post

    def check(self) -> list[Finding]:
        self.findings = gate(self.post or self.assemble(), self.settings, self.instinct, self.brief.site)
        return self.findings

    async def check_and_redraft(self) -> list[Finding]:
        """The quality gate: copied and repeated sentences are cut where their parts still stand; parts
        still failing are redrafted with what was found, a bounded number of times; a last cut before writing."""

        def mended(final: bool = False) -> None:
            self.sections, cuts = mend(self.sections, self.outline, self.findings, self.settings.lengths, final)
            if cuts:
                self.notes.cuts += cuts
                self.assemble()
                self.check()

        async def rounds() -> None:
            self.assemble()
            self.check()
            for round_number in range(1, self.settings.quality.max_rewrites + 1):
                mended()
                fixes = fixes_by_part(self.findings, self.outline)
                if not fixes:
                    break
                log.info("quality gate, round %d: redrafting %s", round_number, ", ".join(sorted(fixes)))
                errors_fixed = sum(map(len, fixes.values()))
                self.rewrites.append({"round": round_number, "parts": sorted(fixes), "errors": errors_fixed})
                self.sections = await self.drafter().redraft(self.sections, fixes)
                self.assemble()
                self.check()
            mended(final=True)

        await self._timed("gate", rounds())
        if errors(self.findings):
            log.warning("%d quality error(s) remain; see the run record or `genpost check`", len(errors(self.findings)))
        return self.findings

    async def redraft_part(self, key: str, note: str) -> PartText:
        """`key` written again with the editor's note as the thing to fix; the job's sections are left as they were."""
        ask = note.strip() or "同じ内容を、より読みやすく具体的に書き直してください。"
        fixes = {key: [Finding(rule="editor.note", severity="error", message=ask)]}
        sections = await self.drafter(checkpointed=False).redraft(self.sections, fixes)
        return sections[key]

    def record(self) -> RunRecord:
        post = self.post or self.assemble()
        calls = [*self.earlier_calls, *(self.gateway.calls if self.gateway else [])]
        return RunRecord(
            genpost_version=__version__,
            created_at=self.created_at,
            brief=self.brief,
            plan=self.plan,
            sections=self.sections,
            images=self.images,
            related=self.related,
            calls=calls,
            totals=totals_of(calls),
            stage_seconds=dict(self.seconds),
            reading_time=post.reading_time,
            body_chars=post.body_chars,
            resumed=[name for name in self.checkpoint.reused if name != "brief"],
            findings=self.findings,
            rewrites=self.rewrites,
            cuts=self.notes.cuts,
            sources=self.grounding.sources if self.grounding else [],
            passages=self._given_passages(),
            given=self.notes.given,
            citations=[*self.notes.dropped, *post.citations],
        )

    def _given_passages(self) -> list[Passage]:
        """The passages some drafting prompt quoted (what the record keeps of the sources' text)."""
        if self.grounding is None:
            return []
        given = {marker for markers in self.notes.given.values() for marker in markers}
        given |= {c.marker for c in (self.post.citations if self.post else []) if c.kept}  # resumed pieces too
        return [p for p in self.grounding.index.passages if p.id in given]

    def store(self) -> Result:
        """The draft and its run record in out/; the checkpoint goes, the topic memory remembers."""
        post = self.post or self.assemble()
        record = self.record()

        def record_json(name: str) -> str:
            return record.model_copy(update={"draft": name}).model_dump_json(indent=2)

        path = write_draft(self.desk.out_dir, post.filename, post.markdown, record_json)
        self.checkpoint.clear()
        if self.desk.memory is not None and self.plan is not None:
            day = self.brief.date.astimezone(self.settings.site.zone).date()
            urls = [image.url for image in self.images]
            brief, plan = self.brief, self.plan
            memory = self.desk.memory
            memory.remember(
                day, brief.primary_keyword, plan.title, brief.instinct, plan.category, self.source, path.name, urls
            )
        record.draft = path.name
        return Result(path=path, post=post, record=record)

    async def run(self, drafting: Drafting | None = None) -> Result:
        """Every step, in order; images are searched while the parts are drafted."""
        started = time.perf_counter()
        ensure_dir(self.desk.out_dir)
        # A resumed run keeps the first run's brief (its date, when none was given).
        brief = self.brief
        self.brief = await self.checkpoint.reuse("brief", Brief, lambda: _same(brief))
        # Sources are fetched first (the plan sees their titles); their index is built beside the plan call.
        await self.gather_sources()
        await asyncio.gather(self.make_plan(), self.build_index())
        await asyncio.gather(self.draft(drafting), self.find_images())
        self.find_related()
        await self.check_and_redraft()
        self.seconds["total"] = round(time.perf_counter() - started, 4)
        return self.store()


async def _same(value: T) -> T:
    return value
