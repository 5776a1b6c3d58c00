"""The polish pass and streamed briefs end to end: the whole pipeline through the OpenAI stand-in."""

from __future__ import annotations

import json
import re
from pathlib import Path

from standins.fake_writer import BRIDGES, FakeWriter
from standins.openai_api import Fault, Latency
from tests import factories
from tests.conftest import CALLS_PER_POST, POLISH_CALL, record_of
from tests.conftest import write_post as write
from tests.postparse import parse_post

# --- in the pipeline, through the OpenAI stand-in -------------------------------------------------


def _polish_bodies(llm) -> list[dict]:
    return [b for b in llm.chat_bodies() if POLISH_CALL in b["messages"][-1]["content"]]


def test_a_post_is_polished_once_and_the_edits_are_in_it(llm, genpost, tmp_path):
    run = write(genpost, tmp_path)
    assert run.code == 0, run.stderr
    (body,) = _polish_bodies(llm)
    prompt = body["messages"][-1]["content"]
    assert "日本語" in body["messages"][0]["content"] and "学習本能" in prompt
    assert "## まとめと次のアクション" in prompt and "![" not in prompt and "[S" not in prompt
    record = record_of(run)
    applied = [e for e in record["polish"] if e["applied"]]
    assert len(applied) == len(BRIDGES) and all(e["reason"] == "つなぎ" and e["part"] for e in applied)
    body_text = parse_post(Path(run.last_line)).body
    assert all(e["replace"] in body_text for e in applied)
    assert len(record["calls"]) == CALLS_PER_POST and record["calls"][-1]["stage"] == "polish"


def test_no_polish_writes_the_draft_as_the_gate_left_it(llm, genpost, tmp_path):
    run = write(genpost, tmp_path, "--no-polish")
    assert run.code == 0 and not _polish_bodies(llm)
    assert len(llm.chat_bodies()) == CALLS_PER_POST - 1 and record_of(run)["polish"] == []
    assert not any(b in parse_post(Path(run.last_line)).body for b in BRIDGES)


