"""One post as a job of stages, each handing its typed result to the next and keeping it (through the OpenAI
stand-in, in-process: the stages are looked at directly)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pipeline.config import load_settings
from pipeline.instincts import load_instincts
from pipeline.llm import Gateway
from pipeline.llm.choice import make_provider
from pipeline.prompts import PromptBook
from pipeline.review.drafts import read_record
from pipeline.store import Checkpoint
from pipeline.writing.job import Desk, Drafted, Gated, Polished, PostJob
from pipeline.writing.outcome import record_of
from pipeline.writing.stages import gate_stages
from tests import factories
from tests.conftest import CALLS_PER_POST


def run_job(out: Path, sources: list[str] = (), polish: bool | None = None) -> tuple[PostJob, object]:
    settings, instincts = load_settings(), load_instincts()
    brief = factories.brief(sources=list(sources))

    async def go():
        gateway = Gateway(make_provider(settings.llm), settings.llm, PromptBook())
        try:
            job = PostJob(brief, Desk(settings, instincts, gateway, out), Checkpoint(out, "t"), polish=polish)
            return job, await job.run()
        finally:
            await gateway.close()

    return asyncio.run(go())


def test_each_stage_hands_its_typed_result_on_and_keeps_it(llm, tmp_path):
    job, result = run_job(tmp_path / "out", polish=True)
    stages = job.stages
    assert isinstance(stages.drafted, Drafted) and isinstance(stages.gated, Gated)
    assert isinstance(stages.polished, Polished) and stages.final is stages.polished
    assert stages.drafted.plan.title and len(stages.drafted.sections) == 14 and len(stages.drafted.images) == 4
    assert stages.polished.before == stages.gated.post.markdown != stages.polished.post.markdown
    assert result.post is stages.polished.post and result.path.read_text(encoding="utf-8") == result.post.markdown
    assert len(job.model.calls) == CALLS_PER_POST
    assert set(job.seconds) >= {"sources", "briefs", "metadata", "images", "draft", "gate", "polish", "total"}
    assert record_of(job).model_dump(exclude={"draft"}) == result.record.model_dump(exclude={"draft"})
    # One interface over the assembled post: each stage's outcome is kept, in order (pipeline/writing/stages.py).
    names = [stage.name for stage in gate_stages(job.settings.quality.max_rewrites)] + ["polish"]
    assert [trace.stage for trace in result.record.stages] == names
    assert result.record.stages[-1].changed, "the polish changed a part's text, and the record says which"


def test_the_record_gives_back_the_job_that_wrote_it(llm, web, tmp_path):
    out = tmp_path / "out"
    _, result = run_job(out, sources=[web.url("survey.html")])
    assert "[^1]" in result.post.markdown, "the post cites its source"
    record = read_record(result.path)
    assert any("[^1]" in str(value) for value in record.sections.values()), "the record's parts read as the post"
    settings, instincts = load_settings(), load_instincts()
    again = PostJob.from_draft(result.path, record, Desk(settings, instincts, None, out))
    post = again.stages.final.post
    assert post.markdown == result.path.read_text(encoding="utf-8")
    assert again.shown(post) == record.sections and post.citations == result.post.citations
    assert post.cited == result.post.cited and post.cited, "what each footnote's source said, for the gate"


def test_a_job_without_a_polish_ends_as_the_gate_left_it(llm, tmp_path):
    job, result = run_job(tmp_path / "out", polish=False)
    assert job.stages.polished is None and job.stages.final is job.stages.gated
    assert result.record.polish == [] and result.post is job.stages.gated.post
