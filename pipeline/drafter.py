"""Plan → Sections: every piece of prose drafted concurrently through `prompts/*.j2`."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from typing import Any

from pipeline.config import Settings
from pipeline.instincts import Instinct
from pipeline.llm import Gateway
from pipeline.llm.schema import JSON_CHAR
from pipeline.outline import Outline
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
        self.fixes: dict[str, list[Finding]] = {}  # part → what the quality gate found, while redrafting

    async def _kept(self, part: str, kind: Any, make: Callable[[], Awaitable[Any]]) -> Any:
        """A part from the checkpoint when a crashed run already wrote it; a part being fixed is new."""
        if self.checkpoint is None:
            return await make()
        if self._fixes_for(part):
            value = await make()
            self.checkpoint.save(part, kind, value)
            return value
        return await self.checkpoint.reuse(part, kind, make)

    def _fixes_for(self, part: str) -> list[Finding]:
        """Fix notes for a part or a piece of it (`background.2` belongs to `background`)."""
        return self.fixes.get(part.split(".")[0], [])

    def _context(self, current: str, target_chars: int, use_keyword: bool, part: str = "", **extra: Any) -> dict:
        return {
            "fixes": self._fixes_for(part),
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
            "target_chars": target_chars,
            "use_keyword": use_keyword,
            **extra,
        }

    async def _prose(self, part: str, template: str, current: str, chars: int, keyword: bool, **extra: Any) -> str:
        """A prose section; one longer than `split_above` is written as shorter concurrent pieces."""
        pieces = max(1, math.ceil(chars / self.settings.lengths.split_above))
        if pieces == 1:
            return await self._piece(part, template, current, chars, keyword, **extra)
        per_piece = math.ceil(chars / pieces)
        texts = await asyncio.gather(
            *(
                self._piece(
                    f"{part}.{i + 1}", template, current, per_piece, keyword and i == 0, piece=i, pieces=pieces, **extra
                )
                for i in range(pieces)
            )
        )
        return "\n\n".join(t for t in texts if t)

    async def _piece(self, part: str, template: str, current: str, chars: int, keyword: bool, **extra: Any) -> str:
        prompt = self.gateway.prompts.render(template, **self._context(current, chars, keyword, part, **extra))

        async def write() -> str:
            text = await self.gateway.text(stage="draft", part=part, prompt=prompt, max_tokens=max_tokens_for(chars))
            return clean_prose(text)

        return await self._kept(part, str, write)

    async def _step(self, index: int) -> StepText:
        return await self._kept(f"step{index + 1}", StepText, lambda: self._write_step(index))

    async def _write_step(self, index: int) -> StepText:
        step = self.plan.steps[index]
        current = f"### ステップ{index + 1}: {step.title}"
        chars = self.lengths.step
        context = self._context(current, chars, False, f"step{index + 1}", step=step)
        prompt = self.gateway.prompts.render("step.j2", **context)
        answer = await self.gateway.structured(
            stage="draft",
            part=f"step{index + 1}",
            prompt=prompt,
            model=StepText,
            max_tokens=max_tokens_for(chars),
            patterns=japanese_fields("summary", "actions", "metrics", "cautions"),
        )
        return StepText(
            summary=clean_prose(answer.summary),
            actions=_bullets(answer.actions),
            metrics=_bullets(answer.metrics),
            cautions=_bullets(answer.cautions),
        )

    async def _summary(self) -> SummaryText:
        return await self._kept("summary", SummaryText, self._write_summary)

    async def _write_summary(self) -> SummaryText:
        current = f"## {self.outline.summary}"
        chars = self.lengths.summary
        prompt = self.gateway.prompts.render("summary.j2", **self._context(current, chars, True, "summary"))
        answer = await self.gateway.structured(
            stage="draft",
            part="summary",
            prompt=prompt,
            model=SummaryText,
            max_tokens=max_tokens_for(chars),
            patterns=japanese_fields("intro", "points.label", "points.text", "closing"),
        )
        points = [
            p.model_copy(update={"label": clean_line(p.label), "text": clean_line(p.text)}) for p in answer.points
        ]
        return SummaryText(intro=clean_line(answer.intro), points=points, closing=clean_line(answer.closing))

    def _jobs(self) -> dict[str, Callable[[], Awaitable[Any]]]:
        """Every part of the post by name, each a call (or pieces) that writes it."""
        o, n = self.outline, self.lengths
        trend_template = f"trend_{self.brief.structure}.j2"
        jobs: dict[str, Callable[[], Awaitable[Any]]] = {
            "lead": lambda: self._prose("lead", "lead.j2", "（導入文）", n.lead, True),
            "background": lambda: self._prose("background", "background.j2", f"## {o.background}", n.background, True),
            "trend_intro": lambda: self._prose("trend_intro", "trend_intro.j2", f"## {o.trend}", n.trend_intro, False),
        }
        for i, title in enumerate(o.trend_parts):
            jobs[f"trend{i + 1}"] = lambda i=i, title=title: self._prose(
                f"trend{i + 1}",
                trend_template,
                f"### {title}",
                n.trend_part,
                False,
                index=i,
                point=self.plan.trend_points[i],
            )
        jobs["steps_intro"] = lambda: self._prose(
            "steps_intro", "steps_intro.j2", f"## {o.steps}", n.steps_intro, False
        )
        for i in range(len(self.plan.steps)):
            jobs[f"step{i + 1}"] = lambda i=i: self._step(i)
        jobs["cases"] = lambda: self._prose("cases", "cases.j2", f"## {o.cases}", n.cases, True)
        jobs["summary"] = self._summary
        return jobs

    async def draft(self) -> Sections:
        """Every section at once; the gateway caps how many calls are in flight."""
        jobs = self._jobs()
        results = await asyncio.gather(*(job() for job in jobs.values()))
        return _assemble_sections(dict(zip(jobs, results, strict=True)))

    async def redraft(self, sections: Sections, fixes: dict[str, list[Finding]]) -> Sections:
        """The same sections with the parts named in `fixes` written again, told what to fix."""
        self.fixes = fixes
        try:
            jobs = self._jobs()
            wanted = [part for part in fixes if part in jobs]
            results = await asyncio.gather(*(jobs[part]() for part in wanted))
        finally:
            self.fixes = {}
        current = _parts_of(sections)
        current.update(zip(wanted, results, strict=True))
        return _assemble_sections(current)


def _parts_of(sections: Sections) -> dict[str, Any]:
    parts: dict[str, Any] = {"lead": sections.lead, "background": sections.background}
    parts["trend_intro"] = sections.trend_intro
    parts.update({f"trend{i + 1}": text for i, text in enumerate(sections.trend_parts)})
    parts["steps_intro"] = sections.steps_intro
    parts.update({f"step{i + 1}": step for i, step in enumerate(sections.steps)})
    parts.update(cases=sections.cases, summary=sections.summary)
    return parts


def _assemble_sections(parts: dict[str, Any]) -> Sections:
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
