"""The gateway every model call goes through: concurrency, retries, timeouts, usage, cost."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from pipeline.config import LLMSettings
from pipeline.errors import ProviderError
from pipeline.llm.pricing import call_cost
from pipeline.llm.provider import ChatRequest, ChatResult, Provider, TransientError
from pipeline.llm.schema import strict_schema
from pipeline.prompts import PromptBook, RenderedPrompt
from pipeline.text import trim_to_sentence
from pipeline.types import CallRecord

log = logging.getLogger("genpost.llm")
M = TypeVar("M", bound=BaseModel)


class InvalidAnswer(ProviderError):
    """A structured answer that stayed invalid after the re-ask."""


class Gateway:
    """The one door to the models. Every call is capped, timed, retried and recorded."""

    def __init__(
        self,
        provider: Provider,
        settings: LLMSettings,
        prompts: PromptBook,
        *,
        model_override: str | None = None,
        max_attempts: int = 4,
        retry_budget_s: float = 300.0,
        progress: Callable[[CallRecord], None] | None = None,
    ) -> None:
        self.provider = provider
        self.settings = settings
        self.prompts = prompts
        self.model_override = model_override
        self.max_attempts = max_attempts
        self.retry_budget_s = retry_budget_s
        self.calls: list[CallRecord] = []
        self.progress = progress
        # A provider that runs one call at a time (the embedded model) says so; queueing here
        # keeps each call's recorded duration its own.
        limit = min(settings.concurrency, getattr(provider, "max_concurrency", settings.concurrency))
        self._gate = asyncio.Semaphore(limit)
        self._origin = time.perf_counter()

    def model_for(self, stage: str) -> str:
        """A provider with one fixed model (the embedded one) names it; others follow the config."""
        fixed = getattr(self.provider, "model_name", None)
        return fixed or self.model_override or self.settings.model_for(stage)

    async def close(self) -> None:
        await self.provider.close()

    async def text(self, *, stage: str, part: str, prompt: RenderedPrompt, max_tokens: int) -> str:
        """A free-text answer."""
        result = await self._call(stage, part, prompt, max_tokens, None, "answer", {})
        if result.finish_reason == "length":
            log.info("%s/%s: answer cut at %d tokens; trimmed to its last sentence", stage, part, max_tokens)
            return trim_to_sentence(result.text)
        return result.text

    async def structured(
        self,
        *,
        stage: str,
        part: str,
        prompt: RenderedPrompt,
        model: type[M],
        max_tokens: int,
        schema: dict | None = None,
        check: Callable[[M], list[str]] | None = None,
        patterns: dict[str, str] | None = None,
    ) -> M:
        """A JSON answer validated against `model` (and `check`), re-asked once if invalid."""
        schema = schema or strict_schema(model)
        name = model.__name__.lower()
        for attempt in (1, 2):
            result = await self._call(stage, part, prompt, max_tokens, schema, name, patterns or {})
            value, problems = _parse(result.text, model, check)
            if value is not None:
                return value
            log.info("%s/%s: invalid answer (%s)", stage, part, "; ".join(problems))
            if attempt == 2:
                raise InvalidAnswer(f"{stage}: the model's answer stayed invalid: {'; '.join(problems)}")
            reask = self.prompts.text("reask.j2", problems=problems)
            prompt = prompt.followed_by(
                {"role": "assistant", "content": result.text}, {"role": "user", "content": reask}
            )
        raise AssertionError("unreachable")

    async def _call(
        self,
        stage: str,
        part: str,
        prompt: RenderedPrompt,
        max_tokens: int,
        schema: dict | None,
        schema_name: str,
        patterns: dict[str, str],
    ) -> ChatResult:
        request = ChatRequest(
            model=self.model_for(stage),
            messages=prompt.messages,
            max_tokens=max_tokens,
            temperature=self.settings.temperature,
            timeout=self.settings.timeout,
            stream=self.settings.stream,
            schema=schema,
            schema_name=schema_name,
            patterns=patterns,
        )
        async with self._gate:
            started = time.perf_counter()
            result, attempts = await self._with_retries(request)
            ended = time.perf_counter()
        record = CallRecord(
            stage=stage,
            part=part,
            model=request.model,
            provider=self.provider.name,
            template=prompt.template,
            template_hash=prompt.template_hash,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            cached_tokens=result.cached_tokens,
            cost_usd=call_cost(
                self.settings.prices,
                request.model,
                result.prompt_tokens,
                result.cached_tokens,
                result.completion_tokens,
            ),
            started_s=round(started - self._origin, 4),
            duration_s=round(ended - started, 4),
            ttft_s=round(result.ttft_s, 4) if result.ttft_s is not None else None,
            finish_reason=result.finish_reason,
            attempts=attempts,
        )
        self.calls.append(record)
        if self.progress:
            self.progress(record)
        log.info(
            "%s/%s: %s, %d+%d tokens, %.2fs",
            stage,
            part,
            request.model,
            result.prompt_tokens,
            result.completion_tokens,
            ended - started,
        )
        return result

    async def _with_retries(self, request: ChatRequest) -> tuple[ChatResult, int]:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(TransientError),
            stop=stop_after_attempt(self.max_attempts) | stop_after_delay(self.retry_budget_s),
            wait=wait_exponential_jitter(initial=1, max=30),
            reraise=False,
        )
        attempts = 0
        try:
            async for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    if attempts > 1:
                        log.info("retrying %s (attempt %d)", request.model, attempts)
                    result = await self.provider.chat(request)
        except RetryError as exc:
            cause = exc.last_attempt.exception()
            raise ProviderError(f"model provider unavailable after {attempts} attempts: {cause}") from None
        return result, attempts

    def totals(self) -> dict[str, int | float]:
        """Token and cost totals over every call so far."""
        return {
            "calls": len(self.calls),
            "prompt_tokens": sum(c.prompt_tokens for c in self.calls),
            "completion_tokens": sum(c.completion_tokens for c in self.calls),
            "cached_tokens": sum(c.cached_tokens for c in self.calls),
            "cost_usd": round(sum(c.cost_usd for c in self.calls), 8),
        }


def _parse(text: str, model: type[M], check: Callable[[M], list[str]] | None) -> tuple[M | None, list[str]]:
    """The parsed answer and no problems, or None and what is wrong with it."""
    try:
        # strict=False: a raw newline inside a string is tolerated, as most servers emit it.
        value = model.model_validate(json.loads(_strip_fence(text), strict=False))
    except json.JSONDecodeError as exc:
        return None, [f"JSON として読めません（{exc.msg}）"]
    except ValidationError as exc:
        return None, [f"{'.'.join(map(str, e['loc'])) or 'JSON'}: {e['msg']}" for e in exc.errors()[:5]]
    problems = check(value) if check else []
    return (None, problems) if problems else (value, [])


def _strip_fence(text: str) -> str:
    """Some servers wrap JSON in a Markdown code fence; take what is inside."""
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[-1]
        stripped = stripped.rsplit("```", 1)[0]
    return stripped
