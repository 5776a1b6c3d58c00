"""A published post rewritten where it aged, and nowhere else.

Each part with a reason is drafted again through the model gateway (`prompts/refresh_part.j2`: its text now,
what to fix, the passages of fresh sources when there are any; a step or the summary of genpost's shape as the
drafter's JSON answers), cleaned as the drafter cleans, and put back as the assembler writes a part. The title
and description with a past year are asked for once (`prompts/refresh_front.j2`); a past year in a heading or
a keyword becomes this year. Every block without a reason keeps the lines it was read from, byte for byte; the
front matter changes only its lines that change (and gains `last_modified_at`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from pipeline.config import Settings
from pipeline.document import FOOTNOTE_MARK, RELATED, Block, Kind, PostDoc, post_time
from pipeline.errors import ProviderError
from pipeline.instincts import Instinct
from pipeline.llm import Gateway, ask_json, ask_text
from pipeline.llm.fields import JapaneseText
from pipeline.parse import SECTION_PARTS, parse_blocks
from pipeline.refresh.kept_links import Kept, KeptLinks
from pipeline.refresh.reasons import PROSE, Reason, past_years, prose_parts
from pipeline.refresh.splice import (
    FootnoteLabels,
    bump_years,
    changed_parts,
    eol_of,
    headings_dated,
    json_ld_follows,
    moved_footnotes,
    placed,
    refit_footnotes,
    related_pruned,
    written,
)
from pipeline.site.links import LinkPlan, place
from pipeline.site.posts import plain
from pipeline.sources import Grounding
from pipeline.text import char_count, max_tokens_for, plain_line
from pipeline.types import (
    Citation,
    Finding,
    PartText,
    Passage,
    Source,
    StepText,
    SummaryText,
)
from pipeline.writing.assembler import part_blocks, reading_minutes
from pipeline.writing.citations import MARKER, citable_url, keep_given
from pipeline.writing.drafter import ANSWERS, JAPANESE_FIELDS, finish
from pipeline.writing.outline import Kind as PartKind
from pipeline.writing.parttext import map_texts, texts_of

log = logging.getLogger("genpost")
# What the model is told for each kind of reason, beside the reason itself.
FIX_NOTES = {
    "year.heading": "見出しの年は今年に改めます。本文も今年の内容にしてください。",
    "year.prose": (
        "本文の過去の年が「今」を指すところは今年に改め、今年の内容にしてください。過去の出来事の年はそのままです。"
    ),
    "source.dead": "この資料はもう読めません。この資料の数値や内容に頼らずに書き直してください。",
    "source.changed": "資料の内容が変わりました。【使える資料】の新しい内容に合わせて数値と記述を直してください。",
    "links.unresolved": "リンク先の記事はもうありません。リンクは書かず、その記事に頼らない文にしてください。",
    "age": "公開から時間がたっています。今日の時点で古くなった内容を改めてください。",
    "performance.clicks-lost": (
        "検索からのクリックが減っています。主キーワードで検索した読者が知りたいことに、冒頭で具体的に答えてください。"
    ),
    "performance.position-lost": (
        "検索順位が下がっています。主キーワードの問いに冒頭で答え、内容を具体的にしてください。"
    ),
    "performance.striking-distance": (
        "検索結果の1ページ目まであと一歩です。主キーワードの問いに冒頭で答えてください。"
    ),
}


class FrontAnswer(BaseModel):
    """The title and description of a refreshed post, as the model is asked for them."""

    title: str = Field(description="記事タイトル（日本語、60字以内）")
    description: str = Field(description="メタディスクリプション（日本語、120字以内）")


def _shown(part: str, blocks: list[Block], kept: KeptLinks) -> str:
    """A part's prose as the model is shown it: plain text, a bullet a line, no footnote marks, each link as a
    numbered link to keep (`[語句](K1)`)."""
    lines, previous = [], None
    for block in blocks:
        text = kept.show(part, block)
        if block.kind == Kind.LIST_ITEM:
            line = "    " * max(0, block.level - 1) + f"- {text}"
        elif block.kind == Kind.STEP_LABEL:
            line = f"{block.label}:"
        else:
            line = text
        if lines and (block.kind == Kind.PARAGRAPH or previous == Kind.PARAGRAPH):
            lines.append("")
        lines.append(line)
        previous = block.kind
    return "\n".join(lines)


def _cleaned(value: Any) -> PartText:
    """An answer cleaned as the drafter cleans one (a bullet that cleans away is dropped), with no footnote mark
    of its own (the post's marks are the refresh's to place)."""
    return map_texts(finish(value), lambda text: FOOTNOTE_MARK.sub("", text))


@dataclass
class Rewritten:
    """The refreshed document, and what was rewritten to make it."""

    doc: PostDoc
    parts: list[str]
    fields: list[str]
    citations: list[Citation] = field(default_factory=list)
    cited: dict[str, list[str]] = field(default_factory=dict)  # a new footnote's label → its source's passages
    given: dict[str, list[str]] = field(default_factory=dict)  # part → the passages its prompt quoted
    passages: list[Passage] = field(default_factory=list)
    lost_links: list[Kept] = field(default_factory=list)  # links the rewrite left out and no anchor could carry


class Rewriter:
    """Rewrites one post's parts with a reason; keeps the rest."""

    def __init__(
        self,
        doc: PostDoc,
        reasons: list[Reason],
        settings: Settings,
        instinct: Instinct,
        gateway: Gateway,
        grounding: Grounding | None,
        now: datetime,
        voice: dict[str, Any] | None = None,
        links: LinkPlan | None = None,
    ) -> None:
        """`links`: posts a rewritten prose part may now link to (those near the first page of the search
        results, with Search Console's figures), offered as drafting offers them."""
        self.doc, self.reasons, self.settings, self.instinct = doc, reasons, settings, instinct
        self.links = links
        self.gateway, self.grounding, self.now, self.voice = gateway, grounding, now, voice
        self.kept = KeptLinks()  # the post's links, shown as links to keep and put back after
        self.year = now.astimezone(settings.site.zone).year
        self.today = now.astimezone(settings.site.zone).strftime("%Y年%-m月%-d日")
        # A keyword's past year is made this year's (below too).
        self.keyword = bump_years(doc.front.primary_keyword, self.year)
        self.given: dict[str, list[Passage]] = {}
        self.dropped: list[Citation] = []
        self.citations: dict[str, list[Citation]] = {}  # each rewritten part's markers, as its last rewrite has them
        self.cited: dict[str, list[str]] = {}  # a footnote the rewrites cite → its source's passages
        self.new_sources: dict[int, Source] = {}  # the sources the rewrites cite that the post did not
        self.targets: dict[str, int] = {}  # each rewritten part → the characters it was asked for
        self._added: list[Source] = []  # the sources the last rewrite cites that the post did not

    # --- what to rewrite ----------------------------------------------------------------------------

    def parts(self) -> list[str]:
        """The parts with prose that some reason names, in reading order."""
        named = {p for r in self.reasons for p in r.parts}
        return [p for p in prose_parts(self.doc) if p in named]

    def fixes(self, part: str) -> list[Finding]:
        """What the part's rewrite is told to fix (`prompts/_fixes.j2`): the gate's own findings where a reason
        has them, else the reason and what to do about it."""
        out: list[Finding] = []
        for reason in self.reasons:
            if part not in reason.parts:
                continue
            if reason.fixes:
                out += [f for f in reason.fixes if (f.part or "lead") == part]
                continue
            note = FIX_NOTES.get(reason.code, "")
            message = f"{reason.message}。{note}" if note else reason.message
            out.append(Finding(rule=f"refresh.{reason.code}", severity="error", message=message, message_ja=message))
        return out

    def heading(self, block: Block) -> str:
        """A heading as the refreshed post has it (a past year named by a reason made this year)."""
        dated = any(r.code == "year.heading" and r.detail == block.text for r in self.reasons)
        text = bump_years(block.text, self.year) if dated else block.text
        return f"{'#' * block.level} {text}"

    def kind(self, part: str) -> PartKind:
        """A step or the summary of genpost's shape is written as the drafter's JSON answer; anything else is prose."""
        shaped = set(SECTION_PARTS) <= set(self.doc.part_keys)
        blocks = self.doc.of_part(part)
        if shaped and re.fullmatch(r"step\d+", part) and any(b.kind == Kind.STEP_LABEL for b in blocks):
            return PartKind.STEP
        if shaped and part == "summary" and any(b.kind == Kind.LIST_ITEM and b.label for b in blocks):
            return PartKind.SUMMARY
        return PartKind.PROSE

    # --- asking -------------------------------------------------------------------------------------

    def _context(self) -> dict[str, Any]:
        headings = [self.heading(h) for h in self.doc.headings if h.part != RELATED]
        return {
            "site_name": self.settings.site.name,
            "instinct": self.instinct,
            "title": plain(self.doc.front.title),  # one line of plain text, as any site title
            "description": plain(self.doc.front.description),
            "keyword": self.keyword,
            "today": self.today,
            "year": self.year,
            "headings": headings,
            "sentence_max": self.settings.quality.sentence_max,
            "max_ten": self.settings.quality.max_ten,
            "voice": self.voice,  # the site's voice (prompts/_voice.j2), as drafting has it
        }

    async def write_part(self, doc: PostDoc, part: str, found: list[Finding] = ()) -> PartText:
        """Part `part` of `doc` written again: told its reasons, and what the gate `found` in it (a later round)."""
        blocks = [b for b in doc.of_part(part) if b.kind in PROSE]
        heading = next((b for b in doc.of_part(part) if b.kind == Kind.HEADING), None)
        current = self.heading(heading) if heading else "（導入文）"
        self.kept.again(part)
        text = _shown(part, blocks, self.kept)
        chars = self.targets.setdefault(part, min(max(char_count(text), 80), 1200))
        passages = self._passages(f"{current} {text[:200]} {self.keyword}")
        self.given[part] = passages
        titles = self.grounding.titles() if self.grounding else {}
        kind = self.kind(part)
        offers = (
            self.links.offer(part, f"{current} {text[:300]} {self.keyword}")
            if self.links and kind is PartKind.PROSE
            else []
        )
        prompt = self.gateway.prompts.render(
            "refresh_part.j2",
            **self._context(),
            current=current,
            text=text,
            kind=kind.value,
            target_chars=chars,
            fixes=[*self.fixes(part), *found],
            links=[k.number for k in self.kept.of_part(part)],
            offers=[{"id": o.id, "title": o.page.title, "description": o.page.description} for o in offers],
            passages=[{"id": p.id, "text": p.text, "title": titles.get(p.source, "")} for p in passages],
        )
        if kind is PartKind.PROSE:
            answer: Any = await ask_text(
                self.gateway, stage="refresh", part=part, prompt=prompt, max_tokens=max_tokens_for(chars)
            )
        else:
            model = ANSWERS[kind]
            fields = dict.fromkeys(JAPANESE_FIELDS[kind], JapaneseText())
            answer = await ask_json(
                self.gateway,
                stage="refresh",
                part=part,
                prompt=prompt,
                model=model,
                max_tokens=max_tokens_for(chars),
                fields=fields,
            )
        value = self.kept.restore(part, _cleaned(self.kept.hold(answer)))
        if self.links is not None and isinstance(value, str):  # an offered post's mark made a link, once a post
            linked = {name for b in doc.blocks if b.part != part for _, name in b.internal_links}
            value = place({part: value}, self.links, already=linked)[part]
        value, dropped = keep_given(value, {p.id for p in passages}, part)
        self.dropped += dropped
        return value

    def _passages(self, query: str) -> list[Passage]:
        if self.grounding is None:
            return []
        sources = self.settings.sources
        return self.grounding.index.top(query, sources.passages_per_piece, sources.piece_budget_chars)

    async def front(self) -> dict[str, Any]:
        """The front-matter fields a reason names, written again; and `last_modified_at`."""
        wanted = [
            f for f in ("title", "description") if any(r.code == f"year.{f}" or f in r.parts for r in self.reasons)
        ]
        changes: dict[str, Any] = {}
        if wanted:
            changes.update(await self._title_and_description(wanted))
        for key in ("seo_keywords", "tags"):  # what a search asks for, and how the site files it: this year's
            value = self.doc.front.get(key)
            if any(r.code == f"year.{key}" for r in self.reasons) and value:
                bumped = [bump_years(str(k), self.year) for k in value] if isinstance(value, list) else None
                changes[key] = bumped if bumped is not None else bump_years(str(value), self.year)
        changes["last_modified_at"] = post_time(self.now)
        return changes

    async def _title_and_description(self, wanted: list[str]) -> dict[str, str]:
        front = self.doc.front
        old = {"title": plain_line(front.title), "description": plain_line(front.description)}
        lengths = self.settings.lengths
        limits = {"title": lengths.title_max, "description": lengths.description_max}

        def problems(answer: FrontAnswer) -> list[str]:
            found = []
            for key in wanted:
                value = plain_line(getattr(answer, key))
                if not value:
                    found.append(f"{key} が空です")
                elif past_years(value, self.year):
                    found.append(f"{key} に過去の年が残っています。{self.year}年の記事として書いてください")
                elif len(value) > limits[key]:
                    found.append(f"{key} が{limits[key]}字を超えています")
            return found

        reasons = [r.message for r in self.reasons if {"title", "description"} & set(r.parts)]
        prompt = self.gateway.prompts.render(
            "refresh_front.j2",
            **self._context(),
            wanted=wanted,
            reasons=reasons,
            title_max=limits["title"],
            description_max=limits["description"],
        )
        try:
            answer = await ask_json(
                self.gateway,
                stage="refresh",
                part="front_matter",
                prompt=prompt,
                model=FrontAnswer,
                max_tokens=400,
                check=problems,
            )
            good = not problems(answer)
        except ProviderError as exc:
            log.warning("refresh: the title and description were not written again (%s)", exc)
            answer, good = None, False
        if answer is None or not good:  # the year made this year's, the rest as it was
            return {key: bump_years(old[key], self.year) for key in wanted}
        return {key: plain_line(getattr(answer, key)) for key in wanted}

    # --- putting it together --------------------------------------------------------------------------

    async def rewrite(self, doc: PostDoc, found: dict[str, list[Finding]]) -> PostDoc:
        """`doc` with each part in `found` written again (told its reasons and what was found in it): its prose
        replaced where it stood, in the file's line breaks; its markers made footnotes (a source the post cites
        already keeps its footnote), the definitions nothing cites any more gone."""
        parts = list(found)
        values = await asyncio.gather(*(self.write_part(doc, p, found[p]) for p in parts))
        eol = eol_of(doc)
        labels = FootnoteLabels(doc, self.grounding)
        blocks = list(doc.blocks)
        for part, value in zip(parts, values, strict=True):
            self.citations[part] = self._cites(part, value, labels)
            blocks = placed(blocks, part, written(self._blocks(part, labels.apply(value)), eol), eol)
        blocks = refit_footnotes(blocks, doc, labels, self.settings.site.zone, eol)
        self.cited |= labels.cited(self.grounding)
        self.new_sources |= labels.new_sources
        self._added = list(labels.new_sources.values())
        return doc.with_blocks(blocks)

    async def again(self, doc: PostDoc, found: dict[str, list[Finding]]) -> PostDoc:
        """A later round: the parts the gate still finds errors in written again, and the JSON-LD citing what
        their new footnotes cite."""
        doc = await self.rewrite(doc, found)
        return doc.with_blocks(json_ld_follows(list(doc.blocks), {}, {}, self._added, self.now, eol_of(doc)))

    async def run(self) -> Rewritten:
        rewrite = self.rewrite(self.doc, {part: [] for part in self.parts()})
        doc, changes = await asyncio.gather(rewrite, self.front())
        eol = eol_of(self.doc)
        blocks = list(doc.blocks)
        blocks = headings_dated(blocks, {r.detail for r in self.reasons if r.code == "year.heading"}, self.year, eol)
        moved = [(r.url, citable_url(r.moved_to) or "") for r in self.reasons if r.code == "source.moved"]
        blocks = moved_footnotes(blocks, dict(moved), eol)
        blocks = related_pruned(blocks, {r.detail for r in self.reasons if r.code == "links.related"}, eol)
        doc = self.doc.with_blocks(blocks)
        front = self.doc.front
        if front.reading_time is not None and self.minutes(doc) != self.minutes(self.doc):
            changes["reading_time"] = self.minutes(doc)  # the rewrite changed how long the post takes to read
        doc = replace(doc, front=front.with_fields(**changes))
        cited_moved = {citable_url(old) or old: new for old, new in moved}
        doc = doc.with_blocks(json_ld_follows(list(doc.blocks), changes, cited_moved, self._added, self.now, eol))
        return self.rewritten(doc, [k for k in changes if k != "last_modified_at"])

    def rewritten(self, doc: PostDoc, fields: list[str]) -> Rewritten:
        """What the refresh made of the post so far: `doc`, and what was rewritten to make it."""
        passages = [p for found in self.given.values() for p in found]
        return Rewritten(
            doc=doc,
            parts=changed_parts(self.doc, doc),
            fields=fields,
            citations=[*self.dropped, *(c for cites in self.citations.values() for c in cites)],
            cited=dict(self.cited),
            given={part: [p.id for p in found] for part, found in self.given.items()},
            passages=list({p.id: p for p in passages}.values()),
            lost_links=list(self.kept.lost),
        )

    def minutes(self, doc: PostDoc) -> int:
        chars = char_count(FOOTNOTE_MARK.sub("", doc.prose_text()))
        return reading_minutes(chars, self.settings.lengths.reading_chars_per_minute)

    def _blocks(self, part: str, value: PartText) -> list[Block]:
        if isinstance(value, StepText | SummaryText):
            return part_blocks(part, value, after_heading=False)
        return parse_blocks(value, part) if value.strip() else []

    def _cites(self, part: str, value: PartText, labels: FootnoteLabels) -> list[Citation]:
        """Each marker of the part's new text that names a passage, with its footnote."""
        citations = []
        for text in texts_of(value):
            for match in MARKER.finditer(text):
                marker = f"S{match.group(1)}"
                label = labels.label(marker)
                if label is not None:
                    number = int(label) if label.isdigit() else None
                    citations.append(Citation(part=part, marker=marker, kept=True, footnote=number))
        return citations
