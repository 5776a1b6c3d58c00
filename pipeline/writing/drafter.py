"""Outline → Sections: every part of the post drafted concurrently through `prompts/*.j2`."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from pipeline.config import Settings
from pipeline.instincts import Instinct
from pipeline.llm import Gateway, ask_json, ask_text
from pipeline.llm.fields import FieldSpec, JapaneseText
from pipeline.prompts import RenderedPrompt
from pipeline.quality.copying import Instructions, field_descriptions
from pipeline.quality.mend import cut_part, stands
from pipeline.site.links import LinkPlan, Offer, section_query
from pipeline.sources import Grounding
from pipeline.store import Checkpoint
from pipeline.text import clean_line, clean_prose, max_tokens_for
from pipeline.types import (
    Brief,
    Citation,
    Finding,
    PartText,
    Passage,
    Plan,
    Sections,
    StepAnswer,
    StepText,
    SummaryAnswer,
    SummaryPoint,
    SummaryText,
)
from pipeline.writing.citations import keep_given
from pipeline.writing.continuation import ContinuationWriter
from pipeline.writing.outline import Kind, Outline, Part, brief_of
from pipeline.writing.streaming import BriefStream

log = logging.getLogger("genpost")
# The JSON shape the model answers in, for the parts that are not plain prose.
ANSWERS: dict[Kind, type[BaseModel]] = {Kind.STEP: StepAnswer, Kind.SUMMARY: SummaryAnswer}
# Their fields open with a Japanese character (a grammar-decoding provider makes it so).
JAPANESE_FIELDS: dict[Kind, tuple[str, ...]] = {
    Kind.STEP: ("summary", "actions", "metrics", "cautions"),
    Kind.SUMMARY: ("intro", "points.label", "points.text", "closing"),
}


@dataclass(frozen=True)
class Piece:
    """One model call of the drafting stage: a part, or one of the pieces a long part is split into."""

    part: Part
    number: int  # 1-based within its part
    count: int  # pieces the part is split into
    prompt: RenderedPrompt
    chars: int  # the characters it is asked for
    max_tokens: int
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    fixes: tuple[Finding, ...] = ()  # what a redraft was told to fix
    passages: tuple[Passage, ...] = ()  # what it may draw figures from, and cite

    @property
    def key(self) -> str:
        """The call's name, also its checkpoint and Batch API id: "lead", "background.2", "step3"."""
        return self.part.key if self.count == 1 else f"{self.part.key}.{self.number}"

    @property
    def answer(self) -> type[BaseModel] | None:
        """The JSON shape of the answer, or None for free text."""
        return ANSWERS.get(self.part.kind)


@dataclass
class DraftNotes:
    """What drafting did besides writing, for the run record."""

    cuts: list[dict] = field(default_factory=list)  # lines cut because they copied a prompt
    dropped: list[Citation] = field(default_factory=list)  # markers naming no passage the piece was given
    given: dict[str, list[str]] = field(default_factory=dict)  # piece → the passage ids its prompt quoted


