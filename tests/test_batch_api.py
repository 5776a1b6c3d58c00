"""The OpenAI Batch API round trip: plans asked directly, drafting calls as one JSONL batch, collected later."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.postparse import parse_post


def _named(bodies: list[dict], *names: str) -> list[dict]:
    return [b for b in bodies if b.get("response_format", {}).get("json_schema", {}).get("name") in names]


def test_batch_api_round_trip(llm, genpost, tmp_path):
    out = tmp_path / "out"
    llm.batch_polls_before_done = 1
    submitted = genpost("batch", "--count", "2", "--date", "2025-12-15", "--via", "batch-api", "--out", str(out))
    assert submitted.code == 0, submitted.stderr
    batch_id = submitted.last_line
    planned = _named(llm.chat_bodies(), "briefs", "metadata")
    assert len(llm.chat_bodies()) == len(planned) == 4, "only the plans (outline and metadata) are asked directly"
    (lines,) = llm.batch_requests
    assert len(lines) == 2 * 16 and len({line["custom_id"] for line in lines}) == 32
    assert all(line["url"] == "/v1/chat/completions" and "stream" not in line["body"] for line in lines)
    assert sum("response_format" in line["body"] for line in lines) == 2 * 4, "steps and summary ask for JSON"
    assert llm.batches[batch_id]["completion_window"] == "24h"

    waiting = genpost("batch", "--collect", batch_id, "--out", str(out))
    assert waiting.code == 0 and "in_progress" in waiting.stderr and not list(out.glob("*.md"))

    llm.batch_faults = {}
    done = genpost("batch", "--collect", batch_id, "--out", str(out))
    assert done.code == 0, done.stderr
    paths = [Path(line) for line in done.stdout.split()]
    assert len(paths) == 2 and all(p.exists() for p in paths)
    record = json.loads(paths[0].with_suffix(".json").read_text(encoding="utf-8"))
    providers = [c["provider"] for c in record["calls"]]
    assert providers.count("openai") == 3 and providers.count("openai-batch") == 16, "outline, metadata, polish"
    plan_cost = next(c for c in record["calls"] if c["provider"] == "openai")
    batch_call = next(c for c in record["calls"] if c["provider"] == "openai-batch")
    full = (batch_call["prompt_tokens"] * 0.15 + batch_call["completion_tokens"] * 0.60) / 1e6
    assert batch_call["cost_usd"] == pytest.approx(full / 2, abs=1e-8) and plan_cost["cost_usd"] > 0
    assert parse_post(paths[0]).front["categories"] == ["AIマーケティング"]
    at_collection = llm.chat_bodies()[4:]
    assert len(at_collection) == len(_named(at_collection, "edits")) == 2, "only the polish, once a post"
    assert genpost("batch", "--collect", batch_id, "--out", str(out)).code == 2, "a batch is collected once"


def test_failed_batch_answers_are_asked_directly(llm, genpost, tmp_path):
    out = tmp_path / "out"
    llm.batch_faults = {"0/lead": "error", "0/step1": "これはJSONではありません"}
    submitted = genpost("batch", "--count", "1", "--date", "2025-12-15", "--via", "batch-api", "--out", str(out))
    done = genpost("batch", "--collect", submitted.last_line, "--out", str(out))
    assert done.code == 0, done.stderr
    direct = [b for b in llm.chat_bodies()[2:] if "【担当】" in b["messages"][-1]["content"]]
    assert len(direct) == 2 and {"【担当】（導入文）" in b["messages"][-1]["content"] for b in direct} == {True, False}
    assert len(llm.chat_bodies()) == 2 + 2 + 1, "outline and metadata, the two parts again, the polish"
    record = json.loads(Path(done.last_line).with_suffix(".json").read_text(encoding="utf-8"))
    providers = [c["provider"] for c in record["calls"]]
    assert providers.count("openai-batch") == 15, "the unreadable answer was paid for and is recorded"
    assert providers.count("openai") == 5, "outline, metadata, the two parts asked again, the polish"


def test_batch_api_needs_the_openai_provider(genpost, tmp_path, monkeypatch):
    run = genpost("batch", "--count", "1", "--via", "batch-api", "--provider", "local", "--out", str(tmp_path))
    assert run.code == 2
