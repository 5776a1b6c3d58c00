"""The gate every draft passes before it is written: findings, and which parts to redraft."""

from __future__ import annotations

from pathlib import Path

from pipeline.config import Settings
from pipeline.instincts import Instinct
from pipeline.outline import Outline
from pipeline.quality import check_text
from pipeline.types import Finding, Post

# Rules a section can fix by being written again (the rest need an editor or a re-plan).
REWRITABLE = ("style.", "claims.")


def gate(post: Post, settings: Settings, instinct: Instinct, site: Path | None) -> list[Finding]:
    """Every finding for an assembled post."""
    return check_text(post.markdown, settings, {instinct.key: instinct}, site, post.filename)


def part_of(finding: Finding, outline: Outline) -> str | None:
    """The drafted part a finding sits in (the drafter's names: lead, trend3, step2, …)."""
    section, sub = finding.section, finding.subsection
    if section == "lead":
        return "lead"
    if section == outline.background:
        return "background"
    if section == outline.trend:
        if sub is None:
            return "trend_intro"
        return f"trend{outline.trend_parts.index(sub) + 1}" if sub in outline.trend_parts else None
    if section == outline.steps:
        if sub is None:
            return "steps_intro"
        number = sub.split(":")[0].removeprefix("ステップ")
        return f"step{number}" if number.isdigit() else None
    if section == outline.cases:
        return "cases"
    if section == outline.summary:
        return "summary"
    return None


def fixes_by_part(findings: list[Finding], outline: Outline) -> dict[str, list[Finding]]:
    """Errors a redraft can fix, grouped by the part to redraft."""
    fixes: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.severity != "error" or not finding.rule.startswith(REWRITABLE):
            continue
        part = part_of(finding, outline)
        if part is not None:
            fixes.setdefault(part, []).append(finding)
    return fixes
