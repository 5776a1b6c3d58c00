"""Drafting from an approved brief (`genpost --brief FILE`): its outline checked against what the structure
allows, its parts in the editor's order under the editor's headings, its points as the plan (no outline call).

What the structure allows: the lead first and the summary last; the four H2 sections between them (background,
trend, steps, cases) in any order, each with its opening part first; the trend section's H3s reordered, renamed,
removed or added (1–8); the three steps reordered and renamed; every part 2–4 points. A part's key in the post
follows its place: the trend H3s are trend1, trend2 … and the steps step1 … step3 in the order they stand.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipeline.briefs.model import POINTS, BriefFile, read_brief
from pipeline.config import STRUCTURES
from pipeline.errors import UsageError
from pipeline.types import ApprovedPart, Brief, BriefRef
from pipeline.writing.outline import STEP_COUNT, STEPS_H2, step_heading

GROUPS = ("background", "trend", "steps", "cases")  # the H2 sections between the lead and the summary
OPENING = {"background": "background", "trend": "trend_intro", "steps": "steps_intro", "cases": "cases"}
TREND_PARTS = (1, 8)
_STEP_PREFIX = re.compile(r"^ステップ\s*[0-9０-９]+\s*[:：]\s*")


@dataclass(frozen=True)
class Approved:
    """An approved brief as a run drafts from it: its file, the hash of its text, its parts under post keys."""

    path: Path
    brief: BriefFile
    sha256: str
    parts: tuple[ApprovedPart, ...]

    @property
    def ref(self) -> BriefRef:
        return BriefRef(path=str(self.path), sha256=self.sha256, parts=list(self.parts))


def group_of(part: str) -> str | None:
    """The H2 section a brief's part belongs to (None: the lead or the summary)."""
    if part in ("lead", "summary"):
        return None
    if part == "trend_intro" or re.fullmatch(r"trend\d+", part):
        return "trend"
    if part == "steps_intro" or re.fullmatch(r"step\d+", part):
        return "steps"
    return part if part in GROUPS else "?"


def load_approved(path: Path, force: bool = False) -> Approved:
    """The brief at `path`, refused (exit 2) unless approved and unchanged since (`force`: drafted all the
    same), or when its outline leaves what the structure allows."""
    if not path.is_file():
        raise UsageError(f"no brief {path}")
    brief = read_brief(path)
    if not force and not brief.is_approved:
        why = "was edited after it was approved" if brief.approved else "is not approved"
        raise UsageError(f"{path.name} {why}: approve it (genpost approve {path}) or pass --force")
    check_outline(brief, path)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return Approved(path, brief, sha, tuple(post_parts(brief)))


def check_outline(brief: BriefFile, path: Path) -> None:
    """A one-line UsageError for the first thing the outline does that the structure does not allow."""
    keys = [s.part for s in brief.outline]

    def refuse(why: str) -> None:
        raise UsageError(f"{path}: outline: {why}")

    if brief.structure not in STRUCTURES:
        refuse(f"unknown structure {brief.structure!r} (one of {', '.join(STRUCTURES)})")
    if len(set(keys)) != len(keys):
        refuse("a part is listed twice")
    unknown = [k for k in keys if group_of(k) == "?"]
    if unknown:
        refuse(f"unknown part {unknown[0]!r}")
    if keys[:1] != ["lead"] or keys[-1:] != ["summary"]:
        refuse("the lead comes first and the summary last")
    order = [g for g in (group_of(k) for k in keys[1:-1]) if g]
    runs = [g for n, g in enumerate(order) if n == 0 or order[n - 1] != g]
    if sorted(runs) != sorted(GROUPS):
        refuse("each of background, trend, steps and cases once, its parts together")
    for group in GROUPS:
        members = [k for k in keys if group_of(k) == group]
        if members[0] != OPENING[group]:
            refuse(f"the {group} section opens with {OPENING[group]}")
    trend = [k for k in keys if re.fullmatch(r"trend\d+", k)]
    if not TREND_PARTS[0] <= len(trend) <= TREND_PARTS[1]:
        refuse(f"the trend section has {TREND_PARTS[0]}–{TREND_PARTS[1]} parts ({len(trend)} given)")
    steps = [k for k in keys if re.fullmatch(r"step\d+", k)]
    if len(steps) != STEP_COUNT:
        refuse(f"the steps section has {STEP_COUNT} steps ({len(steps)} given)")
    steps_heading = next(s.heading for s in brief.outline if s.part == "steps_intro")
    if steps_heading != STEPS_H2:  # the step rules of the gate find the steps under it
        refuse(f"the steps section keeps its heading {STEPS_H2} ({steps_heading!r} given)")
    for section in brief.outline:
        if not POINTS[0] <= len(section.points) <= POINTS[1]:
            refuse(f"{section.part} has {len(section.points)} points ({POINTS[0]}–{POINTS[1]} allowed)")
        if section.part != "lead" and not section.heading:
            refuse(f"{section.part} has no heading")


def post_parts(brief: BriefFile) -> list[ApprovedPart]:
    """The brief's parts under the keys the post gives them: trend H3s and steps numbered in their order."""
    counters = {"trend": 0, "step": 0}
    out = []
    for section in brief.outline:
        key = section.part
        kind = "trend" if re.fullmatch(r"trend\d+", key) else "step" if re.fullmatch(r"step\d+", key) else ""
        if kind:
            counters[kind] += 1
            key = f"{kind}{counters[kind]}"
        heading = section.heading
        if kind == "step" and heading:
            heading = step_heading(counters["step"], _STEP_PREFIX.sub("", heading))
        points, answers = [p.text for p in section.points], [p.answers for p in section.points]
        out.append(ApprovedPart(part=key, heading=heading, points=points, answers=answers))
    return out


def run_brief(approved: Approved, when: datetime, site: Path | None, sources: list[str]) -> Brief:
    """What the run writes: the brief's keywords, instinct, structure and theme; the results it read as sources
    (beside `sources`); the approved parts it keeps to."""
    brief = approved.brief
    read = [r.url for r in brief.results if not r.error]
    return Brief(
        instinct=brief.instinct,
        keywords=brief.keywords,
        theme=brief.theme or None,
        structure=brief.structure,
        date=when,
        site=site,
        sources=list(dict.fromkeys([*read, *sources])),
        from_brief=approved.ref,
    )
