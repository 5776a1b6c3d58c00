"""`genpost batch --via batch-api`: the drafting calls of many posts through the OpenAI Batch API.

Submitting plans every post at once (the plan decides every later prompt), then uploads all
drafting calls as one JSONL batch (half price, answered within 24 hours). Collecting reads the
answers and finishes each post as a direct run would (the same PostJob): images, the quality
gate (its few redrafts are made directly), the draft and its run record. An answer that
failed or does not fit its schema is asked again directly.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from pipeline import __version__
from pipeline.errors import UsageError
from pipeline.llm import Gateway
from pipeline.llm.answers import parse_answer
from pipeline.llm.batch_client import BatchClient
from pipeline.store import Checkpoint, replace_write, run_key
from pipeline.tasks import together
from pipeline.types import Brief, CallRecord, PartText, Plan, Sections
from pipeline.writing.drafter import Drafter, Piece, combine
from pipeline.writing.job import Desk, PostJob, Result


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


def _custom_id(post: int, piece: Piece) -> str:
    return f"{post}/{piece.key}"


async def submit(briefs: list[Brief], desk: Desk) -> tuple[str, int]:
    """Plan every post, submit all drafting calls as one batch; returns (batch id, requests)."""
    client = BatchClient(desk.gateway)
    disabled = Checkpoint(desk.out_dir, "", enabled=False)
    jobs = [PostJob(b, desk, disabled, source="batch", gateway=desk.gateway.session()) for b in briefs]

    async def plan(job: PostJob) -> Plan:
        # The same sources (cached on disk) are gathered again when the batch is collected.
        await job.gather_sources()
        made, _ = await together(job.plan(), job.build_index())
        return made

    plans = await asyncio.gather(*(plan(job) for job in jobs))
    lines = [
        client.line(_custom_id(n, piece), "draft", piece.prompt, piece.max_tokens, piece.answer)
        for n, (job, made) in enumerate(zip(jobs, plans, strict=True))
        for piece in job.drafter(made, checkpointed=False).pieces()
    ]
    batch_id = await client.submit(lines, {"genpost": __version__, "posts": str(len(briefs))})
    posts = [
        PlannedPost(brief=job.brief, plan=made, plan_calls=job.model.calls)
        for job, made in zip(jobs, plans, strict=True)
    ]
    manifest = Manifest(batch_id=batch_id, genpost_version=__version__, posts=posts)
    replace_write(_manifest_path(desk.out_dir, batch_id), manifest.model_dump_json(indent=2))
    return batch_id, len(lines)


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
    client = BatchClient(desk.gateway)
    status, answers = await client.results(batch_id)
    if answers is None:
        return Collected(status)
    collected = Collected(status)
    for n, post in enumerate(manifest.posts):
        checkpoint = Checkpoint(desk.out_dir, run_key(kind="batch-api", batch=batch_id, post=n))
        session = desk.gateway.session()
        job = PostJob(
            post.brief, desk, checkpoint, source="batch", gateway=session, plan=post.plan, earlier_calls=post.plan_calls
        )

        async def from_answers(drafter: Drafter, n: int = n, session: Gateway = session) -> Sections:
            pieces = drafter.pieces()
            found = [_answer(drafter, p, client, session, answers.get(_custom_id(n, p))) for p in pieces]
            return combine(drafter.outline, pieces, await asyncio.gather(*found))

        collected.written.append(await job.run(drafting=from_answers))
    path.unlink()
    return collected


async def _answer(drafter: Drafter, piece: Piece, client: BatchClient, session: Gateway, item: dict | None) -> PartText:
    """A piece's batch answer, cleaned; asked again directly when it failed or does not fit."""
    text = client.take_answer(session, "draft", piece.key, piece.prompt, item)
    answer = text if text is None or piece.answer is None else parse_answer(text, piece.answer)
    value = drafter.accept(piece, answer) if answer is not None else None
    return value if value is not None else await drafter.write(piece)
