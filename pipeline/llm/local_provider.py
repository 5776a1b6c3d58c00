"""The embedded provider: llama.cpp in-process, one model instance, calls in turn."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from pipeline.config import LocalSettings
from pipeline.errors import ProviderError, UsageError
from pipeline.llm import embedded
from pipeline.llm.grammar import grammar_schema
from pipeline.llm.provider import Capabilities, ChatRequest, ChatResult


class LocalProvider:
    """A GGUF model run by llama-cpp-python, loaded once per process."""

    name = "local"

    def __init__(self, settings: LocalSettings) -> None:
        try:
            from llama_cpp import Llama
        except ImportError:
            raise UsageError("the embedded model needs llama-cpp-python: run `pip install '.[local]'`") from None
        self.settings = settings
        self.path = embedded.resolve(settings.model_path, settings.sha256)
        threads = settings.threads or os.cpu_count() or 1
        self.llm = Llama(
            model_path=str(self.path),
            n_ctx=settings.n_ctx,
            n_threads=threads,
            n_threads_batch=threads,
            seed=settings.seed,
            last_n_tokens_size=settings.repeat_last_n,
            verbose=False,
        )
        self._turn = asyncio.Lock()
        # One model instance: calls take turns. A small model runs to any cap, so a cut-off
        # answer is trimmed rather than asked again.
        self.capabilities = Capabilities(
            concurrency=1, streaming=False, grammar=True, retry_cutoffs=False, fixed_model=self.path.name
        )

    async def close(self) -> None:
        self.llm.close()

    async def chat(self, request: ChatRequest) -> ChatResult:
        async with self._turn:
            return await asyncio.to_thread(self._chat, request)

    def room_for_answer(self, request: ChatRequest) -> int:
        """Tokens the answer may use so that prompt and answer fit the context window."""
        prompt = sum(len(self.llm.tokenize(m["content"].encode(), add_bos=False)) + 8 for m in request.messages)
        room = self.settings.n_ctx - prompt - 16
        if room < 32:
            raise ProviderError(
                f"the prompt ({prompt} tokens) does not fit the local model's context of {self.settings.n_ctx} "
                "tokens; raise llm.local.n_ctx"
            )
        return min(request.max_tokens, self.settings.max_tokens, room)

    def _chat(self, request: ChatRequest) -> ChatResult:
        params: dict[str, Any] = {
            "messages": request.messages,
            "max_tokens": self.room_for_answer(request),
            "temperature": self.settings.temperature,
            "repeat_penalty": self.settings.repeat_penalty,
            "frequency_penalty": self.settings.frequency_penalty,
            "top_p": self.settings.top_p,
            "seed": self.settings.seed,
        }
        if request.schema is not None:
            schema = grammar_schema(request.schema, request.fields)
            params["response_format"] = {"type": "json_object", "schema": schema}
        answer = self.llm.create_chat_completion(**params)
        choice = answer["choices"][0]
        usage = answer.get("usage") or {}
        return ChatResult(
            text=choice["message"].get("content") or "",
            finish_reason=choice.get("finish_reason"),
            prompt_tokens=usage.get("prompt_tokens", 0),
            completion_tokens=usage.get("completion_tokens", 0),
        )
