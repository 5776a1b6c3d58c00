"""Small ready-made values for unit tests of single stages."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from pipeline.config import Settings
from pipeline.instincts import load_instincts
from pipeline.types import (
    Brief,
    Image,
    ImageQueries,
    Plan,
    Sections,
    StepBrief,
    StepText,
    SummaryPoint,
    SummaryText,
)
from pipeline.writing.images import credit_html
from pipeline.writing.outline import Kind, build_outline
from standins.fake_writer import sentence


def brief(**changes) -> Brief:
    values = {
        "instinct": "learning",
        "keywords": ["AI マーケティング 最新トレンド", "生成AI 活用法"],
        "theme": "AIマーケティング",
        "structure": "howTo",
        "date": datetime(2025, 12, 15, 1, 51, 6, 256000, tzinfo=UTC),
    }
    return Brief(**{**values, **changes})


def plan(**changes) -> Plan:
    values = {
        "title": "2025年版AIマーケティング最新トレンド5選",
        "description": "AIマーケティングの最新トレンドを心理学で読み解きます。",
        "category": "AIマーケティング",
        "tags": ["AI マーケティング 最新トレンド", "生成AI"],
        "lead": "導入",
        "background": "背景",
        "trend": "トレンド",
        "trend_points": ["a", "b", "c", "d", "e"],
        "steps": [StepBrief(title=f"準備{i}", brief="要点") for i in range(3)],
        "cases": "事例",
        "summary": "まとめ",
        "image_queries": ImageQueries(hero="ai", background="brain", trend="chart", cases="team"),
    }
    return Plan.model_construct(**{**values, **changes})


SENTENCE = "顧客の関心を丁寧に確かめることが大切です。"


def sections(chars: int = 100) -> Sections:
    """Every part of a howTo post, each about `chars` long, no sentence said twice."""
    numbers = itertools.count()

    def prose(length: int) -> str:
        text = ""
        while len(text) < length:
            text += sentence(next(numbers))
        return text

    values: Sections = {}
    for part in outline():
        if part.kind is Kind.STEP:
            values[part.key] = StepText(
                summary=prose(chars), actions=[prose(20), prose(20)], metrics=[prose(10)], cautions=[prose(10)]
            )
        elif part.kind is Kind.SUMMARY:
            points = [SummaryPoint(label=f"要点{i}", text=prose(20)) for i in range(3)]
            values[part.key] = SummaryText(intro=prose(10), points=points, closing=prose(10))
        else:
            values[part.key] = prose(chars)
    return values


def images() -> list[Image]:
    credit = credit_html("Jane Doe", "https://unsplash.com/@jane", "genpost_test")
    return [
        Image(slot=slot, url=f"https://images.unsplash.com/photo-{n}?w=1200", alt=f"{slot}の画像", credit=credit)
        for n, slot in enumerate(("hero", "background", "trend", "cases"))
    ]


def outline(p: Plan | None = None):
    p = p or plan()
    return build_outline("学習本能", p.category, "howTo", [s.title for s in p.steps])


def learning():
    return load_instincts()["learning"]


def settings() -> Settings:
    return Settings()


def step_of(doc, key: str) -> tuple[str, dict[str, list[str]]]:
    """What step `key` of `doc` says, read from its blocks for a test to compare: its summary, and the bullets
    under each of its labels."""
    from pipeline.document import PART_TEXT, write_blocks
    from pipeline.document import Kind as BlockKind

    blocks = [b for b in doc.of_part(key) if b.kind in PART_TEXT and (b.markdown.strip() or b.label)]
    labels = [n for n, b in enumerate(blocks) if b.kind == BlockKind.STEP_LABEL]
    summary = write_blocks(blocks[: labels[0]] if labels else blocks, first_gap=False).rstrip("\r\n")
    ends = [*labels[1:], len(blocks)]
    lists = {
        blocks[n].label: [f"**{b.label}:** {b.markdown}" if b.label else b.markdown for b in blocks[n + 1 : end]]
        for n, end in zip(labels, ends, strict=True)
    }
    return summary, lists
