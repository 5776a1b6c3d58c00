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

from pipeline.assembler import Assembler
from pipeline.citations import NOT_GIVEN
from pipeline.config import Settings
from pipeline.drafter import Drafter, DraftNotes
from pipeline.errors import GenpostError, ProviderError
from pipeline.images import choose_images, recently_used, unsplash_client
from pipeline.instincts import Instinct
from pipeline.job_record import Result, record_of, store
from pipeline.llm import Gateway
from pipeline.memory import TopicMemory
from pipeline.outline import Outline, outline_for
from pipeline.planner import fallback_metadata, make_briefs, make_metadata, repair_briefs
from pipeline.polish import apply_edits, ask_polish
from pipeline.quality import errors
from pipeline.quality.gate import fixes_by_part, gate
from pipeline.quality.mend import mend
from pipeline.site import load_posts, related_posts, uses_seo_tag
from pipeline.sources import Grounding, gather
from pipeline.store import Checkpoint, ensure_dir
from pipeline.streaming import BriefStream
from pipeline.tasks import together
from pipeline.types import (
    Brief,
    Briefs,
    CallRecord,
    Finding,
    Image,
    Metadata,
    PartText,
    Plan,
    PolishEdit,
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
        polish: bool | None = None,
    ) -> None:
        """`gateway`: this post's own session (a batch's posts share one cap); `plan` and
        `earlier_calls`: a plan made before (the Batch API plans at submission); `polish`:
        --polish / --no-polish (None: genpost.yml decides)."""
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
        self.polish = polish
        self.polished: list[PolishEdit] = []
        self.unpolished: str | None = None  # the draft before the polish changed it (its history keeps both)
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
        job.polished = list(record.polish)
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

    async def make_metadata(self) -> Metadata:
        """Title, description, tags and image queries, asked beside the drafting; a call that fails
        costs the draft error findings (a keyword title, no description), not the run."""

        async def ask() -> Metadata:
            existing = [w.title for w in self.desk.memory.written()] if self.desk.memory else []
            sources = self.grounding.sources if self.grounding else []
            try:
                return await make_metadata(self.brief, self.instinct, self.settings, self.model, existing, sources)
            except ProviderError as exc:
                log.warning("metadata: %s; the draft is written with a placeholder title for the editor", exc)
                return fallback_metadata(self.brief, self.instinct)

        if self.plan is not None and self.plan.title:
            return self.plan.metadata
        return await self._step("metadata", Metadata, ask)

    async def ask_briefs(self, on_partial: Callable[[str], None] | None = None) -> Briefs:
        """What each section says: from a crashed run's checkpoint, or asked now (`on_partial` sees it stream)."""

        async def ask() -> Briefs:
            sources = self.grounding.sources if self.grounding else []
            return await make_briefs(self.brief, self.instinct, self.settings, self.model, sources, on_partial)

        return await self._step("briefs", Briefs, ask)

    async def make_plan(self) -> Plan:
        """The briefs and the metadata at once, drafting nothing (the Batch API plans every post first)."""
        briefs, metadata = await together(self.ask_briefs(), self.make_metadata())
        self.plan = Plan.of(briefs, metadata)
        return self.plan

    async def plan_and_draft(self, drafting: Drafting | None = None) -> None:
        """The briefs on the critical path, streamed so each part starts as soon as its brief is whole;
        the metadata beside them; images once both are known."""
        briefs_known = asyncio.Event()

        async def images() -> None:
            meta, _ = await together(self.make_metadata(), briefs_known.wait())
            self.plan = Plan.of(self.plan.briefs, meta)  # the briefs are known by now
            await self.find_images()

        await together(images(), self._briefs_and_draft(drafting, briefs_known))
        log.info("plan: %s", self.plan.title if self.plan else "")

    async def _briefs_and_draft(self, drafting: Drafting | None, briefs_known: asyncio.Event) -> None:
        index = asyncio.ensure_future(self.build_index())

        def known(briefs: Briefs) -> None:
            meta = self.plan.metadata if self.plan is not None and self.plan.title else Metadata.unknown()
            self.plan = Plan.of(briefs, meta)
            briefs_known.set()

        given = self.plan.briefs if self.plan is not None else self.checkpoint.load("briefs", Briefs)
        streaming = self.gateway is not None and self.model.provider.capabilities.streaming and self.settings.llm.stream
        if given is not None or drafting is not None or not streaming:
            known(given or await self.ask_briefs())
            await index
            drafter = self.drafter()
            self.sections = await self._timed("draft", drafting(drafter) if drafting else drafter.draft())
            return
        stream = BriefStream(self.instinct.name, self.brief.structure)

        async def draft() -> Sections:
            await index
            return await self.drafter_for(stream).draft_streaming(stream)

        async def briefs() -> None:
            # What pieces already started from is kept, then mended as any answer is (a blank step title).
            answer = repair_briefs(stream.close(await self.ask_briefs(stream.feed)), self.brief, self.settings)
            self.checkpoint.save("briefs", Briefs, answer)
            known(answer)

        drafting_task = asyncio.ensure_future(self._timed("draft", draft()))
        try:
            # A piece that fails still lets the outline call finish: its checkpoint saves that call next time.
            await briefs()
        except BaseException:
            drafting_task.cancel()  # its pieces wait for briefs that will not come
            await asyncio.gather(drafting_task, return_exceptions=True)
            raise
        self.sections = await drafting_task

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
        plan, outline = self.plan, self.outline
        return Drafter(
            self.brief, plan, outline, self.instinct, self.settings, self.model, checkpoint, self.notes, self.grounding
        )

    def drafter_for(self, stream: BriefStream) -> Drafter:
        """A drafter that starts from the briefs streamed so far."""
        plan, outline = stream.snapshot(), stream.outline()
        return Drafter(
            self.brief,
            plan,
            outline,
            self.instinct,
            self.settings,
            self.model,
            self.checkpoint,
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
            self.brief,
            self.plan,
            self.outline,
            self.sections,
            self.images,
            self.related,
            self.grounding,
            seo_tag=uses_seo_tag(self.brief.site),
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

    def wants_polish(self) -> bool:
        """`polish` in genpost.yml (or --polish/--no-polish): auto polishes where the model can read a whole draft."""
        mode = self.settings.polish if self.polish is None else ("on" if self.polish else "off")
        whole = self.gateway is not None and self.model.provider.capabilities.whole_draft
        return mode == "on" or (mode == "auto" and whole)

    async def polish_pass(self) -> None:
        """One call over the whole draft: its safe edits applied, every edit recorded; the gate runs again."""
        if not self.wants_polish() or self.post is None:
            return
        context = {"brief": self.brief, "instinct": self.instinct, "site_name": self.settings.site.name}
        try:
            edits = await self._timed("polish", ask_polish(self.model, self.outline, self.sections, context))
        except ProviderError as exc:
            log.warning("polish: %s; the draft is written as the gate left it", exc)
            return
        self.sections, self.polished = apply_edits(self.sections, edits, self.post.markdown)
        if any(edit.applied for edit in self.polished):
            self.unpolished = self.post.markdown
            self.assemble()
            self.check()

    async def redraft_part(self, key: str, note: str) -> PartText:
        """`key` written again with the editor's note as the thing to fix; the job's sections are left as they were."""
        ask = note.strip() or "同じ内容を、より読みやすく具体的に書き直してください。"
        fixes = {key: [Finding(rule="editor.note", severity="error", message=ask)]}
        sections = await self.drafter(checkpointed=False).redraft(self.sections, fixes)
        return sections[key]

    def record(self) -> RunRecord:
        return record_of(self)

    async def run(self, drafting: Drafting | None = None) -> Result:
        """Every step, in order; images are searched while the parts are drafted."""
        started = time.perf_counter()
        ensure_dir(self.desk.out_dir)
        # A resumed run keeps the first run's brief (its date, when none was given).
        brief = self.brief
        self.brief = await self.checkpoint.reuse("brief", Brief, lambda: _same(brief))
        # Sources are fetched first (the plan sees their titles); their index is built beside the outline call.
        await self.gather_sources()
        await self.plan_and_draft(drafting)
        self.find_related()
        await self.check_and_redraft()
        await self.polish_pass()
        self.seconds["total"] = round(time.perf_counter() - started, 4)
        return store(self)


async def _same(value: T) -> T:
    return value
