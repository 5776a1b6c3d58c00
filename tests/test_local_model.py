"""The real embedded model (Qwen2.5-Coder-0.5B, llama.cpp), no network: slow, and run in CI."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from pipeline.config import load_settings
from pipeline.types import RunRecord
from pipeline.writing.outline import TREND_PARTS
from pipeline.writing.planner import briefs_problems, metadata_problems
from tests.postparse import FRONT_MATTER_KEYS, parse_post

pytest.importorskip("llama_cpp")
pytestmark = pytest.mark.slow
KANA = re.compile(r"[ぁ-んァ-ヶ]")


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture
def no_api(monkeypatch, model_cache):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "GENPOST_PROVIDER", "GENPOST_LOCAL_MODEL", "GENPOST_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GENPOST_CACHE", str(model_cache))


# A whole post at about a third of the default prose lengths and no redraft round: the same stages, a part of the
# minutes.
# (Its plan is held to the planner's rules below: a separate plan-and-section test planned a post again.)
SHORT_POST = """\
lengths:
  body: [300, 4000]
  sections: {lead: 70, background: 140, trend_intro: 50, trend_part: 90, steps_intro: 40, cases: 140}
quality:
  max_rewrites: 0
"""


def test_no_key_writes_a_whole_post_with_the_embedded_model(no_api, genpost, tmp_path, monkeypatch):
    config = tmp_path / "genpost.yml"
    config.write_text(SHORT_POST, encoding="utf-8")
    monkeypatch.setenv("GENPOST_CONFIG", str(config))
    run = genpost(
        "--instinct",
        "nurturing",
        "--keywords",
        "社員教育 AI活用",
        "--structure",
        "problemSolution",
        "--theme",
        "業界別ガイド",
        "--out",
        str(tmp_path),
        "--date",
        "2025-12-20T00:30:00Z",
    )
    assert run.code == 0, run.stderr
    post = parse_post(Path(run.last_line))
    assert list(post.front) == FRONT_MATTER_KEYS and post.front["instinct"] == "nurturing"
    assert post.h2[0] == "養育本能の心理学的背景"
    assert post.h3_under("業界別ガイドの最新トレンド分析") == list(TREND_PARTS["problemSolution"])
    assert post.body.count("- **指標:**") == 3 and post.json_ld["headline"] == post.front["title"]
    assert len(KANA.findall(post.body)) > 300, "the prose is Japanese"
    record = RunRecord.model_validate_json(Path(run.last_line).with_suffix(".json").read_text(encoding="utf-8"))
    assert {c.provider for c in record.calls} == {"local"} and record.totals["cost_usd"] == 0
    assert all(c.model.endswith(".gguf") and c.prompt_tokens > 0 and c.completion_tokens > 0 for c in record.calls)
    # The plan as the model wrote it (grammar-held, then repaired) breaks none of the planner's rules.
    settings, plan = load_settings(), record.plan
    assert briefs_problems(plan.briefs, record.brief, settings) == []
    assert metadata_problems(plan.metadata, record.brief, settings) == []
    assert plan.title.startswith("2025年版") and len(plan.steps) == 3 and len(plan.trend_points) == 5
    assert all(q.isascii() for q in plan.image_queries.model_dump().values())


def test_prompt_and_answer_are_kept_within_the_context_window(no_api):
    from pipeline.config import LocalSettings
    from pipeline.errors import ProviderError
    from pipeline.llm.local_provider import LocalProvider
    from pipeline.llm.provider import ChatRequest

    provider = LocalProvider(LocalSettings(n_ctx=512))
    try:

        def request(chars: int) -> ChatRequest:
            messages = [{"role": "user", "content": "あ" * chars}]
            return ChatRequest(model="local", messages=messages, max_tokens=400, temperature=0.5, timeout=60)

        assert provider.room_for_answer(request(10)) == 400
        assert 32 <= provider.room_for_answer(request(300)) < 400
        with pytest.raises(ProviderError, match="n_ctx"):
            provider.room_for_answer(request(2000))
    finally:
        asyncio.run(provider.close())


def test_a_continuation_holds_the_masks_and_stops_at_the_first_sentence_end_past_its_length(no_api):
    from pipeline.config import LocalSettings
    from pipeline.japanese import foreign_characters
    from pipeline.llm.decoding import PROSE_FORBIDDEN
    from pipeline.llm.grammar import list_grammar
    from pipeline.llm.local_provider import LocalProvider
    from pipeline.llm.provider import ChatRequest

    provider = LocalProvider(LocalSettings())
    document = (
        "# AIマーケティング入門\n\n## 学習本能の心理学的背景\n\n"
        "この章のポイント：人は新しいことを知ると満足を感じる\n\n"
    )

    def ask(text: str, **request: object) -> ChatRequest:
        return ChatRequest(
            model="local", messages=[], max_tokens=300, temperature=0.5, timeout=60, document=text, **request
        )

    try:
        prose = provider._chat(ask(document, stop_after=80, stop=("\n#",)))
        assert prose.finish_reason == "stop" and prose.ttft_s is not None, prose
        text = prose.text.strip()
        assert text[-1] in "。！？" and len(text) >= 80, text
        assert not foreign_characters(text) and not set(text) & PROSE_FORBIDDEN, text
        assert not any(line.lstrip()[:1] in "-*#0123456789" for line in text.splitlines() if line.strip()), text
        listed = provider._chat(
            ask(f"{document}{text}\n- **実行内容:**\n    - ", grammar=list_grammar((2, 3), (12, 90), "\n    - "))
        )
        items = re.split(r"\n\s*-\s*", listed.text)
        assert 2 <= len(items) <= 3 and all(KANA.search(i) for i in items), listed.text
    finally:
        asyncio.run(provider.close())
