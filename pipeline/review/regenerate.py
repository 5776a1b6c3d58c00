"""Regenerate one part of a draft: a candidate first, the draft rewritten only when accepted."""

from __future__ import annotations

from pathlib import Path

from pydantic import TypeAdapter

from pipeline.errors import UsageError
from pipeline.llm import Gateway
from pipeline.llm.gateway import totals_of
from pipeline.parse import parse
from pipeline.review.drafts import Pending, load_state, locked, read_record, save_record, save_state
from pipeline.review.history import Version, keep_change, text_of
from pipeline.store import replace_write
from pipeline.types import Finding, PartText, RunRecord, StepText, SummaryText
from pipeline.writing.job import Desk, PostJob
from pipeline.writing.outcome import record_of
from pipeline.writing.outline import Kind


def _record(draft: Path) -> RunRecord:
    record = read_record(draft)
    if record is None:
        raise UsageError(f"{draft.name} has no run record; it cannot be regenerated")
    return record


def parts(record: RunRecord) -> list[str]:
    """The parts of a post that can be regenerated, in reading order."""
    return list(record.sections)


async def propose(draft: Path, part: str, note: str, desk: Desk, gateway: Gateway) -> Pending:
    """Write `part` again (with the editor's note as the thing to fix) and keep it as a candidate."""
    record = _record(draft)
    if part not in parts(record):
        raise UsageError(f"{draft.name} has no part {part!r}")
    job = PostJob.from_draft(draft, record, desk, gateway)
    value = await job.redraft_part(part, note)
    pending = Pending(part=part, value=TypeAdapter(PartText).dump_python(value, mode="json"), note=note)
    with locked(draft):  # the draft may have been saved meanwhile: only the candidate and its calls are added
        state = load_state(draft)
        state.pending = pending
        save_state(draft, state)
        latest = _record(draft)
        latest.calls = [*latest.calls, *gateway.calls]
        latest.totals = totals_of(latest.calls)
        save_record(draft, latest)
    return pending


def candidate_text(pending: Pending, kind: Kind) -> str:
    """The candidate as an editor reads it."""
    if kind is Kind.STEP:
        step = StepText.model_validate(pending.value)
        return "\n".join([step.summary, *(f"- {x}" for x in step.actions + step.metrics + step.cautions)])
    if kind is Kind.SUMMARY:
        summary = SummaryText.model_validate(pending.value)
        return "\n".join([summary.intro, *(f"- {p.label}: {p.text}" for p in summary.points), summary.closing])
    return str(pending.value)


def accept(draft: Path, desk: Desk, who: str = "editor") -> list[Finding]:
    """Put the candidate into the draft as it stands (its part's text replaced, nothing assembled again), check it
    again, rewrite the draft and its record (under its lock)."""
    with locked(draft):
        return _accept(draft, desk, who)


def _accept(draft: Path, desk: Desk, who: str) -> list[Finding]:
    state = load_state(draft)
    if state.pending is None:
        raise UsageError(f"{draft.name} has no regenerated section waiting")
    job = PostJob.from_draft(draft, _record(draft), desk)
    key = state.pending.part
    value = TypeAdapter(PartText).validate_python(state.pending.value)
    # The draft as it stands in out/, with the candidate in its part: every other block keeps its lines (an
    # editor's hand edits elsewhere too). A hand edit in the part itself would be lost: refused.
    post = job.stages.final.post
    if key not in post.doc.part_keys:
        raise UsageError(f"{draft.name} has no part {key!r} any more")
    if _edited(draft, state.versions, key, post.doc.part_text(key)):
        raise UsageError(
            f"手直しした部分（{key}）は、書き直し案と差し替えられません（手直しが消えるため）。"
            "案の文章をコピーして、編集欄に貼ってください"
        )
    post = job.rewritten(post, {key: value})
    findings = job.revise(post)
    keep_change(draft, state.versions, post.markdown, "regenerated", who, f"{key} を書き直し")
    replace_write(draft, post.markdown)
    save_record(draft, record_of(job))
    state.pending = None
    save_state(draft, state)
    return findings


def _edited(draft: Path, versions: list[Version], key: str, now: str) -> bool:
    """Did an editor change part `key` by hand since genpost last wrote the draft?"""
    if not any(v.kind == "edited" for v in versions):
        return False
    written = [v for v in versions if v.kind != "edited"]
    return not written or parse(text_of(draft, written[-1].number)).part_text(key) != now


def discard(draft: Path) -> None:
    with locked(draft):
        state = load_state(draft)
        state.pending = None
        save_state(draft, state)
