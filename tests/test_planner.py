"""The plan: soft rules re-asked once, then repaired or flagged (degrade, don't die); hard failures end the run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.instincts import load_instincts
from pipeline.writing.planner import (
    briefs_problems,
    clean_tags,
    cut_to_sentence,
    metadata_problems,
    repair_briefs,
    repair_metadata,
)
from standins.fake_writer import FakeWriter
from standins.openai_api import Fault
from tests import factories as f
from tests.postparse import parse_post

KEYWORD = "AI マーケティング 最新トレンド"


def schema_name(body: dict) -> str:
    return (body.get("response_format") or {}).get("json_schema", {}).get("name", "")


def calls_for(llm, name: str) -> list[dict]:
    return [b for b in llm.chat_bodies() if schema_name(b) == name]


class UnrulyPlanner(FakeWriter):
    """A model whose every plan breaks the soft rules, however often it is told."""

    def answer(self, body: dict) -> str:
        text = super().answer(body)
        if schema_name(body) == "briefs":
            briefs = json.loads(text)
            briefs["steps"][1]["title"] = "   "
            return json.dumps(briefs, ensure_ascii=False)
        if schema_name(body) != "metadata":
            return text
        plan = json.loads(text)
        plan["title"] = (
            "心理学で読み解く、顧客が思わず学びたくなるコンテンツ設計のすべてと、その実践と振り返りの手引きを一冊にまとめた保存版の完全ガイドです"
        )
        plan["description"] = "顧客の好奇心に寄り添う記事の作り方を紹介します。" * 6
        plan["tags"] = [KEYWORD, "content marketing tips", "心理学", "  "]
        plan["image_queries"]["hero"] = "学ぶ人々"
        return json.dumps(plan, ensure_ascii=False)


def test_a_plan_that_keeps_breaking_soft_rules_still_gives_a_flagged_draft(llm, genpost, tmp_path, site):
    llm.writer = UnrulyPlanner()
    run = genpost("--instinct", "learning", "--keywords", KEYWORD, "--out", str(tmp_path / "out"))
    assert run.code == 0, run.stderr
    warnings = [line for line in run.stderr.splitlines() if "the plan still breaks" in line]
    assert len(warnings) == 1 and "title" in warnings[0]
    assert len(calls_for(llm, "metadata")) == 2 and len(calls_for(llm, "briefs")) == 2, "asked once more, then kept"

    draft = Path(run.last_line)
    front = parse_post(draft).front
    assert len(front["description"]) <= 120 and front["description"].endswith("。"), "cut at a sentence end"
    assert front["tags"] == [KEYWORD, "心理学"], "English and empty tags cleaned"
    record = json.loads(draft.with_suffix(".json").read_text(encoding="utf-8"))
    assert record["plan"]["image_queries"]["hero"] == load_instincts()["learning"].image_queries.hero
    assert record["plan"]["steps"][1]["title"].strip()
    errors = {x["rule"] for x in record["findings"] if x["severity"] == "error"}
    assert {"numbers.title-length", "numbers.title-number", "numbers.title-keyword"} <= errors

    refused = genpost("publish", str(draft), "--site", str(site))
    assert refused.code == 1 and "numbers.title-length" in refused.stderr, "the editor fixes the title first"


def test_briefs_that_never_parse_still_end_the_run(llm, genpost, tmp_path):
    outline = "各セクションで書く要点"  # in the outline call's prompt
    llm.inject(Fault(content="{not json", when=outline), Fault(content="{still not", when=outline))
    run = genpost("--instinct", "learning", "--keywords", KEYWORD, "--out", str(tmp_path / "out"))
    assert run.code == 1 and "plan" in run.stderr and run.stderr.count("\n") == 1, run.stderr
    assert not list((tmp_path / "out").glob("*.md"))


def test_a_broken_metadata_call_still_leaves_a_flagged_draft(llm, genpost, tmp_path, site):
    metadata = "タイトルなどの情報"  # in the metadata call's prompt
    llm.inject(Fault(content="{not json", when=metadata), Fault(content="{still not", when=metadata))
    run = genpost("--instinct", "learning", "--keywords", KEYWORD, "--out", str(tmp_path / "out"))
    assert run.code == 0, run.stderr
    assert "placeholder title" in run.stderr
    draft = Path(run.last_line)
    assert parse_post(draft).front["title"] == KEYWORD
    record = json.loads(draft.with_suffix(".json").read_text(encoding="utf-8"))
    errors = {x["rule"] for x in record["findings"] if x["severity"] == "error"}
    assert {"numbers.title-number", "frontmatter.type"} <= errors, "the editor writes the title and description"
    assert genpost("publish", str(draft), "--site", str(site)).code == 1


def test_quotes_and_colons_in_a_keyword_are_not_asked_of_the_title(llm, genpost, tmp_path):
    run = genpost("--instinct", "learning", "--keywords", 'AI "マーケティング": 最新トレンド', "--out", str(tmp_path))
    assert run.code == 0, run.stderr
    assert len(calls_for(llm, "metadata")) == 1, "the first plan was accepted"
    plan = f.plan(title="2026年版AIマーケティング最新トレンド5選")
    brief, settings = f.brief(keywords=['AI "マーケティング": 最新トレンド']), f.settings()
    assert briefs_problems(plan.briefs, brief, settings) == []
    assert metadata_problems(plan.metadata, brief, settings) == []


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("短い説明です。", 120, "短い説明です。"),
        ("一文目です。二文目はとても長くて、" + "あ" * 40 + "。", 10, "一文目です。"),
        ("句点のない長い説明" * 10, 20, "句点のない長い説明句点のない長い説明句…"),
    ],
)
def test_a_long_description_is_cut_at_a_sentence_end(text, limit, expected):
    assert cut_to_sentence(text, limit) == expected


def test_tags_are_cleaned_and_led_by_the_primary_keyword():
    tags = ["心理学", "machine learning", "ChatGPT", "学习", "", "心理学"]
    assert clean_tags(tags, KEYWORD) == [KEYWORD, "心理学", "ChatGPT"]


def test_repair_leaves_a_good_plan_alone():
    plan = f.plan(description="短い説明です。", tags=[KEYWORD, "心理学"])
    assert repair_metadata(plan.metadata, f.brief(), f.learning(), f.settings()) == plan.metadata
    assert repair_briefs(plan.briefs, f.brief(), f.settings()) == plan.briefs
