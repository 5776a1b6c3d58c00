"""The post as one document: assembled, written in one place, read back as the same document.

parse(doc.to_markdown()) == doc for any document the assembler makes (Hypothesis draws the model's text in
every part, the title, the tags and the sources); a file read and written back is the same bytes; a block
changed is the only thing that changes; every block knows its part, and the typed parts read back from
the document are the ones it was assembled from.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.document import FIELDS, OWNED, WRITTEN, FrontMatter, Kind, PostDoc
from pipeline.parse import parse
from pipeline.types import RelatedPost, Sections, StepText, SummaryPoint, SummaryText
from pipeline.writing.assembler import Assembler
from pipeline.writing.drafter import finish
from pipeline.writing.outline import STEP_LABELS, Outline
from pipeline.writing.outline import Kind as PartKind
from tests import factories
from tests.conftest import OLD_POST

# What a model may write: Japanese, Markdown, HTML, Liquid, footnote-like marks, blank lines.
PIECES = st.sampled_from(
    [
        "顧客の関心を丁寧に確かめることが大切です。",
        "**強調**した一文です。",
        "- 箇条書きの一行",
        "1. 番号付きの一行",
        "[リンク](https://example.com/a)",
        "<b>太字</b>と{{ site.x }}",
        "\n\n",
        "\n",
        "    字下げの行",
        "> 引用の行",
        "# 見出しのような行",
        "---",
        "`コード`",
        "[^1]",
        "**ラベル:** 説明",
        "　",
        "|表|",
    ]
)
MODEL_TEXT = st.one_of(st.text(max_size=40), st.lists(PIECES, max_size=8).map("".join))


class Answer:
    """A drafted piece as the drafter leaves it (cleaned), built from drawn text."""

    @staticmethod
    def prose(text: str) -> str:
        return finish(text)

    @staticmethod
    def step(summary: str, items: list[str]) -> StepText:
        raw = StepText(summary=summary, actions=items[:2], metrics=items[2:3], cautions=items[3:4])
        return finish(raw)

    @staticmethod
    def summary(intro: str, points: list[tuple[str, str]], closing: str) -> SummaryText:
        raw = SummaryText(intro=intro, points=[SummaryPoint(label=a, text=b) for a, b in points], closing=closing)
        return finish(raw)


@st.composite
def assembled(draw: st.DrawFn) -> tuple[PostDoc, Sections, Outline]:
    """A post the assembler makes from drawn model text, title, tags and related posts (and what it was made
    from)."""
    plan = factories.plan(title=draw(st.text(min_size=1, max_size=60)), tags=draw(st.lists(st.text(), max_size=4)))
    outline = factories.outline(plan)
    sections = {}
    for part in outline:
        if part.kind is PartKind.STEP:
            sections[part.key] = Answer.step(draw(MODEL_TEXT), draw(st.lists(MODEL_TEXT, min_size=4, max_size=4)))
        elif part.kind is PartKind.SUMMARY:
            points = draw(st.lists(st.tuples(MODEL_TEXT, MODEL_TEXT), min_size=3, max_size=3))
            sections[part.key] = Answer.summary(draw(MODEL_TEXT), points, draw(MODEL_TEXT))
        else:
            sections[part.key] = Answer.prose(draw(MODEL_TEXT))
    related = [RelatedPost(name="2025-12-14-a", title=draw(st.text(max_size=20)), score=1.0)]
    assembler = Assembler(factories.settings(), factories.learning())
    post = assembler.assemble(factories.brief(), plan, outline, sections, factories.images(), related)
    return post.doc, sections, outline


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assembled())
def test_a_document_reads_back_as_itself(made: tuple[PostDoc, Sections, Outline]):
    doc, sections, _ = made
    text = doc.to_markdown()
    again = parse(text)
    assert again == doc
    assert again.to_markdown() == text
    assert [b.part for b in again.blocks] == [b.part for b in doc.blocks]
    # Each part reads as the model wrote it: prose as its text, a step as its summary and its three lists.
    for key, value in sections.items():
        if isinstance(value, StepText):
            lists = dict(zip(STEP_LABELS, (value.actions, value.metrics, value.cautions), strict=True))
            assert factories.step_of(again, key) == (value.summary, lists)
        elif isinstance(value, str):
            assert again.part_text(key) == value
        else:
            assert all(said in again.part_text(key) for said in summary_says(value))


def summary_says(value: SummaryText) -> list[str]:
    """What a summary says as a reader reads it: its texts, each point as its bullet (`**label:** text`); a
    point with no words is no point, and with no point its opening and close are one text."""
    points = [f"**{p.label}:** {p.text}".strip() if p.label else p.text for p in value.points if p.label or p.text]
    if not points:
        return ["\n\n".join(t for t in (value.intro, value.closing) if t)]
    return [value.intro, *points, value.closing]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(PIECES, st.text(max_size=20)), max_size=30).map("".join))
def test_any_file_is_written_back_byte_for_byte(body: str):
    for text in (body, "---\ntitle: x\n---\n" + body, "---\nbroken: [\n---\n" + body):
        assert parse(text).to_markdown() == text


def test_a_post_genpost_did_not_write_reads_back_byte_for_byte():
    text = OLD_POST.read_text(encoding="utf-8")
    doc = parse(text)
    assert doc.to_markdown() == text
    assert doc.part_keys[:3] == ["lead", "background", "trend_intro"], "the reference format's outline keys"
    assert {b.kind for b in doc.blocks} >= {Kind.HEADING, Kind.PARAGRAPH, Kind.STEP_LABEL, Kind.CTA, Kind.JSON_LD}
    assert len(doc.images) == 3, "an image the prose runs on from is read inside its paragraph"


def test_a_post_of_another_shape_is_parted_by_its_headings():
    body = "導入です。\n\n## 一つ目\n\n本文。\n\n### 小見出し\n\n続き。\n\n## 二つ目\n\n終わり。\n"
    text = "---\ntitle: x\n---\n\n" + body
    doc = parse(text)
    assert [(b.kind.value, b.part) for b in doc.blocks] == [
        ("paragraph", "lead"),
        ("heading", "s1"),
        ("paragraph", "s1"),
        ("heading", "s1.1"),
        ("paragraph", "s1.1"),
        ("heading", "s2"),
        ("paragraph", "s2"),
    ]


def test_a_changed_block_is_the_only_change():
    post = assembled_post()
    text = post.doc.to_markdown()
    lead = post.doc.numbered().of_part("lead")[0]
    changed = post.doc.with_block(lead.index, lead.edited("書き直した導入です。"))
    new_text = changed.to_markdown()
    old_lines, new_lines = text.split("\n"), new_text.split("\n")
    assert [n for n, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b] == [lead.line - 1]
    assert parse(new_text).of_part("lead")[0].markdown == "書き直した導入です。"


def test_front_matter_changes_rewrite_only_their_lines_and_the_json_ld_follows():
    doc = parse(assembled_post().doc.to_markdown())
    changed = doc.with_front(title="新しいタイトル2026年版3選", description="新しい説明です。")
    before, after = doc.to_markdown().split("\n"), changed.to_markdown().split("\n")
    differing = [a for a, b in zip(before, after, strict=True) if a != b]
    assert len(differing) == 4, "the title and description lines, and the JSON-LD's headline and description"
    assert changed.json_ld()["headline"] == "新しいタイトル2026年版3選"
    assert parse(changed.to_markdown()).front["title"] == "新しいタイトル2026年版3選"


def test_each_part_reads_back_from_the_document_as_it_was_written():
    post, sections = assembled_post(), factories.sections()
    for key, value in sections.items():
        if isinstance(value, str):
            assert post.doc.part_text(key) == value
        elif isinstance(value, StepText):
            lists = dict(zip(STEP_LABELS, (value.actions, value.metrics, value.cautions), strict=True))
            assert factories.step_of(post.doc, key) == (value.summary, lists)
        else:
            points = "\n".join(f"- **{p.label}:** {p.text}" for p in value.points)
            assert post.doc.part_text(key) == f"{value.intro}\n\n{points}\n\n{value.closing}"


def test_block_kinds_say_who_owns_them():
    doc = assembled_post().doc
    owned = {b.kind for b in doc.blocks if b.owned}
    assert owned == {Kind.HEADING, Kind.IMAGE, Kind.CREDIT, Kind.STEP_LABEL, Kind.RELATED, Kind.CTA, Kind.JSON_LD}
    assert {b.kind for b in doc.blocks if b.kind in WRITTEN} == {Kind.PARAGRAPH, Kind.LIST_ITEM}
    assert not OWNED & WRITTEN
    assert list(doc.front.fields) == list(FIELDS), "the front matter's fields, in the reference order"


def test_front_matter_fields_read_by_attribute():
    front = parse(assembled_post().doc.to_markdown()).front
    assert front.title == front["title"] and front.description == front["description"]
    assert front.keywords == front["seo_keywords"] and front.tags == front["tags"]
    assert front.category == front.categories[0] == front["categories"][0]
    assert front.primary_keyword == front["seo_keywords"][0] and front.instinct == front["instinct"]
    assert front.date == front["date"] and front.reading_time == front["reading_time"] and front.published

    listed = FrontMatter({"seo_keywords": ["営業 AI", 2025, None, ""], "tags": ["営業", 3], "reading_time": True})
    assert listed.keywords == ["営業 AI", ""], "non-strings dropped, the strings kept as written"
    assert listed.tags == ["営業"] and listed.primary_keyword == "営業 AI"
    assert listed.reading_time is None, "a bool is no number of minutes"

    lone = FrontMatter({"seo_keywords": "営業 AI", "tags": "営業", "categories": "マーケティング", "title": 2025})
    assert lone.keywords == [] and lone.tags == [] and lone.categories == [], "a list field that is no list"
    assert lone.primary_keyword == "営業 AI" and lone.category == "マーケティング", "a lone string is one"
    assert lone.title == "", "a title that is no string"

    tagged = FrontMatter({"seo_keywords": [], "tags": ["営業", "AI"], "published": False})
    assert tagged.primary_keyword == "営業", "no keyword: the first tag"
    assert FrontMatter({"seo_keywords": [7], "tags": "営業"}).primary_keyword == "営業"
    assert not tagged.published

    empty = FrontMatter()
    assert (empty.title, empty.description, empty.image, empty.instinct) == ("", "", "", "")
    assert (empty.keywords, empty.tags, empty.categories) == ([], [], [])
    assert (empty.category, empty.primary_keyword) == ("", "")
    assert (empty.date, empty.modified, empty.reading_time) == (None, None, None) and empty.published


def assembled_post():
    assembler = Assembler(factories.settings(), factories.learning())
    related = [RelatedPost(name="2025-12-14-a", title="関連記事のタイトル", score=1.0)]
    return assembler.assemble(
        factories.brief(date=datetime(2025, 12, 15, 1, 51, 6, 256789, tzinfo=UTC)),
        factories.plan(),
        factories.outline(),
        factories.sections(),
        factories.images(),
        related,
    )
