"""Drafting by continuation, for a model that copies written instructions into what it writes.

Each part is written by continuing the post so far, as a reader would see it: the title, the parts
above under their headings, the part's own heading and its brief as one plain line
(`prompts/document.j2`). There is no instruction to copy, only the post. Parts are written in
reading order, each seeing those above, so the shared prefix grows and the model's key-value cache
serves it; each stops at the first sentence end past its target length. A step's lists and the
summary's points are held to their shape by a grammar (`grammar.py`), and their labels are the
post's own (`outline.STEP_LABELS`).
"""

from __future__ import annotations

import logging
import re

from pipeline.config import Settings
from pipeline.llm.answers import continue_text
from pipeline.llm.gateway import Gateway
from pipeline.llm.grammar import list_grammar, points_grammar
from pipeline.paths import resource
from pipeline.prompts import RenderedPrompt
from pipeline.quality.copying import template_instructions
from pipeline.quality.mend import cut_part
from pipeline.store import Checkpoint
from pipeline.text import clean_line, clean_prose, max_tokens_for
from pipeline.types import Brief, PartText, Plan, Sections, StepText, SummaryPoint, SummaryText
from pipeline.writing.outline import STEP_LABELS, Kind, Outline, Part, brief_of

log = logging.getLogger("genpost")
TEMPLATE = "document.j2"
PROSE_STOP = ("\n#", "\n\n\n", "\n---")  # a heading or a rule: the next part is the assembler's
LINE_STOP = ("\n",)
ITEM = "\n    - "  # a step's bullet under its label
POINT = "\n- **"  # a summary point
ITEM_SPLIT = re.compile(r"\n\s*-\s*")  # however the marker came out
# Items per step list, and characters per item: the reference format's steps.
STEP_ITEMS = {"実行内容": (2, 3), "指標": (1, 2), "注意点": (1, 2)}
ITEM_CHARS = {"実行内容": (12, 90), "指標": (6, 60), "注意点": (12, 90)}
# A part's prose ends at the first sentence end past this share of its target: the sentence that crosses it
# and the step lists make up the rest.
PROSE_SHARE = 75
OPENING_CHARS = 50  # a step's summary, the summary's opening and close: a sentence or two
POINTS = 3
POINT_LABEL, POINT_TEXT = (2, 15), (20, 90)


def markdown_of(value: PartText) -> str:
    """A part as the document shows it (the assembler's format, without its images and links)."""
    if isinstance(value, StepText):
        lists = zip(STEP_LABELS, (value.actions, value.metrics, value.cautions), strict=True)
        return value.summary + "".join(f"\n- **{label}:**" + "".join(ITEM + i for i in items) for label, items in lists)
    if isinstance(value, SummaryText):
        points = "".join(f"{POINT}{p.label}:** {p.text}" for p in value.points)
        return f"{value.intro}\n{points}\n\n{value.closing}".strip()
    return value


