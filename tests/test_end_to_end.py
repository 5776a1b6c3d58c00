"""End to end through the real openai SDK against the loopback stand-in."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from pipeline.instincts import load_instincts
from pipeline.writing.outline import TREND_PARTS
from standins.openai_api import Fault, Latency
from tests.conftest import CALLS_PER_POST, METADATA_CALL, OUTLINE_CALL, PLANTED_KEY
from tests.postparse import FRONT_MATTER_KEYS, parse_post

INSTINCTS = load_instincts()
KEYWORDS = ["AI マーケティング 最新トレンド", "生成AI 活用法 マーケティング"]
DATE = "2025-12-15T01:51:06.256Z"


def write(genpost, out: Path, *extra: str, instinct: str = "learning"):
    return genpost("--instinct", instinct, "--keywords", *KEYWORDS, "--out", str(out), "--date", DATE, *extra)


def test_writes_a_reference_shaped_post(llm, genpost, tmp_path):
    run = write(genpost, tmp_path / "out", "--theme", "AIマーケティング")
    assert run.code == 0, run.stderr
    path = Path(run.last_line)
    assert path.parent == tmp_path / "out" and path.name.startswith("2025-12-15-") and path.suffix == ".md"
    post = parse_post(path)

    assert list(post.front) == FRONT_MATTER_KEYS
    fm = post.front
    assert fm["layout"] == "blog-post" and fm["author"] == "LeadFive AI" and fm["featured"] is True
    assert fm["date"] == datetime(2025, 12, 15, 1, 51, 6, 256000, tzinfo=UTC)
    assert "date: 2025-12-15T01:51:06.256Z" in post.front_text
    assert fm["categories"] == ["AIマーケティング"] and fm["instinct"] == "learning"
    assert fm["seo_keywords"] == KEYWORDS
    assert fm["tags"][0] == KEYWORDS[0]
    assert len(fm["title"]) <= 60 and any(c.isdigit() for c in fm["title"])

    assert post.h2 == [
        "学習本能の心理学的背景",
        "AIマーケティングの最新トレンド分析",
        "実践ステップ",
        "成功事例と期待できる効果",
        "まとめと次のアクション",
    ]
    assert post.h3_under("AIマーケティングの最新トレンド分析") == list(TREND_PARTS["howTo"])
    steps = post.h3_under("実践ステップ")
    assert [s.split(":")[0] for s in steps] == ["ステップ1", "ステップ2", "ステップ3"]
    for label in ("実行内容", "指標", "注意点"):
        assert post.body.count(f"- **{label}:**") == 3

    lead = post.body.strip().split("\n\n")[0]
    assert not lead.startswith("#") and len(lead) >= 100

    by_alt = dict(post.images)
    for h2 in ("学習本能の心理学的背景", "AIマーケティングの最新トレンド分析", "成功事例と期待できる効果"):
        alt = f"{h2}に関連するイメージ"
        assert post.line_after(f"## {h2}") == f"![{alt}]({by_alt[alt]})"
    urls = [fm["image"], *(u for _, u in post.images)]
    assert len(set(urls)) == 4, "hero and three section images are all different photos"

    ld = post.json_ld
    assert ld["@type"] == "BlogPosting"
    assert ld["headline"] == fm["title"] and ld["image"] == fm["image"]
    assert ld["datePublished"] == DATE and ld["author"]["name"] == fm["author"]
    assert ld["publisher"]["name"] == "LeadFive" and ld["publisher"]["logo"]["url"].startswith("https://")
    assert '<div class="cta-section">' in post.body
    assert "related-posts" not in post.body, "without --site there is no related-posts block"


def test_run_record_beside_the_draft(llm, genpost, tmp_path):
    run = write(genpost, tmp_path / "out")
    assert run.code == 0, run.stderr
    path = Path(run.last_line)
    record = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert record["draft"] == path.name
    assert record["brief"]["keywords"] == KEYWORDS
    assert record["plan"]["title"] == parse_post(path).front["title"]
    calls = record["calls"]
    # outline, metadata, lead, background ×2 pieces, trend intro + 5 parts, steps intro + 3 steps,
    # cases ×2 pieces, summary, polish
    assert len(calls) == len(llm.chat_bodies()) == CALLS_PER_POST
    parts = [c["part"] for c in calls]
    assert {"background.1", "background.2", "cases.1", "cases.2", "trend5", "step3", "summary"} <= set(parts)
    assert {c["stage"] for c in calls} == {"plan", "draft", "polish"}
    assert {"outline", "metadata", "polish"} <= set(parts)
    for call in calls:
        assert call["model"] == "gpt-4o-mini" and len(call["template_hash"]) == 12
        assert call["prompt_tokens"] > 0 and call["completion_tokens"] > 0
        assert call["cost_usd"] > 0 and call["duration_s"] >= 0
    assert record["totals"]["completion_tokens"] == sum(c["completion_tokens"] for c in calls)
    assert record["totals"]["cost_usd"] == pytest.approx(sum(c["cost_usd"] for c in calls))
    assert {i["slot"] for i in record["images"]} == {"hero", "background", "trend", "cases"}
    assert set(record["stage_seconds"]) >= {"briefs", "metadata", "draft", "polish", "total"}
    everything = path.read_text(encoding="utf-8") + path.with_suffix(".json").read_text(encoding="utf-8")
    assert PLANTED_KEY not in everything


@pytest.mark.parametrize("structure", sorted(TREND_PARTS))
@pytest.mark.parametrize("instinct", sorted(INSTINCTS))
def test_every_structure_and_instinct(llm, genpost, tmp_path, structure, instinct):
    run = write(genpost, tmp_path, "--structure", structure, "--theme", "消費者心理", instinct=instinct)
    assert run.code == 0, run.stderr
    post = parse_post(Path(run.last_line))
    name = INSTINCTS[instinct].name
    assert post.h2[0] == f"{name}の心理学的背景" and instinct not in post.h2[0]
    assert post.h3_under("消費者心理の最新トレンド分析") == list(TREND_PARTS[structure])
    assert post.front["instinct"] == instinct
    system = llm.chat_bodies()[0]["messages"][0]["content"]
    assert name in system and INSTINCTS[instinct].tone in system


def test_every_call_asks_for_japanese_and_sees_the_outline(llm, genpost, tmp_path):
    assert write(genpost, tmp_path).code == 0
    bodies = llm.chat_bodies()
    for body in bodies:
        assert "日本語" in body["messages"][0]["content"]
    drafts = [b for b in bodies if "【担当】" in b["messages"][1]["content"]]
    assert len(drafts) == 16
    for body in drafts:
        user = body["messages"][1]["content"]
        assert "## 学習本能の心理学的背景" in user and "## まとめと次のアクション" in user
    owned = [re.search(r"^【担当】(.+)$", b["messages"][1]["content"], re.MULTILINE)[1] for b in drafts]
    assert (
        "（導入文）" in owned
        and "## まとめと次のアクション" in owned
        and "### ステップ3: 顧客理解を深める準備" in owned
    )
    # Pieces start as their briefs stream in; the last to start has seen the whole outline.
    headings = drafts[-1]["messages"][1]["content"].split("\n【担当】")[0]
    assert all(h.startswith("（") or h in headings for h in owned), "every owned heading is in the outline"
    pieces = [b["messages"][1]["content"] for b in drafts if "【分担】" in b["messages"][1]["content"]]
    assert len(pieces) == 4 and sum("1つ目の段落" in p for p in pieces) == 2


def test_sections_are_drafted_concurrently_within_the_cap(llm, genpost, tmp_path, monkeypatch):
    llm.latency = Latency(ttft_s=0.05, tokens_per_s=4000)
    assert write(genpost, tmp_path / "a").code == 0
    assert llm.max_in_flight >= 4

    config = tmp_path / "genpost.yml"
    config.write_text("llm:\n  concurrency: 2\n", encoding="utf-8")
    monkeypatch.setenv("GENPOST_CONFIG", str(config))
    llm.reset()
    llm.latency = Latency(ttft_s=0.05, tokens_per_s=4000)
    assert write(genpost, tmp_path / "b").code == 0
    assert llm.max_in_flight == 2


def test_plain_answers_without_streaming(llm, genpost, tmp_path, monkeypatch):
    config = tmp_path / "genpost.yml"
    config.write_text("llm:\n  stream: false\n", encoding="utf-8")
    monkeypatch.setenv("GENPOST_CONFIG", str(config))
    run = write(genpost, tmp_path / "out")
    assert run.code == 0, run.stderr
    assert not any(b.get("stream") for b in llm.chat_bodies())
    record = json.loads(Path(run.last_line).with_suffix(".json").read_text(encoding="utf-8"))
    assert all(c["completion_tokens"] > 0 for c in record["calls"])


def test_streamed_answers_record_time_to_first_token(llm, genpost, tmp_path):
    run = write(genpost, tmp_path)
    assert all(b.get("stream") and b["stream_options"]["include_usage"] for b in llm.chat_bodies())
    record = json.loads(Path(run.last_line).with_suffix(".json").read_text(encoding="utf-8"))
    assert all(c["ttft_s"] is not None for c in record["calls"])


def test_plan_uses_a_json_schema(llm, genpost, tmp_path):
    assert write(genpost, tmp_path).code == 0
    fmt = calls_named(llm, "briefs")[0]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == set(schema["properties"])
    assert schema["properties"]["category"]["enum"][0] == "AIマーケティング"


def test_model_override_reaches_every_call(llm, genpost, tmp_path):
    assert write(genpost, tmp_path, "--model", "my-model").code == 0
    assert {b["model"] for b in llm.chat_bodies()} == {"my-model"}


def test_invalid_plan_is_reasked_once(llm, genpost, tmp_path):
    llm.inject(Fault(content='{"title": "数字のないタイトル"}', when=METADATA_CALL))
    run = write(genpost, tmp_path)
    assert run.code == 0, run.stderr
    reask = calls_named(llm, "metadata")[1]["messages"]
    assert [m["role"] for m in reask[-2:]] == ["assistant", "user"] and "問題" in reask[-1]["content"]
    record = json.loads(Path(run.last_line).with_suffix(".json").read_text(encoding="utf-8"))
    assert [c["part"] for c in record["calls"]].count("metadata") == 2


def test_an_outline_breaking_the_schema_twice_fails_cleanly(llm, genpost, tmp_path):
    bad = json.dumps({"title": "タイトル"}, ensure_ascii=False)
    llm.inject(Fault(content=bad, when=OUTLINE_CALL), Fault(content=bad, when=OUTLINE_CALL))
    run = write(genpost, tmp_path / "out")
    assert run.code == 1
    assert run.stderr.count("\n") == 1 and "plan" in run.stderr and "Traceback" not in run.stderr
    assert not list((tmp_path / "out").glob("*.md"))


def test_title_rules_are_enforced_through_the_reask(llm, genpost, tmp_path):
    run = _with_planned_title(llm, genpost, tmp_path, "タイトルに数字もキーワードもない")
    assert run.code == 0
    problems = calls_named(llm, "metadata")[1]["messages"][-1]["content"]
    assert "半角数字" in problems and "AI" in problems


def calls_named(llm, schema: str) -> list[dict]:
    """The requests for one JSON answer (the outline's "briefs", "metadata" or the polish's "edits")."""
    return [b for b in llm.chat_bodies() if b.get("response_format", {}).get("json_schema", {}).get("name") == schema]


def _with_planned_title(llm, genpost, tmp_path, title: str):
    """A run whose first metadata answer carries `title` (the rest of it is valid)."""
    assert write(genpost, tmp_path / "first").code == 0
    metadata = json.loads(llm.writer.answer(calls_named(llm, "metadata")[0]))
    metadata["title"] = title
    llm.reset()
    llm.inject(Fault(content=json.dumps(metadata, ensure_ascii=False), when=METADATA_CALL))
    return write(genpost, tmp_path / "out")


def test_json_summary(llm, genpost, tmp_path):
    run = write(genpost, tmp_path, "--json")
    summary = json.loads(run.last_line)
    assert Path(summary["path"]).exists()
    assert summary["totals"]["calls"] == len(llm.chat_bodies()) and summary["reading_time"] >= 1


def test_same_run_twice_never_overwrites_and_replans_the_title(llm, genpost, tmp_path):
    first = Path(write(genpost, tmp_path).last_line)
    second = Path(write(genpost, tmp_path).last_line)
    assert first != second and first.exists() and second.exists() and second.with_suffix(".json").exists()
    titles = [parse_post(p).front["title"] for p in (first, second)]
    assert titles[0] != titles[1], "the second plan was too close to the first and was re-planned"
    reasks = [b for b in llm.chat_bodies() if "似すぎています" in b["messages"][-1]["content"]]
    assert len(reasks) == 1 and titles[0] in reasks[0]["messages"][-1]["content"]


def test_front_matter_is_valid_yaml_for_any_title(llm, genpost, tmp_path):
    title = "AI マーケティング 最新トレンド5選: \"引用\" #1 'quote' {{ site.x }}"
    run = _with_planned_title(llm, genpost, tmp_path, title)
    assert run.code == 0, run.stderr
    post = parse_post(Path(run.last_line))
    assert post.front["title"] == title
    assert yaml.safe_load(post.front_text)["title"] == title
    assert post.json_ld["headline"] == title
    assert "{{" not in post.body.split('<script type="application/ld+json">')[1]


def test_process_exit_codes_and_last_line(llm, tmp_path):
    from tests.conftest import run_process

    env = {"OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": PLANTED_KEY}
    ok = run_process("--instinct", "play", "--keywords", "ゲーム化 マーケティング", "--out", str(tmp_path), env=env)
    assert ok.code == 0 and Path(ok.last_line).is_file()
    bad = run_process("--instinct", "sleep", "--keywords", "x", "--out", str(tmp_path), env=env)
    assert bad.code == 2 and bad.stderr.count("\n") == 1 and "learning" in bad.stderr


def test_progress_lines_on_a_terminal(llm, genpost, tmp_path, monkeypatch):
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    run = write(genpost, tmp_path)
    assert run.code == 0
    lines = [line for line in run.stderr.splitlines() if line.startswith("genpost: ") and " tokens, " in line]
    assert len(lines) == len(llm.chat_bodies()) == CALLS_PER_POST
    names = [line.split(" (")[0] for line in lines]
    assert {"genpost: plan outline", "genpost: plan metadata"} <= set(names)
    assert any(" summary (" in line for line in lines) and lines[-1].startswith("genpost: polish polish (")


def test_no_progress_lines_in_a_pipe(llm, genpost, tmp_path):
    stderr = write(genpost, tmp_path).stderr
    assert " tokens, " not in stderr and stderr.count("\n") == 1, "only the no-Unsplash-key notice"
