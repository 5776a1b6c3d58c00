"""`genpost batch --via batch-api`: the drafting calls of many posts through the OpenAI Batch API.

Submitting plans every post at once (the plan decides every later prompt), then uploads all
drafting calls as one JSONL batch (half price, answered within 24 hours). Collecting reads the
answers and finishes each post exactly as a direct run would: images, the quality gate
(its few redrafts are made directly), the draft and its run record. An answer that failed or
does not fit its schema is asked again directly.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from pipeline import __version__
from pipeline.config import Settings
from pipeline.drafter import Drafter, combine, finish
from pipeline.errors import UsageError
from pipeline.instincts import Instinct
from pipeline.llm import Gateway
from pipeline.llm.gateway import parse_answer
from pipeline.outline import outline_for
from pipeline.planner import make_plan
from pipeline.run import Desk, Result, generate
from pipeline.store import Checkpoint, replace_write, run_key
from pipeline.types import Brief, CallRecord, Plan, Sections


class PlannedPost(BaseModel):
    brief: Brief
    plan: Plan
    plan_calls: list[CallRecord]


class Manifest(BaseModel):
    """What `--collect` needs, kept under out/.genpost/batches/<id>.json."""

    batch_id: str
    genpost_version: str
    posts: list[PlannedPost]


def _manifest_path(out_dir: Path, batch_id: str) -> Path:
    safe = "".join(ch for ch in batch_id if ch.isalnum() or ch in "-_")
    return out_dir / ".genpost" / "batches" / f"{safe}.json"


async def submit(briefs: list[Brief], desk: Desk) -> tuple[str, int]:
    """Plan every post, submit all drafting calls as one batch; returns (batch id, requests)."""
    existing = [w.title for w in desk.memory.written()]
    sessions = [desk.gateway.session() for _ in briefs]
    plans = await asyncio.gather(
        *(
            make_plan(b, desk.instincts[b.instinct], desk.settings, s, existing)
            for b, s in zip(briefs, sessions, strict=True)
        )
    )
    lines = []
    for n, (brief, plan, session) in enumerate(zip(briefs, plans, sessions, strict=True)):
        for piece in _drafter(brief, plan, desk.instincts, desk.settings, session).pieces():
            lines.append(session.batch_line(f"{n}/{piece.part}", "draft", piece.prompt, piece.max_tokens, piece.model))
    batch_id = await desk.gateway.submit_batch(lines, {"genpost": __version__, "posts": str(len(briefs))})
    manifest = Manifest(
        batch_id=batch_id,
        genpost_version=__version__,
        posts=[
            PlannedPost(brief=b, plan=p, plan_calls=s.calls) for b, p, s in zip(briefs, plans, sessions, strict=True)
        ],
    )
    replace_write(_manifest_path(desk.out_dir, batch_id), manifest.model_dump_json(indent=2))
    return batch_id, len(lines)


def _drafter(brief: Brief, plan: Plan, instincts: dict[str, Instinct], settings: Settings, gateway: Gateway) -> Drafter:
    instinct = instincts[brief.instinct]
    outline = outline_for(instinct.name, plan, brief.structure)
    return Drafter(brief, plan, outline, instinct, settings, gateway)


@dataclass
class Collected:
    status: str
    written: list[Result] = field(default_factory=list)


async def collect(batch_id: str, desk: Desk) -> Collected:
    """Finish every post of a completed batch; a batch still running is reported, not waited for."""
    path = _manifest_path(desk.out_dir, batch_id)
    if not path.is_file():
        raise UsageError(f"no batch {batch_id!r} was submitted from {desk.out_dir}")
    manifest = Manifest.model_validate_json(path.read_text(encoding="utf-8"))
    status, answers = await desk.gateway.batch_results(batch_id)
    if answers is None:
        return Collected(status)
    collected = Collected(status)
    for n, post in enumerate(manifest.posts):
        session = desk.gateway.session()
        session.calls.extend(post.plan_calls)
        checkpoint = Checkpoint(desk.out_dir, run_key(kind="batch-api", batch=batch_id, post=n))
        checkpoint.save("brief", Brief, post.brief)
        checkpoint.save("plan", Plan, post.plan)

        async def from_answers(drafter: Drafter, n: int = n, session: Gateway = session) -> Sections:
            pieces = drafter.pieces()
            values = await asyncio.gather(*(_answer(drafter, p, answers.get(f"{n}/{p.part}"), session) for p in pieces))
            return combine(pieces, values)

        instinct = desk.instincts[post.brief.instinct]
        result = await generate(
            post.brief,
            instinct,
            desk.settings,
            session,
            desk.out_dir,
            checkpoint,
            desk.memory,
            "batch",
            draft=from_answers,
        )
        collected.written.append(result)
    path.unlink()
    return collected


async def _answer(drafter: Drafter, piece, item: dict | None, session: Gateway):
    """A piece's batch answer, cleaned; asked again directly when it failed or does not fit."""
    text = session.take_batch_answer("draft", piece.part, piece.prompt, item)
    if text is not None:
        if piece.model is None:
            return finish(piece, text)
        value = parse_answer(text, piece.model)
        if value is not None:
            return finish(piece, value)
    return await drafter.write(piece)
