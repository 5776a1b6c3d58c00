"""Plan → Sections: every piece of prose drafted concurrently through `prompts/*.j2`."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from pipeline.config import Settings
from pipeline.instincts import Instinct
from pipeline.llm import Gateway
from pipeline.llm.schema import JSON_CHAR
from pipeline.outline import Outline
from pipeline.prompts import RenderedPrompt
from pipeline.store import Checkpoint
from pipeline.text import clean_line, clean_prose
from pipeline.types import Brief, Finding, Plan, Sections, StepText, SummaryText


def max_tokens_for(chars: int) -> int:
    """A token cap: Japanese runs about one token a character; room for overshoot and JSON keys."""
    return int(chars * 1.6) + 80


# A grammar-constrained model must open these fields with a Japanese character.
JAPANESE_TEXT = f"^[ぁ-んァ-ヶ一-龯「]{JSON_CHAR}{{3,160}}$"


def japanese_fields(*paths: str) -> dict[str, str]:
    return dict.fromkeys(paths, JAPANESE_TEXT)


def _bullets(items: list[str]) -> list[str]:
    """Bullets cleaned to one line each; empty ones dropped."""
    return [line for line in (clean_line(i) for i in items) if line]


@dataclass(frozen=True)
class Piece:
    """One model call of the drafting stage: what it asks and how its answer is read."""

    part: str  # the call's name, also its checkpoint: "lead", "background.2", "step3"
    group: str  # the part of the post it belongs to: "background"
    prompt: RenderedPrompt
    max_tokens: int
    model: type[BaseModel] | None = None  # a JSON answer of this shape, or free text
    patterns: dict[str, str] = field(default_factory=dict)


class Drafter:
    """Drafts one post's sections; each call sees the whole outline so none repeats another."""

    def __init__(
        self,
        brief: Brief,
        plan: Plan,
        outline: Outline,
        instinct: Instinct,
        settings: Settings,
        gateway: Gateway,
        checkpoint: Checkpoint | None = None,
    ) -> None:
        self.brief, self.plan, self.outline = brief, plan, outline
        self.instinct, self.settings, self.gateway = instinct, settings, gateway
        self.lengths = settings.lengths.sections
        self.checkpoint = checkpoint

    def _context(self, current: str, chars: int, keyword: bool, fixes: list[Finding], **extra: Any) -> dict:
        return {
            "fixes": fixes,
            "sentence_max": self.settings.quality.sentence_max,
            "max_ten": self.settings.quality.max_ten,
            "piece": 0,
            "pieces": 1,
            "site_name": self.settings.site.name,
            "brief": self.brief,
            "plan": self.plan,
            "instinct": self.instinct,
            "theme": self.plan.category,
            "structure": self.brief.structure,
            "headings": self.outline.headings(),
            "current": current,
            "target_chars": chars,
            "use_keyword": keyword,
            **extra,
        }

    def _prose(
        self, group: str, template: str, current: str, chars: int, keyword: bool, fixes: list[Finding], **extra: Any
    ) -> list[Piece]:
        """A prose part; one longer than `split_above` becomes shorter pieces written at once."""
        count = max(1, math.ceil(chars / self.settings.lengths.split_above))
        per_piece = math.ceil(chars / count)
        render = self.gateway.prompts.render
        if count == 1:
            prompt = render(template, **self._context(current, chars, keyword, fixes, **extra))
            return [Piece(group, group, prompt, max_tokens_for(chars))]
        return [
            Piece(
                f"{group}.{i + 1}",
                group,
                render(
                    template,
                    **self._context(current, per_piece, keyword and i == 0, fixes, piece=i, pieces=count, **extra),
                ),
                max_tokens_for(per_piece),
            )
            for i in range(count)
        ]

    def pieces(self, fixes: dict[str, list[Finding]] | None = None) -> list[Piece]:
        """Every call that drafts the post, or, with `fixes`, those that redraft the named parts."""
        o, n = self.outline, self.lengths
        wanted = set(fixes) if fixes is not None else None
        notes = fixes or {}

        def want(group: str) -> bool:
            return wanted is None or group in wanted

        out: list[Piece] = []
        if want("lead"):
            out += self._prose("lead", "lead.j2", "（導入文）", n.lead, True, notes.get("lead", []))
        if want("background"):
            out += self._prose(
                "background", "background.j2", f"## {o.background}", n.background, True, notes.get("background", [])
            )
        if want("trend_intro"):
            out += self._prose(
                "trend_intro", "trend_intro.j2", f"## {o.trend}", n.trend_intro, False, notes.get("trend_intro", [])
            )
        for i, title in enumerate(o.trend_parts):
            group = f"trend{i + 1}"
            if want(group):
                out += self._prose(
                    group,
                    f"trend_{self.brief.structure}.j2",
                    f"### {title}",
                    n.trend_part,
                    False,
                    notes.get(group, []),
                    index=i,
                    point=self.plan.trend_points[i],
                )
        if want("steps_intro"):
            out += self._prose(
                "steps_intro", "steps_intro.j2", f"## {o.steps}", n.steps_intro, False, notes.get("steps_intro", [])
            )
        for i, step in enumerate(self.plan.steps):
            group = f"step{i + 1}"
            if want(group):
                current = f"### ステップ{i + 1}: {step.title}"
                context = self._context(current, n.step, False, notes.get(group, []), step=step)
                prompt = self.gateway.prompts.render("step.j2", **context)
                fields = japanese_fields("summary", "actions", "metrics", "cautions")
                out.append(Piece(group, group, prompt, max_tokens_for(n.step), StepText, fields))
        if want("cases"):
            out += self._prose("cases", "cases.j2", f"## {o.cases}", n.cases, True, notes.get("cases", []))
        if want("summary"):
            context = self._context(f"## {o.summary}", n.summary, True, notes.get("summary", []))
            prompt = self.gateway.prompts.render("summary.j2", **context)
            fields = japanese_fields("intro", "points.label", "points.text", "closing")
            out.append(Piece("summary", "summary", prompt, max_tokens_for(n.summary), SummaryText, fields))
        return out

    async def write(self, piece: Piece) -> Any:
        """One piece through the model gateway, cleaned."""
        if piece.model is None:
            text = await self.gateway.text(
                stage="draft", part=piece.part, prompt=piece.prompt, max_tokens=piece.max_tokens
            )
            return finish(piece, text)
        answer = await self.gateway.structured(
            stage="draft",
            part=piece.part,
            prompt=piece.prompt,
            model=piece.model,
            max_tokens=piece.max_tokens,
            patterns=piece.patterns,
        )
        return finish(piece, answer)

    async def _kept(self, piece: Piece, fresh: bool) -> Any:
        """A piece from the checkpoint when a crashed run already wrote it (never one being fixed)."""
        kind = piece.model or str
        if self.checkpoint is None:
            return await self.write(piece)
        if fresh:
            value = await self.write(piece)
            self.checkpoint.save(piece.part, kind, value)
            return value
        return await self.checkpoint.reuse(piece.part, kind, lambda: self.write(piece))

    async def draft(self) -> Sections:
        """Every section at once; the gateway caps how many calls are in flight."""
        pieces = self.pieces()
        values = await asyncio.gather(*(self._kept(p, fresh=False) for p in pieces))
        return combine(pieces, values)

    async def redraft(self, sections: Sections, fixes: dict[str, list[Finding]]) -> Sections:
        """The same sections with the parts named in `fixes` written again, told what to fix."""
        pieces = self.pieces(fixes)
        values = await asyncio.gather(*(self._kept(p, fresh=True) for p in pieces))
        return combine(pieces, values, base=sections)


