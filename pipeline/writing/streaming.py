"""The sections' briefs as the outline call streams them: each part may start once its own brief is whole.

The answer so far is read as partial JSON (jiter, which the openai SDK already depends on;
an unfinished string is left out, so every value read is whole).
"""

from __future__ import annotations

import asyncio

import jiter

from pipeline.types import Briefs, Metadata, Plan, StepBrief
from pipeline.writing.outline import STEP_COUNT, Outline, Part, build_outline

TREND_POINTS = 5


def _ready(data: dict, part: Part) -> bool:
    """Is what `part` needs in the answer so far (its brief, and the category every heading uses)?"""
    if "category" not in data:
        return False
    steps = [s for s in data.get("steps", []) if isinstance(s, dict) and "title" in s and "brief" in s]
    if part.group == "trend" and part.position:  # a trend point: the point it writes up
        return len(data.get("trend_points", [])) >= part.position
    if part.group == "steps":  # a step needs its own brief; the steps' opening names every step
        return len(steps) >= (part.position or STEP_COUNT)
    return part.group in data  # the lead, the background, the trend's opening, the cases, the summary


class BriefStream:
    """Briefs as they arrive; `ready(key)` waits for a part's, `snapshot()` is the plan so far."""

    def __init__(self, instinct_name: str, structure: str) -> None:
        self.instinct_name, self.structure = instinct_name, structure
        self.data: dict = {}
        self.parts = build_outline(instinct_name, "", structure, [""] * STEP_COUNT).parts
        self.events = {part.key: asyncio.Event() for part in self.parts}
        self.started_at: dict[str, float] = {}  # when each part could start, seconds on the loop's clock

    def feed(self, text: str) -> None:
        """The answer so far (called as it streams in)."""
        try:
            data = jiter.from_json(text.encode(), partial_mode=True)
        except ValueError:
            return
        if isinstance(data, dict):
            self._take(data)

    def close(self, briefs: Briefs) -> Briefs:
        """The whole answer: every part may start. What parts already started with is kept (a retried
        or re-asked answer may differ), so the plan says what the pieces were written from."""
        final = briefs.model_dump()
        for key in ("category", "lead", "background", "trend", "cases", "summary"):
            final[key] = self.data.get(key, final[key])
        seen_points = self.data.get("trend_points", [])
        final["trend_points"] = [*seen_points, *final["trend_points"][len(seen_points) :]][:TREND_POINTS]
        seen = self.data.get("steps", [])
        final["steps"] = [seen[n] if n < len(seen) else step for n, step in enumerate(final["steps"])]
        self.data = final
        for event in self.events.values():
            event.set()
        return Briefs.model_validate(final)

    def _take(self, data: dict) -> None:
        for key, value in data.items():
            if key in ("trend_points", "steps"):
                whole = [v for v in value if not isinstance(v, dict) or ("title" in v and "brief" in v)]
                self.data[key] = self.data.get(key, []) + whole[len(self.data.get(key, [])) :]
            elif key not in self.data:
                self.data[key] = value
        for part in self.parts:
            event = self.events[part.key]
            if not event.is_set() and _ready(self.data, part):
                self.started_at[part.key] = asyncio.get_running_loop().time()
                event.set()

    async def ready(self, key: str) -> None:
        await self.events[key].wait()

    def snapshot(self) -> Plan:
        """The plan so far: briefs that have not arrived are empty; the metadata is not known yet."""
        steps = [StepBrief.model_construct(**s) for s in self.data.get("steps", [])]
        steps += [StepBrief.model_construct(title="", brief="")] * (STEP_COUNT - len(steps))
        points = list(self.data.get("trend_points", [])) + [""] * (
            TREND_POINTS - len(self.data.get("trend_points", []))
        )
        values = {
            key: self.data.get(key, "") for key in ("category", "lead", "background", "trend", "cases", "summary")
        }
        briefs = Briefs.model_construct(**values, trend_points=points[:TREND_POINTS], steps=steps[:STEP_COUNT])
        return Plan.of(briefs, Metadata.unknown())

    def outline(self) -> Outline:
        plan = self.snapshot()
        return build_outline(self.instinct_name, plan.category, self.structure, [s.title for s in plan.steps])