def test_polish_off_in_the_settings_and_on_from_the_command_line(llm, genpost, tmp_path, monkeypatch):
    (tmp_path / "genpost.yml").write_text("polish: 'off'\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert write(genpost, tmp_path).code == 0 and not _polish_bodies(llm)
    assert write(genpost, tmp_path / "again", "--polish").code == 0 and len(_polish_bodies(llm)) == 1


def test_unsafe_edits_are_recorded_and_the_post_is_unchanged(llm, genpost, tmp_path):
    edits = [
        {"find": "学習本能の心理学的背景", "replace": "学びの背景", "reason": "用語の統一"},
        {"find": "存在しない文言です", "replace": "別の文言", "reason": "書き出しの重複"},
    ]
    llm.inject(Fault(content=json.dumps({"edits": edits}, ensure_ascii=False), when=POLISH_CALL))
    run = write(genpost, tmp_path)
    assert run.code == 0
    record = record_of(run)
    assert [(e["applied"], e["reason"]) for e in record["polish"]] == [(False, "用語の統一"), (False, "書き出しの重複")]
    assert "見出し" in record["polish"][0]["why"] and "見つかりません" in record["polish"][1]["why"]
    assert "## 学習本能の心理学的背景" in parse_post(Path(run.last_line)).body


class CarelessEditor(FakeWriter):
    """A polish that slips an English sentence into the prose: a safe edit by the rules, a bad one by the gate's."""

    def polish(self, prompt: str, limit: int) -> list[dict[str, str]]:
        english = "This sentence is written in English and should never reach a Japanese reader. "
        return [{**edit, "replace": english + edit["find"]} for edit in super().polish(prompt, limit)[:1]]


def test_the_gate_reads_the_polished_draft(llm, genpost, tmp_path):
    llm.writer = CarelessEditor()
    run = write(genpost, tmp_path)
    assert run.code == 0
    record = record_of(run)
    assert [e["applied"] for e in record["polish"]] == [True], record["polish"]
    found = [f for f in record["findings"] if f["rule"].startswith("script.")]
    assert found and "This sentence is written in English" in parse_post(Path(run.last_line)).body


def test_a_failing_polish_call_keeps_the_draft(llm, genpost, tmp_path, fast_retries):
    for _ in range(6):
        llm.inject(Fault(status=500, when=POLISH_CALL))
    run = write(genpost, tmp_path)
    assert run.code == 0, run.stderr
    assert "polish:" in run.stderr and parse_post(Path(run.last_line)).front["title"]
    assert record_of(run)["polish"] == []


# --- streamed briefs ------------------------------------------------------------------------------


def _owned(body: dict) -> str:
    """The heading a drafting prompt asks for, or ""."""
    found = re.search(r"^【担当】(.+)$", body["messages"][-1]["content"], re.MULTILINE)
    return found[1] if found else ""


def test_streamed_briefs_start_pieces_before_the_outline_ends(llm, genpost, tmp_path):
    llm.latency = Latency(ttft_s=0.05, tokens_per_s=400)
    run = write(genpost, tmp_path, "--no-polish")
    assert run.code == 0, run.stderr
    record = record_of(run)
    outline = next(c for c in record["calls"] if c["part"] == "outline")
    outline_end = outline["started_s"] + outline["duration_s"]
    drafts = [c for c in record["calls"] if c["stage"] == "draft"]
    assert sum(c["started_s"] < outline_end for c in drafts) >= 5, "the trend points' pieces start early"

    plan = record["plan"]
    bodies = [b for b in llm.chat_bodies() if _owned(b)]
    first = next(b for b in bodies if _owned(b).startswith("### "))
    lead = next(b for b in bodies if _owned(b) == "（導入文）")
    assert plan["trend_points"][0] in first["messages"][-1]["content"]
    assert plan["lead"] not in first["messages"][-1]["content"], "the lead's brief had not arrived yet"
    lead_prompt = lead["messages"][-1]["content"]
    assert all(p in lead_prompt for p in plan["trend_points"]), "the lead's prompt has every earlier brief"
    assert all(s["brief"] in lead_prompt for s in plan["steps"])


def test_without_streaming_every_piece_sees_every_brief(llm, genpost, tmp_path, monkeypatch):
    (tmp_path / "genpost.yml").write_text("llm:\n  stream: false\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    run = write(genpost, tmp_path, "--no-polish")
    assert run.code == 0
    plan = record_of(run)["plan"]
    briefs = [
        plan["lead"],
        plan["background"],
        plan["cases"],
        *plan["trend_points"],
        *(s["brief"] for s in plan["steps"]),
    ]
    prompts = [b["messages"][-1]["content"] for b in llm.chat_bodies() if _owned(b)]
    assert len(prompts) == 16 and all(b in p for p in prompts for b in briefs)


def test_a_small_window_model_sees_the_headings_only(llm):
    """The embedded model copies what it is shown: its pieces get their own brief, not the others'."""
    from pipeline.config import load_settings
    from pipeline.llm import Gateway
    from pipeline.llm.local_provider import LocalProvider
    from pipeline.llm.openai_provider import OpenAIProvider
    from pipeline.prompts import PromptBook
    from pipeline.writing.drafter import Drafter

    settings, plan = load_settings(), factories.plan(lead="読者が得るものを示す", cases="三社の事例を紹介する")
    outline = factories.outline(plan)

    def lead_prompt(provider) -> str:
        drafter = Drafter(
            factories.brief(),
            plan,
            outline,
            factories.learning(),
            settings,
            Gateway(provider, settings.llm, PromptBook()),
        )
        return drafter.pieces_of(outline["lead"])[0].prompt.messages[-1]["content"]

    small = lead_prompt(LocalProvider(settings.llm.local))
    large = lead_prompt(OpenAIProvider(settings.llm.timeout))
    assert "## 成功事例と期待できる効果 — 三社の事例を紹介する" in large and "三社の事例を紹介する" not in small
    assert (
        "## 成功事例と期待できる効果" in small and "読者が得るものを示す" in small and "【記事全体の見出し】" in small
    )
