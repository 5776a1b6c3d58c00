"""Briefs in out/briefs/ as the review app shows them: listed beside the drafts, edited within what the
structure allows (sections reordered, renamed, removed and added; points rewritten; notes), approved. A save
is locked and versioned as a draft's is; a brief whose outline changes is unapproved again."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.briefs.drafting import check_outline
from pipeline.briefs.model import SUFFIX, BriefFile, Point, Section, approved, read_brief, to_yaml, unapproved
from pipeline.errors import GenpostError, UsageError
from pipeline.review.drafts import load_state, locked, save_state
from pipeline.review.history import keep, keep_change, stamp_of
from pipeline.store import replace_write

ANSWERS = re.compile(r"\s*[|｜]\s*")  # a point's line in the editor: `text | what it answers`


@dataclass
class BriefInfo:
    """One brief as the list shows it."""

    name: str
    keyword: str
    instinct: str
    intent: str
    results: int
    approved: bool
    edited_after: bool  # approved, then changed by hand: to approve again
    unreadable: str = ""


class StaleBrief(UsageError):
    """The brief changed since the editor opened it."""


def briefs_dir(out_dir: Path) -> Path:
    return out_dir / "briefs"


def brief_path(out_dir: Path, name: str) -> Path:
    """The brief `name` names in out/briefs/ (never a path outside it, nor a link)."""
    folder = briefs_dir(out_dir)
    if "/" in name or "\\" in name or not name.endswith(SUFFIX) or name.startswith("."):
        raise GenpostError(f"no brief {name!r}")
    path = folder / name
    if not path.is_file() or path.is_symlink():
        raise GenpostError(f"no brief {name!r}")
    return path


def list_briefs(out_dir: Path) -> list[BriefInfo]:
    """Every brief in out/briefs/, newest first; one that does not read is listed as such."""
    found = []
    for path in sorted(briefs_dir(out_dir).glob(f"*{SUFFIX}"), reverse=True):
        if path.is_symlink():
            continue
        try:
            brief = read_brief(path)
        except GenpostError as exc:
            found.append(BriefInfo(path.name, "", "", "", 0, False, False, str(exc)))
            continue
        found.append(
            BriefInfo(
                path.name,
                brief.primary_keyword,
                brief.instinct,
                brief.intent.kind,
                len(brief.results),
                brief.is_approved,
                brief.approved and not brief.is_approved,
            )
        )
    return found


def edited(brief: BriefFile, form: dict[str, str], path: Path) -> BriefFile:
    """The brief as the editor's form leaves it: each section at its place (`order`), under its heading, with
    its points (a line each, `text | answers`), a trend section removed or added, the notes. Refused (one line)
    where the outline leaves what the structure allows."""
    rows: list[tuple[float, int, Section]] = []
    for n, section in enumerate(brief.outline):
        part = section.part
        if form.get(f"remove-{part}") == "on":
            continue
        rows.append((_order(form.get(f"order-{part}"), n), n, _section(part, form, section)))
    new = str(form.get("new-heading", "")).strip()
    if new:
        numbers = [int(s.part[5:]) for s in brief.outline if re.fullmatch(r"trend\d+", s.part)]
        part = f"trend{max(numbers, default=0) + 1}"
        section = Section(part=part, heading=new, points=_points(str(form.get("new-points", ""))))
        rows.append((_order(form.get("new-order"), len(brief.outline)), len(brief.outline), section))
    outline = [section for *_, section in sorted(rows, key=lambda row: (row[0], row[1]))]
    changed = brief.model_copy(update={"outline": outline, "notes": str(form.get("notes", brief.notes))})
    check_outline(changed, path)
    return changed


def _order(value: object, default: int) -> float:
    try:
        return float(str(value))
    except ValueError:
        return float(default)


def _section(part: str, form: dict[str, str], section: Section) -> Section:
    heading = str(form.get(f"heading-{part}", section.heading or "")).strip() or None
    points = _points(str(form.get(f"points-{part}", ""))) if f"points-{part}" in form else section.points
    return Section(part=part, heading=None if part == "lead" else heading, points=points)


def _points(text: str) -> list[Point]:
    """Points from the editor's lines, `text | answers` each."""
    out = []
    for line in text.splitlines():
        if line.strip():
            parts = ANSWERS.split(line.strip(), maxsplit=1)
            out.append(Point(text=parts[0], answers=parts[1] if len(parts) > 1 else ""))
    return out


def points_text(section: Section) -> str:
    """A section's points as the editor edits them: a line each, `text | answers`."""
    return "\n".join(f"{p.text} | {p.answers}" if p.answers else p.text for p in section.points)


def save(path: Path, form: dict[str, str], version: str, who: str) -> BriefFile:
    """The editor's changes written under the brief's lock, as a new version; unapproved when they change it."""
    with locked(path):
        text = path.read_text(encoding="utf-8")
        if version and version != stamp_of(text):
            raise StaleBrief("ほかの人がこのブリーフを先に保存しました。ページを開き直してから編集してください")
        brief = read_brief(path)
        changed = edited(brief, form, path)
        if changed.content_hash() != brief.content_hash():
            changed = unapproved(changed)
        new = to_yaml(changed)
        state = load_state(path)
        keep_change(path, state.versions, new, "edited", who or "editor", "ブリーフを編集")
        replace_write(path, new)
        save_state(path, state)
        return changed


def approve(path: Path, who: str) -> BriefFile:
    """The brief approved in the editor's name (a version kept)."""
    with locked(path):
        brief = approved(read_brief(path), who or "editor", datetime.now(UTC))
        new = to_yaml(brief)
        state = load_state(path)
        if not state.versions:
            keep(path, state.versions, path.read_text(encoding="utf-8"), "generated", "genpost")
        state.mark("approved")
        replace_write(path, new)
        save_state(path, state)
        return brief
