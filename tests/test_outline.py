"""The typed parts: one ordered list names every part of a post for every stage."""

from __future__ import annotations

import pytest

from pipeline.paths import resource
from pipeline.writing.outline import (
    STEPS_H2,
    TREND_PARTS,
    Kind,
    build_outline,
    section_headings,
    step_heading,
    step_number,
)

STEP_TITLES = ["顧客理解を深める準備", "A&Bテストの<実施>", "[改善]を続ける"]


def outline(structure: str = "howTo"):
    return build_outline("学習本能", "AIマーケティング", structure, STEP_TITLES)


def test_parts_in_reading_order_with_their_kinds_and_groups():
    parts = list(outline())
    assert [p.key for p in parts] == [
        "lead", "background", "trend_intro", "trend1", "trend2", "trend3", "trend4", "trend5",
        "steps_intro", "step1", "step2", "step3", "cases", "summary",
    ]  # fmt: skip
    kinds = {p.key: p.kind for p in parts}
    assert kinds["step2"] is Kind.STEP and kinds["summary"] is Kind.SUMMARY and kinds["trend3"] is Kind.PROSE
    assert [p.position for p in outline().of_group("trend")] == [0, 1, 2, 3, 4, 5]
    assert {p.group for p in parts} == {"lead", "background", "trend", "steps", "cases", "summary"}
    assert [p.key for p in parts if p.image] == ["background", "trend_intro", "cases"]


def test_every_heading_is_spelled_once():
    o = outline()
    assert o.h2() == section_headings("学習本能", "AIマーケティング")
    assert o.h2()[:2] == ["学習本能の心理学的背景", "AIマーケティングの最新トレンド分析"]
    assert o["step2"].heading == step_heading(2, STEP_TITLES[1]) == "ステップ2: A&Bテストの<実施>"
    assert step_number(o["step3"].heading) == 3 and step_number("まとめ") is None
    assert o["lead"].markdown_heading == "（導入文）" and o["trend1"].markdown_heading == "### なぜこの方法が重要なのか"
    assert o.headings()[0] == "## 学習本能の心理学的背景" and len(o.headings()) == 13


@pytest.mark.parametrize("structure", sorted(TREND_PARTS))
def test_each_structure_has_its_trend_parts_and_prompts(structure):
    o = outline(structure)
    assert [p.heading for p in o.of_group("trend")[1:]] == list(TREND_PARTS[structure])
    for part in o:
        assert (resource("prompts") / part.template).is_file(), part.template


def _read_back():
    """A post assembled with step titles that need escaping, read back from its Markdown."""
    from pipeline.parse import parse
    from pipeline.types import StepBrief
    from pipeline.writing.assembler import Assembler
    from tests import factories

    steps = [StepBrief(title=t, brief="要点") for t in ("準備", "A&Bテストの<実施>", "[改善]を続ける")]
    plan = factories.plan(steps=steps)
    post = Assembler(factories.settings(), factories.learning()).assemble(
        factories.brief(), plan, factories.outline(plan), factories.sections(), factories.images(), []
    )
    return parse(post.markdown)


@pytest.mark.parametrize(
    ("heading", "key"),
    [
        ("学習本能の心理学的背景", "background"),
        ("AIマーケティングの最新トレンド分析", "trend_intro"),
        ("ステップ2: 実装と実行", "trend3"),
        (STEPS_H2, "steps_intro"),
        ("ステップ2: A&Bテストの<実施>", "step2"),  # escaped in the Markdown, read back as planned
        ("ステップ3: ［改善］を続ける", "step3"),  # a heading holds no brackets: they are written full-width
        ("まとめと次のアクション", "summary"),
    ],
)
def test_each_heading_read_back_is_in_its_part(heading, key):
    doc = _read_back()
    block = next(b for b in doc.headings if b.text == heading and b.part == key)
    assert doc.blocks[block.index + 1].part == key, "and so is what stands under it"


def test_text_outside_the_outline_is_in_no_part_of_it():
    doc = _read_back()
    keys = set(outline().part_keys())
    assert doc.blocks[0].part == "lead"
    outside = [b for b in doc.blocks if b.part not in keys]
    assert {b.part for b in outside} == {"hero", "cta", "json_ld"}, "no related posts or footnotes here"
    with pytest.raises(KeyError):
        outline()["step4"]
