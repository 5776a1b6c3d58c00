"""The embedded provider: llama.cpp in-process, one model instance, calls in turn."""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any

import numpy as np

from pipeline.config import LocalSettings
from pipeline.errors import ProviderError, UsageError
from pipeline.llm import embedded
from pipeline.llm.grammar import grammar_schema
from pipeline.llm.provider import Capabilities, ChatRequest, ChatResult
from pipeline.quality.script import foreign_characters

# A logit no token can win with, kept finite: a grammar that leaves only masked tokens still samples.
BANNED = -1e9


class JapaneseOnly:
    """A logits processor that never lets the model write an ideograph Japanese does not use.

    Small multilingual models slip into simplified Chinese (习, 们, 进…). Tokens holding one
    are masked; so are the byte tokens that would complete one when the text so far ends
    in the first bytes of a character. The vocabulary is read once, at load.
    """

    def __init__(self, llm: Any) -> None:
        self.llm = llm
        banned, continuations = [], []
        for token in range(llm.n_vocab()):
            piece = llm.detokenize([token], special=False)
            if foreign_characters(piece.decode("utf-8", errors="ignore")):
                banned.append(token)
            elif piece and 0x80 <= piece[0] <= 0xBF:
                continuations.append((token, piece))  # the middle or end of a character
        self.banned = np.array(banned, dtype=np.intc)
        self.continuations = continuations

    def _completing(self, head: bytes) -> list[int]:
        """Byte tokens that would finish `head` (a character's first bytes) as a foreign ideograph."""
        width = 2 if head[0] >= 0xC0 else 1
        width = 4 if head[0] >= 0xF0 else 3 if head[0] >= 0xE0 else width
        out = []
        for token, piece in self.continuations:
            char = (head + piece)[:width]
            if len(char) == width and foreign_characters(char.decode("utf-8", errors="ignore")):
                out.append(token)
        return out

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        scores[self.banned] = BANNED
        tail = self.llm.detokenize(list(input_ids[-3:]), special=False)[-3:]
        for start in range(len(tail)):
            if tail[start] >= 0xC0:  # a lead byte: is its character still open?
                head = tail[start:]
                needed = 4 if head[0] >= 0xF0 else 3 if head[0] >= 0xE0 else 2
                if len(head) < needed:
                    scores[self._completing(head)] = BANNED
        return scores


class LocalProvider:
    """A GGUF model run by llama-cpp-python, loaded once per process."""

    name = "local"

    def __init__(self, settings: LocalSettings) -> None:
        try:
            from llama_cpp import Llama
        except ImportError:
            raise UsageError("the embedded model needs llama-cpp-python: run `pip install '.[local]'`") from None
        self.settings = settings
        self.path = embedded.resolve(settings.model_path, settings.sha256, settings.model)
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
        self._turn = asyncio.Lock()  # calls take turns on the event loop…
        self._running = threading.Lock()  # …and the model is never freed while one runs in its thread
        self._closed = False
        self._processors = [JapaneseOnly(self.llm)] if settings.japanese_only else []
        # One model instance: calls take turns. A small model runs to any cap, so a cut-off
        # answer is trimmed rather than asked again.
        self.capabilities = Capabilities(
            concurrency=1,
            streaming=False,
            grammar=True,
            retry_cutoffs=False,
            fixed_model=self.path.name,
            whole_draft=False,
        )

    async def close(self) -> None:
        # A call cancelled on the event loop still runs in its thread: wait for it, then free the model.
        await asyncio.to_thread(self._closing)

    def _closing(self) -> None:
        with self._running:
            self._closed = True
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
        with self._running:
            if self._closed:  # a call that was cancelled while it waited for its thread
                raise ProviderError("the embedded model was closed")
            return self._generate(request)

    def _generate(self, request: ChatRequest) -> ChatResult:
        params: dict[str, Any] = {
            "messages": request.messages,
            "max_tokens": self.room_for_answer(request),
            "temperature": self.settings.temperature,
            "repeat_penalty": self.settings.repeat_penalty,
            "frequency_penalty": self.settings.frequency_penalty,
            "top_p": self.settings.top_p,
            "seed": self.settings.seed,
        }
        if self._processors:
            params["logits_processor"] = self._processors
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