class Drafter:
    """Drafts one post's parts; each call sees the whole outline so none repeats another."""

    def __init__(
        self,
        brief: Brief,
        plan: Plan,
        outline: Outline,
        instinct: Instinct,
        settings: Settings,
        gateway: Gateway,
        checkpoint: Checkpoint | None = None,
        notes: DraftNotes | None = None,
        grounding: Grounding | None = None,
        links: LinkPlan | None = None,
        voice: dict[str, Any] | None = None,
    ) -> None:
        """`notes` collects what the run record keeps; `grounding`, the sources pieces may cite; `links`, the
        site's posts sections may link to; `voice`, what the prompts say of the site's voice (prompts/_voice.j2)."""
        self.brief, self.plan, self.outline = brief, plan, outline
        capabilities = gateway.provider.capabilities
        self._sees_briefs = capabilities.whole_draft
        # A model that copies instructions continues the post instead (sources to cite need the instructions).
        self.continues = not capabilities.follows_instructions and capabilities.continues and grounding is None
        self.instinct, self.settings, self.gateway = instinct, settings, gateway
        self.checkpoint = checkpoint
        self.notes = notes or DraftNotes()
        self.grounding = grounding
        self.links = links
        self.voice = voice

    def offers(self, part: Part) -> list[Offer]:
        """The site's posts this part may link to (offered once a part, as its drafting starts): prose sections
        under a heading only (the lead's first sentence, steps and the summary carry no link)."""
        if self.links is None or part.kind is not Kind.PROSE or part.heading is None:
            return []
        query = section_query(part.heading, brief_of(part, self.plan), self.brief.primary_keyword)
        return self.links.offer(part.key, query)

    def _context(
        self, part: Part, chars: int, fixes: list[Finding], number: int, count: int, passages: list[Passage]
    ) -> dict[str, Any]:
        titles = self.grounding.titles() if self.grounding else {}
        offers = self.offers(part)
        context = {
            "passages": [{"id": p.id, "text": p.text, "title": titles.get(p.source, "")} for p in passages],
            # A model that follows instructions may mark the sentence that leads to one; the embedded model is
            # offered nothing to mark (its candidates are linked where the prose mentions them).
            "links": [{"id": o.id, "title": o.page.title, "description": o.page.description} for o in offers]
            if self._sees_briefs
            else [],
            "fixes": fixes,
            "sentence_max": self.settings.quality.sentence_max,
            "max_ten": self.settings.quality.max_ten,
            "piece": number - 1,
            "pieces": count,
            "site_name": self.settings.site.name,
            "brief": self.brief,
            "plan": self.plan,
            "instinct": self.instinct,
            "theme": self.plan.category,
            "structure": self.brief.structure,
            # A model with a small window (the embedded one) sees the headings only: it copies what it is shown.
            "sections": [
                {"heading": p.markdown_heading, "brief": brief_of(p, self.plan) if self._sees_briefs else ""}
                for p in self.outline
            ],
            "briefs_shown": self._sees_briefs,
            "current": part.markdown_heading,
            "target_chars": chars,
            "use_keyword": part.keyword and number == 1,
        }
        if part.group == "trend" and part.position:
            context.update(index=part.position - 1, point=self.plan.trend_points[part.position - 1])
        if part.kind is Kind.STEP:
            context["step"] = self.plan.steps[part.position - 1]
        context["voice"] = self.voice
        approved = self.brief.from_brief
        context["points"] = next((p.points for p in approved.parts if p.part == part.key), []) if approved else []
        return context

    def pieces_of(self, part: Part, fixes: list[Finding] = ()) -> list[Piece]:
        """A part's calls: prose longer than `split_above` becomes shorter pieces written at once."""
        chars = getattr(self.settings.lengths.sections, part.length)
        count = max(1, math.ceil(chars / self.settings.lengths.split_above)) if part.kind is Kind.PROSE else 1
        per_piece = math.ceil(chars / count)
        fields: dict[str, FieldSpec] = dict.fromkeys(JAPANESE_FIELDS.get(part.kind, ()), JapaneseText())
        dealt = self._passages_for(part, count)
        render = self.gateway.prompts.render
        return [
            Piece(
                part,
                number,
                count,
                render(part.template, **self._context(part, per_piece, list(fixes), number, count, dealt[number - 1])),
                per_piece,
                max_tokens_for(per_piece),
                fields,
                tuple(fixes),
                tuple(dealt[number - 1]),
            )
            for number in range(1, count + 1)
        ]

    def _passages_for(self, part: Part, count: int) -> list[list[Passage]]:
        """The passages that best match the part's heading and brief, dealt out to its pieces in turn."""
        dealt: list[list[Passage]] = [[] for _ in range(count)]
        if self.grounding is None:
            return dealt
        sources = self.settings.sources
        query = " ".join([part.heading or "", brief_of(part, self.plan), self.brief.primary_keyword])
        found = self.grounding.index.top(query, sources.passages_per_piece * count, sources.piece_budget_chars * count)
        for n, passage in enumerate(found):
            dealt[n % count].append(passage)
        return dealt

    def pieces(self, fixes: dict[str, list[Finding]] | None = None) -> list[Piece]:
        """Every call that drafts the post, or, with `fixes`, those that redraft the parts it names."""
        wanted = self.outline.parts if fixes is None else [p for p in self.outline if p.key in fixes]
        return [piece for part in wanted for piece in self.pieces_of(part, (fixes or {}).get(part.key, []))]

    async def _ask(self, piece: Piece) -> Any:
        asked = {"stage": "draft", "part": piece.key, "prompt": piece.prompt, "max_tokens": piece.max_tokens}
        if piece.answer is None:
            return await ask_text(self.gateway, **asked, stop_after=piece.chars)
        return await ask_json(self.gateway, **asked, model=piece.answer, fields=piece.fields)

    async def write(self, piece: Piece) -> PartText:
        """One piece through the model gateway, cleaned; lines that copy its prompt are cut.

        When too little is left to stand on its own, the piece is asked once more, told
        which lines it copied; copied again, it is kept whole and the gate flags it.
        """
        answer = await self._ask(piece)
        value, cut = self.cleaned(piece, answer)
        if not cut or stands(value, piece.chars):
            return self._keep(piece, value, cut)
        fix = Finding(
            rule="integrity.copied-instruction",
            severity="error",
            message="copied its instructions",
            message_ja="指示文をそのまま書いていました",
            excerpt=" / ".join(cut)[:160],
        )
        retry = self.pieces_of(piece.part, [fix])[piece.number - 1]
        answer = await self._ask(retry)
        value, cut = self.cleaned(retry, answer)
        return self._keep(retry, value, cut) if not cut or stands(value, retry.chars) else finish(answer)

    def accept(self, piece: Piece, answer: Any) -> PartText | None:
        """An answer from elsewhere (the Batch API), cleaned; None when too little of it stands (ask again)."""
        value, cut = self.cleaned(piece, answer)
        return self._keep(piece, value, cut) if not cut or stands(value, piece.chars) else None

    def material(self) -> list[str]:
        """What the post is about: text from the plan, brief and instinct that a piece may rightly repeat
        (a piece's passages too: see `cleaned`)."""
        plan, brief, instinct = self.plan, self.brief, self.instinct
        items = [plan.title, plan.description, plan.category, *plan.tags, plan.lead, plan.background, plan.trend]
        items += [*plan.trend_points, *(s.title for s in plan.steps), *(s.brief for s in plan.steps)]
        items += [plan.cases, plan.summary, *brief.keywords, instinct.name, *instinct.triggers, instinct.psychology]
        return [*items, *(p.heading for p in self.outline if p.heading)]

    def cleaned(self, piece: Piece, answer: Any) -> tuple[PartText, list[str]]:
        """An answer cleaned for the assembler, without the sentences that copy the piece's own prompt, and those."""
        texts = [m["content"] for m in piece.prompt.messages]
        # A redraft's prompt quotes the text it must fix: writing that again is not copying instructions
        # (unless what it quotes is a copied instruction).
        quoted = [f.excerpt for f in piece.fixes if f.excerpt and not f.rule.startswith("integrity.")]
        sources = [p.text for p in piece.passages]
        targets = [t for o in self.offers(piece.part) for t in (o.page.title, o.page.description)]
        instructions = Instructions.of(
            [*texts, *field_descriptions(*filter(None, [piece.answer]))],
            [*self.material(), *quoted, *sources, *targets],
        )
        value, cut = cut_part(finish(answer), instructions.copies)
        value, dropped = keep_given(value, {p.id for p in piece.passages}, piece.key)
        self.notes.dropped += dropped
        self.notes.given[piece.key] = [p.id for p in piece.passages]
        return value, cut

    def _keep(self, piece: Piece, value: PartText, cut: list[str]) -> PartText:
        if cut:
            self.notes.cuts.append({"part": piece.key, "lines": cut})
            log.info("draft/%s: cut %d line(s) copied from the prompt", piece.key, len(cut))
        return value

    async def _kept(self, piece: Piece, fresh: bool) -> PartText:
        """A piece from the checkpoint when a crashed run already wrote it (never one being fixed)."""
        kind = piece.answer or str
        if self.checkpoint is None:
            return await self.write(piece)
        if fresh:
            value = await self.write(piece)
            self.checkpoint.save(piece.key, kind, value)
            return value
        return await self.checkpoint.reuse(piece.key, kind, lambda: self.write(piece))

    def _continuation(self, variant: int = 0) -> ContinuationWriter:
        """A writer that continues the post as it stands now (`variant` > 0: a redraft's other sample)."""
        return ContinuationWriter(
            self.brief, self.plan, self.outline, self.settings, self.gateway, self.checkpoint, self.notes.cuts, variant
        )

    async def draft(self) -> Sections:
        """Every part at once; the gateway caps how many calls are in flight (by continuation: in reading order)."""
        if self.continues:
            return await self._continuation().draft()
        pieces = self.pieces()
        values = await asyncio.gather(*(self._kept(p, fresh=False) for p in pieces))
        return combine(self.outline, pieces, values)

    async def draft_streaming(self, stream: BriefStream) -> Sections:
        """Every part, each started as soon as its brief has streamed in; the briefs known by then go in its prompt."""

        async def part(key: str) -> list[tuple[Piece, PartText]]:
            await stream.ready(key)
            # What has arrived so far: this part's brief, every earlier part's, maybe more.
            self.plan, self.outline = stream.snapshot(), stream.outline()
            pieces = self.pieces_of(self.outline[key])
            return list(zip(pieces, await asyncio.gather(*(self._kept(p, fresh=False) for p in pieces)), strict=True))

        done = await asyncio.gather(*(part(key) for key in stream.events))
        self.plan, self.outline = stream.snapshot(), stream.outline()
        pairs = [pair for found in done for pair in found]
        return combine(self.outline, [p for p, _ in pairs], [v for _, v in pairs])

    async def redraft(
        self, fixes: dict[str, list[Finding]], variant: int = 1, shown: dict[str, str] | None = None
    ) -> Sections:
        """The parts named in `fixes` written again, told what to fix; by continuation, sampled again as `variant`,
        continuing the post as `shown` has it now (each part's text, as its document says it)."""
        if self.continues:
            return await self._continuation(variant).draft(shown, set(fixes))
        pieces = self.pieces(fixes)
        values = await asyncio.gather(*(self._kept(p, fresh=True) for p in pieces))
        return combine(self.outline, pieces, values)


