"""The post's typed parts: key, heading, kind and group, in reading order; every heading spelled once.

Every stage names a part of a post through this list: the drafter asks for each part, the
assembler places it under its heading, the gate maps a finding back to it, regenerate and
the Batch API address it by its key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from pipeline.config import STRUCTURES
from pipeline.types import ApprovedPart, Plan

TREND_PARTS: dict[str, tuple[str, ...]] = {
    "howTo": (
        "なぜこの方法が重要なのか",
        "ステップ1: 準備と計画",
        "ステップ2: 実装と実行",
        "ステップ3: 測定と改善",
        "よくある失敗と対策",
    ),
    "problemSolution": (
        "現状の課題と痛み",
        "課題が生じる根本原因",
        "解決策の提示",
        "実装方法",
        "期待される成果",
    ),
    "caseStudy": (
        "企業の背景と課題",
        "実施した施策",
        "得られた成果（数値付き）",
        "成功要因の分析",
        "他社への応用方法",
    ),
    "comparison": (
        "比較対象の概要",
        "評価基準の設定",
        "詳細な比較分析",
        "それぞれの長所と短所",
        "状況別の推奨事項",
    ),
}
assert set(TREND_PARTS) == set(STRUCTURES)

STEPS_H2 = "実践ステップ"
CASES_H2 = "成功事例と期待できる効果"
SUMMARY_H2 = "まとめと次のアクション"
RELATED_H2 = "関連記事"
STEP_LABELS = ("実行内容", "指標", "注意点")
STEP_COUNT = 3
_STEP_HEADING = re.compile(r"^ステップ(\d+)[:：]")


def background_heading(instinct_name: str) -> str:
    return f"{instinct_name}の心理学的背景"


def trend_heading(theme: str) -> str:
    return f"{theme}の最新トレンド分析"


def step_heading(number: int, title: str) -> str:
    """`ステップ2: title` (just `ステップ2` while the title is not known yet)."""
    return f"ステップ{number}: {title}" if title else f"ステップ{number}"


def step_number(heading: str) -> int | None:
    """The N of a `ステップN: …` heading, or None."""
    match = _STEP_HEADING.match(heading)
    return int(match.group(1)) if match else None


def section_headings(instinct_name: str, theme: str) -> list[str]:
    """The five H2s of every post, in order."""
    return [background_heading(instinct_name), trend_heading(theme), STEPS_H2, CASES_H2, SUMMARY_H2]


class Kind(StrEnum):
    """What the model writes for a part: prose, or a JSON answer of a fixed shape."""

    PROSE = "prose"
    STEP = "step"  # summary + 実行内容 / 指標 / 注意点
    SUMMARY = "summary"  # intro, three points, closing


@dataclass(frozen=True)
class Part:
    """One part of the post that the model writes."""

    key: str  # stable name: record, checkpoint, Batch API id ("lead", "trend3", "step2")
    kind: Kind
    group: str  # the H2 section it belongs to ("lead" before the first H2)
    position: int  # 0 for a section's opening part, 1… for the parts under its H3s
    heading: str | None  # the heading it sits under (None: the lead)
    level: int  # that heading's level: 2 or 3 (0: the lead)
    template: str  # the prompt in prompts/
    length: str  # its target in lengths.sections
    keyword: bool  # whether the primary keyword belongs here
    image: str | None = None  # the image slot placed right after its heading

    @property
    def markdown_heading(self) -> str:
        """The heading as the prompts show it ("## …", "### …", or （導入文） for the lead)."""
        return f"{'#' * self.level} {self.heading}" if self.heading else "（導入文）"


@dataclass(frozen=True)
class Outline:
    """Every part of one post, in reading order."""

    parts: tuple[Part, ...]

    def __iter__(self) -> Iterator[Part]:
        return iter(self.parts)

    def __getitem__(self, key: str) -> Part:
        for part in self.parts:
            if part.key == key:
                return part
        raise KeyError(key)

    def part_keys(self) -> list[str]:
        return [part.key for part in self.parts]

    def of_group(self, group: str) -> list[Part]:
        return [part for part in self.parts if part.group == group]

    def headings(self) -> list[str]:
        """Every heading in reading order, for prompts."""
        return [part.markdown_heading for part in self.parts if part.heading]

    def h2(self) -> list[str]:
        return [part.heading for part in self.parts if part.level == 2 and part.heading]


def build_outline(instinct_name: str, theme: str, structure: str, step_titles: list[str]) -> Outline:
    """The outline for an instinct (Japanese name), theme, structure and the plan's step titles."""
    background, trend, steps, cases, summary = section_headings(instinct_name, theme)
    parts = [
        Part("lead", Kind.PROSE, "lead", 0, None, 0, "lead.j2", "lead", True),
        Part(
            "background", Kind.PROSE, "background", 0, background, 2, "background.j2", "background", True, "background"
        ),
        Part("trend_intro", Kind.PROSE, "trend", 0, trend, 2, "trend_intro.j2", "trend_intro", False, "trend"),
    ]
    parts += [
        Part(f"trend{n}", Kind.PROSE, "trend", n, title, 3, f"trend_{structure}.j2", "trend_part", False)
        for n, title in enumerate(TREND_PARTS[structure], 1)
    ]
    parts.append(Part("steps_intro", Kind.PROSE, "steps", 0, steps, 2, "steps_intro.j2", "steps_intro", False))
    parts += [
        Part(f"step{n}", Kind.STEP, "steps", n, step_heading(n, title), 3, "step.j2", "step", False)
        for n, title in enumerate(step_titles, 1)
    ]
    parts.append(Part("cases", Kind.PROSE, "cases", 0, cases, 2, "cases.j2", "cases", True, "cases"))
    parts.append(Part("summary", Kind.SUMMARY, "summary", 0, summary, 2, "summary.j2", "summary", True))
    return Outline(tuple(parts))


def outline_for(
    instinct_name: str, plan: Plan, structure: str, approved: Sequence[ApprovedPart] | None = None
) -> Outline:
    """The outline a plan gives: its category as the theme, its step titles; with `approved` (a brief's parts),
    in their order under their headings."""
    outline = build_outline(instinct_name, plan.category, structure, [s.title for s in plan.steps])
    return approved_outline(outline, approved) if approved else outline


def approved_outline(outline: Outline, approved: Sequence[ApprovedPart]) -> Outline:
    """The outline in an approved brief's order under its headings: a trend H3 beyond the structure's five is
    drafted as they are, each H3 numbered by its place."""
    template = {part.group: part for part in outline if part.position}  # a trend H3 and a step, to copy
    out: list[Part] = []
    positions = {"trend": 0, "steps": 0}
    for found in approved:
        if found.part in outline.part_keys() and outline[found.part].position == 0:
            part = outline[found.part]
            out.append(replace(part, heading=found.heading) if part.heading and found.heading else part)
            continue
        group = "steps" if found.part.startswith("step") else "trend"
        positions[group] += 1
        heading = found.heading or template[group].heading
        out.append(replace(template[group], key=found.part, position=positions[group], heading=heading))
    return Outline(tuple(out))


def brief_of(part: Part, plan: Plan) -> str:
    """What the plan says a part is about."""
    if part.group == "trend" and part.position:
        return plan.trend_points[part.position - 1]
    if part.kind is Kind.STEP:
        step = plan.steps[part.position - 1]
        return f"{step.title}: {step.brief}"
    briefs = {"lead": plan.lead, "background": plan.background, "trend": plan.trend, "cases": plan.cases}
    briefs.update(summary=plan.summary, steps="、".join(s.title for s in plan.steps))
    return briefs[part.group]
