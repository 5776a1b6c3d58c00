"""The fixed skeleton of a post: every heading the assembler owns."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.config import STRUCTURES
from pipeline.types import Plan

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

STEP_LABELS = ("実行内容", "指標", "注意点")
STEP_COUNT = 3
SUMMARY_POINTS = 3


@dataclass(frozen=True)
class Outline:
    """The H2 and H3 titles of one post."""

    background: str
    trend: str
    trend_parts: tuple[str, ...]
    steps: str
    step_titles: tuple[str, ...]
    cases: str
    summary: str

    def headings(self) -> list[str]:
        """Every heading in reading order, H3s indented, for prompts."""
        lines = [f"## {self.background}", f"## {self.trend}"]
        lines += [f"### {part}" for part in self.trend_parts]
        lines.append(f"## {self.steps}")
        lines += [f"### ステップ{i}: {title}" for i, title in enumerate(self.step_titles, 1)]
        lines += [f"## {self.cases}", f"## {self.summary}"]
        return lines


def outline_for(instinct_name: str, plan: Plan, structure: str) -> Outline:
    """The outline a plan gives: its category as the theme, its step titles."""
    return build_outline(instinct_name, plan.category, structure, [s.title for s in plan.steps])


def build_outline(instinct_name: str, theme: str, structure: str, step_titles: list[str]) -> Outline:
    """The outline for an instinct (Japanese name), theme and structure."""
    return Outline(
        background=f"{instinct_name}の心理学的背景",
        trend=f"{theme}の最新トレンド分析",
        trend_parts=TREND_PARTS[structure],
        steps="実践ステップ",
        step_titles=tuple(step_titles),
        cases="成功事例と期待できる効果",
        summary="まとめと次のアクション",
    )