def finish(answer: Any) -> PartText:
    """A model's answer to a piece, cleaned for the assembler (a bullet that cleans away is dropped).

    The answer's schema bounds stay with the answer: what the post holds is a plain StepText or SummaryText."""
    if isinstance(answer, StepText):
        return StepText(
            summary=clean_prose(answer.summary),
            actions=_bullets(answer.actions),
            metrics=_bullets(answer.metrics),
            cautions=_bullets(answer.cautions),
        )
    if isinstance(answer, SummaryText):
        points = [SummaryPoint(label=clean_line(p.label), text=clean_line(p.text)) for p in answer.points]
        return SummaryText(intro=clean_line(answer.intro), points=points, closing=clean_line(answer.closing))
    return clean_prose(answer)


def _bullets(items: list[str]) -> list[str]:
    """Bullets cleaned to one line each; empty ones dropped."""
    return [line for line in (clean_line(i) for i in items) if line]


def combine(outline: Outline, pieces: Iterable[Piece], values: Iterable[PartText]) -> Sections:
    """Sections from finished pieces (the pieces of a part joined), in the outline's order."""
    parts: dict[str, list[PartText]] = {}
    for piece, value in zip(pieces, values, strict=True):
        parts.setdefault(piece.part.key, []).append(value)
    sections: Sections = {}
    for key, found in parts.items():
        texts = [v for v in found if isinstance(v, str)]
        sections[key] = "\n\n".join(t for t in texts if t) if len(texts) == len(found) else found[0]
    return {key: sections[key] for key in outline.part_keys() if key in sections}
