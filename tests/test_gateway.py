"""The model gateway: usage, cost, schemas, the missing key."""

from __future__ import annotations

import asyncio

import pytest

from pipeline.config import LLMSettings, Price
from pipeline.errors import UsageError
from pipeline.llm import Capabilities, Gateway, ask_text
from pipeline.llm.openai_provider import OpenAIProvider
from pipeline.llm.pricing import call_cost
from pipeline.llm.schema import strict_schema
from pipeline.prompts import PromptBook, RenderedPrompt
from pipeline.types import Plan, StepAnswer, StepText
from standins.openai_api import approx_tokens


def test_cost_uses_cached_and_output_rates():
    prices = {"m": Price(input=1.0, cached_input=0.5, output=4.0)}
    assert call_cost(prices, "m", prompt=1_000_000, cached=400_000, completion=500_000) == pytest.approx(
        0.6 + 0.2 + 2.0
    )
    assert call_cost(prices, "unknown-model", 10, 0, 10) == 0.0


def test_strict_schema_requires_everything():
    schema = strict_schema(Plan)
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == set(schema["properties"])
    for definition in schema["$defs"].values():
        assert definition["additionalProperties"] is False
        assert set(definition["required"]) == set(definition["properties"])
    assert "title" in schema["properties"] and "default" not in str(schema)
    assert strict_schema(StepAnswer)["properties"]["actions"]["minItems"] == 2, "the answer is bounded"
    assert "minItems" not in str(strict_schema(StepText)), "what a post holds is not"


def test_usage_and_cost_are_recorded_per_call(llm):
    settings = LLMSettings(prices={"gpt-4o-mini": Price(input=1.0, output=2.0)})

    async def ask() -> tuple[str, Gateway]:
        gateway = Gateway(OpenAIProvider(5), settings, PromptBook())
        prompt = RenderedPrompt("t.j2", "abc", [{"role": "user", "content": "約50字で書いてください"}])
        try:
            return await ask_text(gateway, stage="draft", part="x", prompt=prompt, max_tokens=100), gateway
        finally:
            await gateway.close()

    text, gateway = asyncio.run(ask())
    (call,) = gateway.calls
    assert len(text) >= 50
    assert call.completion_tokens == approx_tokens(text)
    assert call.prompt_tokens == approx_tokens("約50字で書いてください")
    assert call.cost_usd == pytest.approx((call.prompt_tokens * 1.0 + call.completion_tokens * 2.0) / 1e6)
    assert gateway.totals()["calls"] == 1


def test_missing_key_is_a_usage_error(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(UsageError, match="OPENAI_API_KEY"):
        OpenAIProvider(5)


class _CutOffProvider:
    """A provider whose every answer runs into its token cap (as a small local model's does)."""

    name = "cutoff"

    def __init__(self, retry_cutoffs: bool = False) -> None:
        self.capabilities = Capabilities(retry_cutoffs=retry_cutoffs)
        self.requests = []

    async def chat(self, request):
        from pipeline.llm.provider import ChatResult

        self.requests.append(request)
        return ChatResult(text="一文目です。二文目です。三文目の途中", finish_reason="length", completion_tokens=5)

    async def close(self) -> None:
        pass


def _ask_cut_off(provider: _CutOffProvider, settings: LLMSettings) -> str:
    async def ask() -> str:
        gateway = Gateway(provider, settings, PromptBook())
        prompt = RenderedPrompt("t.j2", "abc", [{"role": "user", "content": "書いてください"}])
        return await ask_text(gateway, stage="draft", part="x", prompt=prompt, max_tokens=100)

    return asyncio.run(ask())


def test_a_provider_can_decline_cut_off_retries():
    provider = _CutOffProvider()
    assert _ask_cut_off(provider, LLMSettings()) == "一文目です。二文目です。"
    assert len(provider.requests) == 1 and provider.requests[0].max_tokens == 100


def test_a_cut_off_answer_is_asked_once_more_with_room_unless_genpost_yml_says_not():
    provider = _CutOffProvider(retry_cutoffs=True)
    assert _ask_cut_off(provider, LLMSettings()) == "一文目です。二文目です。"
    assert [r.max_tokens for r in provider.requests] == [100, 150]
    provider = _CutOffProvider(retry_cutoffs=True)
    settings = LLMSettings(retry={"attempts": 4, "backoff_initial_s": 0, "cut_off": False})
    assert _ask_cut_off(provider, settings) == "一文目です。二文目です。"
    assert [r.max_tokens for r in provider.requests] == [100]