class ContinuationWriter:
    """Writes a post's parts in reading order by continuing the document above each."""

    def __init__(
        self,
        brief: Brief,
        plan: Plan,
        outline: Outline,
        settings: Settings,
        gateway: Gateway,
        checkpoint: Checkpoint | None,
        cuts: list[dict],
        variant: int = 0,
    ) -> None:
        """The post as the drafter has it. `cuts` collects the lines cut for copying a prompt (the run record's);
        `variant` > 0 asks for a different sample than the first draft's (a redraft)."""
        self.brief, self.plan, self.outline = brief, plan, outline
        self.settings, self.gateway, self.checkpoint = settings, gateway, checkpoint
        self.cuts, self.variant = cuts, variant
        self.allow = settings.quality.extra_characters
        self.instructions = template_instructions(resource("prompts"))

    async def draft(self, shown: dict[str, str] | None = None, only: set[str] | None = None) -> Sections:
        """Every part (or only those in `only`), each seeing the parts above it as written; `shown`: what the
        post's parts say now, as its document has them (a redraft continues the post as it stands)."""
        texts: dict[str, str] = dict(shown or {})
        sections: Sections = {}
        checkpoint = self.checkpoint if only is None else None
        for part in self.outline:
            if only is not None and part.key not in only:
                continue
            kind = {Kind.STEP: StepText, Kind.SUMMARY: SummaryText}.get(part.kind, str)

            async def write(part: Part = part) -> PartText:
                return await self.part(part, texts)

            if checkpoint is None:
                sections[part.key] = await write()
                if self.checkpoint is not None and only is not None:
                    self.checkpoint.save(part.key, kind, sections[part.key])
            else:
                sections[part.key] = await checkpoint.reuse(part.key, kind, write)
            texts[part.key] = markdown_of(sections[part.key])
        return sections

    async def part(self, part: Part, texts: dict[str, str]) -> PartText:
        """One part, continued from the parts above it."""
        if part.kind is Kind.STEP:
            return await self._step(part, texts)
        if part.kind is Kind.SUMMARY:
            return await self._summary(part, texts)
        chars = getattr(self.settings.lengths.sections, part.length) * PROSE_SHARE // 100
        text = await self._continue(part, texts, "", chars, PROSE_STOP)
        return self._kept(part, clean_prose(text))

    async def _step(self, part: Part, texts: dict[str, str]) -> StepText:
        summary = clean_line(await self._continue(part, texts, "", OPENING_CHARS, LINE_STOP))
        lists: list[list[str]] = []
        so_far = summary
        for label in STEP_LABELS:
            so_far += f"\n- **{label}:**{ITEM}"
            grammar = list_grammar(STEP_ITEMS[label], ITEM_CHARS[label], ITEM)
            written = await self._continue(part, texts, so_far, 0, (), grammar, f"{part.key}.{label}")
            items = [line for line in (clean_line(i) for i in ITEM_SPLIT.split(written)) if line]
            lists.append(items)
            so_far += ITEM.join(items)
        return self._kept(part, StepText(summary=summary, actions=lists[0], metrics=lists[1], cautions=lists[2]))

    async def _summary(self, part: Part, texts: dict[str, str]) -> SummaryText:
        intro = clean_line(await self._continue(part, texts, "", OPENING_CHARS, LINE_STOP))
        so_far = f"{intro}\n{POINT}"
        grammar = points_grammar(POINTS, POINT_LABEL, POINT_TEXT, POINT)
        written = await self._continue(part, texts, so_far, 0, (), grammar, f"{part.key}.points")
        points = []
        for point in written.split(POINT):
            label, _, text = point.partition(":** ")
            points.append(SummaryPoint(label=clean_line(label), text=clean_line(text)))
        so_far += written + "\n\n"
        closing = await self._continue(part, texts, so_far, OPENING_CHARS, LINE_STOP, key=f"{part.key}.closing")
        closing = clean_line(closing)
        return self._kept(part, SummaryText(intro=intro, points=points, closing=closing))

    def document(self, part: Part, texts: dict[str, str], tail: str) -> RenderedPrompt:
        """The post so far, ending where `part` (and `tail`, what it holds already) continues."""
        written = []
        for above in self.outline:
            if above.key == part.key:
                break
            if above.key in texts:
                heading = above.markdown_heading if above.heading else None
                written.append({"heading": heading, "text": texts[above.key]})
        title = self.plan.title or self.brief.primary_keyword
        current = part.markdown_heading if part.heading else None
        point = brief_of(part, self.plan) if part.heading else ""
        opening = "\n\n" + tail
        return self.gateway.prompts.document(
            TEMPLATE, opening, title=title, written=written, current=current, point=point
        )

    async def _continue(
        self,
        part: Part,
        texts: dict[str, str],
        tail: str,
        chars: int,
        stop: tuple[str, ...],
        grammar: str | None = None,
        key: str | None = None,
    ) -> str:
        prompt = self.document(part, texts, tail)
        cap = self.settings.lengths.sections.step if grammar else chars
        gateway = self.gateway
        request = gateway.document_request(
            "draft", prompt, max_tokens_for(cap), stop=stop, stop_after=chars, grammar=grammar, allow=self.allow,
            variant=self.variant,
        )  # fmt: skip
        return await continue_text(gateway, part=key or part.key, prompt=prompt, request=request)

    def _kept(self, part: Part, value: PartText) -> PartText:
        """The part without the sentences that copy a prompt template's fixed text (noted for the record)."""
        kept, cut = cut_part(value, self.instructions.copies)
        if cut:
            self.cuts.append({"part": part.key, "lines": cut})
            log.info("draft/%s: cut %d line(s) copied from a prompt", part.key, len(cut))
        return kept
