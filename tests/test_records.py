"""Every run record genpost writes, it reads back: run, --auto, batch, collect, regenerate, edit, polish, publish.

The embedded model's drafts leave a step's 指標 or 注意点 empty after the gate's last cut; such a
record must load like any other, and one that does not load is shown as unreadable, never as
a draft with no findings.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from pipeline.config import load_settings
from pipeline.instincts import load_instincts
from pipeline.llm import Gateway
from pipeline.llm.choice import make_provider
from pipeline.prompts import PromptBook
from pipeline.review import editor, regenerate
from pipeline.review.drafts import UnreadableRecord, list_drafts, load_state, read_record
from pipeline.review.history import stamp_of
from pipeline.types import RunRecord
from pipeline.writing.job import Desk
from standins.fake_writer import FakeWriter
from tests.conftest import write_post
from tests.test_planner import UnrulyPlanner

COPIED = "進み具合の測り方を1〜3つ"  # a line of the step prompt: cut wherever it is written


class CopyingStepWriter(FakeWriter):
    """A model that writes the step prompt's own instruction as the only 指標 of every step, every time."""

    def _string(self, name: str, keyword: str, prompt: str) -> str:
        return COPIED if name == "metrics" else super()._string(name, keyword, prompt)


def reads_back(draft: Path) -> RunRecord:
    """The draft's record loads, and writing it again gives the same record."""
    record = read_record(draft)
    assert record is not None, f"{draft.name} has no run record"
    assert RunRecord.model_validate_json(record.model_dump_json()) == record
    return record


def drafts_in(out: Path) -> list[Path]:
    return sorted(out.glob("20*.md"))


def test_a_step_the_last_cut_emptied_is_recorded_and_read_back(llm, genpost, tmp_path):
    llm.writer = CopyingStepWriter()
    run = write_post(genpost, tmp_path / "out")
    assert run.code == 0, run.stderr
    record = reads_back(Path(run.last_line))
    steps = [value for key, value in record.sections.items() if key[4:].isdigit()]
    assert len(steps) == 3 and all(step.count("\n- **指標:**\n- **注意点:**") == 1 for step in steps), (
        "the copied 指標 was cut at the last"
    )
    assert any(f.rule == "structure.step-empty" for f in record.findings), "and the gate says the list is empty"
    (info,) = list_drafts(tmp_path / "out")
    assert info.errors and info.errors >= 3 and not info.unreadable
    listed = genpost("drafts", "--out", str(tmp_path / "out"))
    assert listed.code == 0 and f"{info.errors:2}E" in listed.stdout


def test_a_plan_repaired_below_its_answer_bounds_is_recorded_and_read_back(llm, genpost, tmp_path):
    llm.writer = UnrulyPlanner()  # its tags, once cleaned, are two: fewer than the answer asks for
    run = write_post(genpost, tmp_path / "out")
    assert run.code == 0, run.stderr
    record = reads_back(Path(run.last_line))
    assert len(record.plan.tags) == 2 and any(f.rule.startswith("numbers.title") for f in record.findings)


def test_run_auto_batch_and_polish_write_records_that_load(llm, genpost, tmp_path):
    out = tmp_path / "out"
    assert write_post(genpost, out, "--polish").code == 0
    assert genpost("--auto", "--date", "2025-12-16T23:30:00Z", "--out", str(out)).code == 0
    assert genpost("batch", "--count", "2", "--date", "2025-12-20", "--out", str(out)).code == 0
    written = drafts_in(out)
    assert len(written) == 4
    records = [reads_back(path) for path in written]
    assert any(any(e.applied for e in r.polish) for r in records), "a polished record is among them"


def test_a_collected_batch_writes_records_that_load(llm, genpost, tmp_path):
    out = tmp_path / "out"
    llm.writer = CopyingStepWriter()
    submitted = genpost("batch", "--count", "1", "--date", "2025-12-15", "--via", "batch-api", "--out", str(out))
    assert submitted.code == 0, submitted.stderr
    done = genpost("batch", "--collect", submitted.last_line, "--out", str(out))
    assert done.code == 0, done.stderr
    reads_back(Path(done.last_line))


def test_regenerate_edit_and_publish_keep_the_record_readable(llm, unsplash, genpost, tmp_path, site):
    out = tmp_path / "out"
    llm.writer = CopyingStepWriter()
    draft = Path(write_post(genpost, out).last_line)
    settings, instincts = load_settings(), load_instincts()

    async def propose() -> None:
        gateway = Gateway(make_provider(settings.llm), settings.llm, PromptBook())
        try:
            await regenerate.propose(draft, "lead", "もっと具体的に", Desk(settings, instincts, gateway, out), gateway)
        finally:
            await gateway.close()

    asyncio.run(propose())
    regenerate.accept(draft, Desk(settings, instincts, None, out), "tester")
    reads_back(draft)

    text = draft.read_text(encoding="utf-8")
    body = text.split("\n---\n", 1)[1]
    fields = {
        "title": "手直ししたタイトル2026年版3選",
        "description": "手直ししたディスクリプションです。",
        "tags": "AI、心理学",
    }
    editor.save(draft, body, fields, stamp_of(text), "editor", settings, instincts, site)
    assert reads_back(draft).findings, "the save's findings are in the record"

    published = genpost("publish", str(draft), "--site", str(site), "--force")
    assert published.code == 0, published.stderr
    record = reads_back(draft)
    assert record.history and load_state(draft).status == "published"


def _bad_step(text: str) -> str:
    data = json.loads(text)
    data["sections"]["step1"] = {"summary": "s", "actions": "not a list"}
    return json.dumps(data, ensure_ascii=False)


def _no_brief(text: str) -> str:
    data = json.loads(text)
    del data["brief"]
    return json.dumps(data, ensure_ascii=False)


@pytest.mark.parametrize("damage", [_bad_step, _no_brief, lambda text: text[: len(text) // 2]])
def test_a_record_that_does_not_load_is_shown_as_unreadable(llm, genpost, tmp_path, site, damage):
    out = tmp_path / "out"
    draft = Path(write_post(genpost, out).last_line)
    path = draft.with_suffix(".json")
    path.write_text(damage(path.read_text(encoding="utf-8")), encoding="utf-8")

    with pytest.raises(UnreadableRecord):
        read_record(draft)
    (info,) = list_drafts(out)
    assert info.errors is None and info.unreadable.startswith(path.name)
    listed = genpost("drafts", "--out", str(out))
    assert listed.code == 0 and "record unreadable" in listed.stdout and " 0E" not in listed.stdout
    assert path.name in listed.stderr and len(listed.stderr.strip().splitlines()) == 2

    before = sorted(p.name for p in (site / "_posts").iterdir())
    refused = genpost("publish", str(draft), "--site", str(site), "--force")
    assert refused.code == 1 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "run record" in refused.stderr and "Traceback" not in refused.stderr
    assert sorted(p.name for p in (site / "_posts").iterdir()) == before, "nothing reached _posts"
    assert load_state(draft).status == "draft"
