"""The OpenAI Batch API: the same requests a gateway would make, answered within 24 hours at a discount."""

from __future__ import annotations

from pydantic import BaseModel

from pipeline.errors import UsageError
from pipeline.llm.gateway import Gateway
from pipeline.llm.provider import BatchProvider, ChatResult
from pipeline.llm.schema import strict_schema
from pipeline.prompts import RenderedPrompt


class BatchClient:
    """Builds batch lines, submits them and reads the answers back, recording each like a call."""

    def __init__(self, gateway: Gateway) -> None:
        if not isinstance(gateway.provider, BatchProvider):
            raise UsageError("the Batch API needs the openai provider")
        self.gateway = gateway
        self.provider: BatchProvider = gateway.provider

    def line(
        self, custom_id: str, stage: str, prompt: RenderedPrompt, max_tokens: int, model: type[BaseModel] | None
    ) -> dict:
        """One line of a Batch API input file for a call the gateway would otherwise make."""
        schema = strict_schema(model) if model else None
        name = model.__name__.lower() if model else "answer"
        request = self.gateway.request(stage, prompt, max_tokens, schema, name, stream=False)
        body = self.provider.batch_body(request)
        return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}

    async def submit(self, lines: list[dict], metadata: dict[str, str]) -> str:
        return await self.provider.submit_batch(lines, metadata)

    async def results(self, batch_id: str) -> tuple[str, dict | None]:
        return await self.provider.batch_results(batch_id)

    def take_answer(
        self, session: Gateway, stage: str, part: str, prompt: RenderedPrompt, item: dict | None
    ) -> str | None:
        """One answer's text, recorded on `session` like a call (at the batch price); None if it failed."""
        response = (item or {}).get("response") or {}
        body = response.get("body") or {}
        if response.get("status_code") != 200 or not body.get("choices"):
            return None
        choice = body["choices"][0]
        usage = body.get("usage") or {}
        result = ChatResult(
            text="",
            finish_reason=choice.get("finish_reason"),
            prompt_tokens=usage.get("prompt_tokens", 0),
            completion_tokens=usage.get("completion_tokens", 0),
            cached_tokens=(usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0,
        )
        model = body.get("model") or session.model_for(stage)
        discount = session.settings.batch_discount
        session.calls.append(session.record(stage, part, prompt, model, "openai-batch", result, discount))
        return (choice.get("message") or {}).get("content") or None
