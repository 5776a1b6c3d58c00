"""Drafting by continuation: the documents a model that copies instructions is given, and what is made of its
answers (the real model writes through this in test_local_model.py)."""

from __future__ import annotations

import asyncio
import itertools
import re

from pipeline.llm import Capabilities, ChatRequest, ChatResult, Gateway
from pipeline.prompts import PromptBook
from pipeline.store import Checkpoint
from pipeline.types import StepBrief, StepText, SummaryText
from pipeline.writing.continuation import markdown_of
from pipeline.writing.draft_metadata import description_from, known, tags_from
from pipeline.writing.drafter import Drafter
from tests import factories as f


class Continuing:
    """A provider that continues documents the way a small model does, in the shape each request allows."""

    name = "continuing"
    capabilities = Capabilities(
        concurrency=1, streaming=False, follows_instructions=False, continues=True, whole_draft=False
    )

    def __init__(self) -> None:
        self.requests: list[ChatRequest] = []

    async def chat(self, request: ChatRequest) -> ChatResult:
        self.requests.append(request)
        assert request.document is not None, "a model that copies instructions is never given any"
        heading = re.findall(r"^#+ (.+)$", request.document, re.MULTILINE)[-1]
        grammar = request.grammar or ""
        if "point ::=" in grammar:
            return ChatResult(
                "行動:** 今日から一つ試します。\n- **測定:** 数字で確かめます。\n- **改善:** 毎週見直します。"
            )
        if "item ::=" in grammar:
            return ChatResult("顧客の声を集めます。\n    - 結果を共有します。")
        return ChatResult(f"{heading}について、{len(self.requests)}番目の段落です。", finish_reason="stop")

    async def close(self) -> None:
        return None


def writer(tmp_path, checkpoint: Checkpoint | None = None) -> tuple[Drafter, Continuing]:
    provider = Continuing()
    settings = f.settings()
    gateway = Gateway(provider, settings.llm, PromptBook())
    plan = f.plan()
    drafter = Drafter(f.brief(), plan, f.outline(plan), f.learning(), settings, gateway, checkpoint)
    return drafter, provider


def test_each_part_continues_the_post_above_it_in_reading_order(tmp_path):
    drafter, provider = writer(tmp_path)
    assert drafter.continues
    sections = asyncio.run(drafter.draft())
    assert list(sections) == drafter.outline.part_keys()
    documents = [r.document or "" for r in provider.requests]
    # Every document is the one before it, extended: the prefix a key-value cache keeps.
    prose = [d for d, r in zip(documents, provider.requests, strict=True) if r.grammar is None]
    assert all(
        later.startswith(earlier.split("この章のポイント")[0].rstrip()) for earlier, later in itertools.pairwise(prose)
    )
    background = drafter.outline["background"]
    first = documents[1]
    assert first.startswith(f"# {drafter.plan.title}\n\n") and first.endswith("\n\n")
    assert f"## {background.heading}\n\nこの章のポイント：{drafter.plan.background}" in first
    assert "ください" not in "".join(documents), "no instruction in any document"
    assert all(r.stop_after > 0 for r in provider.requests if r.grammar is None)


def test_a_step_is_its_summary_and_three_lists_held_to_their_shape(tmp_path):
    drafter, provider = writer(tmp_path)
    sections = asyncio.run(drafter.draft())
    step = sections["step1"]
    assert isinstance(step, StepText)
    assert step.actions == ["顧客の声を集めます。", "結果を共有します。"] and step.metrics and step.cautions
    asks = [r for r in provider.requests if r.grammar and "item ::=" in r.grammar]
    assert len(asks) == 9  # three lists a step, three steps
    assert asks[0].document.endswith(f"{step.summary}\n- **実行内容:**\n    - ")
    summary = sections["summary"]
    assert isinstance(summary, SummaryText) and [p.label for p in summary.points] == ["行動", "測定", "改善"]
    assert markdown_of(summary).count("\n- **") == 3


def test_a_resumed_run_reuses_the_parts_already_written(tmp_path):
    checkpoint = Checkpoint(tmp_path, "post")
    drafter, _first = writer(tmp_path, checkpoint)
    written = asyncio.run(drafter.draft())
    drafter, again = writer(tmp_path, checkpoint)
    assert asyncio.run(drafter.draft()) == written and again.requests == []


def test_a_redraft_samples_anew_and_keeps_the_other_parts(tmp_path):
    drafter, provider = writer(tmp_path)
    sections = asyncio.run(drafter.draft())
    asked = len(provider.requests)
    fixes = {"trend2": []}
    shown = {key: markdown_of(value) for key, value in sections.items()}
    redrafted = asyncio.run(drafter.redraft(fixes, variant=2, shown=shown))
    new = provider.requests[asked:]
    assert [r.variant for r in new] == [2] and list(redrafted) == ["trend2"]
    assert redrafted["trend2"] != sections["trend2"]
    above = new[0].document
    assert shown["trend1"] in above and shown["trend3"] not in above, "it continues the post as it stands above it"


def test_with_sources_to_cite_the_instructions_are_used(tmp_path):
    provider = Continuing()
    settings = f.settings()
    gateway = Gateway(provider, settings.llm, PromptBook())
    plan = f.plan()
    drafter = Drafter(f.brief(), plan, f.outline(plan), f.learning(), settings, gateway, grounding=object())
    assert not drafter.continues


def test_the_description_is_the_lead_cut_at_a_sentence_end():
    lead = "学習本能は人を動かします。" * 12 + "\n\n二段落目です。"
    cut = description_from(lead, 60)
    assert cut.endswith("。") and len(cut) <= 60 and "二段落目" not in cut
    assert description_from("", 60) == ""


def test_tags_are_the_keywords_and_the_headings_known_nouns():
    plan = f.plan()
    tags = tags_from(f.brief(), f.outline(plan), f.learning().name, plan.category)
    assert tags[0] == f.brief().primary_keyword and 3 <= len(tags) <= 6
    assert all(known(t) or t in f.brief().keywords or t == plan.category for t in tags)
    assert not known("マーグーマイズ") and known("マーケティング") and not known("2026") and not known("ため")
    steps = [StepBrief(title=t, brief="要点") for t in ("成果のための準備", "顧客理解", "改善")]
    plan = f.plan(steps=steps)
    assert "ため" not in tags_from(f.brief(), f.outline(plan), f.learning().name, plan.category)
