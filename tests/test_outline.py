"""The typed parts: one ordered list names every part of a post for every stage."""

from __future__ import annotations

import pytest

from pipeline.outline import (
    STEPS_H2,
    TREND_PARTS,
    Kind,
    build_outline,
    section_headings,
    step_heading,
    step_number,
)
from pipeline.paths import resource
from pipeline.text import heading_text

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


@pytest.mark.parametrize(
    ("h2", "h3", "key"),
    [
        ("lead", None, "lead"),
        ("学習本能の心理学的背景", None, "background"),
        ("AIマーケティングの最新トレンド分析", None, "trend_intro"),
        ("AIマーケティングの最新トレンド分析", "ステップ2: 実装と実行", "trend3"),
        (STEPS_H2, None, "steps_intro"),
        (STEPS_H2, heading_text("ステップ2: A&Bテストの<実施>"), "step2"),  # as the Markdown holds it
        (STEPS_H2, "ステップ3: [改善]を続ける", "step3"),  # as planned
        ("まとめと次のアクション", None, "summary"),
    ],
)
def test_a_finding_maps_back_to_its_part(h2, h3, key):
    part = outline().part_at(h2, h3)
    assert part is not None and part.key == key


def test_text_outside_the_outline_maps_to_no_part():
    o = outline()
    assert o.part_at("関連記事", None) is None
    assert o.part_at(None, None) is None, "a front-matter finding belongs to no part"
    assert o.part_at(STEPS_H2, "ステップ9: 余分") is None
    with pytest.raises(KeyError):
        o["step4"]
