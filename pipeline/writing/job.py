"""One post as a job of stages, each a method that hands its typed result to the next and keeps it:
sources → plan and drafting (images beside) → related posts → the gate (cut, redraft) → polish → store.

The single run, `--auto`, `batch`, `batch --collect` and regenerate drive this one object. Each
stage that calls out (the plan, images, every drafted piece) is checkpointed, so a run killed
halfway resumes where it stopped; every stage is timed. What each stage gave is kept in `stages`
(STORM's runner keeps each stage's output the same way), and the run record is made from it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pipeline.config import Settings
from pipeline.document import PostDoc
from pipeline.errors import GenpostError, ProviderError
from pipeline.instincts import Instinct
from pipeline.llm import Gateway
from pipeline.memory import TopicMemory
from pipeline.parse import parse
from pipeline.performance.signals import STRIKING, Performance, performance_for
from pipeline.quality import errors
from pipeline.quality.gate import gate
from pipeline.quality.mend import Shape, shapes_of
from pipeline.site.context import Site
from pipeline.site.links import LinkPlan, linked_names, place, plan_for, strip_marks
from pipeline.site.posts import related_posts
from pipeline.sources import Grounding, gather
from pipeline.store import Checkpoint, ensure_dir, read_exact
from pipeline.tasks import together
from pipeline.types import (
    ApprovedPart,
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
    StageTrace,
)
from pipeline.voice.follow import examples_for, fit_lengths, prompt_voice
from pipeline.voice.profile import VoiceProfile, load_voice
from pipeline.writing.assembler import Assembler
from pipeline.writing.citations import NOT_GIVEN
from pipeline.writing.draft_metadata import taken_from_draft
from pipeline.writing.drafter import Drafter, DraftNotes
from pipeline.writing.images import choose_images, recently_used, unsplash_client
from pipeline.writing.outcome import Result, store
from pipeline.writing.outline import Outline, outline_for
from pipeline.writing.planner import fallback_metadata, make_briefs, make_metadata, plan_from_brief, repair_briefs
from pipeline.writing.polish import Edit, ask_polish
from pipeline.writing.post_edits import refit, with_parts
from pipeline.writing.stages import Draft, Polish, gate_stages, through
from pipeline.writing.streaming import BriefStream

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
    voice: VoiceProfile | None = field(default_factory=load_voice)  # voice.yml beside genpost.yml, if any
    sites: dict[Path, Site] = field(default_factory=dict)  # each site a run writes for, read once
    performances: dict[Path, Performance | None] = field(default_factory=dict)  # Search Console's, per site

    def __post_init__(self) -> None:
        fit_lengths(self.settings, self.voice)  # the body's range follows the site's, unless genpost.yml sets it

    def performance(self, root: Path | None) -> Performance | None:
        """What Search Console's export (`performance.file`) says of the site at `root`, read once; None without
        one. An export that cannot be read costs a line on stderr, never the post."""
        wanted = self.settings.performance
        site = self.site(root)
        if site is None or not (wanted.file or wanted.api):
            return None
        if site.root not in self.performances:
            try:
                self.performances[site.root] = performance_for(wanted, site)
            except GenpostError as exc:
                log.warning("performance: %s; the post is written without Search Console's figures", exc)
                self.performances[site.root] = None
        return self.performances[site.root]

    def site(self, root: Path | None) -> Site | None:
        """The site at `root`, read once for every post of the run (None without one)."""
        if root is None:
            return None
        if root not in self.sites:
            self.sites[root] = Site(root, self.settings.site.layout, self.voice)
        return self.sites[root]


@dataclass
class Drafted:
    """The plan, the parts drafted from it, the images found for it."""

    plan: Plan
    sections: Sections
    images: list[Image]


@dataclass
class Gated:
    """The post as the gate left it: cut where a part stands without a sentence, redrafted where it does not."""

    post: Post
    findings: list[Finding]
    rewrites: list[dict] = field(default_factory=list)  # each round: the parts redrafted and why


@dataclass
class Polished:
    """The post after the polish pass: its edits, applied or not, and the text before (when it changed)."""

    post: Post
    findings: list[Finding]
    edits: list[PolishEdit] = field(default_factory=list)
    before: str | None = None


@dataclass
class Stages:
    """What each stage gave, kept for the next stages and for the run record."""

    brief: Brief
    grounding: Grounding | None = None
    links: LinkPlan | None = None  # the site's posts the sections may link to
    drafted: Drafted | None = None
    related: list[RelatedPost] = field(default_factory=list)
    gated: Gated | None = None
    polished: Polished | None = None

    @property
    def plan(self) -> Plan:
        if self.drafted is None:
            raise RuntimeError("nothing is drafted yet")
        return self.drafted.plan

    @property
    def final(self) -> Polished | Gated:
        """The post as it is written: polished, or as the gate left it."""
        final = self.polished or self.gated
        if final is None:
            raise RuntimeError("the post has not been through the gate yet")
        return final


class PostJob:
    """One post, stage by stage."""

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
        """`gateway`: this post's own session (a batch's posts share one cap); `plan` and `earlier_calls`: a
        plan made before (the Batch API plans at submission); `polish`: --polish / --no-polish (None:
        genpost.yml decides)."""
        if brief.instinct not in desk.instincts:
            raise GenpostError(f"unknown instinct {brief.instinct!r}")
        if plan is None and brief.from_brief is not None:  # an approved brief is the plan (no outline call)
            plan = plan_from_brief(brief.from_brief, brief.theme or brief.primary_keyword)
        self.desk, self.settings = desk, desk.settings
        self.instinct = desk.instincts[brief.instinct]
        self.gateway = gateway or desk.gateway
        self.checkpoint, self.source, self.polish = checkpoint, source, polish
        self.earlier_calls = list(earlier_calls or [])
        self.given_plan = plan
        self.notes = DraftNotes()  # what drafting did besides writing: lines cut, markers dropped, passages given
        self._voice: dict[str, Any] | None = None  # what the prompts say of the site's voice
        self.stages = Stages(brief)
        self.seconds: dict[str, float] = {}
        self.trace: list[StageTrace] = []  # each stage over the assembled post (pipeline/writing/stages.py)
        self.created_at = datetime.now(UTC)

    @property
    def brief(self) -> Brief:
        return self.stages.brief

    @classmethod
    def from_draft(cls, draft: Path, record: RunRecord, desk: Desk, gateway: Gateway | None = None) -> PostJob:
        """The job that wrote the draft at `draft` (and `record`), its final post the draft as it stands in out/:
        ready to redraft a part and put it in. Nothing is assembled again."""
        job = cls(record.brief, desk, Checkpoint(desk.out_dir, "", enabled=False), gateway=gateway, plan=record.plan)
        job.earlier_calls = list(record.calls)
        dropped = [c for c in record.citations if c.reason == NOT_GIVEN]
        job.notes = DraftNotes(list(record.cuts), dropped, dict(record.given))
        stages = job.stages
        if record.sources:
            stages.grounding = Grounding.recorded(record.sources, record.passages)
        stages.drafted = Drafted(record.plan, dict(record.sections), record.images)
        if record.links.candidates:
            day = record.brief.date.astimezone(desk.settings.site.zone).date()
            stages.links = LinkPlan.recorded(record.links, day, desk.settings.links)
        stages.related = record.related
        doc = parse(read_exact(draft))
        if record.brief.from_brief is not None:  # its parts as the approved brief keyed them (H2s reordered)
            doc = doc.keyed(record.brief.from_brief.parts)
        post = Post(
            filename=draft.name,
            doc=doc,
            reading_time=record.reading_time,
            body_chars=record.body_chars,
            related=record.related,
            citations=[c for c in record.citations if c.reason != NOT_GIVEN],
            cited=_cited(record, stages.grounding),
        )
        stages.gated = Gated(post, list(record.findings), list(record.rewrites))
        if record.polish:
            stages.polished = Polished(post, list(record.findings), list(record.polish))
        job.seconds, job.created_at, job.trace = dict(record.stage_seconds), record.created_at, list(record.stages)
        return job

    # --- helpers ------------------------------------------------------------------------------------

    async def _timed(self, name: str, work: Awaitable[T]) -> T:
        mark = time.perf_counter()
        value = await work
        self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - mark, 4)
        return value

    async def _step(self, name: str, kind: Any, make: Callable[[], Awaitable[T]]) -> T:
        """A step's value from the checkpoint of a crashed run, or made now and saved; timed."""
        return await self._timed(name, self.checkpoint.reuse(name, kind, make))

    @property
    def model(self) -> Gateway:
        """The model door for this post's calls."""
        if self.gateway is None:
            raise RuntimeError("this job was made without a model gateway")
        return self.gateway

    def outline(self, plan: Plan) -> Outline:
        """The post's parts (an approved brief's, in its order under its headings)."""
        return outline_for(self.instinct.name, plan, self.brief.structure, self.approved)

    @property
    def approved(self) -> list[ApprovedPart] | None:
        """The parts of the approved brief the post is drafted from, if any."""
        return self.brief.from_brief.parts if self.brief.from_brief else None

    def drafter(self, plan: Plan, checkpointed: bool = True) -> Drafter:
        checkpoint = self.checkpoint if checkpointed else None
        return self._drafter(plan, self.outline(plan), checkpoint)

    def _drafter(self, plan: Plan, outline: Outline, checkpoint: Checkpoint | None) -> Drafter:
        stages = self.stages
        return Drafter(
            self.brief,
            plan,
            outline,
            self.instinct,
            self.settings,
            self.model,
            checkpoint,
            self.notes,
            stages.grounding,
            stages.links,
            voice=self.voice_prompt(),
        )

    # --- the stages ---------------------------------------------------------------------------------

    async def gather_sources(self) -> Grounding | None:
        """The sources to cite (--sources, the library, a search), fetched at once; None when there are none."""
        cache = self.desk.out_dir / ".genpost" / "sources-cache"
        work = gather(self.brief, self.settings.sources, cache, auto=self.source == "auto")
        sources = await self._timed("sources", work)
        self.stages.grounding = Grounding.of(sources, self.settings.sources) if sources else None
        return self.stages.grounding

    async def link_plan(self) -> LinkPlan | None:
        """The site's posts indexed for links into them (in a thread, beside the sources); None without a site."""
        day = self.brief.date.astimezone(self.settings.site.zone).date()
        cache = self.desk.out_dir / ".genpost" / "site-index.json"
        site = self.site
        index_of = site.index if site is not None else None
        figures = self.desk.performance(self.brief.site)
        near = frozenset(s.post for s in figures.signals() if s.code == STRIKING) if figures else frozenset()
        made = asyncio.to_thread(plan_for, self.brief.site, "", day, self.settings.links, cache, index_of, near)
        self.stages.links = await self._timed("links", made)
        if self.desk.voice is not None:  # the site's posts nearest the topic, as examples of its voice
            self._voice = await self._timed("voice", asyncio.to_thread(self._voice_with_examples))
        return self.stages.links

    def plan_voice(self) -> dict[str, Any] | None:
        """What the planning prompts say of the site's voice: its style and sentence length (no examples)."""
        return prompt_voice(self.desk.voice, short=True)

    def voice_prompt(self) -> dict[str, Any] | None:
        """What the prompts say of the site's voice (prompts/_voice.j2); None without voice.yml."""
        if self._voice is None:
            self._voice = prompt_voice(self.desk.voice, short=not self._reads_whole())
        return self._voice

    def _reads_whole(self) -> bool:
        """Can the model read a whole voice, examples included (not the embedded one: it copies what it is shown)?"""
        return self.gateway is not None and self.model.provider.capabilities.whole_draft

    def _voice_with_examples(self) -> dict[str, Any] | None:
        """The voice with one or two excerpts of the site's posts nearest the topic."""
        shown = self._reads_whole()
        index = self.stages.links.index if self.stages.links is not None else None
        query = " ".join([*self.brief.keywords, self.brief.theme or ""])
        day = self.brief.date.astimezone(self.settings.site.zone).date()
        cache = self.desk.out_dir / ".genpost" / "site-index.json"
        found = examples_for(self.brief.site, self.desk.voice, query, day, index, cache) if shown else []
        return prompt_voice(self.desk.voice, found, short=not shown)

    def linked(self, sections: Sections) -> Sections:
        """The sections with their link marks made links, and the candidates left unmarked linked where the prose
        mentions them (without a site, any mark a model wrote is taken out)."""
        if self.stages.links is None:
            return strip_marks(sections)
        return place(sections, self.stages.links)

    async def build_index(self) -> None:
        """The passages' index: built in a thread while the plan is asked for."""
        if self.stages.grounding is not None:
            await self._timed("index", asyncio.to_thread(self.stages.grounding.index.build))

    async def metadata(self) -> Metadata:
        """Title, description, tags and image queries, asked beside the drafting; a call that fails costs the
        draft error findings (a keyword title, no description), not the run."""

        async def ask() -> Metadata:
            existing = [w.title for w in self.desk.memory.written()] if self.desk.memory else []
            sources = self.stages.grounding.sources if self.stages.grounding else []
            try:
                return await make_metadata(
                    self.brief, self.instinct, self.settings, self.model, existing, sources, voice=self.plan_voice()
                )
            except ProviderError as exc:
                log.warning("metadata: %s; the draft is written with a placeholder title for the editor", exc)
                return fallback_metadata(self.brief, self.instinct)

        if self.given_plan is not None and self.given_plan.title:
            return self.given_plan.metadata
        return await self._step("metadata", Metadata, ask)

    async def briefs(self, on_partial: Callable[[str], None] | None = None) -> Briefs:
        """What each section says: from a crashed run's checkpoint, or asked now (`on_partial` sees it stream)."""

        async def ask() -> Briefs:
            sources = self.stages.grounding.sources if self.stages.grounding else []
            return await make_briefs(
                self.brief, self.instinct, self.settings, self.model, sources, on_partial, voice=self.plan_voice()
            )

        return await self._step("briefs", Briefs, ask)

    async def plan(self) -> Plan:
        """The briefs and the metadata at once, drafting nothing (the Batch API plans every post first)."""
        briefs, metadata = await together(self.briefs(), self.metadata())
        self.given_plan = Plan.of(briefs, metadata)
        return self.given_plan

    async def plan_and_draft(self, drafting: Drafting | None = None) -> Drafted:
        """The briefs on the critical path, streamed so each part starts as soon as its brief is whole; the
        metadata beside them; images once both are known."""
        briefs_known: asyncio.Future[Briefs] = asyncio.get_running_loop().create_future()

        async def metadata_and_images() -> tuple[Metadata, list[Image]]:
            meta, briefs = await together(self.metadata(), briefs_known)
            return meta, await self.images(Plan.of(briefs, meta))

        (meta, images), (briefs, sections) = await together(
            metadata_and_images(), self._briefs_and_draft(drafting, briefs_known)
        )
        plan = Plan.of(briefs, meta)
        if self.gateway is not None and not self.model.provider.capabilities.follows_instructions:
            # Asked for them, a model that copies instructions copies them: taken from what it wrote instead.
            limit = self.settings.lengths.description_max
            plan = taken_from_draft(plan, sections, self.outline(plan), self.brief, self.instinct.name, limit)
        self.stages.drafted = Drafted(plan, sections, images)
        log.info("plan: %s", meta.title)
        return self.stages.drafted

    async def _briefs_and_draft(
        self, drafting: Drafting | None, known: asyncio.Future[Briefs]
    ) -> tuple[Briefs, Sections]:
        index = asyncio.ensure_future(self.build_index())

        def mark(briefs: Briefs) -> Briefs:
            if not known.done():
                known.set_result(briefs)
            return briefs

        given = self.given_plan.briefs if self.given_plan is not None else self.checkpoint.load("briefs", Briefs)
        streaming = self.gateway is not None and self.model.provider.capabilities.streaming and self.settings.llm.stream
        if given is not None or drafting is not None or not streaming:
            briefs = mark(given or await self.briefs())
            await index
            plan = Plan.of(briefs, self._metadata_so_far())
            drafter = self.drafter(plan)
            return briefs, await self._timed("draft", drafting(drafter) if drafting else drafter.draft())
        stream = BriefStream(self.instinct.name, self.brief.structure)

        async def draft() -> Sections:
            await index
            drafter = self._drafter(stream.snapshot(), stream.outline(), self.checkpoint)
            return await drafter.draft_streaming(stream)

        drafting_task = asyncio.ensure_future(self._timed("draft", draft()))
        try:
            # What pieces already started from is kept, then mended as any answer is (a blank step title).
            answer = repair_briefs(stream.close(await self.briefs(stream.feed)), self.brief, self.settings)
            self.checkpoint.save("briefs", Briefs, answer)  # a piece that fails still lets the outline call finish
            mark(answer)
        except BaseException:
            drafting_task.cancel()  # its pieces wait for briefs that will not come
            await asyncio.gather(drafting_task, return_exceptions=True)
            raise
        return answer, await drafting_task

    def _metadata_so_far(self) -> Metadata:
        plan = self.given_plan
        return plan.metadata if plan is not None and plan.title else Metadata.unknown()

    async def images(self, plan: Plan) -> list[Image]:
        async def search() -> list[Image]:
            # Photos used on the site, or in drafts, recently are skipped.
            out_dir, site = self.desk.out_dir, self.brief.site
            avoid = recently_used(
                [out_dir, *([site / "_posts"] if site else [])], self.settings.images.avoid_days, self.brief.date
            )
            client = unsplash_client(self.settings.images, out_dir / ".genpost" / "unsplash-cache")
            try:
                return await choose_images(plan, self.outline(plan), self.instinct, self.settings.images, client, avoid)
            finally:
                if client is not None:
                    await client.close()

        return await self._step("images", list[Image], search)

    def find_related(self, plan: Plan, linked: set[str] = frozenset()) -> list[RelatedPost]:
        """The related-posts block's posts: the most related by topic that the prose does not link already."""
        site = self.site
        if site is not None:
            words = [*plan.tags, *self.brief.keywords, plan.category]
            related = self.settings.related
            day = self.brief.date.astimezone(self.settings.site.zone).date()
            posts = [p for p in site.posts if p.name not in linked and p.linkable(day)]
            self.stages.related = related_posts(posts, plan.title, words, related.count, related.min_score)
        return self.stages.related

    def assemble(self, sections: Sections) -> Post:
        drafted, stages = self.stages.drafted, self.stages
        assert drafted is not None
        return Assembler(self.settings, self.instinct).assemble(
            self.brief,
            drafted.plan,
            self.outline(drafted.plan),
            sections,
            drafted.images,
            stages.related,
            stages.grounding,
            site_format=self.site.format if self.site is not None else None,
        )

    @property
    def site(self) -> Site | None:
        """The site the post is for (--site), read once for the run."""
        return self.desk.site(self.brief.site)

    def check(self, post: Post) -> list[Finding]:
        return gate(post, self.settings, self.instinct, self.site, self.desk.voice, self.approved)

    def shown(self, post: Post) -> dict[str, str]:
        """What each part of `post` says now, as its document has it (a continued redraft reads the post so far)."""
        return {key: post.doc.part_text(key) for key in self.outline(self.stages.plan).part_keys()}

    def refit(self, post: Post, doc: PostDoc) -> Post:
        """`post` with its document edited (a cut, a polish edit): nothing is assembled again."""
        return refit(post, doc, self.settings.lengths.reading_chars_per_minute)

    def rewritten(self, post: Post, values: Sections) -> Post:
        """`post` with the parts in `values` written again: their link marks made links (never to a post the
        rest of the post links already), their markers footnotes; every other block as it was."""
        if self.stages.links is None:
            values = strip_marks(values)
        else:
            kept = {name for b in post.doc.blocks if b.part not in values for name in b.post_urls}
            values = place(values, self.stages.links, already=kept)
        grounding, lengths = self.stages.grounding, self.settings.lengths
        return with_parts(post, values, grounding, self.settings.site.zone, lengths.reading_chars_per_minute)

    def revise(self, post: Post) -> list[Finding]:
        """`post` as the job's final post (an accepted regenerated part), checked again."""
        findings = self.check(post)
        for stage in (self.stages.gated, self.stages.polished):
            if stage is not None:
                stage.post, stage.findings = post, findings
        return findings

    # --- what the stages over the assembled post ask of the run (pipeline/writing/stages.py: Run) ------------

    def shapes(self) -> dict[str, Shape]:
        """Every part of the outline, and what it must keep to stand."""
        return shapes_of(self.outline(self.stages.plan), self.settings.lengths)

    async def redraft(self, post: Post, fixes: dict[str, list[Finding]], round_number: int) -> Post:
        """`post` with the parts in `fixes` drafted again, told what to fix (a continued redraft reads the post)."""
        values = await self.drafter(self.stages.plan).redraft(fixes, round_number, self.shown(post))
        return self.rewritten(post, values)

    async def polish_edits(self, post: Post) -> list[Edit] | None:
        """The polish call's edits for the whole draft; None where the job does not polish."""
        if not self.wants_polish():
            return None
        context = {"brief": self.brief, "instinct": self.instinct, "site_name": self.settings.site.name}
        context["voice"] = self.voice_prompt()
        asked = ask_polish(self.model, self.outline(self.stages.plan), post.doc, context)
        return await self._timed("polish", asked)

    # --- the stages ---------------------------------------------------------------------------------------

    async def gate(self, drafted: Drafted) -> Gated:
        """The quality gate over the post assembled once: copied and repeated sentences are cut where their parts
        still stand; parts still failing are redrafted with what was found, a bounded number of times; a last
        cut before writing (`stages.gate_stages`)."""
        sections = self.linked(drafted.sections)
        self.find_related(drafted.plan, linked_names(sections))
        post = self.assemble(sections)
        stages = gate_stages(self.settings.quality.max_rewrites)
        done = await self._timed("gate", through(Draft(post, self.check(post)), self, stages))
        self.notes.cuts += done.cuts
        self.trace += done.trace
        if errors(done.findings):
            log.warning("%d quality error(s) remain; see the run record or `genpost check`", len(errors(done.findings)))
        self.stages.gated = Gated(done.post, done.findings, done.rewrites)
        return self.stages.gated

    def wants_polish(self) -> bool:
        """`polish` in genpost.yml (or --polish/--no-polish): auto polishes where the model can read a whole draft."""
        mode = self.settings.polish if self.polish is None else ("on" if self.polish else "off")
        whole = self.gateway is not None and self.model.provider.capabilities.whole_draft
        return mode == "on" or (mode == "auto" and whole)

    async def polish_pass(self, gated: Gated) -> Polished:
        """One call over the whole draft (`stages.Polish`): its safe edits applied, every edit kept."""
        done = await through(Draft(gated.post, gated.findings), self, [Polish()])
        self.trace += done.trace
        polished = Polished(done.post, done.findings, done.edits, done.before)
        if self.wants_polish():
            self.stages.polished = polished
        return polished

    async def redraft_part(self, key: str, note: str) -> PartText:
        """`key` written again with the editor's note as the thing to fix; the job's stages stay as they were."""
        ask = note.strip() or "同じ内容を、より読みやすく具体的に書き直してください。"
        fixes = {key: [Finding(rule="editor.note", severity="error", message=ask)]}
        shown = self.shown(self.stages.final.post)
        variant = 1 + len(self.earlier_calls) + len(self.model.calls)  # each regeneration samples anew
        values = await self.drafter(self.stages.plan, checkpointed=False).redraft(fixes, variant, shown)
        return values[key]

    async def run(self, drafting: Drafting | None = None) -> Result:
        """Every stage, in order; images are searched while the parts are drafted; the draft stored."""
        started = time.perf_counter()
        ensure_dir(self.desk.out_dir)
        # A resumed run keeps the first run's brief (its date, when none was given).
        brief = self.brief
        self.stages.brief = await self.checkpoint.reuse("brief", Brief, lambda: _same(brief))
        # Sources are fetched first (the plan sees their titles); their index is built beside the outline call.
        await together(self.gather_sources(), self.link_plan())
        drafted = await self.plan_and_draft(drafting)
        gated = await self.gate(drafted)
        await self.polish_pass(gated)
        self.seconds["total"] = round(time.perf_counter() - started, 4)
        return store(self)


async def _same(value: T) -> T:
    return value


def _cited(record: RunRecord, grounding: Grounding | None) -> dict[str, list[str]]:
    """Each footnote's label and the passages of its source that drafting was given (as the post had it)."""
    if grounding is None:
        return {}
    passages = grounding.passages_by_id()
    sources = {str(c.footnote): passages[c.marker].source for c in record.citations if c.kept and c.marker in passages}
    return {label: [p.text for p in grounding.index.passages if p.source == s] for label, s in sources.items()}
