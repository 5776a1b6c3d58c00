"""Chat Completions through the openai SDK: OpenAI, Azure, Ollama, vLLM, llama.cpp."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import openai
from openai import AsyncOpenAI

from pipeline.errors import ProviderError, UsageError
from pipeline.llm.provider import Capabilities, ChatRequest, ChatResult, Refusal, TransientError


class OpenAIProvider:
    """Reads OPENAI_API_KEY and OPENAI_BASE_URL the way the SDK does."""

    name = "openai"
    capabilities = Capabilities()

    def __init__(self, timeout: float) -> None:
        # A local OpenAI-compatible server (Ollama, vLLM, llama.cpp) needs no key.
        key = os.environ.get("OPENAI_API_KEY") or ("unused" if os.environ.get("OPENAI_BASE_URL") else None)
        try:
            # The SDK's own retries are off: the gateway owns retrying.
            self.client = AsyncOpenAI(api_key=key, max_retries=0, timeout=timeout)
        except openai.OpenAIError:
            raise UsageError("OPENAI_API_KEY is not set (leave --provider out to use the embedded model)") from None

    async def close(self) -> None:
        await self.client.close()

    def batch_body(self, request: ChatRequest) -> dict[str, Any]:
        """The request as one line of a Batch API input file (no timeout, no streaming)."""
        params = self._params(request)
        params.pop("timeout")
        return params

    async def submit_batch(self, lines: list[dict[str, Any]], metadata: dict[str, str]) -> str:
        """Upload a JSONL of Chat Completions requests and start a 24-hour batch; returns its id."""
        jsonl = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()
        try:
            upload = await self.client.files.create(file=("genpost-batch.jsonl", jsonl), purpose="batch")
            batch = await self.client.batches.create(
                input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h", metadata=metadata
            )
        except openai.OpenAIError as exc:
            raise ProviderError(f"batch submission failed: {_describe(exc)}") from None
        return batch.id

    async def batch_results(self, batch_id: str) -> tuple[str, dict[str, Any] | None]:
        """The batch's status, and once it is completed its answers by custom_id."""
        try:
            batch = await self.client.batches.retrieve(batch_id)
            if batch.status != "completed" or not batch.output_file_id:
                return batch.status, None
            content = await self.client.files.content(batch.output_file_id)
        except openai.OpenAIError as exc:
            raise ProviderError(f"batch {batch_id}: {_describe(exc)}") from None
        answers = {}
        for line in content.text.splitlines():
            if line.strip():
                item = json.loads(line)
                answers[item["custom_id"]] = item
        return batch.status, answers

    def _params(self, request: ChatRequest) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": request.model,
            "messages": request.messages,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "timeout": request.timeout,
        }
        if request.schema is not None:
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": request.schema_name, "schema": request.schema, "strict": True},
            }
        return params

    async def chat(self, request: ChatRequest) -> ChatResult:
        try:
            if request.stream:
                return await self._streamed(request)
            return await self._plain(request)
        except openai.APIConnectionError as exc:  # includes timeouts
            raise TransientError(_describe(exc)) from None
        except openai.APIStatusError as exc:
            if exc.status_code in (408, 409, 429) or exc.status_code >= 500:
                raise TransientError(_describe(exc), retry_after=_retry_after(exc)) from None
            raise ProviderError(f"model provider rejected the call: {_describe(exc)}") from None

    async def _plain(self, request: ChatRequest) -> ChatResult:
        response = await self.client.chat.completions.create(**self._params(request))
        choice = response.choices[0]
        if getattr(choice.message, "refusal", None):
            raise Refusal("the model refused to answer")
        result = ChatResult(text=choice.message.content or "", finish_reason=choice.finish_reason)
        _take_usage(result, response.usage)
        return result

    async def _streamed(self, request: ChatRequest) -> ChatResult:
        started = time.perf_counter()
        stream = await self.client.chat.completions.create(
            **self._params(request), stream=True, stream_options={"include_usage": True}
        )
        parts: list[str] = []
        result = ChatResult(text="")
        async for chunk in stream:
            if chunk.usage is not None:
                _take_usage(result, chunk.usage)
            for choice in chunk.choices:
                if getattr(choice.delta, "refusal", None):
                    raise Refusal("the model refused to answer")
                if choice.delta.content:
                    if result.ttft_s is None:
                        result.ttft_s = time.perf_counter() - started
                    parts.append(choice.delta.content)
                    if request.on_partial:
                        request.on_partial("".join(parts))
                if choice.finish_reason:
                    result.finish_reason = choice.finish_reason
        result.text = "".join(parts)
        return result


def _take_usage(result: ChatResult, usage: Any) -> None:
    if usage is None:
        return
    result.prompt_tokens = usage.prompt_tokens or 0
    result.completion_tokens = usage.completion_tokens or 0
    details = getattr(usage, "prompt_tokens_details", None)
    result.cached_tokens = (getattr(details, "cached_tokens", 0) or 0) if details else 0


def _retry_after(exc: openai.APIStatusError) -> float | None:
    """Seconds from a Retry-After header given in seconds, if any."""
    value = exc.response.headers.get("retry-after") if exc.response is not None else None
    try:
        return max(float(value), 0.0) if value else None
    except ValueError:
        return None


def _describe(exc: openai.OpenAIError) -> str:
    """A short cause: the error's kind and status, never its message or request (they can echo a key)."""
    status = getattr(exc, "status_code", None)
    kind = type(exc).__name__
    return f"{kind} (HTTP {status})" if status else kind
