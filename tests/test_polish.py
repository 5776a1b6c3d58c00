"""The polish pass: one call over the whole draft, its safe edits applied, every edit recorded."""

from __future__ import annotations

import pytest

from pipeline.document import PostDoc
from pipeline.types import Sections
from pipeline.writing.assembler import Assembler
from pipeline.writing.polish import Edit, apply_edits, draft_text
from tests import factories

HEADING = "## 学習本能の心理学的背景"


def _edit(find: str, replace: str, reason: str = "つなぎ") -> Edit:
    return Edit(find=find, replace=replace, reason=reason)


def doc_of(sections: Sections) -> PostDoc:
    """The post the assembler makes of `sections` (with images, so an image line is in it)."""
    assembler = Assembler(factories.settings(), factories.learning())
    plan, outline = factories.plan(), factories.outline()
    return assembler.assemble(factories.brief(), plan, outline, sections, factories.images(), []).doc


def polished(sections: Sections, edits: list[Edit]) -> tuple[PostDoc, list]:
    """The edits applied to the post of `sections`; and the edits' record."""
    return apply_edits(doc_of(sections), edits)


def said(doc: PostDoc) -> dict[str, str]:
    """What each part of `doc` says."""
    return {key: doc.part_text(key) for key in factories.outline().part_keys()}


@pytest.fixture
def sections():
    return factories.sections()


def test_a_safe_edit_changes_its_one_part(sections):
    find = sections["background"][:12]
    doc, record = polished(sections, [_edit(find, "導入を受けて、" + find)])
    changed, before = said(doc), said(doc_of(sections))
    assert changed["background"] == "導入を受けて、" + sections["background"]
    assert {k for k in sections if changed[k] != before[k]} == {"background"}
    assert record[0].applied and record[0].part == "background" and record[0].reason == "つなぎ"
    assert sections["background"] == changed["background"][len("導入を受けて、") :], "the input is left as it was"


def test_an_edit_inside_a_step_changes_that_text_only(sections):
    action = sections["step2"].actions[1]
    doc, record = polished(sections, [_edit(action[:10], "学習本能を生かして" + action[:10], "本能とステップ")])
    summary, lists = factories.step_of(doc, "step2")
    assert lists["実行内容"][1] == "学習本能を生かして" + action
    assert summary == sections["step2"].summary and record[0].part == "step2"


def test_edits_apply_in_order_and_see_each_other(sections):
    find = sections["lead"][:10]
    edits = [_edit(find, find + "まず"), _edit(find + "まず", find + "最初に", "用語の統一")]
    doc, record = polished(sections, edits)
    assert said(doc)["lead"].startswith(find + "最初に") and [e.applied for e in record] == [True, True]


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda s: _edit("この文はどこにもありません", "x"), "見つかりません"),
        (lambda s: _edit("学習本能の心理学的背景", "学び"), "見出し"),
        (lambda s: _edit("https://images.unsplash.com", "x"), "画像"),
        (lambda s: _edit("す。", "す！"), "か所にあり"),
        (lambda s: _edit(s["trend1"][:20], s["trend1"][:20] + "\n## 新しい見出し"), "記法"),
        (lambda s: _edit(s["trend1"][:20], s["trend1"][:20] + "**強調**"), "記法"),
        (lambda s: _edit(s["trend1"][:20], s["trend1"][:20] + "<b>x</b>"), "記法"),
        (lambda s: _edit(s["trend1"][:20], s["trend1"][:20] + "{{ site.title }}"), "記法"),
        (lambda s: _edit(s["trend1"][:20], "73%の企業で" + s["trend1"][:20]), "数値"),
        (lambda s: _edit(s["trend1"][:20], "三倍になり" + s["trend1"][:20] + "[S2]"), "出典"),
        (lambda s: _edit("x", "y"), "短すぎ"),
    ],
    ids=[
        "no match",
        "in a heading",
        "in an image line",
        "several matches",
        "a new heading",
        "emphasis",
        "html",
        "liquid",
        "a new figure",
        "a citation mark",
        "too short",
    ],
)
def test_an_unsafe_edit_is_recorded_and_not_applied(sections, make, why):
    edit = make(sections)
    doc, record = polished(sections, [edit])
    assert doc == doc_of(sections)
    assert not record[0].applied and why in record[0].why and record[0].find == edit.find


def test_an_edit_that_touches_a_citation_mark_is_refused(sections):
    sections["cases"] = "調査では73%が導入済みです[^1]。次に進みます。"
    doc, record = polished(sections, [_edit("導入済みです[^1]", "導入済みです")])
    assert doc == doc_of(sections) and "出典の印" in record[0].why


def test_a_figure_already_in_the_text_may_be_kept(sections):
    sections["cases"] = "調査では73%が導入済みです。次に進みます。"
    doc, record = polished(sections, [_edit("調査では73%が", "ある調査では73%が", "用語の統一")])
    assert record[0].applied and said(doc)["cases"].startswith("ある調査では73%が")


def test_the_draft_it_reads_has_headings_and_prose_but_no_marks(sections):
    sections["cases"] = "調査では73%が導入済みです[S1]。"
    text = draft_text(factories.outline(), doc_of(sections))
    assert HEADING in text and "### ステップ1: 準備0" in text and "調査では73%が導入済みです。" in text
    assert "[S1]" not in text and sections["step3"].cautions[0] in text
