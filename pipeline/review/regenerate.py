"""Regenerate one section of a draft: a candidate first, the draft rewritten only when accepted."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from pipeline.assembler import Assembler
from pipeline.config import Settings
from pipeline.drafter import Drafter, parts_of, sections_from
from pipeline.errors import UsageError
from pipeline.instincts import load_instincts
from pipeline.llm import Gateway
from pipeline.outline import outline_for
from pipeline.quality.gate import gate
from pipeline.review.state import Pending, load_record, load_state, save_state
from pipeline.store import replace_write
from pipeline.types import Finding, RunRecord, StepText, SummaryText


def _setup(draft: Path, settings: Settings, gateway: Gateway) -> tuple[RunRecord, Drafter]:
    record = load_record(draft)
    if record is None:
        raise UsageError(f"{draft.name} has no run record; it cannot be regenerated")
    instinct = load_instincts()[record.brief.instinct]
    plan = record.plan
    outline = outline_for(instinct.name, plan, record.brief.structure)
    return record, Drafter(record.brief, plan, outline, instinct, settings, gateway)


def parts(record: RunRecord) -> list[str]:
    """The parts of a post that can be regenerated, in reading order."""
    return list(parts_of(record.sections))


async def propose(draft: Path, part: str, note: str, settings: Settings, gateway: Gateway) -> Pending:
    """Write `part` again (with the editor's note as the thing to fix) and keep it as a candidate."""
    record, drafter = _setup(draft, settings, gateway)
    if part not in parts(record):
        raise UsageError(f"{draft.name} has no part {part!r}")
    ask = note.strip() or "同じ内容を、より読みやすく具体的に書き直してください。"
    fixes = {part: [Finding(rule="editor.note", severity="error", message=ask)]}
    sections = await drafter.redraft(record.sections, fixes)
    value = parts_of(sections)[part]
    pending = Pending(part=part, value=TypeAdapter(Any).dump_python(value, mode="json"), note=note)
    state = load_state(draft)
    state.pending = pending
    save_state(draft, state)
    record.calls.extend(gateway.calls)
    replace_write(draft.with_suffix(".json"), record.model_dump_json(indent=2))
    return pending


def candidate_text(pending: Pending) -> str:
    """The candidate as an editor reads it."""
    value = pending.value
    if isinstance(value, str):
        return value
    if "actions" in value:
        step = StepText.model_validate(value)
        return "\n".join([step.summary, *(f"- {x}" for x in step.actions + step.metrics + step.cautions)])
    summary = SummaryText.model_validate(value)
    return "\n".join([summary.intro, *(f"- {p.label}: {p.text}" for p in summary.points), summary.closing])


def accept(draft: Path, settings: Settings) -> list[Finding]:
    """Put the candidate into the draft: reassemble, re-check, rewrite the draft and its record."""
    state = load_state(draft)
    if state.pending is None:
        raise UsageError(f"{draft.name} has no regenerated section waiting")
    record = load_record(draft)
    if record is None:
        raise UsageError(f"{draft.name} has no run record")
    current = parts_of(record.sections)
    kind = type(current[state.pending.part])
    current[state.pending.part] = TypeAdapter(kind).validate_python(state.pending.value)
    sections = sections_from(current)
    instinct = load_instincts()[record.brief.instinct]
    plan = record.plan
    outline = outline_for(instinct.name, plan, record.brief.structure)
    post = Assembler(settings, instinct).assemble(record.brief, plan, outline, sections, record.images, record.related)
    findings = gate(post, settings, instinct, record.brief.site)
    replace_write(draft, post.markdown)
    record = record.model_copy(
        update={
            "sections": sections,
            "findings": findings,
            "reading_time": post.reading_time,
            "body_chars": post.body_chars,
        }
    )
    replace_write(draft.with_suffix(".json"), record.model_dump_json(indent=2))
    state.history.append(
        {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "status": state.status,
            "note": f"regenerated {state.pending.part}",
        }
    )
    state.pending = None
    save_state(draft, state)
    return findings


def discard(draft: Path) -> None:
    state = load_state(draft)
    state.pending = None
    save_state(draft, state)
