"""Chat Completions through the openai SDK: OpenAI, Azure, Ollama, vLLM, llama.cpp."""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

import openai
from openai import AsyncOpenAI

from pipeline.errors import ProviderError, UsageError
from pipeline.llm.grammar import grammar_schema
from pipeline.llm.provider import Capabilities, ChatRequest, ChatResult, Refusal, TransientError
from pipeline.llm.server_support import (
    JSON_OBJECT,
    JSON_SCHEMA,
    PROMPT,
    REFUSALS,
    STREAM_USAGE,
    TEXT,
    WHOLE,
    Form,
    ServerSupport,
    describe_refusals,
    public_url,
    support_for,
)
from pipeline.prompts import PromptBook

log = logging.getLogger("genpost.llm")


class OpenAIProvider:
    """Reads OPENAI_API_KEY and OPENAI_BASE_URL the way the SDK does.

    What the server takes (json_schema, json_object, stream_options, streaming) is learnt the
    first time it refuses something, and kept per base URL for the process (`server_support.py`).
    """

    name = "openai"
    capabilities = Capabilities()

    def __init__(self, timeout: float, prompts: PromptBook | None = None) -> None:
        # A local OpenAI-compatible server (Ollama, vLLM, llama.cpp) needs no key.
        key = os.environ.get("OPENAI_API_KEY") or ("unused" if os.environ.get("OPENAI_BASE_URL") else None)
        try:
            # The SDK's own retries are off: the gateway owns retrying.
            self.client = AsyncOpenAI(api_key=key, max_retries=0, timeout=timeout)
        except openai.OpenAIError:
            raise UsageError("OPENAI_API_KEY is not set (leave --provider out to use the embedded model)") from None
        self.prompts = prompts or PromptBook()
        self.base_url = public_url(str(self.client.base_url))

    @property
    def support(self) -> ServerSupport:
        """What this process knows about the server's features."""
        return support_for(self.base_url)

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
            raise ProviderError(f"batch submission failed: {describe_error(exc)}") from None
        return batch.id

    async def batch_results(self, batch_id: str) -> tuple[str, dict[str, Any] | None]:
        """The batch's status, and once it is completed its answers by custom_id."""
        try:
            batch = await self.client.batches.retrieve(batch_id)
            if batch.status != "completed" or not batch.output_file_id:
                return batch.status, None
            content = await self.client.files.content(batch.output_file_id)
        except openai.OpenAIError as exc:
            raise ProviderError(f"batch {batch_id}: {describe_error(exc)}") from None
        answers = {}
        for line in content.text.splitlines():
            if line.strip():
                item = json.loads(line)
                answers[item["custom_id"]] = item
        return batch.status, answers

    def _params(self, request: ChatRequest, form: Form | None = None) -> dict[str, Any]:
        """The request's parameters in `form` (default: a strict schema, not streamed)."""
        form = form or Form(JSON_SCHEMA if request.schema is not None else TEXT, WHOLE)
        params: dict[str, Any] = {
            "model": request.model,
            "messages": request.messages,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "timeout": request.timeout,
        }
        if form.answer == JSON_SCHEMA:
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": request.schema_name, "schema": request.schema, "strict": True},
            }
        elif form.answer == JSON_OBJECT and request.schema is not None:
            # Servers that take a schema with json_object (llama.cpp's, llama-cpp-python's) decode under a grammar
            # built from it: a pattern on every string keeps a small model from rambling inside one.
            params["response_format"] = {
                "type": "json_object",
                "schema": grammar_schema(request.schema, request.fields),
            }
        elif form.answer == PROMPT:
            params["messages"] = self._asking_for_json(request)
        if form.stream != WHOLE:
            params["stream"] = True
        if form.stream == STREAM_USAGE:
            params["stream_options"] = {"include_usage": True}
        return params

    def _asking_for_json(self, request: ChatRequest) -> list[dict[str, str]]:
        """The messages with `json_answer.j2` (the schema, and "answer with JSON of it") added to the system message."""
        note = self.prompts.text("json_answer.j2", schema=json.dumps(request.schema, ensure_ascii=False))
        messages = [dict(m) for m in request.messages]
        if messages and messages[0].get("role") == "system":
            messages[0]["content"] = f"{messages[0]['content']}\n\n{note}"
        else:
            messages.insert(0, {"role": "system", "content": note})
        return messages

    async def chat(self, request: ChatRequest) -> ChatResult:
        """One call in the richest form the server is not known to refuse.

        A 400, 422 or 500 for a form carrying a feature that has not worked before is tried once
        more right away in the next-simpler form; the feature is recorded as refused only when
        that form then succeeds. Anything else goes to the gateway (5xx and timeouts are retried).
        """
        support = self.support
        form = support.first_form(request.schema is not None, request.stream)
        refusals: list[tuple[str, int]] = []
        while True:
            try:
                result = await self.send(request, form)
                break
            except openai.APIConnectionError as exc:  # includes timeouts
                raise TransientError(describe_error(exc)) from None
            except openai.APIStatusError as exc:
                status = exc.status_code
                suspect = support.suspect(form) if status in REFUSALS else None
                if suspect is None and refusals and status in REFUSALS:
                    raise _failure(exc, describe_refusals(self.base_url, [*refusals, (_label(form), status)])) from None
                if suspect is None:
                    raise _failure(exc, describe_error(exc)) from None
                refusals.append((suspect, status))
                form = support.without(form, suspect)
                log.info("%s: HTTP %d with %s; trying once without it", self.base_url, status, suspect)
        support.worked(form)
        if refusals:
            feature, status = refusals[-1]
            news = support.works.get(feature) is not False  # calls side by side can learn the same thing
            support.refused(feature, status)
            if news:
                log.warning("the server at %s refused %s (HTTP %d); using %s", self.base_url, feature, status, form)
        return result

    async def send(self, request: ChatRequest, form: Form) -> ChatResult:
        """One request in `form`, as it is; the SDK's errors go up unchanged."""
        if form.stream == WHOLE:
            return await self._plain(request, form)
        return await self._streamed(request, form)

    async def _plain(self, request: ChatRequest, form: Form) -> ChatResult:
        response = await self.client.chat.completions.create(**self._params(request, form))
        choice = response.choices[0]
        if getattr(choice.message, "refusal", None):
            raise Refusal("the model refused to answer")
        result = ChatResult(text=choice.message.content or "", finish_reason=choice.finish_reason)
        _take_usage(result, response.usage)
        return result

    async def _streamed(self, request: ChatRequest, form: Form) -> ChatResult:
        started = time.perf_counter()
        stream = await self.client.chat.completions.create(**self._params(request, form))
        parts: list[str] = []
        result = ChatResult(text="")
        usage_seen = False
        async for chunk in stream:
            if getattr(chunk, "usage", None) is not None:
                usage_seen = True
                _take_usage(result, chunk.usage)
            for choice in chunk.choices:
                if getattr(choice.delta, "refusal", None):
                    raise Refusal("the model refused to answer")
                if choice.delta.content:
                    if result.ttft_s is None:
                        result.ttft_s = time.perf_counter() - started
                    parts.append(choice.delta.content)
                    if request.on_partial:
                        so_far = "".join(parts)
                        request.on_partial(_unfenced(so_far) if form.answer == PROMPT else so_far)
                if choice.finish_reason:
                    result.finish_reason = choice.finish_reason
        if result.finish_reason is None:
            # A server may end a stream early (llama-cpp-python's does when another request arrives).
            raise TransientError("the answer's stream ended before the answer did (no finish_reason)")
        if form.stream == STREAM_USAGE and self.support.usage_in_stream is None:
            self.support.usage_in_stream = usage_seen
            if not usage_seen:
                log.info("%s sends no usage in streams: token counts are recorded as 0", self.base_url)
        result.text = "".join(parts)
        return result


def _label(form: Form) -> str:
    """A form that carries no feature left to blame, as an error names it."""
    return "plain" if not form.features else f"requests with {' and '.join(form.features)}"


def _unfenced(text: str) -> str:
    """An answer so far without the Markdown code fence a model may open it with."""
    stripped = text.lstrip()
    if not stripped.startswith("```"):
        return text
    return stripped.split("\n", 1)[1] if "\n" in stripped else ""


def _failure(exc: openai.APIStatusError, message: str) -> Exception:
    """A rate limit, conflict, timeout or server error is worth retrying; any other status is not."""
    if exc.status_code in (408, 409, 429) or exc.status_code >= 500:
        return TransientError(message, retry_after=_retry_after(exc))
    return ProviderError(f"model provider rejected the call: {message}")


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


def describe_error(exc: openai.OpenAIError) -> str:
    """A short cause: the error's kind and status, never its message or request (they can echo a key)."""
    status = getattr(exc, "status_code", None)
    kind = type(exc).__name__
    return f"{kind} (HTTP {status})" if status else kind
