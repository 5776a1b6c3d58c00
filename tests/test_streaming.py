"""The outline call's answer read as it streams: each part may start once its own brief is whole."""

from __future__ import annotations

import asyncio
import json

from pipeline.types import Briefs, StepBrief
from pipeline.writing.streaming import BriefStream

BRIEFS = Briefs(
    category="AIマーケティング",
    trend_points=["一つ目", "二つ目", "三つ目", "四つ目", "五つ目"],
    steps=[StepBrief(title=f"準備{n}", brief=f"要点{n}") for n in range(1, 4)],
    summary="まとめの要点",
    background="背景の要点",
    cases="事例の要点",
    lead="導入の要点",
    trend="トレンドの要点",
)


def started_after(prefix: str) -> set[str]:
    """The parts that may start once the answer so far is `prefix` (fed a character at a time up to it)."""

    async def feed() -> set[str]:
        stream = BriefStream("学習本能", "howTo")
        for n in range(1, len(prefix) + 1):
            stream.feed(prefix[:n])
        return {key for key, event in stream.events.items() if event.is_set()}

    return asyncio.run(feed())


ANSWER = json.dumps(BRIEFS.model_dump(), ensure_ascii=False)


def test_nothing_starts_before_the_category():
    assert started_after(ANSWER[: ANSWER.index('"category"')]) == set()


def test_a_trend_point_starts_when_its_point_is_whole():
    two = ANSWER[: ANSWER.index('"三つ目"')]
    assert started_after(two) == {"trend1", "trend2"}, "a point still being written starts nothing"


def test_a_step_starts_with_its_brief_and_the_steps_opening_with_every_step():
    first_step = ANSWER[: ANSWER.index('"準備2"')]
    started = started_after(first_step)
    assert "step1" in started and "step2" not in started and "steps_intro" not in started
    every_step = ANSWER[: ANSWER.index('"summary"')]
    assert {"step1", "step2", "step3", "steps_intro"} <= started_after(every_step)


def test_the_lead_and_the_trend_opening_wait_for_their_own_briefs():
    before_lead = ANSWER[: ANSWER.index('"lead"')]
    started = started_after(before_lead)
    assert {"background", "cases", "summary"} <= started and not {"lead", "trend_intro"} & started
    assert {"lead", "trend_intro"} <= started_after(ANSWER)


def fed(prefix: str) -> BriefStream:
    """A stream fed `prefix` (on an event loop, as the outline call feeds it)."""

    async def feed() -> BriefStream:
        stream = BriefStream("学習本能", "howTo")
        stream.feed(prefix)
        return stream

    return asyncio.run(feed())


def test_the_plan_so_far_has_empty_briefs_for_what_has_not_arrived():
    stream = fed(ANSWER[: ANSWER.index('"三つ目"')])
    plan = stream.snapshot()
    assert plan.trend_points == ["一つ目", "二つ目", "", "", ""] and plan.lead == ""
    assert [p.heading for p in stream.outline()][2] == "AIマーケティングの最新トレンド分析"


def test_closing_keeps_what_the_pieces_started_from():
    stream = fed(ANSWER[: ANSWER.index('"三つ目"')])
    retried = BRIEFS.model_copy(update={"trend_points": ["別の一つ目", "別の二つ目", "三", "四", "五"]})
    closed = stream.close(retried)
    assert closed.trend_points[:2] == ["一つ目", "二つ目"], "the pieces already written from them keep them"
    assert closed.trend_points[2:] == ["三", "四", "五"]
    assert all(event.is_set() for event in stream.events.values())


def test_an_answer_that_is_not_json_yet_starts_nothing():
    assert started_after("```json\n") == set()