def finish(piece: Piece, answer: Any) -> Any:
    """A model's answer to a piece, cleaned for the assembler."""
    if piece.model is None:
        return clean_prose(answer)
    if isinstance(answer, StepText):
        return StepText(
            summary=clean_prose(answer.summary),
            actions=_bullets(answer.actions),
            metrics=_bullets(answer.metrics),
            cautions=_bullets(answer.cautions),
        )
    if isinstance(answer, SummaryText):
        points = [
            p.model_copy(update={"label": clean_line(p.label), "text": clean_line(p.text)}) for p in answer.points
        ]
        return SummaryText(intro=clean_line(answer.intro), points=points, closing=clean_line(answer.closing))
    return answer


def combine(pieces: Iterable[Piece], values: Iterable[Any], base: Sections | None = None) -> Sections:
    """Sections from finished pieces (pieces of one part joined), over `base` for a redraft."""
    parts = parts_of(base) if base is not None else {}
    grouped: dict[str, list[Any]] = {}
    for piece, value in zip(pieces, values, strict=True):
        grouped.setdefault(piece.group, []).append(value)
    for group, found in grouped.items():
        parts[group] = "\n\n".join(v for v in found if v) if isinstance(found[0], str) else found[0]
    return sections_from(parts)


def parts_of(sections: Sections) -> dict[str, Any]:
    """A post's sections by part name (lead, background, trend1…, step1…, cases, summary)."""
    parts: dict[str, Any] = {"lead": sections.lead, "background": sections.background}
    parts["trend_intro"] = sections.trend_intro
    parts.update({f"trend{i + 1}": text for i, text in enumerate(sections.trend_parts)})
    parts["steps_intro"] = sections.steps_intro
    parts.update({f"step{i + 1}": step for i, step in enumerate(sections.steps)})
    parts.update(cases=sections.cases, summary=sections.summary)
    return parts


def sections_from(parts: dict[str, Any]) -> Sections:
    """The inverse of parts_of."""
    return Sections(
        lead=parts["lead"],
        background=parts["background"],
        trend_intro=parts["trend_intro"],
        trend_parts=[
            parts[k]
            for k in sorted((k for k in parts if k.startswith("trend") and k[5:].isdigit()), key=lambda k: int(k[5:]))
        ],
        steps_intro=parts["steps_intro"],
        steps=[
            parts[k]
            for k in sorted((k for k in parts if k.startswith("step") and k[4:].isdigit()), key=lambda k: int(k[4:]))
        ],
        cases=parts["cases"],
        summary=parts["summary"],
    )
