"""The embedded provider: llama.cpp in-process, one model instance, calls in turn."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from dataclasses import replace
from functools import cache
from typing import Any

from pipeline.config import LocalSettings
from pipeline.errors import ProviderError, UsageError
from pipeline.llm import embedded
from pipeline.llm.decoding import (
    PROSE_FORBIDDEN,
    JapaneseOnly,
    NoRepeat,
    Paragraphs,
    PlainProse,
    SentenceEnd,
    Vocabulary,
)
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
        self._chat_template = self._template()
        self.vocabulary = Vocabulary(self.llm)
        self._prose = PlainProse(self.vocabulary)
        self._items = PlainProse(self.vocabulary, PROSE_FORBIDDEN - {" ", "*", ":"})  # a grammar's `- ` and `:** `
        self._paragraphs = Paragraphs(self.vocabulary)
        # One model instance: calls take turns. A small model runs to any cap, so a cut-off
        # answer is trimmed rather than asked again; it copies instructions, so it writes by continuing.
        self.capabilities = Capabilities(
            concurrency=1,
            streaming=False,
            grammar=True,
            retry_cutoffs=False,
            fixed_model=self.path.name,
            whole_draft=False,
            follows_instructions=False,
            continues=settings.continuation,
        )

    def _template(self) -> Any:
        """The model's own chat template (from the GGUF), to render a text request as the document it decodes."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            return None
        token = lambda t: self.llm.detokenize([t], special=True).decode("utf-8", errors="ignore")  # noqa: E731
        return Jinja2ChatFormatter(
            template, eos_token=token(self.llm.token_eos()), bos_token=token(self.llm.token_bos())
        )

    def _as_document(self, request: ChatRequest) -> ChatRequest:
        """A free-text request as the chat template renders it: decoded like a document, under the same masks
        (no copying a run of its prompt) and with the same stop at a sentence end."""
        rendered = self._chat_template(messages=request.messages)
        stops = [rendered.stop] if isinstance(rendered.stop, str) else list(rendered.stop or [])
        return replace(request, document=rendered.prompt, stop=(*request.stop, *stops))

    @cache  # noqa: B019 - one provider a process, a site's one set of characters
    def _japanese(self, allow: str) -> list[Any]:
        return [JapaneseOnly(self.vocabulary, allow)] if self.settings.japanese_only else []

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

    def _tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode(), add_bos=False, special=True))

    def room_for_answer(self, request: ChatRequest) -> int:
        """Tokens the answer may use so that prompt and answer fit the context window."""
        if request.document is not None:
            prompt = self._tokens(request.document)
        else:
            prompt = sum(self._tokens(m["content"]) + 8 for m in request.messages)
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
            if request.document is None and request.schema is None and self._chat_template is not None:
                request = self._as_document(request)
            return self._generate(request) if request.document is None else self._continue(request)

    def _continue(self, request: ChatRequest) -> ChatResult:
        """The document continued (plain prose, or what its grammar allows), timed to its first token."""
        from llama_cpp import LlamaGrammar, StoppingCriteriaList

        document = request.document or ""
        start = len(self.llm.tokenize(document.encode(), special=True))
        prose = self._items if request.grammar else self._prose
        processors = [*self._japanese(request.allow), prose, NoRepeat(self.settings.no_repeat)]
        if request.grammar is None:
            processors.append(self._paragraphs)
        stopping = [SentenceEnd(self.vocabulary, start, request.stop_after)] if request.stop_after else []
        grammar = LlamaGrammar.from_string(request.grammar, verbose=False) if request.grammar else None
        began = time.perf_counter()
        first: float | None = None
        text, finish = [], None
        for chunk in self.llm.create_completion(
            document,
            max_tokens=self.room_for_answer(request),
            temperature=self.settings.temperature,
            repeat_penalty=self.settings.repeat_penalty,
            frequency_penalty=self.settings.frequency_penalty,
            top_p=self.settings.top_p,
            seed=self.settings.seed + request.variant,
            stop=list(request.stop),
            logits_processor=processors,
            stopping_criteria=StoppingCriteriaList(stopping) if stopping else None,
            grammar=grammar,
            stream=True,
        ):
            first = first if first is not None else time.perf_counter() - began
            choice = chunk["choices"][0]
            text.append(choice["text"])
            finish = choice.get("finish_reason") or finish
        answer = "".join(text)
        return ChatResult(answer, finish, prompt_tokens=start, completion_tokens=self._tokens(answer), ttft_s=first)

    def _generate(self, request: ChatRequest) -> ChatResult:
        params: dict[str, Any] = {
            "messages": request.messages,
            "max_tokens": self.room_for_answer(request),
            "temperature": self.settings.temperature,
            "repeat_penalty": self.settings.repeat_penalty,
            "frequency_penalty": self.settings.frequency_penalty,
            "top_p": self.settings.top_p,
            "seed": self.settings.seed + request.variant,
        }
        # A JSON answer copies no run of its prompt either (a key the grammar requires is still written).
        params["logits_processor"] = [*self._japanese(""), NoRepeat(self.settings.no_repeat)]
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
