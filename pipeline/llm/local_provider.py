"""The embedded provider: llama.cpp in-process, one model instance, calls in turn."""

from __future__ import annotations

import asyncio
import copy
import os
import re
from typing import Any

from pipeline.config import LocalSettings
from pipeline.errors import ProviderError, UsageError
from pipeline.llm import embedded
from pipeline.llm.provider import ChatRequest, ChatResult
from pipeline.llm.schema import JSON_CHAR

_LIMIT = re.compile(r"(\d+)字以内")
_DEFAULT_MAX_LENGTH = 240


def grammar_schema(schema: dict[str, Any], patterns: dict[str, str] | None = None) -> dict[str, Any]:
    """The schema tightened for grammar-constrained decoding by a small model.

    A string at a path in `patterns` must match that regex; any other string gets 2 to N
    plain characters (N from a "N字以内" description, else a default), so the model can
    neither leave it empty nor ramble inside the JSON.
    """
    patterns = patterns or {}
    defs = schema.get("$defs", {})

    def walk(node: dict[str, Any], path: str) -> dict[str, Any]:
        if "$ref" in node:
            node = copy.deepcopy(defs[node["$ref"].split("/")[-1]])
        kind = node.get("type")
        if kind == "object":
            node["properties"] = {
                key: walk(sub, f"{path}.{key}".lstrip(".")) for key, sub in node.get("properties", {}).items()
            }
        elif kind == "array" and isinstance(node.get("items"), dict):
            items = {"description": node.get("description", ""), **node["items"]}
            node["items"] = walk(items, path)
        elif kind == "string" and "enum" not in node:
            limit = _LIMIT.search(node.get("description", ""))
            longest = int(limit.group(1)) if limit else _DEFAULT_MAX_LENGTH
            # A pattern rather than min/maxLength: llama.cpp's plain string rule lets raw
            # newlines through, which strict JSON parsers reject.
            node["pattern"] = patterns.get(path, f"^{JSON_CHAR}{{2,{longest}}}$")
        return node

    tightened = walk(copy.deepcopy({k: v for k, v in schema.items() if k != "$defs"}), "")
    return tightened


class LocalProvider:
    """A GGUF model run by llama-cpp-python, loaded once per process."""

    name = "local"
    max_concurrency = 1  # one model instance: calls take turns
    retry_cutoffs = False  # a small model runs to any cap; trimming beats asking again

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

    @property
    def model_name(self) -> str:
        return self.path.name

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
            schema = grammar_schema(request.schema, request.patterns)
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
